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
    for pair in entry["pairs"]:
        a, b = preds[pair["a"]], preds[pair["b"]]
        test = mcnemar(a["predicted"] == a["label"], b["predicted"] == b["label"])
        assert pair["mcnemar_p"] == pytest.approx(test["p_value"])
    n = len(trained.evaluated)
    assert len(entry["pairs"]) == n * (n - 1) // 2
    assert board["corpus_version"] and board["default_model"]["by"] == "style-shift"


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
