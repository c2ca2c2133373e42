"""Hostile text made inert for the report: every user-derived string goes through these.

Post texts, brand names and outcome labels come from strangers on the internet: they are
HTML-escaped for text and attributes (plotly renders a little HTML in labels, so strings given
to it are escaped too), and links are emitted only for http(s) URLs.
"""

from __future__ import annotations

import html


def esc(value: object) -> str:
    """HTML-escape anything for text content and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_link(url: object, label: str) -> str:
    """An outbound link for http(s) URLs only; anything else (javascript:, data:) is text."""
    text_ = esc(label)
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        rel = "noopener noreferrer nofollow ugc"
        return f'<a href="{esc(url)}" rel="{rel}" target="_blank">{text_}</a>'
    return text_


def post_text(raw: object) -> str:
    """Post text for HTML: entities the source already encoded (``&amp;``) decoded once, then
    everything escaped, so ``Fish &amp; chips`` reads "Fish & chips" and markup stays inert."""
    return esc(html.unescape("" if raw is None else str(raw)))
