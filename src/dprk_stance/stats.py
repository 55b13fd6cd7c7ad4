"""Uncertainty and paired tests for model comparison.

Passages of one article are not independent, so confidence intervals resample whole
articles (``doc_id``), not passages; with fewer than two articles there is nothing to
resample, so the interval is NaN (undefined), never a zero-width one. Two models are
compared on the same resamples (paired bootstrap of the macro-F1 difference) and with
McNemar's test on per-passage correctness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dprk_stance.stances import LABELS

Metric = Callable[[np.ndarray, np.ndarray], float]
_NO_INTERVAL = object()  # format_estimate without an interval column


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int = len(LABELS)) -> float:
    """Macro-F1 over the integer classes that occur in ``y_true`` or ``y_pred``.

    As scikit-learn's ``f1_score(average="macro")`` with its default labels: a class that
    neither occurs nor is predicted does not count (a real-text sample without any
    decentralisation passage is not penalised for it). Computed from a bincount confusion
    matrix: the bootstrap calls it tens of thousands of times.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    cm = np.bincount(y_true * n_labels + y_pred, minlength=n_labels * n_labels)
    cm = cm.reshape(n_labels, n_labels)
    tp = np.diag(cm).astype(float)
    denominator = cm.sum(axis=0) + cm.sum(axis=1)  # predicted + actual = 2tp + fp + fn
    present = denominator > 0
    if not present.any():
        return float("nan")
    return float((2 * tp[present] / denominator[present]).mean())


def _group_index(groups: Sequence[Any]) -> list[np.ndarray]:
    groups = np.asarray(groups)
    _, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def bootstrap_resamples(groups: Sequence[Any], n_samples: int, seed: int) -> list[np.ndarray]:
    """Row indices of ``n_samples`` cluster-bootstrap resamples (whole groups, replacement)."""
    members = _group_index(groups)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(members), size=(n_samples, len(members)))
    return [np.concatenate([members[g] for g in pick]) for pick in picks]


def cluster_bootstrap_ratio(
    numerators: np.ndarray,
    denominators: np.ndarray,
    *,
    n_samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    chunk: int = 250,
) -> dict[str, np.ndarray]:
    """Ratio-of-sums estimates with percentile intervals under a bootstrap of whole clusters.

    ``numerators``: (g, k) per cluster (a document's passages of each of k kinds);
    ``denominators``: (g,) or (g, k) per cluster (its passages). The estimate of kind j is
    ``sum numerators[:, j] / sum denominators[:, j]``; each resample draws g clusters with
    replacement, as :func:`bootstrap_resamples` does, expressed as multinomial counts so
    that thousands of resamples of thousands of documents stay matrix products (``chunk``
    resamples at a time bound the memory). Returns arrays of length k: ``estimate``,
    ``low``, ``high``, ``std``; NaN where a denominator sums to 0 (resamples with a zero
    denominator are left out of the interval). Where fewer than two clusters have a
    nonzero denominator for a kind, its ``low``, ``high`` and ``std`` are NaN: resampling
    one cluster only returns it, which would read as a zero-width interval.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.ndim != 2:
        raise ValueError(f"numerators must be (clusters, kinds), got shape {num.shape}")
    if den.ndim == 1:
        den = np.repeat(den[:, None], num.shape[1], axis=1)
    if den.shape != num.shape:
        raise ValueError(f"denominators {den.shape} do not match numerators {num.shape}")
    g, k = num.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = num.sum(axis=0) / den.sum(axis=0)
    if g == 0:
        nan = np.full(k, np.nan)
        return {"estimate": nan, "low": nan, "high": nan, "std": nan}
    support = (den > 0).sum(axis=0)  # clusters that hold passages of each kind
    rng = np.random.default_rng(seed)
    ratios = []
    for start in range(0, n_samples, chunk):
        size = min(chunk, n_samples - start)
        weights = rng.multinomial(g, np.full(g, 1 / g), size=size)  # (size, g)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios.append((weights @ num) / (weights @ den))
    values = np.concatenate(ratios)
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):
        empty = np.isnan(values).all(axis=0)
        safe = np.where(empty, 0.0, values)
        low = np.where(empty, np.nan, np.nanquantile(safe, alpha, axis=0))
        high = np.where(empty, np.nan, np.nanquantile(safe, 1 - alpha, axis=0))
        std = np.where(empty, np.nan, np.nanstd(safe, axis=0, ddof=1) if len(values) > 1 else 0)
    few = support < 2
    low, high, std = (np.where(few, np.nan, a) for a in (low, high, std))
    return {"estimate": estimate, "low": low, "high": high, "std": std}


def bootstrap_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    groups: Sequence[Any],
    *,
    metric: Metric = macro_f1,
    n_samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Point estimate and percentile interval of ``metric`` under the cluster bootstrap.

    Returns ``estimate``, ``low``, ``high`` and ``std`` (floats). With fewer than two groups
    the interval and ``std`` are NaN: one article resampled is itself, not a certainty.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(np.unique(np.asarray(groups))) < 2:
        nan = float("nan")
        return {"estimate": metric(y_true, y_pred), "low": nan, "high": nan, "std": nan}
    values = np.array(
        [metric(y_true[i], y_pred[i]) for i in bootstrap_resamples(groups, n_samples, seed)]
    )
    alpha = (1 - confidence) / 2
    return {
        "estimate": metric(y_true, y_pred),
        "low": float(np.quantile(values, alpha)),
        "high": float(np.quantile(values, 1 - alpha)),
        "std": float(values.std(ddof=1)),
    }


def paired_bootstrap_difference(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    groups: Sequence[Any],
    *,
    metric: Metric = macro_f1,
    n_samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """metric(A) - metric(B) on the same article resamples: interval and two-sided p.

    With fewer than two groups the interval and p are NaN (nothing to resample).
    """
    y_true, pred_a, pred_b = map(np.asarray, (y_true, pred_a, pred_b))
    difference = metric(y_true, pred_a) - metric(y_true, pred_b)
    if len(np.unique(np.asarray(groups))) < 2:
        nan = float("nan")
        return {"difference": difference, "low": nan, "high": nan, "p_value": nan}
    diffs = np.array(
        [
            metric(y_true[i], pred_a[i]) - metric(y_true[i], pred_b[i])
            for i in bootstrap_resamples(groups, n_samples, seed)
        ]
    )
    alpha = (1 - confidence) / 2
    # share of resamples on the other side of zero, doubled: a percentile-bootstrap p-value
    p = 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())
    return {
        "difference": difference,
        "low": float(np.quantile(diffs, alpha)),
        "high": float(np.quantile(diffs, 1 - alpha)),
        "p_value": float(min(1.0, p)),
    }


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> dict[str, Any]:
    """McNemar's test on paired correctness; exact binomial when discordant pairs are few."""
    from statsmodels.stats.contingency_tables import mcnemar as _mcnemar

    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    table = np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]])
    discordant = int(table[0, 1] + table[1, 0])
    exact = discordant < 25
    result = _mcnemar(table, exact=exact, correction=True)
    return {
        "table": table.tolist(),
        "a_only_correct": int(table[0, 1]),
        "b_only_correct": int(table[1, 0]),
        "exact": exact,
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
    }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error over all pairwise tests)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def format_estimate(value: Any, ci: Any = _NO_INTERVAL, digits: int = 3) -> str:
    """A figure for a Markdown table: ``0.912``, or ``0.912 [0.880, 0.940]`` with its
    interval ``ci`` (low, high); an en dash for a missing or NaN value, and ``[–]`` for an
    interval that is None or has a missing or NaN bound (undefined: fewer than two
    articles to resample; ``leaderboard.json`` stores it as null)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if ci is _NO_INTERVAL:
        return f"{value:.{digits}f}"
    if ci is None or any(bound is None or np.isnan(bound) for bound in ci):
        return f"{value:.{digits}f} [–]"
    return f"{value:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
