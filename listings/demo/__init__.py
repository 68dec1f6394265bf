"""The demo data `seed_demo` loads into listings: the hand-written sellers' listings
(`sellers`), the demo businesses' (`businesses`) and the generated catalogue (`catalogue`)."""
