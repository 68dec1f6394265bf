"""Listings of cars, horses and real estate: built by the listings issue."""
