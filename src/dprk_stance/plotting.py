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


SERIES_COLOURS = {
    **STANCE_COLOURS,
    "no stance": "#777777",
    "uncertain": "#bbbbbb",
    "any confident stance": "#000000",
}


def save_png_svg(fig: Any, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` (reproducible: no dates, fixed SVG ids)."""
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "dprk-stance", "svg.fonttype": "none"}):
        for fmt in ("png", "svg"):
            path = stem.with_suffix(f".{fmt}")
            with atomic_path(path) as tmp:
                fig.savefig(
                    tmp,
                    format=fmt,
                    dpi=130,
                    bbox_inches="tight",
                    metadata={"Date": None} if fmt == "svg" else {"Software": None},
                )
            paths.append(path)
    plt.close(fig)
    return paths


def series_panels(
    panels: dict[str, dict[str, Any]],
    *,
    ylabel: str,
    title: str,
    stem: Path,
    breaks: Sequence[Any] = (),
    ylim: tuple[float, float] | None = (0.0, 1.0),
) -> list[Path]:
    """Lines with shaded intervals over time, one panel per entry of ``panels``.

    Each panel: ``{"x": [...], "series": {name: (estimate, low, high)}}`` with arrays of the
    length of x (x: datetimes, or strings for a categorical axis); ``breaks``: x values
    marked with a dashed vertical line (turning points). Writes ``stem.png`` and ``.svg``.
    """
    n = max(1, len(panels))
    fig, axes = plt.subplots(
        n, 1, figsize=(9, 3.2 * n), sharex=True, squeeze=False, layout="constrained"
    )
    for ax, (name, panel) in zip(axes[:, 0], panels.items(), strict=False):
        x = list(panel["x"])
        for series, (est, low, high) in panel["series"].items():
            colour = SERIES_COLOURS.get(series)
            style = "--" if series in ("no stance", "uncertain") else "-"
            ax.plot(x, est, style, marker="o", markersize=3, color=colour, label=series)
            if low is not None:
                ax.fill_between(x, low, high, color=colour, alpha=0.18, linewidth=0)
        for b in breaks:
            ax.axvline(b, color="#c0392b", linestyle=":", linewidth=1.4)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.autofmt_xdate()
    return save_png_svg(fig, stem)


def counts_bars(
    x: Sequence[Any], counts: dict[str, Sequence[int]], title: str, stem: Path
) -> list[Path]:
    """Side-by-side bars per period (passages, documents...): ``stem.png`` and ``.svg``."""
    fig, ax = plt.subplots(figsize=(9, 3.0), layout="constrained")
    positions = np.arange(len(x))
    width = 0.8 / max(1, len(counts))
    for i, (name, values) in enumerate(counts.items()):
        ax.bar(positions + i * width, values, width=width, label=name)
    ax.set_xticks(
        positions + width * (len(counts) - 1) / 2, [str(v) for v in x], rotation=60, fontsize=7
    )
    ax.set_ylabel("count")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return save_png_svg(fig, stem)
