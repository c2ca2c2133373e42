"""Grapevine: customer-to-customer word of mouth about brands, measured."""

__version__ = "0.1.0"
