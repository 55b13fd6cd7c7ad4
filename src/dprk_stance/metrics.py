"""Metrics for trust, computed from a prediction table (one row per gold passage).

A prediction table has the gold ``label``, the predicted class ``predicted`` (``none``
included), the best ``stance`` of the three, a probability per class (PROB_COLUMNS),
``confidence``, the flags ``no_stance`` and ``uncertain`` and, optionally, ``negation``
(the passage contains a negation cue with a scope). The evaluate stage writes
these tables; the leaderboard and ``dprk-stance evaluate`` recompute every number from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.calibrate import expected_calibration_error
from dprk_stance.stances import LABEL2ID, NO_STANCE, NO_STANCE_ID, PROB_COLUMNS
from dprk_stance.stats import macro_f1


def risk_coverage(correct: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Selective risk against coverage, most confident passages first.

    Returns (coverage, risk), each of shape (n,): after labelling the k most confident
    passages, coverage = k/n and risk = error rate among them.
    """
    order = np.argsort(-np.asarray(confidence), kind="stable")
    errors = (~np.asarray(correct, dtype=bool))[order]
    k = np.arange(1, len(errors) + 1)
    return k / len(errors), np.cumsum(errors) / k


def trust_metrics(pred: pd.DataFrame, n_bins: int, confident: float) -> dict[str, Any]:
    """The metrics of one model on one gold set, from its prediction table.

    Shares are fractions in [0, 1]; ``None`` where a metric has no passages to rest on
    (no gold no-stance passages, say). With a boolean ``negation`` column (written by the
    evaluate stage), stance accuracy is also given on the gold stance passages that contain
    a negation cue anywhere: a broad slice (about half of the stance passages of the
    corpus's test split and the style-shift set), within which the error kind "a right
    denied read as a right granted" lives. Without the column both negation keys are
    ``None`` (not measured).
    """
    y = pred["label"].map(LABEL2ID).to_numpy()
    yhat = pred["predicted"].map(LABEL2ID).to_numpy()
    probs = pred[list(PROB_COLUMNS)].to_numpy()
    conf = pred["confidence"].to_numpy()
    correct = yhat == y
    gold_stance = y != NO_STANCE_ID
    gold_none = ~gold_stance
    flagged, no_stance = pred["uncertain"].to_numpy(bool), pred["no_stance"].to_numpy(bool)
    confident_stance = ~flagged
    coverage, risk = risk_coverage(correct, conf)
    stance_pred = pred["stance"].map(LABEL2ID).to_numpy()

    def share(mask: np.ndarray, of: np.ndarray) -> float | None:
        return float(mask[of].mean()) if of.any() else None

    confident_errors = int((~correct & (conf >= confident)).sum())
    measured = "negation" in pred.columns
    negated = gold_stance & pred["negation"].to_numpy(bool) if measured else gold_stance & False
    return {
        "passages": len(pred),
        "stance_passages": int(gold_stance.sum()),
        "no_stance_passages": int(gold_none.sum()),
        "accuracy": float(correct.mean()),
        "macro_f1": macro_f1(y, yhat),
        "stance_accuracy": share(stance_pred == y, gold_stance),
        "stance_macro_f1": (
            macro_f1(y[gold_stance], stance_pred[gold_stance]) if gold_stance.any() else None
        ),
        "no_stance_recall": share(no_stance, gold_none),
        "no_stance_flagged_recall": share(flagged, gold_none),
        "stance_flagged_as_no_stance": share(no_stance, gold_stance),
        "stance_flagged": share(flagged, gold_stance),
        "negated_stance_passages": int(negated.sum()) if measured else None,
        "negated_stance_accuracy": share(stance_pred == y, negated),
        "confident_stance_passages": int(confident_stance.sum()),
        "confident_stance_precision": share(correct, confident_stance),
        f"errors_at_confidence_{confident:g}": confident_errors,
        "confident_errors_per_100": 100 * confident_errors / len(pred),
        "ece": expected_calibration_error(probs, y, n_bins),
        "aurc": float(risk.mean()),
        "risk_at_full_coverage": float(risk[-1]),
        "coverage_at_5pct_risk": float(coverage[risk <= 0.05].max())
        if (risk <= 0.05).any()
        else 0.0,
    }


def kinds_score(pred: pd.DataFrame) -> dict[str, Any]:
    """The kinds cases: a stance case is right by its label, a ``none`` case by the no-stance
    flag (and, more leniently, by ``uncertain``)."""
    stance_case = pred["label"] != NO_STANCE
    right = np.where(stance_case, pred["predicted"] == pred["label"], pred["no_stance"])
    lenient = np.where(stance_case, ~pred["uncertain"] & right, pred["uncertain"])
    return {
        "cases": len(pred),
        "right": int(right.sum()),
        "right_counting_uncertain_as_none": int(np.where(stance_case, right, lenient).sum()),
        "wrong_ids": pred.loc[~right, "id"].tolist(),
    }
