"""``grapevine eval outcomes`` end to end with a stand-in embedder (LSA: TF-IDF + SVD).

The real embedder is exercised by tests/integration/test_eval_outcomes.py; here the command's
plumbing (reading, masking, language filter, scoring, output) is tested without the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nlp import cli
from nlp.cli import eval_app
from nlp.outcomes import BRAND_TOKEN

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outcome_reasons.csv"
runner = CliRunner()


class LsaEmbedder:
    """Latent semantic analysis of the very texts it is given: crude, but a real signal."""

    version = "test-lsa"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], **_: object) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.seen = list(texts)
        tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
        dims = min(20, tfidf.shape[1] - 1)
        x = TruncatedSVD(n_components=dims, random_state=0).fit_transform(tfidf)
        unit: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
        return unit


@pytest.fixture
def embedder(monkeypatch: pytest.MonkeyPatch) -> LsaEmbedder:
    fake = LsaEmbedder()
    monkeypatch.setattr(cli, "_embedder", lambda model: fake)
    return fake


def test_eval_outcomes_json_on_the_fixture(embedder: LsaEmbedder) -> None:
    result = runner.invoke(eval_app, ["outcomes", str(FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["task"] == "outcomes" and out["embedder"] == "test-lsa"
    assert out["n"] == 358
    assert {"nmi", "ari", "purity", "purity_assigned", "coverage", "unassigned_share"} <= set(out)
    assert out["unsupported_language"] == 8
    assert len(out["reasons"]) == 10
    # Brands were masked before embedding (every brand of the file, not just the row's).
    assert len(embedder.seen) == 350
    assert not any(b in t for t in embedder.seen for b in ("Voltera", "Skyvia", "Pedalix"))
    assert sum(BRAND_TOKEN in t for t in embedder.seen) > 300
    # The outcomes carry what an analyst reads, and sizes add up to the assigned posts.
    o = out["outcomes"][0]
    assert set(o) == {
        "outcome",
        "size",
        "label",
        "key_phrases",
        "majority_reason",
        "majority_share",
        "representatives",
    }
    assert 3 <= len(o["representatives"]) <= 5 and o["label"]
    assigned = sum(x["size"] for x in out["outcomes"])
    assert assigned == round(out["n"] * (1 - out["unassigned_share"]))
    # Even a bag-of-words embedder finds real structure: far above the same outcomes shuffled.
    base = out["baselines"]["shuffled"]
    assert out["nmi"] > base["nmi"] + 0.3
    assert out["ari"] > base["ari"] + 0.2
    assert out["purity"] > base["purity"] + 0.2
    assert out["coverage"] > base["coverage"]


def test_eval_outcomes_table(embedder: LsaEmbedder) -> None:
    result = runner.invoke(eval_app, ["outcomes", str(FIXTURE), "--min-posts", "15"])
    assert result.exit_code == 0, result.output
    assert "majority reason" in result.stdout and "shuffled" in result.stdout
    assert "NMI" in result.stdout and "8 not English" in result.stdout


def test_eval_outcomes_jsonl_and_options(embedder: LsaEmbedder, tmp_path: Path) -> None:
    rows = [
        {"body": f"Skyvia lost my bag number {i} at the airport", "why": "luggage"}
        for i in range(12)
    ] + [{"body": f"Brisk motor grinding noise on hill {i}", "why": "noise"} for i in range(12)]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = runner.invoke(
        eval_app,
        ["outcomes", str(path), "--text-col", "body", "--label-col", "why", "--json"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n"] == 24 and out["params"]["masked_brands"] == 0  # no brand column: unmasked
    assert out["params"]["min_posts"] == 10
    assert out["n_outcomes"] == 2 and out["coverage"] == 1.0 and out["purity"] == 1.0


def test_eval_outcomes_errors(embedder: LsaEmbedder, tmp_path: Path) -> None:
    missing_col = runner.invoke(eval_app, ["outcomes", str(FIXTURE), "--label-col", "topic"])
    assert missing_col.exit_code == 2
    assert "no column 'topic'" in missing_col.output and "reason" in missing_col.output
    bad_brand = runner.invoke(eval_app, ["outcomes", str(FIXTURE), "--brand-col", "company"])
    assert bad_brand.exit_code == 2 and "no column 'company'" in bad_brand.output
    missing_file = runner.invoke(eval_app, ["outcomes", str(tmp_path / "nope.csv")])
    unboxed = " ".join(re.sub(r"[│╭╮╰╯─]", " ", missing_file.output).split())
    assert missing_file.exit_code == 2 and "does not exist" in unboxed
    empty = tmp_path / "empty.csv"
    empty.write_text("text,reason\n", encoding="utf-8")
    no_rows = runner.invoke(eval_app, ["outcomes", str(empty)])
    assert no_rows.exit_code == 2 and "no rows" in no_rows.output
