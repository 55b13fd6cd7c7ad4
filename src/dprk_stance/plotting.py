"""Matplotlib figures written as PNG (headless: Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from dprk_stance.fsutil import atomic_path

STANCE_COLOURS = {
    "pro-decentralization": "#1b9e77",
    "pro-diversification": "#7570b3",
    "conservative": "#d95f02",
    "uncertain": "#bbbbbb",
}


def _save(fig: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def confusion_png(matrix: np.ndarray, labels: Sequence[str], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("annotated")
    top = matrix.max() or 1
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j,
                i,
                str(int(matrix[i, j])),
                ha="center",
                va="center",
                color="white" if matrix[i, j] > top / 2 else "black",
            )
    ax.set_title(title)
    _save(fig, path)


def reliability_png(curves: dict[str, list[dict[str, Any]]], title: str, path: Path) -> None:
    """Reliability diagram: accuracy against confidence per bin, one line per curve."""
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for name, bins in curves.items():
        pts = [(b["confidence"], b["accuracy"], b["count"]) for b in bins if b["count"]]
        if pts:
            x, y, n = zip(*pts, strict=True)
            ax.plot(x, y, marker="o", label=name)
            for xi, yi, ni in zip(x, y, n, strict=True):
                ax.annotate(
                    str(ni), (xi, yi), fontsize=6, xytext=(2, -8), textcoords="offset points"
                )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def stance_shares_png(
    groups: Sequence[str],
    shares: dict[str, Sequence[float]],
    counts: Sequence[int],
    title: str,
    path: Path,
) -> None:
    """Stacked horizontal bars of stance shares per group (document, year or month)."""
    height = max(2.5, 0.28 * len(groups) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height), layout="constrained")
    left = np.zeros(len(groups))
    for stance, values in shares.items():
        values = np.asarray(values, dtype=float)
        ax.barh(
            range(len(groups)), values, left=left, color=STANCE_COLOURS.get(stance), label=stance
        )
        left += values
    ax.set_yticks(
        range(len(groups)),
        [f"{g} (n={n})" for g, n in zip(groups, counts, strict=True)],
        fontsize=7,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of passages")
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    _save(fig, path)
