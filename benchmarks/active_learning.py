"""Does labelling the passages ``suggest`` picks help more than labelling at random?

A simulation of the annotation loop with the corpus's own labels as the oracle: start from a
small random seed set drawn from the train split, then in each round let a strategy pick
``--batch`` more passages from the rest of the train split (their gold labels are
"annotated"), retrain the tf-idf + logistic-regression model with the pipeline's own fit
function (``dprk_stance.fit.fit_model``: params.yaml settings, temperature calibrated on
the dev split; relevance gate off, it plays no part in selection), and record four-class
macro-F1 on the style-shift set (data/eval/style_shift.jsonl), which no model is trained or
tuned on. Selection goes through ``dprk_stance.suggest.select`` (near-duplicate filter
included), exactly as ``dprk-stance suggest`` would pick. ``disagreement`` pits the tf-idf
model against the keyword model trained on the same labels. Three seeds by default (seed
set and random draws differ; the other strategies are deterministic given the seed set).

Reports, per strategy, the mean learning curve and how many labels it needed to reach
random's final mean score (``null`` if it never did). Writes
benchmarks/results/active_learning.json and active_learning.png.

    python benchmarks/active_learning.py [--seed-size 40] [--batch 40] [--rounds 8] [--seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.data import load_gold
from dprk_stance.fit import fit_model
from dprk_stance.fsutil import atomic_path, write_json
from dprk_stance.stances import LABEL2ID, LABELS, PROB_COLUMNS
from dprk_stance.stats import macro_f1
from dprk_stance.suggest import STRATEGIES, select

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
MODEL, SECOND_MODEL = "tfidf-logreg", "keywords"
log = logging.getLogger("active_learning")


def split_frame(cfg: Config, name: str) -> pd.DataFrame:
    """A split from this checkout's data/splits, else from the main checkout's."""
    for folder in (REPO / cfg.paths.splits_dir, Path("/work/main") / cfg.paths.splits_dir):
        if (folder / f"{name}.parquet").is_file():
            return pd.read_parquet(folder / f"{name}.parquet")
    raise FileNotFoundError(f"{name}.parquet: run `dvc repro split` first")


def as_run(pool: pd.DataFrame, probs: np.ndarray, model: str) -> pd.DataFrame:
    """The unlabelled pool as a labelling output (one passage per id) for ``select``."""
    run = pd.DataFrame(
        {
            "doc_id": pool["id"].astype(str).to_numpy(),
            "passage": 0,
            "start": 0,
            "end": pool["text"].str.len().to_numpy(),
            "source": "pool",
            "text": pool["text"].to_numpy(),
            "label": [LABELS[i] for i in probs.argmax(axis=1)],
            "model": model,
            "model_sha256": model,
        }
    )
    for j, column in enumerate(PROB_COLUMNS):
        run[column] = probs[:, j]
    return run


def simulate(
    cfg: Config,
    train: pd.DataFrame,
    dev: pd.DataFrame,
    gold: pd.DataFrame,
    strategy: str,
    seed: int,
    seed_size: int,
    batch: int,
    rounds: int,
) -> list[dict[str, Any]]:
    """One learning curve: macro-F1 on ``gold`` after the seed set and after each round."""
    rng = np.random.default_rng(seed)
    labelled = set(rng.choice(len(train), size=seed_size, replace=False).tolist())
    gold_y = gold["label"].map(LABEL2ID).to_numpy()
    curve = []
    for step in range(rounds + 1):
        chosen = train.iloc[sorted(labelled)]
        model, _ = fit_model(cfg, MODEL, chosen, dev)
        score = macro_f1(gold_y, model.predict_proba(gold["text"].tolist()).argmax(axis=1))
        curve.append({"labels": len(labelled), "macro_f1": float(score)})
        log.info(
            "%s seed %d round %d: %d labels, macro-F1 %.3f",
            strategy,
            seed,
            step,
            len(labelled),
            score,
        )
        if step == rounds:
            break
        rest = [i for i in range(len(train)) if i not in labelled]
        pool = train.iloc[rest].reset_index(drop=True)
        runs = [as_run(pool, model.predict_proba(pool["text"].tolist()), MODEL)]
        if strategy == "disagreement":
            other, _ = fit_model(cfg, SECOND_MODEL, chosen, dev)
            runs.append(as_run(pool, other.predict_proba(pool["text"].tolist()), SECOND_MODEL))
        picked = select(runs, batch, strategy, seed=seed * 1000 + step)
        by_id = {str(v): rest[i] for i, v in enumerate(pool["id"])}
        labelled |= {by_id[d] for d in picked["doc_id"]}
    return curve


def labels_to_reach(curve: list[dict[str, Any]], target: float) -> int | None:
    """The first number of labels at which the mean curve reaches ``target``."""
    for point in curve:
        if point["macro_f1"] >= target - 1e-12:
            return int(point["labels"])
    return None


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for strategy, entry in results["strategies"].items():
        x = [p["labels"] for p in entry["mean_curve"]]
        y = np.array([p["macro_f1"] for p in entry["mean_curve"]])
        sd = np.array([p["sd"] for p in entry["mean_curve"]])
        ax.plot(x, y, marker="o", ms=3, label=strategy)
        ax.fill_between(x, y - sd, y + sd, alpha=0.15)
    ax.axhline(results["random_final_macro_f1"], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("labelled passages")
    ax.set_ylabel("macro-F1, style-shift set")
    ax.set_title(f"{MODEL}: active learning vs random ({len(results['seeds'])} seeds, ±1 sd)")
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-size", type=int, default=40)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    cfg = Config.load(args.params)
    cfg = dataclasses.replace(
        cfg, calibration=dataclasses.replace(cfg.calibration, relevance_quantile=0.0)
    )
    train, dev = split_frame(cfg, "train"), split_frame(cfg, "dev")
    gold = load_gold(REPO / cfg.evaluate.sets["style-shift"]).frame
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    strategies: dict[str, Any] = {}
    for strategy in args.strategies:
        curves = [
            simulate(cfg, train, dev, gold, strategy, s, args.seed_size, args.batch, args.rounds)
            for s in seeds
        ]
        scores = np.array([[p["macro_f1"] for p in c] for c in curves])
        strategies[strategy] = {
            "curves": {str(s): c for s, c in zip(seeds, curves, strict=True)},
            "mean_curve": [
                {"labels": p["labels"], "macro_f1": float(m), "sd": float(sd)}
                for p, m, sd in zip(curves[0], scores.mean(0), scores.std(0, ddof=1), strict=True)
            ],
        }
    random_final = strategies["random"]["mean_curve"][-1]["macro_f1"]
    random_curve = strategies["random"]["mean_curve"]
    for entry in strategies.values():
        entry["labels_to_reach_random_final"] = labels_to_reach(entry["mean_curve"], random_final)
        entry["final_macro_f1"] = entry["mean_curve"][-1]["macro_f1"]
        # mean macro-F1 minus random's at the same number of labels, and its mean over the
        # rounds after the seed set (the area between the curves, per round)
        entry["difference_from_random"] = [
            {"labels": p["labels"], "macro_f1": p["macro_f1"] - r["macro_f1"]}
            for p, r in zip(entry["mean_curve"], random_curve, strict=True)
        ]
        entry["mean_difference_from_random"] = float(
            np.mean([d["macro_f1"] for d in entry["difference_from_random"][1:]])
        )
    results = {
        "model": MODEL,
        "disagreement_between": [MODEL, SECOND_MODEL],
        "oracle": "the corpus's own labels (train split)",
        "evaluation": f"four-class macro-F1 on {cfg.evaluate.sets['style-shift']} "
        f"({len(gold)} passages)",
        "pool": len(train),
        "seed_size": args.seed_size,
        "batch": args.batch,
        "rounds": args.rounds,
        "seeds": seeds,
        "random_final_macro_f1": random_final,
        "labels_to_reach_random_final": {
            s: e["labels_to_reach_random_final"] for s, e in strategies.items()
        },
        "strategies": strategies,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS / "active_learning.json", results)
    plot(results, RESULTS / "active_learning.png")
    print(
        f"random's final macro-F1 ({results['pool']} pool, {args.seed_size} + "
        f"{args.rounds} x {args.batch} labels): {random_final:.3f}"
    )
    for strategy, entry in strategies.items():
        print(
            f"{strategy:>13}: final {entry['final_macro_f1']:.3f}; labels to reach random's "
            f"final: {entry['labels_to_reach_random_final']}; mean difference from random "
            f"after the seed set: {entry['mean_difference_from_random']:+.3f}"
        )


if __name__ == "__main__":
    main()
