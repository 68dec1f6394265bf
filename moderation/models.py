"""Moderation events and the review queue: built by the moderation issue."""
