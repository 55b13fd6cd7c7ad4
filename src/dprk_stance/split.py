"""Stage 2 — split: leakage-free, stable train/dev/test splits.

Passages of one article share wording, a topic and usually a stance, so an article's
passages never straddle two splits. Each article goes to a split by a stable hash of its
``doc_id`` (and the seed): adding passages or articles to the corpus never moves an existing
article, so numbers before and after a corpus change are measured on the same old test
articles. Label balance is checked and reported, not forced (forcing it with a fold search
would reshuffle everything whenever one article is added). The temporal mode tests on years
after ``temporal_train_max_year`` and splits the earlier years into train and dev by the
same hash.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from dprk_stance.config import Config
from dprk_stance.corpus import ANNOTATION
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import write_json, write_table
from dprk_stance.stances import LABELS

SPLITS = ("train", "dev", "test")
log = logging.getLogger(__name__)


class SplitError(DprkStanceError):
    """The corpus cannot be split as asked (too few articles, empty temporal side)."""


def split(cfg: Config) -> dict[str, Any]:
    """Read the processed table, assign every passage to one split, write files and report."""
    table = pd.read_parquet(Path(cfg.paths.processed_dir) / "passages.parquet")
    assignment = assign_splits(table, cfg)
    out_dir = Path(cfg.paths.splits_dir)
    frames = {name: table[assignment == name].reset_index(drop=True) for name in SPLITS}
    for name, frame in frames.items():
        if frame.empty:
            raise SplitError(f"the {name} split is empty: the corpus has too few articles")
        write_table(out_dir / f"{name}.parquet", frame)
    report = split_report(frames, cfg)
    write_json(out_dir / "split_report.json", report)
    return report


def doc_position(doc_ids: pd.Series | np.ndarray, seed: int) -> np.ndarray:
    """A stable number in [0, 1) per article id: SHA-256 of ``"{seed}:{doc_id}"``.

    It depends on nothing but the id and the seed, so it is the same on every machine and
    for every version of the corpus.
    """

    def position(doc_id: str) -> float:
        digest = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return np.array([position(str(d)) for d in np.asarray(doc_ids)], dtype=np.float64)


def assign_splits(table: pd.DataFrame, cfg: Config) -> np.ndarray:
    """One split name per row, a function of (doc_id, seed, sizes) only."""
    sc = cfg.split
    position = doc_position(table["doc_id"], cfg.seed)
    names = np.where(
        position < sc.test_size,
        "test",
        np.where(position < sc.test_size + sc.dev_size, "dev", "train"),
    ).astype(object)
    if sc.mode == "temporal":
        later = (table["year"] > sc.temporal_train_max_year).to_numpy()
        if later.all() or not later.any():
            raise SplitError(
                f"temporal split at year {sc.temporal_train_max_year}: one side is empty "
                f"(years {table['year'].min()}-{table['year'].max()})"
            )
        dev_fraction = sc.dev_size / (1 - sc.test_size)
        names = np.where(later, "test", np.where(position < dev_fraction, "dev", "train"))
        names = names.astype(object)
    return names


def holdout_mask(frame: pd.DataFrame, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of about ``fraction`` of rows, whole articles only, label-stratified.

    Used inside cross-validation, where each fold needs its own dev set.
    """
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
    report: dict[str, Any] = {
        "mode": cfg.split.mode,
        "seed": cfg.seed,
        "assignment": "sha256(seed:doc_id) -> [0, 1); stable when the corpus grows",
    }
    total = Counter(pd.concat([f["label"] for f in frames.values()]))
    n_total = sum(total.values())
    worst = 0.0
    for name, frame in frames.items():
        counts = Counter(frame["label"])
        shares = {label: counts.get(label, 0) / max(len(frame), 1) for label in LABELS}
        drift = max(abs(shares[lb] - total.get(lb, 0) / n_total) for lb in LABELS)
        worst = max(worst, drift)
        report[name] = {
            "passages": len(frame),
            "documents": len(docs[name]),
            "labels": {label: int(counts.get(label, 0)) for label in LABELS},
            "largest_label_share_deviation": round(drift, 4),
            "years": [int(frame["year"].min()), int(frame["year"].max())] if len(frame) else [],
            "hard": int((frame["difficulty"] == "hard").sum()),
            # analysts' labels on real text (import-labels), apart from authored passages
            "annotations": int((frame["origin"] == ANNOTATION).sum()) if "origin" in frame else 0,
        }
    report["largest_label_share_deviation"] = round(worst, 4)
    if worst > 0.10:
        log.warning(
            "label shares of one split differ from the corpus by %.0f points; "
            "splits are stable by construction, not stratified",
            100 * worst,
        )
    return report


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(split, argv, name="split")


if __name__ == "__main__":
    sys.exit(main())
