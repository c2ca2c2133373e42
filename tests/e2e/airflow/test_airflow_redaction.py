"""Airflow task logs mask the parts of alert URLs that libraries log (webhook path tokens)."""

from __future__ import annotations

import pytest

from grapevine import airflow as gv

pytestmark = pytest.mark.e2e


def test_alert_url_path_tokens_and_passwords_are_masked_in_task_logs(monkeypatch) -> None:
    monkeypatch.setenv("GRAPEVINE_ALERT_URLS", "json://bob:hunter2pw@127.0.0.1:9/hook/s3cr3tT0k3n")
    gv.settings_from_airflow(lookup=lambda conn_id: None)

    from airflow.sdk._shared.secrets_masker import redact

    line = str(redact("JSON POST URL: http://bob:hunter2pw@127.0.0.1:9/hook/s3cr3tT0k3n"))
    assert "s3cr3tT0k3n" not in line and "hunter2pw" not in line
    assert "127.0.0.1:9" in line
