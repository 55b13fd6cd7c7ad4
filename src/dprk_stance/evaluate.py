"""Stage 4 — evaluate: one model on every evaluation set, with the metrics users must trust.

The in-domain test split shares the corpus's style and flatters every model, so each model
is also scored on

* the **style-shift set** (``data/eval/style_shift.jsonl``): written separately from the
  training corpus, in other registers, never used for training, thresholds or selection;
* **real text**: hand-labelled paragraphs of the KCNA archive beside the project (labels in
  the repo, text read from ``../shared`` at run time, skipped when absent);
* the **kinds** of stance error in ``../shared/cases/stance/kinds.jsonl`` (when present);
* any further gold file listed under ``evaluate.sets``.

Per set: accuracy and macro-F1 over the four classes, stance accuracy on stance passages,
no-stance recall and the share of stance passages flagged, precision of confident stances,
errors at confidence >= ``evaluate.confident`` per 100 passages, ECE, and the risk-coverage
curve with its area (AURC). Per-passage predictions are written so the leaderboard can
recompute every number with intervals. Timings go to ``reports/timings/`` — they are not
metrics DVC should compare.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from dprk_stance.calibrate import expected_calibration_error, probabilities, reliability
from dprk_stance.config import Config
from dprk_stance.data import GoldSet, load_gold, read_split
from dprk_stance.fsutil import dir_size, read_json, write_json, write_jsonl, write_table
from dprk_stance.metrics import kinds_score, risk_coverage, trust_metrics
from dprk_stance.models import StanceModel, load_model
from dprk_stance.models.base import SUMMARY_FILE, Assessment
from dprk_stance.plotting import confusion_png, reliability_png
from dprk_stance.realtext import read_labelled
from dprk_stance.stances import LABEL2ID, LABELS, PROB_COLUMNS, STANCES
from dprk_stance.stats import macro_f1
from dprk_stance.text import negation_scopes

log = logging.getLogger(__name__)

IN_DOMAIN = "in-domain"
REAL_TEXT = "kcna"
KINDS = "kinds"


def load_real_text(labels_csv: str | Path, archive: str | Path) -> GoldSet | None:
    """The KCNA real-text labels joined to their paragraphs; None when the archive is absent.

    See :func:`dprk_stance.realtext.read_labelled` for the file and the rejected rows.
    """
    if not Path(archive).is_file():
        log.info("%s not found: real-text evaluation skipped", archive)
        return None
    frame, rejects = read_labelled(labels_csv, archive)
    return GoldSet(REAL_TEXT, frame, str(labels_csv), rejects)


def evaluation_sets(cfg: Config) -> list[GoldSet]:
    """Every set a model is scored on: the test split, then the configured gold sets."""
    test = read_split(cfg, "test")
    sets = [GoldSet(IN_DOMAIN, test, str(Path(cfg.paths.splits_dir) / "test.parquet"), [])]
    for name, path in cfg.evaluate.sets.items():
        sets.append(load_gold(path, name))
    real = load_real_text(cfg.real_text.gold, cfg.real_text.archive)
    if real is not None:
        sets.append(real)
    if Path(cfg.evaluate.kinds).is_file():
        sets.append(load_gold(cfg.evaluate.kinds, KINDS))
    return sets


# --- scoring and metrics ---------------------------------------------------------------------
def prediction_table(frame: pd.DataFrame, scored: Assessment) -> pd.DataFrame:
    """Per passage: gold label, predicted class (``none`` included), stance, probabilities,
    confidence, the three flags and ``negation`` (the text contains a negation cue with a
    scope anywhere, :func:`~dprk_stance.text.negation_scopes`: a broad slice that holds the
    passages where a right denied can be read as a right granted). No text: real-text
    predictions must not carry it."""
    keep = [
        c
        for c in ("id", "doc_id", "journal", "year", "topic", "difficulty", "register", "kind")
        if c in frame.columns
    ]
    out = frame[keep].reset_index(drop=True).copy()
    out["label"] = frame["label"].to_numpy()
    out["predicted"] = [LABELS[i] for i in scored.predicted]
    out["stance"] = [STANCES[i] for i in scored.stance]
    for column, values in zip(PROB_COLUMNS, scored.probs.T, strict=True):
        out[column] = values
    out["confidence"] = scored.confidence
    out["no_stance"] = scored.no_stance
    out["off_topic"] = scored.off_topic
    out["uncertain"] = scored.uncertain
    out["negation"] = [bool(negation_scopes(text)) for text in frame["text"]]
    return out


def _scores_for(model: StanceModel, texts: list[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    logits = model.scores(texts) if texts else np.zeros((0, len(LABELS)))
    return logits, time.perf_counter() - started


# The trust metrics also reported "before calibration": raw softmax, fixed threshold.
BEFORE_CALIBRATION = (
    "ece",
    "confident_errors_per_100",
    "aurc",
    "stance_flagged",
    "no_stance_flagged_recall",
    "confident_stance_precision",
)


def evaluate_model(
    model: StanceModel,
    sets: list[GoldSet],
    n_bins: int,
    confident: float,
    baseline_threshold: float | None = None,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, float]]:
    """Score ``model`` on each set: metrics per set, prediction tables, seconds per set.

    With ``baseline_threshold``, each set's metrics also carry ``before_calibration``: the
    :data:`BEFORE_CALIBRATION` metrics of the uncalibrated softmax (temperature 1) flagged at
    that fixed threshold, beside the model's calibrated, dev-fitted ones.
    """
    metrics: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    seconds: dict[str, float] = {}
    for gold in sets:
        texts = gold.frame["text"].tolist()
        logits, seconds[gold.name] = _scores_for(model, texts)
        raw, calibrated = probabilities(logits, 1.0), probabilities(logits, model.temperature)
        scored = model.assess(texts, probs=calibrated)
        table = prediction_table(gold.frame, scored)
        entry = trust_metrics(table, n_bins, confident)
        entry["ece_uncalibrated"] = expected_calibration_error(
            raw, gold.frame["label"].map(LABEL2ID).to_numpy(), n_bins
        )
        if baseline_threshold is not None:
            before = trust_metrics(
                prediction_table(
                    gold.frame, model.assess(texts, threshold=baseline_threshold, probs=raw)
                ),
                n_bins,
                confident,
            )
            entry["before_calibration"] = {
                "temperature": 1.0,
                "abstain_threshold": baseline_threshold,
                **{k: before[k] for k in BEFORE_CALIBRATION},
            }
        entry["rejected_rows"] = len(gold.rejects)
        if "difficulty" in table.columns and (table["difficulty"] == "hard").any():
            hard = table[table["difficulty"] == "hard"]
            entry["hard"] = {
                "passages": len(hard),
                "macro_f1": macro_f1(
                    hard["label"].map(LABEL2ID).to_numpy(),
                    hard["predicted"].map(LABEL2ID).to_numpy(),
                ),
            }
        if gold.name == KINDS:
            entry["kinds"] = kinds_score(table)
        metrics[gold.name] = entry
        tables[gold.name] = table
    return metrics, tables, seconds


def evaluate(cfg: Config, name: str) -> dict[str, Any]:
    """Evaluate ``models/<name>`` on every set; write metrics, plots, predictions, timings."""
    model_dir = Path(cfg.paths.models_dir) / name
    model = load_model(model_dir)
    model.inference_batch_size = cfg.evaluate.batch_size
    sets = evaluation_sets(cfg)
    test_texts = sets[0].frame["text"].tolist()
    model.scores(test_texts[: min(8, len(test_texts))])  # warm-up: first-call allocations
    metrics, tables, seconds = evaluate_model(
        model,
        sets,
        cfg.evaluate.n_bins,
        cfg.evaluate.confident,
        baseline_threshold=cfg.calibration.abstain_threshold,
    )
    metrics = {
        "model": name,
        "temperature": model.temperature,
        "abstain_threshold": model.abstain_threshold,
        "sets": metrics,
    }

    predictions = Path(cfg.paths.predictions_dir) / name
    for set_name, table in tables.items():
        write_table(predictions / f"{set_name}.csv", table)
    rejects = [r for g in sets for r in g.rejects]
    write_jsonl(predictions / "rejects.jsonl", rejects)
    _plots(cfg, name, tables, model.temperature)

    summary = read_json(model_dir / SUMMARY_FILE)
    n_test = len(sets[0].frame)
    write_json(
        Path(cfg.paths.reports_dir) / "timings" / f"{name}.json",
        {
            "model": name,
            "train_seconds": summary["train_seconds"],
            "inference_passages_per_s": n_test / seconds[IN_DOMAIN]
            if seconds[IN_DOMAIN] > 0
            else None,
            "seconds_per_set": seconds,
            "size_on_disk_mb": dir_size(model_dir) / 1e6,
        },
    )
    write_json(Path(cfg.paths.metrics_dir) / f"{name}.json", metrics)
    return {"model": name, **{k: v["macro_f1"] for k, v in metrics["sets"].items()}}


def _plots(cfg: Config, name: str, tables: dict[str, pd.DataFrame], temperature: float) -> None:
    """Confusion matrix and reliability (in-domain, style-shift), risk-coverage (all sets)."""
    plots = Path(cfg.paths.plots_dir) / name
    test = tables[IN_DOMAIN]
    y = test["label"].map(LABEL2ID).to_numpy()
    pred = test["predicted"].map(LABEL2ID).to_numpy()
    write_table(
        plots / "confusion.csv", test[["label", "predicted"]].rename(columns={"label": "actual"})
    )
    matrix = confusion_matrix(y, pred, labels=list(range(len(LABELS))))
    confusion_png(matrix, LABELS, f"{name}: test split (n={len(test)})", plots / "confusion.png")
    probs = test[list(PROB_COLUMNS)].to_numpy()
    n_bins = cfg.evaluate.n_bins
    curves = {f"temperature {temperature:.2f}": reliability(probs, y, n_bins)}
    write_table(
        plots / "reliability.csv",
        pd.DataFrame([{"curve": c, **b} for c, bins in curves.items() for b in bins if b["count"]]),
    )
    reliability_png(curves, f"{name}: reliability (test)", plots / "reliability.png")
    rows = []
    for set_name, table in tables.items():
        coverage, risk = risk_coverage(table["predicted"] == table["label"], table["confidence"])
        step = max(1, len(coverage) // 50)
        rows += [
            {"set": set_name, "coverage": float(c), "risk": float(r)}
            for c, r in zip(coverage[::step], risk[::step], strict=True)
        ]
    write_table(plots / "risk_coverage.csv", pd.DataFrame(rows))


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(evaluate, argv, name="evaluate", takes_model=True)


if __name__ == "__main__":
    sys.exit(main())
