"""The eval CLI (DESIGN.md section 7) on small fixture files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from nlp.cli import eval_app, train_app

runner = CliRunner()
KEYS = {
    "task",
    "model",
    "n",
    "accuracy",
    "macro_recall",
    "macro_f1",
    "per_class",
    "texts_per_second",
}


def test_eval_sentiment_json_with_baselines(fixtures, sentiment) -> None:
    result = runner.invoke(
        eval_app,
        [
            "sentiment",
            str(fixtures / "sentiment_eval.csv"),
            "--json",
            "--data-dir",
            str(fixtures / "data"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= KEYS
    assert out["task"] == "sentiment" and out["n"] == 6
    assert set(out["per_class"]) == {"negative", "neutral", "positive"}
    assert set(out["per_class"]["negative"]) == {"precision", "recall", "f1", "support"}
    assert out["accuracy"] >= 0.8
    assert set(out["baselines"]) == {"vader", "tfidf_logreg"}
    assert {"accuracy", "macro_recall", "macro_f1", "per_class"} <= set(out["baselines"]["vader"])


def test_eval_sentiment_tsv_table(fixtures, sentiment) -> None:
    result = runner.invoke(
        eval_app, ["sentiment", str(fixtures / "sentiment_eval.tsv"), "--no-baselines"]
    )
    assert result.exit_code == 0, result.output
    assert "macro F1" in result.stdout and "positive" in result.stdout


def test_eval_advocacy_json(fixtures, advocacy) -> None:
    result = runner.invoke(
        eval_app,
        [
            "advocacy",
            str(fixtures / "advocacy_eval.csv"),
            "--json",
            "--brand-col",
            "brand",
            "--data-dir",
            str(fixtures / "data"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= KEYS and out["task"] == "advocacy" and out["n"] == 6
    assert set(out["per_class"]) == {"advocacy", "badvocacy", "none"}
    assert out["macro_f1"] >= 0.5


def test_eval_missing_column_is_a_clear_error(fixtures) -> None:
    result = runner.invoke(
        eval_app,
        ["sentiment", str(fixtures / "sentiment_eval.csv"), "--text-col", "body", "--no-baselines"],
    )
    assert result.exit_code == 2
    assert "no column 'body'" in result.output


def test_help_lists_commands() -> None:
    for app in (eval_app, train_app):
        result = runner.invoke(app, ["--help"])
        assert result.exit_code == 0
        assert "sentiment" in result.stdout and "advocacy" in result.stdout


def test_train_commands_take_a_device() -> None:
    for task in ("sentiment", "advocacy"):
        result = runner.invoke(train_app, [task, "--help"])
        assert result.exit_code == 0
        assert "--device" in result.stdout
