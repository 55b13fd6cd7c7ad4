"""Stage 5 — leaderboard: every number recomputed from per-passage predictions.

For each evaluation set (in-domain test split, style-shift set, KCNA real text, kinds, any
user set) and each model: macro-F1 and stance accuracy with 95 % intervals from a bootstrap
that resamples whole articles, no-stance recall, the share of stance passages flagged,
precision of confident stances, confident errors, ECE and AURC; paired tests between models
on the same passages (bootstrap difference, McNemar with Holm correction); the leakage
check; and the **default model**: the best on ``compare.default_by`` (the style-shift set),
not on the in-domain split, because the in-domain split shares the corpus's style.
Timings are shown in the Markdown but kept out of ``leaderboard.json`` (a DVC metric).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.card import write_evaluated_card
from dprk_stance.config import Config
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import json_number, read_json, write_json, write_text
from dprk_stance.metrics import trust_metrics
from dprk_stance.models.base import SUMMARY_FILE
from dprk_stance.stances import LABEL2ID, NO_STANCE
from dprk_stance.stats import (
    bootstrap_ci,
    cluster_bootstrap_ratio,
    holm,
    mcnemar,
    paired_bootstrap_difference,
)
from dprk_stance.stats import (
    format_estimate as fmt,
)

IN_DOMAIN = "in-domain"


class LeaderboardError(DprkStanceError):
    """Predictions of different models do not cover the same passages."""


def load_predictions(cfg: Config) -> dict[str, dict[str, pd.DataFrame]]:
    """set name -> model name -> prediction table; every model must cover the same ids."""
    by_set: dict[str, dict[str, pd.DataFrame]] = {}
    for model in cfg.evaluated:
        folder = Path(cfg.paths.predictions_dir) / model
        for path in sorted(folder.glob("*.csv")):
            by_set.setdefault(path.stem, {})[model] = pd.read_csv(
                path, dtype={"id": str, "doc_id": str}
            )
    for set_name, frames in by_set.items():
        missing = [m for m in cfg.evaluated if m not in frames]
        if missing:
            raise LeaderboardError(f"set {set_name!r}: no predictions for {missing}")
        ref_name, ref = next(iter(frames.items()))
        for name, frame in frames.items():
            if frame["id"].tolist() != ref["id"].tolist():
                raise LeaderboardError(
                    f"set {set_name!r}: predictions of {name!r} and {ref_name!r} cover "
                    "different passages: re-run evaluate for both"
                )
    return by_set


def _interval(ci: dict[str, float]) -> list[float] | None:
    """[low, high], or None where the interval is undefined (fewer than two articles):
    ``leaderboard.json`` is a DVC metric and must stay strict JSON, without NaN."""
    low, high = json_number(ci["low"]), json_number(ci["high"])
    return None if low is None or high is None else [low, high]


def _ci(
    y: np.ndarray, pred: np.ndarray, groups: np.ndarray, boot: dict[str, Any], metric: Any = None
) -> dict[str, float]:
    if len(y) == 0:
        return {"estimate": float("nan"), "low": float("nan"), "high": float("nan")}
    kwargs = {} if metric is None else {"metric": metric}
    return bootstrap_ci(y, pred, groups, **boot, **kwargs)


def _claim_precision_ci(
    frame: pd.DataFrame, y: np.ndarray, pred: np.ndarray, groups: np.ndarray, boot: dict
) -> list[float] | None:
    """Interval of confident precision (right claims / claims, summed over articles or
    stories) under the same cluster bootstrap; None when nothing is claimed."""
    claimed = ~frame["uncertain"].to_numpy(bool)
    if not claimed.any():
        return None
    per_group = pd.DataFrame({"g": groups, "claims": claimed, "right": claimed & (pred == y)})
    sums = per_group.groupby("g")[["right", "claims"]].sum()
    ratio = cluster_bootstrap_ratio(sums[["right"]].to_numpy(), sums["claims"].to_numpy(), **boot)
    return _interval({"low": ratio["low"][0], "high": ratio["high"][0]})


def _accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float((y == pred).mean()) if len(y) else float("nan")


def board_for_set(
    frames: dict[str, pd.DataFrame], cfg: Config, boot: dict[str, Any]
) -> dict[str, Any]:
    """Rows per model (metrics with intervals) and pairwise tests for one evaluation set."""
    first = next(iter(frames.values()))
    y = first["label"].map(LABEL2ID).to_numpy()
    groups = first["doc_id"].astype(str).to_numpy()
    stance_rows = (first["label"] != NO_STANCE).to_numpy()
    preds = {n: f["predicted"].map(LABEL2ID).to_numpy() for n, f in frames.items()}
    rows = []
    for name, frame in frames.items():
        m = trust_metrics(frame, cfg.evaluate.n_bins, cfg.evaluate.confident)
        f1 = _ci(y, preds[name], groups, boot)
        stance = frame["stance"].map(LABEL2ID).to_numpy()
        acc = _ci(y[stance_rows], stance[stance_rows], groups[stance_rows], boot, metric=_accuracy)
        precision = _claim_precision_ci(frame, y, preds[name], groups, boot)
        negated = stance_rows & frame.get("negation", pd.Series(False, index=frame.index))
        negated = negated.to_numpy(bool)
        negated_ci = (
            _ci(y[negated], stance[negated], groups[negated], boot, metric=_accuracy)
            if negated.any()
            else None
        )
        rows.append(
            {
                "model": name,
                "macro_f1": f1["estimate"],
                "macro_f1_ci": _interval(f1),
                "stance_accuracy": acc["estimate"],
                "stance_accuracy_ci": _interval(acc),
                **{k: v for k, v in m.items() if k not in ("macro_f1", "stance_accuracy")},
                "confident_stance_precision_ci": precision,
                "negated_stance_accuracy_ci": _interval(negated_ci) if negated_ci else None,
            }
        )
    rows.sort(key=lambda r: -np.nan_to_num(r["macro_f1"], nan=-1))
    pairs = []
    for a, b in itertools.combinations([r["model"] for r in rows], 2):
        test = mcnemar(preds[a] == y, preds[b] == y)
        diff = paired_bootstrap_difference(y, preds[a], preds[b], groups, **boot)
        pairs.append(
            {
                "a": a,
                "b": b,
                "macro_f1_difference": diff["difference"],
                "difference_ci": _interval(diff),
                "bootstrap_p": json_number(diff["p_value"]),
                "mcnemar_p": test["p_value"],
                "a_only_correct": test["a_only_correct"],
                "b_only_correct": test["b_only_correct"],
            }
        )
    for pair, adjusted in zip(pairs, holm([p["mcnemar_p"] for p in pairs]), strict=True):
        pair["mcnemar_p_holm"] = adjusted
    return {
        "passages": len(y),
        "documents": len(set(groups)),
        "stance_passages": int(stance_rows.sum()),
        "no_stance_passages": int((~stance_rows).sum()),
        "models": rows,
        "pairs": pairs,
    }


def leakage(rows: list[dict[str, Any]], cfg: Config) -> dict[str, Any]:
    """How close a keyword-only model comes to the target model on the in-domain split."""
    by_name = {r["model"]: r for r in rows}
    ref, target = cfg.compare.leakage_reference, cfg.compare.leakage_target
    if ref not in by_name or target not in by_name:
        return {"available": False, "reason": f"needs both {ref!r} and {target!r} in 'models'"}
    gap = by_name[target]["macro_f1"] - by_name[ref]["macro_f1"]
    return {
        "available": True,
        "reference": ref,
        "target": target,
        "reference_macro_f1": by_name[ref]["macro_f1"],
        "target_macro_f1": by_name[target]["macro_f1"],
        "gap": gap,
        "margin": cfg.compare.leakage_margin,
        "too_easy": bool(gap < cfg.compare.leakage_margin),
    }


def choose_default(sets: dict[str, Any], by: str) -> dict[str, Any]:
    """The model with the best macro-F1 on set ``by``; ties go to fewer confident errors."""
    if by not in sets:
        return {"model": None, "by": by, "reason": f"set {by!r} was not evaluated"}
    rows = sets[by]["models"]
    best = max(rows, key=lambda r: (r["macro_f1"], -r["confident_errors_per_100"]))
    return {
        "model": best["model"],
        "by": by,
        "macro_f1": best["macro_f1"],
        "reason": f"highest four-class macro-F1 on the {by} set, which no model was trained, "
        "calibrated or tuned on; the in-domain split shares the training corpus's style",
    }


def calibration_effect(cfg: Config, set_names: list[str]) -> list[dict[str, Any]]:
    """Per model and set, the trust metrics before calibration (raw softmax, the fixed
    threshold) and after (temperature and threshold fitted on dev), from the evaluate
    stage's ``metrics/<model>.json``; models whose metrics lack them are left out."""
    rows = []
    for name in cfg.evaluated:
        file = Path(cfg.paths.metrics_dir) / f"{name}.json"
        if not file.is_file():
            continue
        metrics = read_json(file)
        for set_name in set_names:
            entry = metrics.get("sets", {}).get(set_name, {})
            before = entry.get("before_calibration")
            if before is None:
                continue
            rows.append(
                {
                    "model": name,
                    "set": set_name,
                    "before": before,
                    "after": {
                        "temperature": metrics["temperature"],
                        "abstain_threshold": metrics["abstain_threshold"],
                        **{k: entry[k] for k in before if k in entry},
                    },
                }
            )
    return rows


def build_leaderboard(cfg: Config) -> dict[str, Any]:
    cc = cfg.compare
    boot = {"n_samples": cc.bootstrap_samples, "confidence": cc.confidence, "seed": cfg.seed}
    by_set = load_predictions(cfg)
    if IN_DOMAIN not in by_set:
        raise LeaderboardError("no in-domain predictions: run the evaluate stage first")
    order = [IN_DOMAIN, *sorted(s for s in by_set if s != IN_DOMAIN)]
    sets = {name: board_for_set(by_set[name], cfg, boot) for name in order}
    ingest_report = Path(cfg.paths.processed_dir) / "ingest_report.json"
    corpus = read_json(ingest_report) if ingest_report.is_file() else {}
    split_report = Path(cfg.paths.splits_dir) / "split_report.json"
    splits = read_json(split_report) if split_report.is_file() else {}
    return {
        "calibration": calibration_effect(cfg, order),
        "corpus_version": corpus.get("corpus_version"),
        "corpus_passages": corpus.get("rows_kept"),
        # real-text passages labelled by analysts (import-labels): in the corpus, and in the
        # train split the models were fitted on
        "corpus_annotations": corpus.get("origins", {}).get("annotation", 0),
        "train_annotations": splits.get("train", {}).get("annotations", 0),
        # passages of real text (real_text.train) each model was trained on beside the corpus
        "real_text_training": {
            name: read_json(summary).get("real_text_train_passages", 0)
            for name in cfg.evaluated
            if (summary := Path(cfg.paths.models_dir) / name / SUMMARY_FILE).is_file()
        },
        "bootstrap": boot,
        "sets": sets,
        "leakage": leakage(sets[IN_DOMAIN]["models"], cfg),
        "default_model": choose_default(sets, cc.default_by),
    }


def render_set(set_name: str, entry: dict[str, Any], boot: dict[str, Any]) -> str:
    """One evaluation set's table (and pairwise tests when there are several models)."""
    pct = round(boot["confidence"] * 100)
    lines = [
        f"## {set_name}",
        "",
        f"{entry['passages']} passages ({entry['stance_passages']} stance, "
        f"{entry['no_stance_passages']} no stance) from {entry['documents']} documents.",
        "",
        f"| model | macro-F1 [{pct} % CI] | stance acc. [{pct} % CI] | no-stance recall "
        f"| stance→none | confident precision [{pct} % CI] | errors≥0.9 /100 | ECE | AURC "
        f"| negated: stance acc. [{pct} % CI] (n) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in entry["models"]:
        lines.append(
            f"| {r['model']} | {fmt(r['macro_f1'], r['macro_f1_ci'])} "
            f"| {fmt(r['stance_accuracy'], r['stance_accuracy_ci'])} "
            f"| {fmt(r['no_stance_recall'])} | {fmt(r['stance_flagged_as_no_stance'])} "
            f"| {fmt(r['confident_stance_precision'], r['confident_stance_precision_ci'])} "
            f"| {fmt(r['confident_errors_per_100'], digits=1)} | {fmt(r['ece'])} "
            f"| {fmt(r['aurc'])} "
            f"| {_negated(r)} |"
        )
    if entry["pairs"]:
        lines += [
            "",
            "| A | B | ΔF1 [CI] | bootstrap p | McNemar Holm p | A-only / B-only right |",
            "|---|---|---|---|---|---|",
        ]
        for p in entry["pairs"]:
            ci = (
                "[–]"
                if p["difference_ci"] is None
                else "[{:+.3f}, {:+.3f}]".format(*p["difference_ci"])
            )
            boot_p = "–" if p["bootstrap_p"] is None else f"{p['bootstrap_p']:.3f}"
            lines.append(
                f"| {p['a']} | {p['b']} | {p['macro_f1_difference']:+.3f} {ci} "
                f"| {boot_p} | {p['mcnemar_p_holm']:.3g} "
                f"| {p['a_only_correct']} / {p['b_only_correct']} |"
            )
    return "\n".join(lines)


def _negated(row: dict[str, Any]) -> str:
    """The negation slice's cell: accuracy [CI] (passages), or a dash when not measured."""
    if row.get("negated_stance_passages") is None:
        return "–"
    ci = row.get("negated_stance_accuracy_ci")
    return f"{fmt(row.get('negated_stance_accuracy'), ci)} ({row['negated_stance_passages']})"


def render_calibration(rows: list[dict[str, Any]]) -> str:
    """Before → after calibration, per model and set."""

    def pair(row: dict[str, Any], key: str, digits: int = 3) -> str:
        before, after = row["before"].get(key), row["after"].get(key)
        return f"{fmt(before, digits=digits)} → {fmt(after, digits=digits)}"

    lines = [
        "## Calibration: before → after",
        "",
        "Before: the raw softmax (temperature 1) flagged at the fixed "
        "`calibration.abstain_threshold`. After: temperature and abstention threshold "
        "(`calibration.abstain_max_flagged`) fitted on dev, never on a test set; dev is the "
        "corpus dev split plus `calibration.shifted_dev` when that is set.",
        "",
        "| model | set | temperature | threshold | ECE | errors≥0.9 /100 | AURC "
        "| stance flagged | no-stance flagged | confident precision |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['set']} | {pair(r, 'temperature', 2)} "
            f"| {pair(r, 'abstain_threshold', 2)} | {pair(r, 'ece')} "
            f"| {pair(r, 'confident_errors_per_100', 1)} | {pair(r, 'aurc')} "
            f"| {pair(r, 'stance_flagged')} | {pair(r, 'no_stance_flagged_recall')} "
            f"| {pair(r, 'confident_stance_precision')} |"
        )
    return "\n".join(lines)


def _real_text_note(trained: dict[str, int]) -> list[str]:
    """Which models also trained on real KCNA paragraphs: their KCNA figures are not a test
    of transfer to unseen kinds of text (the stories differ, the archive does not)."""
    with_real = {m: n for m, n in trained.items() if n}
    if not with_real:
        return []
    others = [m for m in trained if m not in with_real]
    return [
        "Trained on real text too: "
        + ", ".join(f"`{m}` ({n} KCNA paragraphs)" for m, n in with_real.items())
        + " — from other stories of the same archive as the `kcna` set, so their `kcna` "
        "figures measure news of a kind they have seen"
        + (f"; {', '.join(f'`{m}`' for m in others)}: the corpus only." if others else ".")
        + "",
        "",
    ]


def render_markdown(board: dict[str, Any], timings: dict[str, Any], cv: dict[str, Any]) -> str:
    """The leaderboard as Markdown: one table per evaluation set, tests, leakage, cost."""
    boot = board["bootstrap"]
    pct = round(boot["confidence"] * 100)
    default = board["default_model"]
    lines = [
        "# Leaderboard",
        "",
        f"Corpus version `{board['corpus_version']}` ({board['corpus_passages']} passages, "
        f"{board.get('corpus_annotations', 0)} of them analysts' labels on real text; "
        f"{board.get('train_annotations', 0)} of those in the train split the models were "
        "fitted on). "
        f"Intervals: {pct} % cluster bootstrap over articles (KCNA: over stories), "
        f"{boot['n_samples']} resamples, seed {boot['seed']}; [–]: fewer than two articles, "
        "no interval. Four classes: three stances "
        "and `none`.",
        "",
        *_real_text_note(board.get("real_text_training") or {}),
        f"**Default model: `{default['model']}`** — {default['reason']}.",
        "",
        "Columns: macro-F1 over the four classes; stance accuracy = best of the three stances "
        "on gold stance passages; no-stance recall = gold `none` passages flagged no-stance; "
        "stance→none = gold stance passages flagged no-stance; confident precision = share "
        "right among passages labelled with a confident stance (not uncertain); errors≥0.9 "
        "per 100 passages; ECE (calibrated); AURC = area under the risk–coverage curve "
        "(lower is better); negated = stance accuracy on the gold stance passages that "
        'contain a negation cue anywhere ("not", "no", "never", "cannot", "without"…: a broad '
        "slice, about half of the stance passages) and how many.",
    ]
    for set_name, entry in board["sets"].items():
        lines += ["", render_set(set_name, entry, boot)]
    if board.get("calibration"):
        lines += ["", render_calibration(board["calibration"])]
    leak = board["leakage"]
    lines += ["", "## Leakage check (in-domain)", ""]
    if leak["available"]:
        verdict = "**too easy**" if leak["too_easy"] else "passes"
        lines.append(
            f"{leak['reference']} {leak['reference_macro_f1']:.3f} vs {leak['target']} "
            f"{leak['target_macro_f1']:.3f}: gap {leak['gap']:+.3f}, margin "
            f"{leak['margin']:.2f} — {verdict}."
        )
    else:
        lines.append(f"Not available: {leak['reason']}.")
    lines += ["", "## Cross-validation (in-domain corpus)", ""]
    if cv.get("enabled"):
        lines += [
            f"{cv['folds']}-fold, grouped by article.",
            "",
            "| model | macro-F1 |",
            "|---|---|",
        ]
        for name, res in cv["models"].items():
            lines.append(f"| {name} | {res['macro_f1_mean']:.3f} ± {res['macro_f1_sd']:.3f} |")
    else:
        lines.append("Off (`crossval.folds: 0`).")
    lines += [
        "",
        "## Cost (this machine; not a DVC metric)",
        "",
        "| model | train s | test passages/s | size MB |",
        "|---|---|---|---|",
    ]
    for name, t in timings.items():
        lines.append(
            f"| {name} | {t['train_seconds']:.1f} | {fmt(t['inference_passages_per_s'], digits=0)} "
            f"| {t['size_on_disk_mb']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def leaderboard(cfg: Config) -> dict[str, Any]:
    """Build and write ``reports/leaderboard.json`` (metrics) and ``leaderboard.md``, and
    ``reports/model_cards/<name>.md``: each model's card with its evaluation."""
    board = build_leaderboard(cfg)
    reports = Path(cfg.paths.reports_dir)
    cv_file = reports / "cv.json"
    cv = read_json(cv_file) if cv_file.is_file() else {"enabled": False}
    timings = {
        name: read_json(reports / "timings" / f"{name}.json")
        for name in cfg.evaluated
        if (reports / "timings" / f"{name}.json").is_file()
    }
    write_json(reports / "leaderboard.json", board)
    write_text(reports / "leaderboard.md", render_markdown(board, timings, cv))
    for name in cfg.evaluated:
        write_evaluated_card(
            Path(cfg.paths.models_dir) / name, board, reports / "model_cards" / f"{name}.md"
        )
    return {
        "default_model": board["default_model"]["model"],
        **{
            f"{s}/{r['model']}": round(r["macro_f1"], 4)
            for s, e in board["sets"].items()
            for r in e["models"]
        },
    }


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(leaderboard, argv, name="leaderboard")


if __name__ == "__main__":
    sys.exit(main())
