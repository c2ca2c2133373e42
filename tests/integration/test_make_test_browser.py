"""`make test` provides the report test's headless Chromium before it runs anything (issue #13).

``tools/ensure-browser`` is driven with a PATH of fakes: a browser that is there, one that
apt-get installs when running as root, and the one-line instruction when it cannot install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "ensure-browser"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"


def _fake(bin_dir: Path, name: str, body: str) -> Path:
    path = bin_dir / name
    path.write_text(f"#!{BASH}\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def _run(bin_dir: Path, uid: int, **env: str) -> subprocess.CompletedProcess[str]:
    _fake(bin_dir, "id", f'[ "$1" = "-u" ] && echo {uid}')
    return subprocess.run(
        [BASH, str(SCRIPT)],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir), "HOME": str(bin_dir), **env},
        timeout=60,
        check=False,
    )


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH with no browser and no apt-get (the script's own tools are bash builtins)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def test_a_browser_on_the_path_is_used(bin_dir: Path) -> None:
    browser = _fake(bin_dir, "chromium", "exit 0")
    result = _run(bin_dir, uid=1000)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(browser)


def test_grapevine_browser_names_the_binary(bin_dir: Path, tmp_path: Path) -> None:
    chrome = _fake(tmp_path, "my-chrome", "exit 0")
    assert _run(bin_dir, uid=1000, GRAPEVINE_BROWSER=str(chrome)).stdout.strip() == str(chrome)
    wrong = _run(bin_dir, uid=1000, GRAPEVINE_BROWSER=str(tmp_path / "nope"))
    assert wrong.returncode == 1 and "not an executable" in wrong.stderr


def test_root_with_apt_installs_chromium(bin_dir: Path) -> None:
    log = bin_dir / "apt.log"
    _fake(
        bin_dir,
        "apt-get",
        f'echo "$*" >> {log}\n'
        f'case "$*" in *install*) printf "#!{BASH}\\nexit 0\\n" > {bin_dir}/chromium;'
        f" {CHMOD} +x {bin_dir}/chromium;; esac",
    )
    result = _run(bin_dir, uid=0)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir / "chromium")
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("update") and "install -y" in calls[1] and "chromium" in calls[1]


def test_without_root_it_stops_at_once_with_the_command(bin_dir: Path) -> None:
    log = bin_dir / "apt.log"
    _fake(bin_dir, "apt-get", f'echo "$*" >> {log}')
    result = _run(bin_dir, uid=1000)
    assert result.returncode == 1
    assert "apt-get install -y chromium" in result.stderr
    assert not log.exists()


def test_without_apt_it_stops_at_once_with_the_command(bin_dir: Path) -> None:
    result = _run(bin_dir, uid=0)
    assert result.returncode == 1
    assert "apt-get install -y chromium" in result.stderr and "GRAPEVINE_BROWSER" in result.stderr


def test_make_test_checks_the_browser_before_pytest() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed: the README's two commands need it")
    dry = subprocess.run(
        [make, "-n", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": "python3"},
        timeout=60,
        check=True,
    ).stdout
    assert "tools/ensure-browser" in dry and "pytest" in dry
    assert dry.index("tools/ensure-browser") < dry.index("-m pytest")
