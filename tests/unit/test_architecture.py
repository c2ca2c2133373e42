"""The layers of docs/architecture.md hold: the import contract in ``.importlinter`` is kept,
and the lists that used to be written by hand are derived from the one source registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grapevine import sources
from grapevine.airflow import pools

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_docker_pools_are_the_registry_s() -> None:
    shipped = json.loads((ROOT / "docker" / "pools.json").read_text(encoding="utf-8"))
    assert shipped == pools()


def test_the_docs_table_is_the_registry_s() -> None:
    """Regenerate with: python -c 'from grapevine.sources import docs_table; print(docs_table())'"""
    assert sources.docs_table() in (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")


def test_every_builder_resolves_and_names_its_source() -> None:
    for spec in sources.SOURCES:
        if spec.builder is not None:
            module = sys.modules.get(spec.builder.split(":")[0])
            assert callable(spec.build_function()), spec.name
            assert module is None or hasattr(module, spec.builder.split(":")[1])
    import collectors.bluesky
    import collectors.hackernews
    import collectors.mastodon
    import collectors.reddit
    import collectors.x

    stored = {m.SOURCE for m in (collectors.bluesky, collectors.hackernews, collectors.mastodon,
                                 collectors.reddit, collectors.x)}  # fmt: skip
    assert stored == {s.name for s in sources.SOURCES if s.builder is not None}
