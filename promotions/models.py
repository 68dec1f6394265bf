"""Paid boosts and payments: built by the promotions issue."""
