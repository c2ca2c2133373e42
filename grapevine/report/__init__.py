"""The HTML report (``grapevine report``): one self-contained file with the brand picture.

``build_report(engine, since, until, out)`` reads the analyst views and writes the file; see
``grapevine.report.build`` for what it shows and how hostile post text is kept inert.
"""

from grapevine.report.build import build_report

__all__ = ["build_report"]
