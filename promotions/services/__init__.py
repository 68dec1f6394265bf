"""Every write of payments and promotions; import from the module that owns it."""
