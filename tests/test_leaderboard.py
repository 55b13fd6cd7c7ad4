import json
from pathlib import Path

import pandas as pd
import pytest

from dprk_stance.crossval import crossval
from dprk_stance.evaluate import evaluate
from dprk_stance.labels import LABEL2ID
from dprk_stance.leaderboard import CompareError, compare
from dprk_stance.stats import bootstrap_ci, macro_f1, mcnemar


@pytest.fixture(scope="module")
def board(trained):
    for name in trained.models:
        evaluate(trained, name)
    crossval(trained)
    return compare(trained)


def test_leaderboard_figures_recompute_from_predictions(trained, board):
    preds = {
        n: pd.read_csv(Path(trained.paths.predictions_dir) / f"{n}.csv") for n in trained.models
    }
    for row in board["models"]:
        p = preds[row["model"]]
        y, yhat = p["label"].map(LABEL2ID), p["predicted"].map(LABEL2ID)
        assert row["macro_f1"] == pytest.approx(macro_f1(y, yhat))
        ci = bootstrap_ci(
            y,
            yhat,
            p["doc_id"],
            n_samples=trained.compare.bootstrap_samples,
            confidence=trained.compare.confidence,
            seed=trained.seed,
        )
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci["low"], ci["high"]))
        assert row["ci_low"] <= row["macro_f1"] <= row["ci_high"]
    for pair in board["pairs"]:
        a, b = preds[pair["a"]], preds[pair["b"]]
        test = mcnemar(a["predicted"] == a["label"], b["predicted"] == b["label"])
        assert pair["mcnemar_p"] == pytest.approx(test["p_value"])
    assert len(board["pairs"]) == 6
    assert [r["macro_f1"] for r in board["models"]] == sorted(
        [r["macro_f1"] for r in board["models"]], reverse=True
    )


def test_reports_written_with_leakage_and_cv(trained, board):
    reports = Path(trained.paths.reports_dir)
    md = (reports / "leaderboard.md").read_text()
    assert "## Leakage check" in md and "## Cross-validation" in md
    assert json.loads((reports / "leaderboard.json").read_text())["leakage"]["available"]
    cv = json.loads((reports / "cv.json").read_text())
    assert cv["enabled"] and len(cv["models"]["tfidf-logreg"]["folds"]) == 3
    for row in board["models"]:
        assert f"| {row['model']} | {row['macro_f1']:.3f}" in md


def test_mismatched_predictions_are_refused(trained, board, tmp_path):
    cfg = type(trained).from_dict(
        {
            **trained.to_dict(),
            "paths": {**trained.to_dict()["paths"], "predictions_dir": str(tmp_path)},
        }
    )
    for name in trained.models:
        frame = pd.read_csv(Path(trained.paths.predictions_dir) / f"{name}.csv")
        if name == "keywords":
            frame = frame.iloc[1:]
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    with pytest.raises(CompareError, match="different"):
        compare(cfg)
