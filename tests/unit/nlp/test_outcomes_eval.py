"""Scores of discovered outcomes against labelled reasons (nlp.outcomes_eval)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grapevine.core.errors import InputError
from nlp.outcomes import BRAND_TOKEN
from nlp.outcomes_eval import majority, mask_texts, read_rows, score, shuffled_baseline

GOLD = ["a"] * 40 + ["b"] * 40 + ["c"] * 20


def test_perfect_outcomes_score_one() -> None:
    pred = [0] * 40 + [1] * 40 + [2] * 20
    s = score(pred, GOLD)
    assert (s["nmi"], s["ari"], s["purity"], s["coverage"]) == (1.0, 1.0, 1.0, 1.0)
    assert s["unassigned_share"] == 0.0 and s["n_outcomes"] == 3 and s["n"] == 100
    assert s["reasons"]["c"] == {"n": 20, "outcome": 2, "outcome_share": 1.0}


def test_unassigned_posts_are_one_group_and_never_cover_a_reason() -> None:
    pred = [0] * 40 + [1] * 40 + [-1] * 20
    s = score(pred, GOLD)
    assert s["unassigned_share"] == 0.2
    assert s["purity"] == 1.0  # the unassigned lump is all "c": one pure group
    assert s["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["reasons"]["c"]["outcome"] is None
    # Unassigned posts spread over reasons make an impure group.
    mixed = score([0] * 30 + [-1] * 10 + [1] * 30 + [-1] * 10 + [2] * 20, GOLD)
    assert mixed["purity"] == pytest.approx(0.9)  # unassigned group: 10 of its 20 are the majority
    assert mixed["purity_assigned"] == 1.0
    assert mixed["coverage"] == 1.0


def test_coverage_needs_half_of_an_outcome_and_two_percent_of_rows() -> None:
    gold = ["a"] * 60 + ["b"] * 38 + ["rare"] * 2  # "rare" is 2 %: still counted
    pred = [0] * 60 + [1] * 19 + [2] * 19 + [2] * 2  # outcome 2: 19 "b", 2 "rare"
    s = score(pred, gold)
    assert set(s["reasons"]) == {"a", "b", "rare"}
    assert s["reasons"]["b"]["outcome"] == 1  # the purer of two outcomes that are >= 50 % "b"
    assert s["reasons"]["rare"]["outcome"] is None
    assert s["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    gold_small = ["a"] * 60 + ["b"] * 39 + ["tiny"]  # 1 %: not expected to be found
    assert "tiny" not in score([0] * 100, gold_small)["reasons"]


def test_one_big_outcome_scores_low() -> None:
    s = score([0] * 100, GOLD)
    assert s["nmi"] == 0.0 and s["ari"] == 0.0
    assert s["purity"] == 0.4
    assert s["coverage"] == 0.0


def test_shuffled_baseline_is_far_below_a_good_discovery() -> None:
    pred = [0] * 40 + [1] * 40 + [2] * 20
    base = shuffled_baseline(pred, GOLD, seed=1)
    assert base["nmi"] < 0.2 and abs(base["ari"]) < 0.1 and base["coverage"] < 0.5
    assert base["n_outcomes"] == 3  # same outcomes, dealt at random


def test_score_edge_cases() -> None:
    assert score([], [])["n"] == 0
    with pytest.raises(ValueError, match="predictions"):
        score([0], ["a", "b"])


def test_majority_reason_per_outcome() -> None:
    assert majority([0, 0, 0, 1, -1], ["a", "a", "b", "c", "a"]) == {
        0: ("a", pytest.approx(2 / 3)),
        1: ("c", 1.0),
    }


def test_read_rows_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "x.csv"
    csv_file.write_text('text,reason\n"late, again",delay\n', encoding="utf-8")
    assert read_rows(csv_file) == [{"text": "late, again", "reason": "delay"}]
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"text": "lost bag", "reason": "luggage", "n": 1}\n\n', encoding="utf-8")
    assert read_rows(jsonl) == [{"text": "lost bag", "reason": "luggage", "n": "1"}]
    jsonl.write_text('{"text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.jsonl:2"):
        read_rows(jsonl)
    with pytest.raises(InputError, match="extension"):
        read_rows(tmp_path / "x.xlsx")


def test_mask_texts_masks_every_brand_of_the_file() -> None:
    texts = ["Voltera is worse than Pedalix", "my PEDALIX pack", "no brand here @bob"]
    masked = mask_texts(texts, ["Voltera", "Pedalix", "Pedalix", ""])
    assert masked == [
        f"{BRAND_TOKEN} is worse than {BRAND_TOKEN}",
        f"my {BRAND_TOKEN} pack",
        "no brand here",
    ]
