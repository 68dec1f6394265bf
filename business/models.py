"""Business accounts (dealers, agencies) and their teams: built by the listings and business
issues."""
