"""Grapevine's core: the types, settings and pure rules every other part shares.

It imports nothing else of ours (an import contract in ``make lint`` checks it), so
``collectors``, ``nlp`` and ``warehouse`` can depend on it without depending on each other.
See ``docs/architecture.md``.
"""
