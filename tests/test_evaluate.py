import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dprk_stance.data import GoldError, load_gold, read_split
from dprk_stance.evaluate import evaluate, evaluate_model, load_real_text
from dprk_stance.fsutil import write_table
from dprk_stance.metrics import trust_metrics
from dprk_stance.models import load_model
from dprk_stance.realtext import paragraph_hash
from dprk_stance.stances import LABELS, PROB_COLUMNS
from dprk_stance.text import negation_scopes


@pytest.fixture(scope="module")
def evaluated(trained):
    return {name: evaluate(trained, name) for name in trained.evaluated}


def test_metrics_recompute_from_predictions(trained, evaluated):
    for name in evaluated:
        stored = json.loads((Path(trained.paths.metrics_dir) / f"{name}.json").read_text())
        pred = pd.read_csv(Path(trained.paths.predictions_dir) / name / "in-domain.csv")
        m = stored["sets"]["in-domain"]
        again = trust_metrics(pred, trained.evaluate.n_bins, trained.evaluate.confident)
        for key in ("accuracy", "macro_f1", "no_stance_recall", "aurc", "ece"):
            assert m[key] == pytest.approx(again[key]), (name, key)
        texts = read_split(trained, "test").set_index("id").loc[pred["id"], "text"]
        assert pred["negation"].tolist() == [bool(negation_scopes(t)) for t in texts]
        assert m["negated_stance_passages"] == again["negated_stance_passages"]
        assert 0 <= m["macro_f1"] <= 1 and m["ece"] >= 0
        np.testing.assert_allclose(pred[list(PROB_COLUMNS)].sum(axis=1), 1.0, rtol=1e-6)
        assert set(pred["predicted"]) <= set(LABELS)
        assert "text" not in pred.columns
        timing = json.loads(
            (Path(trained.paths.reports_dir) / "timings" / f"{name}.json").read_text()
        )
        assert timing["size_on_disk_mb"] > 0
        assert "train_seconds" not in json.dumps(stored), "timings are not DVC metrics"


def test_plots_written(trained, evaluated):
    for name in evaluated:
        d = Path(trained.paths.plots_dir) / name
        for f in ("confusion.csv", "confusion.png", "reliability.csv", "risk_coverage.csv"):
            assert (d / f).stat().st_size > 0
        assert list(pd.read_csv(d / "confusion.csv").columns) == ["actual", "predicted"]


def test_gold_file_with_malformed_rows(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "text": "Trade must reach many partners.",
                        "label": "pro-diversification",
                    }
                ),
                "{not json",
                json.dumps({"id": "b", "text": ["a", "list"], "label": "none"}),
                json.dumps({"id": "c", "text": "A ceremony was held.", "label": "neutral"}),
                json.dumps({"id": "a", "text": "Duplicate id here.", "label": "none"}),
                json.dumps({"text": "The plan was fulfilled.", "label": "none", "doc_id": "d1"}),
            ]
        )
        + "\n"
    )
    loaded = load_gold(gold)
    assert loaded.frame["id"].tolist() == ["a", "gold.jsonl:6"]
    reasons = {r["line"]: r["reason"] for r in loaded.rejects}
    assert set(reasons) == {2, 3, 4, 5}
    assert "JSON" in reasons[2] and "string" in reasons[3] and "neutral" in reasons[4]
    assert "duplicate" in reasons[5]
    assert all(r["file"] == str(gold) for r in loaded.rejects)


def test_gold_csv_with_extra_fields_is_a_row_error(tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        'id,text,label\n1,"Our own raw materials first.",conservative\n2,Enterprises,none,extra\n'
    )
    loaded = load_gold(gold)
    assert loaded.frame["id"].tolist() == ["1"]
    assert loaded.rejects[0]["line"] == 3 and "more fields" in loaded.rejects[0]["reason"]


def test_unusable_gold_is_an_error(tmp_path):
    with pytest.raises(GoldError, match="not found"):
        load_gold(tmp_path / "missing.jsonl")
    (tmp_path / "bad.jsonl").write_text("{}\n")
    with pytest.raises(GoldError, match="no usable rows"):
        load_gold(tmp_path / "bad.jsonl")


def test_evaluate_a_user_gold_set(trained, tmp_path):
    gold = tmp_path / "mine.jsonl"
    rows = [
        {
            "id": "g1",
            "doc_id": "x",
            "text": "It is important that trade must reach many countries and regions.",
            "label": "pro-diversification",
        },
        {
            "id": "g2",
            "doc_id": "x",
            "text": "Above all, imports must be replaced by our own domestic production.",
            "label": "conservative",
        },
        {
            "id": "g4",
            "doc_id": "y",
            "text": "Enterprises should not be allowed to set their own prices.",
            "label": "conservative",
        },
        {
            "id": "g3",
            "doc_id": "y",
            "text": "The plant fulfilled its quarterly plan by eight per cent.",
            "label": "none",
        },
    ]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    model = load_model(Path(trained.paths.models_dir) / "tfidf-logreg")
    metrics, tables, _ = evaluate_model(model, [load_gold(gold)], 10, 0.9)
    assert metrics["mine"]["passages"] == 4 and len(tables["mine"]) == 4
    # the negation slice: only g4 is a stance passage with a negation cue
    assert tables["mine"]["negation"].tolist() == [False, False, True, False]
    assert metrics["mine"]["negated_stance_passages"] == 1
    expected = float(tables["mine"]["stance"].iloc[2] == "conservative")
    assert metrics["mine"]["negated_stance_accuracy"] == expected
    # and it survives the CSV the evaluate stage writes and the leaderboard reads back
    write_table(tmp_path / "mine.csv", tables["mine"])
    again = trust_metrics(pd.read_csv(tmp_path / "mine.csv"), 10, 0.9)
    for key in ("negated_stance_passages", "negated_stance_accuracy"):
        assert again[key] == metrics["mine"][key]


def test_real_text_labels_join_the_archive_and_reject_changed_paragraphs(tmp_path):
    archive = tmp_path / "kcna.jsonl.gz"
    stories = [
        {
            "id": "s1",
            "date": "2011-05-01",
            "title": "t",
            "text": "First para.\n\nTrade fairs were held.",
        },
        {"id": "s2", "date": "2012-01-02", "title": "t", "text": "Only one paragraph here."},
    ]
    with gzip.open(archive, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(s) + "\n" for s in stories))
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "story_id,paragraph,sha,label\n"
        f"s1,1,{paragraph_hash('Trade fairs were held.')},pro-diversification\n"
        f"s2,0,{paragraph_hash('Some other text')},none\n"
        "s3,0,abc,none\n"
    )
    gold = load_real_text(labels, archive)
    assert gold.frame["id"].tolist() == ["s1#1"]
    assert gold.frame["text"].tolist() == ["Trade fairs were held."]
    assert [r["line"] for r in gold.rejects] == [3, 4]
    assert load_real_text(labels, tmp_path / "absent.jsonl.gz") is None


def test_committed_real_text_labels_match_the_sampler():
    """The labels file holds exactly the paragraphs scripts/kcna_sample.py draws, with the
    hashes of their text (run only where the archive is present)."""
    from conftest import KCNA, REPO

    from dprk_stance.realtext import ROUND_2, sample_paragraphs

    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    labels = pd.read_csv(REPO / "data" / "eval" / "kcna_labels.csv", dtype={"sha": str})
    round_1 = sample_paragraphs(KCNA)
    taken = {(d["story_id"], d["paragraph"]) for d in round_1}
    round_2 = sample_paragraphs(KCNA, sizes=ROUND_2, seed=2012, exclude=taken)
    drawn = {(d["story_id"], d["paragraph"], d["sha"]) for d in round_1 + round_2}
    stored = set(zip(labels["story_id"], labels["paragraph"], labels["sha"], strict=True))
    assert stored == drawn
    assert set(labels["label"]) <= set(LABELS)
    disagreed = labels["annotator_1"] != labels["annotator_2"]
    assert (labels.loc[disagreed, "adjudicated"] == "yes").all()
    agreed = labels.loc[~disagreed]
    assert (agreed["label"] == agreed["annotator_1"]).all()
