"""Stage 4 — evaluate: one model on the test split.

Writes the numbers a paper would cite (accuracy, macro-F1, per-class P/R/F1, calibration
error before and after temperature scaling, macro-F1 on the hard subset), the confusion
matrix and reliability diagram (DVC plot data and PNG), and per-passage predictions with a
probability per label, from which the compare stage recomputes everything it reports.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from dprk_stance.calibrate import expected_calibration_error, probabilities, reliability
from dprk_stance.config import Config
from dprk_stance.fsutil import dir_size, read_json, write_json, write_table
from dprk_stance.labels import LABELS, PROB_COLUMNS
from dprk_stance.models import load_model
from dprk_stance.models.base import Assessment
from dprk_stance.plotting import confusion_png, reliability_png
from dprk_stance.train import SUMMARY_FILE, encode_labels, read_split


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class P/R/F1 (label order fixed, absent classes count 0)."""
    ids = list(range(len(LABELS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else float("nan"),
        "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(LABELS)
        },
    }


def prediction_table(frame: pd.DataFrame, scored: Assessment) -> pd.DataFrame:
    keep = [
        c
        for c in ("id", "doc_id", "journal", "year", "topic", "difficulty", "label")
        if c in frame.columns
    ]
    out = frame[keep].reset_index(drop=True).copy()
    out["predicted"] = [LABELS[i] for i in scored.probs.argmax(axis=1)]
    for column, values in zip(PROB_COLUMNS, scored.probs.T, strict=True):
        out[column] = values
    out["confidence"] = scored.confidence
    out["off_topic"] = scored.off_topic
    out["uncertain"] = scored.uncertain
    return out


def evaluate(cfg: Config, name: str) -> dict[str, Any]:
    """Evaluate ``models/<name>`` on the test split; write metrics, plots and predictions."""
    model_dir = Path(cfg.paths.models_dir) / name
    model = load_model(model_dir)
    model.inference_batch_size = cfg.evaluate.batch_size
    test = read_split(cfg, "test")
    y = encode_labels(test)
    texts = test["text"].tolist()

    model.scores(texts[: min(8, len(texts))])  # warm-up: first-call allocations are not speed
    started = time.perf_counter()
    logits = model.scores(texts)
    seconds = time.perf_counter() - started
    raw = probabilities(logits, 1.0)
    calibrated = probabilities(logits, model.temperature)
    pred = calibrated.argmax(axis=1)
    scored = model.assess(texts, probs=calibrated)

    hard = (test["difficulty"] == "hard").to_numpy()
    n_bins = cfg.evaluate.n_bins
    summary = read_json(model_dir / SUMMARY_FILE)
    metrics: dict[str, Any] = {
        "model": name,
        "test_passages": len(test),
        "test_documents": int(test["doc_id"].nunique()),
        **classification_metrics(y, pred),
        "hard": {
            "passages": int(hard.sum()),
            "macro_f1": classification_metrics(y[hard], pred[hard])["macro_f1"],
        },
        "ece_uncalibrated": expected_calibration_error(raw, y, n_bins),
        "ece_calibrated": expected_calibration_error(calibrated, y, n_bins),
        "temperature": model.temperature,
        "abstain_threshold": model.abstain_threshold,
        "off_topic_share": float(scored.off_topic.mean()),
        "uncertain_share": float(scored.uncertain.mean()),
        "train_seconds": summary["train_seconds"],
        "inference_passages_per_s": len(test) / seconds if seconds > 0 else float("nan"),
        "size_on_disk_mb": dir_size(model_dir) / 1e6,
    }

    plots = Path(cfg.paths.plots_dir) / name
    matrix = confusion_matrix(y, pred, labels=list(range(len(LABELS))))
    write_table(
        plots / "confusion.csv",
        pd.DataFrame({"actual": [LABELS[i] for i in y], "predicted": [LABELS[i] for i in pred]}),
    )
    confusion_png(matrix, LABELS, f"{name}: test split (n={len(test)})", plots / "confusion.png")
    curves = {
        "uncalibrated": reliability(raw, y, n_bins),
        f"temperature {model.temperature:.2f}": reliability(calibrated, y, n_bins),
    }
    write_table(
        plots / "reliability.csv",
        pd.DataFrame([{"curve": c, **b} for c, bins in curves.items() for b in bins if b["count"]]),
    )
    reliability_png(curves, f"{name}: reliability (test)", plots / "reliability.png")
    write_table(
        Path(cfg.paths.predictions_dir) / f"{name}.csv",
        prediction_table(test, scored),
    )
    write_json(Path(cfg.paths.metrics_dir) / f"{name}.json", metrics)
    return metrics


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.cli import run_stage

    return run_stage(evaluate, argv, name="evaluate", takes_model=True)


if __name__ == "__main__":
    sys.exit(main())
