"""The feed and search benchmark (`make bench`); see docs/performance.md."""
