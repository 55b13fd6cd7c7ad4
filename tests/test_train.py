import json
from pathlib import Path

import pytest
from conftest import tiny_config, with_real_text, write_archive, write_jsonl

from dprk_stance.ingest import ingest
from dprk_stance.models.base import SUMMARY_FILE
from dprk_stance.split import split
from dprk_stance.train import train


def test_training_summary_and_calibration_are_saved(trained):
    d = Path(trained.paths.models_dir) / "transformer"
    summary = json.loads((d / SUMMARY_FILE).read_text())
    meta = json.loads((d / "stance_model.json").read_text())
    assert summary["train_passages"] > 0 and summary["train_seconds"] > 0
    assert summary["dev_history"], "early stopping needs a dev evaluation per epoch"
    assert meta["temperature"] == pytest.approx(summary["temperature"])
    # fitted on dev (calibration.abstain_max_flagged > 0 in params.yaml), stored with the model
    assert trained.calibration.abstain_max_flagged > 0
    assert meta["abstain_threshold"] == pytest.approx(summary["abstain_threshold"])
    assert 0 <= meta["abstain_threshold"] < 1
    assert (Path(trained.paths.dvclive_dir) / "transformer" / "metrics.json").is_file()
    assert not (Path(trained.paths.checkpoints_dir) / "transformer").exists()


def test_model_not_in_params_is_refused(trained):
    data = {**trained.to_dict(), "models": {"keywords": "keywords"}}
    data["ensemble"] = {**data["ensemble"], "members": ["keywords"]}
    data["real_text"] = {**data["real_text"], "models": ["keywords"]}
    cfg = type(trained).from_dict(data)
    with pytest.raises(ValueError, match="not listed"):
        train(cfg, "transformer")


def test_same_seed_same_model_and_metrics(tmp_path, corpus_dir, tiny_bert):
    from dprk_stance.evaluate import evaluate
    from dprk_stance.models.base import MODEL_FILE

    results = []
    for run in ("a", "b"):
        cfg = tiny_config(tmp_path / run, tiny_bert, train={"epochs": 2})
        (tmp_path / run / "data").mkdir(parents=True)
        (tmp_path / run / "data" / "raw").symlink_to(corpus_dir)
        ingest(cfg)
        split(cfg)
        train(cfg, "transformer")
        evaluate(cfg, "transformer")
        stored = json.loads((Path(cfg.paths.metrics_dir) / "transformer.json").read_text())
        meta = json.loads((Path(cfg.paths.models_dir) / "transformer" / MODEL_FILE).read_text())
        results.append((stored, meta["content_sha256"]))
    assert results[0] == results[1]


def test_resumes_from_a_checkpoint_of_the_same_run(tmp_path, corpus_dir, tiny_bert):
    """An interrupted train stage continues from its last epoch checkpoint."""
    from dprk_stance.data import encode_labels, read_split
    from dprk_stance.models import build_model

    cfg = tiny_config(tmp_path, tiny_bert, train={"epochs": 2})
    (tmp_path / "data").mkdir(exist_ok=True)
    if not (tmp_path / "data" / "raw").exists():
        (tmp_path / "data" / "raw").symlink_to(corpus_dir)
    ingest(cfg)
    split(cfg)
    tr, dev = read_split(cfg, "train"), read_split(cfg, "dev")

    class Interrupt(Exception):
        pass

    from transformers import TrainerCallback

    class StopAfterFirstSave(TrainerCallback):
        def on_save(self, *args, **kwargs):
            raise Interrupt

    work = Path(cfg.paths.checkpoints_dir) / "transformer"
    model = build_model("transformer", cfg.train, seed=cfg.seed)
    model.checkpoint_dir = work
    import transformers

    original = transformers.Trainer.__init__

    def patched(self, *a, **kw):
        kw["callbacks"] = [*kw.get("callbacks", []), StopAfterFirstSave()]
        original(self, *a, **kw)

    transformers.Trainer.__init__ = patched
    try:
        with pytest.raises(Interrupt):
            model.fit(
                tr["text"].tolist(), encode_labels(tr), dev["text"].tolist(), encode_labels(dev)
            )
    finally:
        transformers.Trainer.__init__ = original
    assert list(work.glob("checkpoint-*"))
    again = build_model("transformer", cfg.train, seed=cfg.seed)
    again.checkpoint_dir = work
    summary = again.fit(
        tr["text"].tolist(), encode_labels(tr), dev["text"].tolist(), encode_labels(dev)
    )
    assert summary["resumed_from_checkpoint"] is True
    assert summary["epochs_run"] == pytest.approx(2.0)


@pytest.mark.parametrize("bound", [1.0, 0.05])
def test_temperature_is_the_nll_optimum_bounded_below(trained, bound, monkeypatch):
    """calibration.min_temperature: a model the NLL optimum would sharpen (T < 1) keeps
    T = bound; the optimum itself is recorded in the training summary."""
    import dataclasses

    from dprk_stance import fit
    from dprk_stance.data import read_split

    monkeypatch.setattr(fit, "fit_temperature", lambda logits, y: 0.4)  # a sharpening optimum
    cfg = dataclasses.replace(
        trained,
        calibration=dataclasses.replace(trained.calibration, min_temperature=bound),
    )
    model, summary = fit.fit_model(
        cfg, "tfidf-logreg", read_split(cfg, "train"), read_split(cfg, "dev")
    )
    assert summary["temperature_nll_optimum"] == 0.4
    assert model.temperature == summary["temperature"] == max(0.4, bound)


def test_min_temperature_out_of_range_is_refused(trained):
    data = trained.to_dict()
    data["calibration"] = {**data["calibration"], "min_temperature": 0.0}
    with pytest.raises(ValueError, match="min_temperature"):
        type(trained).from_dict(data)


def test_real_text_rows_join_the_training_split_of_listed_models(cfg, tmp_path):
    """With the archive present, a model in real_text.models trains on corpus + real rows
    (summary and provenance count them); the others train on the corpus alone."""

    from dprk_stance.data import read_split
    from dprk_stance.realtext import paragraph_hash

    texts = [f"Delegates of country {i} attended the ceremony at the hall." for i in range(5)]
    stories = [
        {"id": f"s{i}", "date": "2011-06-01", "title": "", "text": t} for i, t in enumerate(texts)
    ]
    archive = write_archive(tmp_path / "kcna.jsonl.gz", stories)
    labels = tmp_path / "real.csv"
    labels.write_text(
        "story_id,paragraph,sha,label\n"
        + "".join(f"s{i},0,{paragraph_hash(t)},none\n" for i, t in enumerate(texts))
        + "s9,0,abc,none\n"  # not in the archive: rejected, with its line
    )
    cfg = with_real_text(cfg, archive=str(archive), train=str(labels), models=["tfidf-logreg"])
    ingest(cfg)
    split(cfg)
    corpus = len(read_split(cfg, "train"))
    train(cfg, "tfidf-logreg")
    train(cfg, "keywords")
    listed = Path(cfg.paths.models_dir) / "tfidf-logreg"
    summary = json.loads((listed / SUMMARY_FILE).read_text())
    assert summary["train_passages"] == corpus + 5
    assert summary["real_text_train_passages"] == 5
    assert [r["line"] for r in summary["real_text_rejects"]] == [7]
    meta = json.loads((listed / "stance_model.json").read_text())
    real = meta["provenance"]["training_data"]["of which real KCNA text"]
    assert real == {"passages": 5, "labels": {**dict.fromkeys(real["labels"], 0), "none": 5}}
    other = json.loads((Path(cfg.paths.models_dir) / "keywords" / SUMMARY_FILE).read_text())
    assert other["train_passages"] == corpus and other["real_text_train_passages"] == 0


def test_real_text_rejects_are_logged_by_kind(cfg, tmp_path, caplog):
    """A row the archive no longer matches is a warning naming file and line; an expected
    near-duplicate of a gold paragraph is a debug line, summed up in one info line."""
    import logging

    from dprk_stance.realtext import paragraph_hash

    texts = [
        "Delegates of the visiting country attended the ceremony at the hall.",
        "The rainfall in the northern provinces was heavier than usual this spring.",
        "A new bridge over the river was opened to traffic on Tuesday morning.",
    ]
    stories = [
        {"id": f"s{i}", "date": "2011-06-01", "title": "", "text": t} for i, t in enumerate(texts)
    ]
    stories.append({"id": "g1", "date": "2011-06-02", "title": "", "text": texts[0]})  # reprint
    archive = write_archive(tmp_path / "kcna.jsonl.gz", stories)
    gold = tmp_path / "gold.csv"
    gold.write_text(f"story_id,paragraph,sha,label\ng1,0,{paragraph_hash(texts[0])},none\n")
    labels = tmp_path / "real.csv"
    labels.write_text(
        "story_id,paragraph,sha,label\n"
        + "".join(f"s{i},0,{paragraph_hash(t)},none\n" for i, t in enumerate(texts))
        + "s9,0,abc,none\n"  # line 5: not in the archive
    )
    cfg = with_real_text(
        cfg, archive=str(archive), gold=str(gold), train=str(labels), models=["tfidf-logreg"]
    )
    ingest(cfg)
    split(cfg)
    with caplog.at_level(logging.DEBUG, logger="dprk_stance.train"):
        summary = train(cfg, "tfidf-logreg")
    assert summary["real_text_train_passages"] == 2
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "dprk_stance.train"]
    warnings = [m for level, m in records if level == logging.WARNING]
    assert len(warnings) == 1 and f"{labels}, line 5:" in warnings[0]
    debug = [m for level, m in records if level == logging.DEBUG and "near-duplicate" in m]
    assert len(debug) == 1 and f"{labels}, line 2:" in debug[0] and "g1#0" in debug[0]
    info = [m for level, m in records if level == logging.INFO and "left out" in m]
    assert len(info) == 1 and info[0].startswith("1 real-text rows left out")


def test_the_shifted_dev_set_joins_calibration(cfg, tmp_path):
    """Temperature, threshold and dev figures are fitted on corpus dev + the shifted dev
    set; the summary gives each part, the provenance and the card name it."""
    from dprk_stance.config import Config
    from dprk_stance.data import read_split

    rows = [
        {"id": f"s{i}", "doc_id": f"sd{i // 2}", "text": text, "label": label}
        for i, (text, label) in enumerate(
            [
                ("Enterprises may sell above-plan output at set prices.", "pro-decentralization"),
                ("Partners are chosen by political principle, not by price.", "conservative"),
                ("New zones welcome investors from many lands.", "pro-diversification"),
                ("The plenary meeting opened on Tuesday.", "none"),
            ]
            * 2
        )
    ]
    shifted = write_jsonl(tmp_path / "shifted.jsonl", rows)
    data = cfg.to_dict()
    data["calibration"]["shifted_dev"] = str(shifted)
    cfg = Config.from_dict(data)
    ingest(cfg)
    split(cfg)
    corpus_dev = len(read_split(cfg, "dev"))
    train(cfg, "tfidf-logreg")
    out = Path(cfg.paths.models_dir) / "tfidf-logreg"
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["dev_passages"] == corpus_dev + 8
    parts = summary["dev_parts_at_fit"]
    assert [(p, f["passages"]) for p, f in parts.items()] == [
        ("corpus", corpus_dev),
        ("shifted-dev", 8),
    ]
    assert all(0 <= f["macro_f1"] <= 1 for f in parts.values())
    meta = json.loads((out / "stance_model.json").read_text())
    named = meta["provenance"]["training_data"][f"of which shifted-dev ({shifted})"]
    assert named["passages"] == 8 and named["labels"]["none"] == 2
    card = (out / "README.md").read_text()
    assert "shifted-dev: 8 passages, macro-F1" in card
