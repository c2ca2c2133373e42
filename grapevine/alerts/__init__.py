"""Badvocacy spike alerts: pure detection (``detect``) and delivery through apprise (``notify``).

Storage (insert once per window, claim deliveries, record attempts) lives in
``warehouse.alerts``; the stage that ties them together is ``grapevine.stages.run_alerts``.
"""
