"""Stage 2 — split: leakage-free train/dev/test splits.

Passages of one article share wording, a topic and usually a stance, so an article's
passages must never straddle two splits: splits are grouped by ``doc_id`` and stratified by
label (StratifiedGroupKFold). The temporal mode trains on years <= N and tests on later
years, which is the honest setting for "does a model trained on the reform era read the
conservative turn?".
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from dprk_stance.config import Config
from dprk_stance.fsutil import write_json, write_table
from dprk_stance.labels import LABELS

SPLITS = ("train", "dev", "test")


class SplitError(RuntimeError):
    """The corpus cannot be split as asked (too few articles, empty temporal side)."""


def split(cfg: Config) -> dict[str, Any]:
    """Read the processed table, assign every passage to one split, write files and report."""
    table = pd.read_parquet(Path(cfg.paths.processed_dir) / "passages.parquet")
    assignment = assign_splits(table, cfg)
    out_dir = Path(cfg.paths.splits_dir)
    frames = {name: table[assignment == name].reset_index(drop=True) for name in SPLITS}
    for name, frame in frames.items():
        write_table(out_dir / f"{name}.parquet", frame)
    report = split_report(frames, cfg)
    write_json(out_dir / "split_report.json", report)
    return report


def assign_splits(table: pd.DataFrame, cfg: Config) -> np.ndarray:
    """One split name per row; deterministic for a given seed and table."""
    sc = cfg.split
    names = np.empty(len(table), dtype=object)
    if sc.mode == "temporal":
        later = (table["year"] > sc.temporal_train_max_year).to_numpy()
        if later.all() or not later.any():
            raise SplitError(
                f"temporal split at year {sc.temporal_train_max_year}: one side is empty "
                f"(years {table['year'].min()}-{table['year'].max()})"
            )
        names[later] = "test"
        early = np.flatnonzero(~later)
        dev_fraction = sc.dev_size / (1 - sc.test_size)
        dev_mask = holdout_mask(table.iloc[early], dev_fraction, cfg.seed)
        names[early[dev_mask]] = "dev"
        names[early[~dev_mask]] = "train"
        return names
    test_mask = holdout_mask(table, sc.test_size, cfg.seed)
    rest = np.flatnonzero(~test_mask)
    dev_mask = holdout_mask(table.iloc[rest], sc.dev_size / (1 - sc.test_size), cfg.seed + 1)
    names[test_mask] = "test"
    names[rest[dev_mask]] = "dev"
    names[rest[~dev_mask]] = "train"
    return names


def holdout_mask(frame: pd.DataFrame, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of about ``fraction`` of rows, whole articles only, label-stratified."""
    n_splits = max(2, round(1 / fraction))
    groups = frame["doc_id"].to_numpy()
    if len(set(groups)) < n_splits:
        raise SplitError(
            f"only {len(set(groups))} articles (doc_id); need at least {n_splits} to hold out "
            f"{fraction:.0%} of them"
        )
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    _, held = next(folds.split(np.zeros(len(frame)), frame["label"].to_numpy(), groups))
    mask = np.zeros(len(frame), dtype=bool)
    mask[held] = True
    return mask


def grouped_folds(table: pd.DataFrame, k: int, seed: int) -> list[np.ndarray]:
    """Test-row indices of k grouped, stratified folds (for cross-validation)."""
    folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [
        held
        for _, held in folds.split(
            np.zeros(len(table)), table["label"].to_numpy(), table["doc_id"].to_numpy()
        )
    ]


def split_report(frames: dict[str, pd.DataFrame], cfg: Config) -> dict[str, Any]:
    docs = {name: set(frame["doc_id"]) for name, frame in frames.items()}
    overlap = sorted(
        (docs["train"] & docs["dev"])
        | (docs["train"] & docs["test"])
        | (docs["dev"] & docs["test"])
    )
    if overlap:  # cannot happen by construction; checked because leakage would be silent
        raise SplitError(f"articles in more than one split: {overlap[:5]}")
    report: dict[str, Any] = {"mode": cfg.split.mode, "seed": cfg.seed}
    for name, frame in frames.items():
        counts = Counter(frame["label"])
        report[name] = {
            "passages": len(frame),
            "documents": len(docs[name]),
            "labels": {label: int(counts.get(label, 0)) for label in LABELS},
            "years": [int(frame["year"].min()), int(frame["year"].max())] if len(frame) else [],
            "hard": int((frame["difficulty"] == "hard").sum()),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.cli import run_stage

    return run_stage(split, argv, name="split")


if __name__ == "__main__":
    sys.exit(main())
