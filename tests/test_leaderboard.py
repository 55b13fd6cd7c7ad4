import json
from pathlib import Path

import pandas as pd
import pytest

from dprk_stance.config import Config
from dprk_stance.crossval import crossval
from dprk_stance.evaluate import evaluate
from dprk_stance.leaderboard import LeaderboardError, choose_default, leaderboard
from dprk_stance.stances import LABEL2ID
from dprk_stance.stats import bootstrap_ci, macro_f1, mcnemar


@pytest.fixture(scope="module")
def board(trained):
    for name in trained.evaluated:
        evaluate(trained, name)
    crossval(trained)
    leaderboard(trained)
    return json.loads((Path(trained.paths.reports_dir) / "leaderboard.json").read_text())


def test_leaderboard_figures_recompute_from_predictions(trained, board):
    entry = board["sets"]["in-domain"]
    preds = {
        n: pd.read_csv(Path(trained.paths.predictions_dir) / n / "in-domain.csv")
        for n in trained.evaluated
    }
    for row in entry["models"]:
        p = preds[row["model"]]
        y, yhat = p["label"].map(LABEL2ID), p["predicted"].map(LABEL2ID)
        assert row["macro_f1"] == pytest.approx(macro_f1(y, yhat))
        ci = bootstrap_ci(
            y,
            yhat,
            p["doc_id"].astype(str),
            n_samples=trained.compare.bootstrap_samples,
            confidence=trained.compare.confidence,
            seed=trained.seed,
        )
        assert row["macro_f1_ci"] == pytest.approx([ci["low"], ci["high"]])
        claimed = ~p["uncertain"].astype(bool)
        if not claimed.any():  # a tiny test model may claim nothing: no figure, no interval
            assert row["confident_stance_precision"] is None
            assert row["confident_stance_precision_ci"] is None
            continue
        precision = float((yhat[claimed] == y[claimed]).mean())
        assert row["confident_stance_precision"] == pytest.approx(precision)
        low, high = row["confident_stance_precision_ci"]
        assert 0 <= low <= precision <= high <= 1
    for pair in entry["pairs"]:
        a, b = preds[pair["a"]], preds[pair["b"]]
        test = mcnemar(a["predicted"] == a["label"], b["predicted"] == b["label"])
        assert pair["mcnemar_p"] == pytest.approx(test["p_value"])
    n = len(trained.evaluated)
    assert len(entry["pairs"]) == n * (n - 1) // 2
    assert board["corpus_version"] and board["default_model"]["by"] == "style-shift"


def test_calibration_before_and_after_recompute_from_raw_scores(trained, board):
    from dprk_stance.calibrate import expected_calibration_error, probabilities
    from dprk_stance.models import load_model

    rows = {(r["model"], r["set"]): r for r in board["calibration"]}
    assert {m for m, _ in rows} == set(trained.evaluated)
    row = rows[("tfidf-logreg", "in-domain")]
    assert row["before"]["temperature"] == 1.0
    assert row["before"]["abstain_threshold"] == trained.calibration.abstain_threshold
    model = load_model(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert row["after"]["abstain_threshold"] == pytest.approx(model.abstain_threshold)
    test = pd.read_parquet(Path(trained.paths.splits_dir) / "test.parquet")
    y = test["label"].map(LABEL2ID).to_numpy()
    raw = probabilities(model.scores(test["text"].tolist()), 1.0)
    assert row["before"]["ece"] == pytest.approx(expected_calibration_error(raw, y))
    # the raw softmax at the fixed threshold flags what its own confidence says
    flagged = (raw.max(1) < trained.calibration.abstain_threshold) | (raw.argmax(1) == 3)
    stance = y != 3
    if row["before"]["stance_flagged"] is not None:
        # off-topic passages are flagged too, so this is a lower bound
        assert row["before"]["stance_flagged"] >= flagged[stance].mean() - 1e-9
    md = (Path(trained.paths.reports_dir) / "leaderboard.md").read_text(encoding="utf-8")
    assert "## Calibration: before → after" in md


def test_model_cards_carry_the_leaderboard_figures(trained, board):
    import yaml

    cards = Path(trained.paths.reports_dir) / "model_cards"
    assert sorted(p.stem for p in cards.glob("*.md")) == sorted(trained.evaluated)
    for name in trained.evaluated:
        text = (cards / f"{name}.md").read_text(encoding="utf-8")
        header = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
        results = {r["dataset"]["type"]: r for r in header["model-index"][0]["results"]}
        row = next(r for r in board["sets"]["in-domain"]["models"] if r["model"] == name)
        f1 = next(m for m in results["in-domain"]["metrics"] if m["type"] == "f1")
        assert f1["value"] == round(row["macro_f1"], 4)
        low, high = row["macro_f1_ci"]
        assert f"{row['macro_f1']:.3f} [{low:.3f}, {high:.3f}]" in text
        assert ("**This is the default model**" in text) == (
            board["default_model"]["model"] == name
        )


def test_default_model_is_chosen_on_the_named_set_not_in_domain():
    sets = {
        "in-domain": {
            "models": [
                {"model": "a", "macro_f1": 0.99, "confident_errors_per_100": 0},
                {"model": "b", "macro_f1": 0.90, "confident_errors_per_100": 0},
            ]
        },
        "style-shift": {
            "models": [
                {"model": "a", "macro_f1": 0.70, "confident_errors_per_100": 5},
                {"model": "b", "macro_f1": 0.80, "confident_errors_per_100": 1},
            ]
        },
    }
    assert choose_default(sets, "style-shift")["model"] == "b"
    assert choose_default(sets, "kcna")["model"] is None


def test_reports_keep_timings_out_of_the_metric(trained, board):
    reports = Path(trained.paths.reports_dir)
    md = (reports / "leaderboard.md").read_text()
    assert "## Leakage check" in md and "## Cross-validation" in md and "## Cost" in md
    assert "train_seconds" not in json.dumps(board)
    assert board["leakage"]["available"]
    # the test corpus is all authored: no real-text annotations in the corpus or in training
    assert (board["corpus_annotations"], board["train_annotations"]) == (0, 0)
    assert "0 of them analysts' labels on real text; 0 of those in the train split" in md


def test_mismatched_predictions_are_refused(trained, board, tmp_path):
    data = trained.to_dict()
    data["paths"]["predictions_dir"] = str(tmp_path)
    cfg = Config.from_dict(data)
    for name in trained.evaluated:
        frame = pd.read_csv(Path(trained.paths.predictions_dir) / name / "in-domain.csv")
        if name == "keywords":
            frame = frame.iloc[1:]
        (tmp_path / name).mkdir()
        frame.to_csv(tmp_path / name / "in-domain.csv", index=False)
    with pytest.raises(LeaderboardError, match="different"):
        leaderboard(cfg)


def test_models_trained_on_real_text_are_named_above_the_tables():
    from dprk_stance.leaderboard import _real_text_note

    note = " ".join(_real_text_note({"tfidf-logreg": 1631, "transformer": 0}))
    assert "`tfidf-logreg` (1631 KCNA paragraphs)" in note
    assert "`transformer`: the corpus only" in note
    assert _real_text_note({"tfidf-logreg": 0}) == []


def test_a_set_of_one_article_shows_no_interval(trained, board):
    """One article resampled is itself: its figures carry no interval, not a zero-width one."""
    from dprk_stance.leaderboard import board_for_set, render_set

    path = Path(trained.paths.predictions_dir)
    frames = {}
    for name in trained.evaluated[:2]:
        frame = pd.read_csv(path / name / "in-domain.csv").head(12).copy()
        frame["doc_id"] = "one-article"
        frames[name] = frame
    boot = {"n_samples": 50, "confidence": 0.95, "seed": 0}
    entry = board_for_set(frames, trained, boot)
    for row in entry["models"]:
        assert row["macro_f1_ci"] is None and row["stance_accuracy_ci"] is None
    assert entry["pairs"][0]["difference_ci"] is None
    json.dumps(entry, allow_nan=False)  # leaderboard.json is a DVC metric: strict JSON
    text = render_set("one", entry, boot)
    assert "[–]" in text and "nan" not in text
