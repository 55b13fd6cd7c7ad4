"""Model cards: written at train time into every model directory, outside the model's hash,
in the Hugging Face convention, with only figures that exist when they are written."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dprk_stance.card import (
    BUNDLED_HUB_ID,
    CARD_FILE,
    CardError,
    base_model,
    evaluation_rows,
    render_card,
    write_model_card,
)
from dprk_stance.config import BUNDLED_BACKBONE
from dprk_stance.models.base import MODEL_FILE, content_hash
from dprk_stance.stances import DEFINITIONS, LABELS


def split_card(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    header, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


@pytest.fixture(scope="module")
def models(trained):
    return Path(trained.paths.models_dir)


def test_every_trained_model_has_a_card(trained, models):
    for name in (*trained.models, "ensemble"):
        header, body = split_card((models / name / CARD_FILE).read_text(encoding="utf-8"))
        assert header["language"] == ["en"] and header["license"] == "apache-2.0"
        assert header["pipeline_tag"] == "text-classification"
        library = "transformers" if name == "transformer" else "dprk-stance"
        assert header["library_name"] == library
        assert "base_model" not in header  # the tests' backbone is a local folder
        meta = json.loads((models / name / MODEL_FILE).read_text())
        assert meta["content_sha256"] in body
        assert f"# dprk-stance: `{name}`" in body


def test_the_card_is_outside_the_model_hash(models):
    """Writing or editing README.md never changes the citable content hash."""
    folder = models / "tfidf-logreg"
    recorded = json.loads((folder / MODEL_FILE).read_text())["content_sha256"]
    assert (folder / CARD_FILE).is_file()
    assert content_hash(folder) == recorded
    original = (folder / CARD_FILE).read_text(encoding="utf-8")
    try:
        (folder / CARD_FILE).write_text(original + "\nedited\n", encoding="utf-8")
        assert content_hash(folder) == recorded
    finally:
        (folder / CARD_FILE).write_text(original, encoding="utf-8")


def test_train_time_card_holds_training_facts_and_no_evaluation(trained, models):
    folder = models / "tfidf-logreg"
    header, body = split_card((folder / CARD_FILE).read_text(encoding="utf-8"))
    meta = json.loads((folder / MODEL_FILE).read_text())
    summary = json.loads((folder / "training_summary.json").read_text())
    ingest = json.loads((Path(trained.paths.processed_dir) / "ingest_report.json").read_text())
    # the only figures: dev, at fit time
    (result,) = header["model-index"][0]["results"]
    assert result["dataset"]["name"].endswith("dev split")
    values = {m["type"]: m["value"] for m in result["metrics"]}
    assert values == {
        "accuracy": round(summary["dev_accuracy_at_fit"], 4),
        "f1": round(summary["dev_macro_f1_at_fit"], 4),
    }
    assert "Not part of this card" in body
    for label in LABELS:
        assert f"| `{label}` | {DEFINITIONS[label]} |" in body
    assert f"Corpus version `{ingest['corpus_version']}`" in body
    train = pd.read_parquet(Path(trained.paths.splits_dir) / "train.parquet")
    counts = [int((train["label"] == label).sum()) for label in LABELS]
    assert f"| train | {len(train)} | " + " | ".join(map(str, counts)) + " |" in body
    assert f"T = {meta['temperature']:.4f}" in body
    assert f"below {meta['abstain_threshold']:.4f}" in body
    assert "fitted on dev: the highest flagging at most" in body or "fixed" in body
    # the tests' corpus is not the bundled one: no claim about how it was written
    assert "outside `data/raw/`" in body and "authored" not in body


def test_base_model_is_a_hub_id_or_nothing():
    assert base_model({"params": {"backbone": BUNDLED_BACKBONE}}) == BUNDLED_HUB_ID
    assert base_model({"params": {"backbone": "org/model"}}) == "org/model"
    assert base_model({"params": {"backbone": "/tmp/tiny-bert"}}) is None
    assert base_model({"params": {"C": 1.0}}) is None


def _meta(**provenance):
    return {
        "kind": "setfit",
        "content_sha256": "ab" * 32,
        "temperature": 1.5,
        "abstain_threshold": 0.6,
        "seed": 1,
        "params": {"backbone": BUNDLED_BACKBONE},
        "provenance": provenance,
    }


def test_bundled_corpus_limits_and_citation():
    meta = _meta(
        git={"commit": "c" * 40, "dirty": True, "changed": ["params.yaml"]},
        corpus={"version": "0123456789ab", "files": ["data/raw/passages-01.jsonl"], "labels": {}},
        trained_at="2026-01-01T00:00:00Z",
    )
    header, body = split_card(render_card("setfit", meta, {"train_passages": 3}))
    assert header["base_model"] == BUNDLED_HUB_ID
    assert "*authored*, not sampled" in body
    assert f"commit `{'c' * 40}` (with uncommitted changes to: params.yaml)" in body
    assert "corpus version `0123456789ab`" in body and "2026-01-01T00:00:00Z" in body
    assert "model-index" not in header  # no figure known


def test_card_without_provenance_says_so():
    _, body = split_card(render_card("setfit", _meta(), {}))
    assert "no provenance recorded" in body
    _, body = split_card(render_card("setfit", _meta(git=None, corpus=None), {}))
    assert "no git commit recorded" in body
    assert "corpus version was not recorded" in body


def test_evaluated_card_carries_the_leaderboard_rows():
    row = {
        "model": "m",
        "passages": 10,
        "stance_passages": 6,
        "macro_f1": 0.8123,
        "macro_f1_ci": [0.7, 0.9],
        "stance_accuracy": 0.75,
        "stance_accuracy_ci": [0.6, 0.85],
        "ece": 0.05,
    }
    other = {**row, "model": "other", "macro_f1": 0.1}
    board = {
        "sets": {"style-shift": {"models": [other, row]}},
        "default_model": {"model": "m", "reason": "best"},
    }
    assert evaluation_rows(board, "m") == {"style-shift": row}
    header, body = split_card(
        render_card("m", _meta(), {}, evaluation_rows(board, "m"), board["default_model"])
    )
    (result,) = header["model-index"][0]["results"]
    assert result["dataset"]["type"] == "style-shift"
    assert {m["type"]: m["value"] for m in result["metrics"]} == {"f1": 0.8123, "accuracy": 0.75}
    assert "0.812 [0.700, 0.900]" in body and "**This is the default model**" in body


def test_missing_sidecar_is_a_clear_error(tmp_path):
    with pytest.raises(CardError, match=r"stance_model\.json"):
        write_model_card(tmp_path)


def test_card_says_when_the_temperature_bound_applied():
    from dprk_stance.card import _temperature_line

    bounded = _temperature_line(1.0, 0.5731)
    assert "NLL optimum T = 0.5731 would sharpen" in bounded and "T = 1.0000" in bounded
    assert _temperature_line(1.5, 1.5) == "* temperature scaling fitted on dev: T = 1.5000; "
    assert _temperature_line(1.0, None) == "* no temperature scaling (T = 1); "
