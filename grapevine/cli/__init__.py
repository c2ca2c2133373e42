"""The ``grapevine`` command line. ``grapevine.cli:app`` is the console script's entry point."""

from grapevine.cli.app import app

__all__ = ["app"]
