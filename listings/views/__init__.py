"""The HTTP surface of listings, one module per topic."""
