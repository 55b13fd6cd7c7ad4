"""Stage 5 — compare: a leaderboard every number of which is recomputed from predictions.

Same test passages for every model (checked), macro-F1 with a 95 % interval that resamples
whole articles, paired differences on the same resamples, McNemar p-values with Holm
correction, and the leakage check: how close a keyword-only classifier comes to the
fine-tuned model, overall and on the hard subset.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from dprk_stance.config import Config
from dprk_stance.fsutil import read_json, write_json, write_text
from dprk_stance.labels import LABEL2ID
from dprk_stance.stats import bootstrap_ci, holm, mcnemar, paired_bootstrap_difference


class CompareError(RuntimeError):
    """Predictions of different models do not cover the same test passages."""


def load_predictions(cfg: Config) -> dict[str, pd.DataFrame]:
    frames = {
        name: pd.read_csv(Path(cfg.paths.predictions_dir) / f"{name}.csv") for name in cfg.models
    }
    reference_name, reference = next(iter(frames.items()))
    for name, frame in frames.items():
        if frame["id"].tolist() != reference["id"].tolist():
            raise CompareError(
                f"predictions of {name!r} and {reference_name!r} cover different "
                "test passages: re-run evaluate for both on the same split"
            )
    return frames


def build_leaderboard(frames: dict[str, pd.DataFrame], cfg: Config) -> dict[str, Any]:
    cc = cfg.compare
    first = next(iter(frames.values()))
    y = first["label"].map(LABEL2ID).to_numpy()
    groups = first["doc_id"].to_numpy()
    hard = (first["difficulty"] == "hard").to_numpy()
    preds = {n: f["predicted"].map(LABEL2ID).to_numpy() for n, f in frames.items()}
    boot = {"n_samples": cc.bootstrap_samples, "confidence": cc.confidence, "seed": cfg.seed}

    rows = []
    for name, pred in preds.items():
        metrics = read_json(Path(cfg.paths.metrics_dir) / f"{name}.json")
        overall = bootstrap_ci(y, pred, groups, **boot)
        on_hard = bootstrap_ci(y[hard], pred[hard], groups[hard], **boot)
        rows.append(
            {
                "model": name,
                "macro_f1": overall["estimate"],
                "ci_low": overall["low"],
                "ci_high": overall["high"],
                "accuracy": float((pred == y).mean()),
                "hard_macro_f1": on_hard["estimate"],
                "hard_ci_low": on_hard["low"],
                "hard_ci_high": on_hard["high"],
                "ece_calibrated": metrics["ece_calibrated"],
                "train_seconds": metrics["train_seconds"],
                "inference_passages_per_s": metrics["inference_passages_per_s"],
                "size_on_disk_mb": metrics["size_on_disk_mb"],
            }
        )
    rows.sort(key=lambda r: -r["macro_f1"])

    pairs = []
    for a, b in itertools.combinations([r["model"] for r in rows], 2):
        test = mcnemar(preds[a] == y, preds[b] == y)
        diff = paired_bootstrap_difference(y, preds[a], preds[b], groups, **boot)
        pairs.append(
            {
                "a": a,
                "b": b,
                "macro_f1_difference": diff["difference"],
                "difference_ci": [diff["low"], diff["high"]],
                "bootstrap_p": diff["p_value"],
                "mcnemar_p": test["p_value"],
                "mcnemar_exact": test["exact"],
                "a_only_correct": test["a_only_correct"],
                "b_only_correct": test["b_only_correct"],
            }
        )
    for pair, adjusted in zip(pairs, holm([p["mcnemar_p"] for p in pairs]), strict=True):
        pair["mcnemar_p_holm"] = adjusted

    return {
        "test_passages": len(y),
        "test_documents": len(set(groups)),
        "hard_passages": int(hard.sum()),
        "bootstrap": boot,
        "models": rows,
        "pairs": pairs,
        "leakage": leakage(rows, cfg),
    }


def leakage(rows: list[dict[str, Any]], cfg: Config) -> dict[str, Any]:
    by_name = {r["model"]: r for r in rows}
    ref, target = cfg.compare.leakage_reference, cfg.compare.leakage_target
    if ref not in by_name or target not in by_name:
        return {
            "available": False,
            "reason": f"needs both {ref!r} and {target!r} in params 'models'",
        }
    r, t = by_name[ref], by_name[target]
    gap, hard_gap = t["macro_f1"] - r["macro_f1"], t["hard_macro_f1"] - r["hard_macro_f1"]
    margin = cfg.compare.leakage_margin
    return {
        "available": True,
        "reference": ref,
        "target": target,
        "reference_macro_f1": r["macro_f1"],
        "target_macro_f1": t["macro_f1"],
        "reference_hard_macro_f1": r["hard_macro_f1"],
        "target_hard_macro_f1": t["hard_macro_f1"],
        "gap": gap,
        "hard_gap": hard_gap,
        "margin": margin,
        "too_easy": bool(gap < margin or hard_gap < margin),
    }


def _bootstrap_p(p: float, n_samples: int) -> str:
    """A percentile-bootstrap p-value of 0 only means "below the resolution 2/n"."""
    return f"< {2 / n_samples:.4f}" if p == 0 else f"{p:.3f}"


def render_markdown(board: dict[str, Any], cv: dict[str, Any]) -> str:
    pct = round(board["bootstrap"]["confidence"] * 100)
    lines = [
        "# Leaderboard (test split)",
        "",
        f"{board['test_passages']} test passages from {board['test_documents']} articles "
        f"({board['hard_passages']} hard). Intervals: {pct} % cluster bootstrap over articles, "
        f"{board['bootstrap']['n_samples']} resamples, seed {board['bootstrap']['seed']}.",
        "",
        f"| model | macro-F1 [{pct} % CI] | accuracy | hard macro-F1 [{pct} % CI] | ECE (cal.) "
        "| train s | passages/s | size MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in board["models"]:
        lines.append(
            f"| {r['model']} | {r['macro_f1']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] "
            f"| {r['accuracy']:.3f} | {r['hard_macro_f1']:.3f} [{r['hard_ci_low']:.3f}, "
            f"{r['hard_ci_high']:.3f}] | {r['ece_calibrated']:.3f} | {r['train_seconds']:.1f} "
            f"| {r['inference_passages_per_s']:.0f} | {r['size_on_disk_mb']:.2f} |"
        )
    lines += [
        "",
        "## Pairwise tests",
        "",
        "Difference = macro-F1(A) − macro-F1(B) on the same article resamples. McNemar on "
        "per-passage correctness; Holm-adjusted over all pairs.",
        "",
        "| A | B | ΔF1 [CI] | bootstrap p | McNemar p | Holm p | A-only / B-only correct |",
        "|---|---|---|---|---|---|---|",
    ]
    n_boot = board["bootstrap"]["n_samples"]
    for p in board["pairs"]:
        lo, hi = p["difference_ci"]
        lines.append(
            f"| {p['a']} | {p['b']} | {p['macro_f1_difference']:+.3f} [{lo:+.3f}, "
            f"{hi:+.3f}] | {_bootstrap_p(p['bootstrap_p'], n_boot)} | {p['mcnemar_p']:.3g} "
            f"| {p['mcnemar_p_holm']:.3g} | {p['a_only_correct']} / "
            f"{p['b_only_correct']} |"
        )
    leak = board["leakage"]
    lines += ["", "## Leakage check", ""]
    if leak["available"]:
        verdict = (
            "**too easy**: keywords alone come within the margin — rewrite hard cases"
            if leak["too_easy"]
            else "passes: the model clears keywords by the margin"
        )
        lines += [
            f"| | {leak['reference']} | {leak['target']} | gap |",
            "|---|---|---|---|",
            f"| macro-F1, all | {leak['reference_macro_f1']:.3f} | {leak['target_macro_f1']:.3f}"
            f" | {leak['gap']:+.3f} |",
            f"| macro-F1, hard | {leak['reference_hard_macro_f1']:.3f} | "
            f"{leak['target_hard_macro_f1']:.3f} | {leak['hard_gap']:+.3f} |",
            "",
            f"Margin {leak['margin']:.2f}: {verdict}.",
        ]
    else:
        lines.append(f"Not available: {leak['reason']}.")
    lines += ["", "## Cross-validation", ""]
    if cv.get("enabled"):
        lines += [
            f"{cv['folds']}-fold, grouped by article, stratified by label.",
            "",
            "| model | macro-F1 mean ± sd |",
            "|---|---|",
        ]
        for name, res in cv["models"].items():
            lines.append(f"| {name} | {res['macro_f1_mean']:.3f} ± {res['macro_f1_sd']:.3f} |")
    else:
        lines.append("Off (`crossval.folds: 0`).")
    return "\n".join(lines) + "\n"


def compare(cfg: Config) -> dict[str, Any]:
    board = build_leaderboard(load_predictions(cfg), cfg)
    cv_file = Path(cfg.paths.reports_dir) / "cv.json"
    cv = read_json(cv_file) if cv_file.is_file() else {"enabled": False}
    board["crossval"] = cv
    reports = Path(cfg.paths.reports_dir)
    write_json(reports / "leaderboard.json", board)
    write_text(reports / "leaderboard.md", render_markdown(board, cv))
    return board


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.cli import run_stage

    return run_stage(compare, argv, name="compare")


if __name__ == "__main__":
    sys.exit(main())
