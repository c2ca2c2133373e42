"""Bundled demo data: fictional e-bike brands, their watchlist and its deterministic generator."""
