"""Buyer-seller threads and messages: built by the chat issue."""
