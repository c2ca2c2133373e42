"""The stages of a run, one module each, in the order of ``grapevine.plan.PLAN``.

Each module has one entry point, ``run(engine, settings, window, **options) -> Summary``
(see :mod:`grapevine.stages.base`), and composes the stage packages (``collectors``, ``nlp``,
``warehouse``), which never import each other.
"""
