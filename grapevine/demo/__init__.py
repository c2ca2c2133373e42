"""Bundled demo data: fictional e-bike brands and their watchlist (from tools/demo/generate.py)."""
