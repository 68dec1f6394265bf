"""Every write to listings. One module per topic; import from the module that owns it."""
