"""Analyst-facing SQL (views and examples), shipped as package data and installed by migrations."""
