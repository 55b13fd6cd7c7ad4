"""Temperature scaling and calibration error.

A single temperature, fitted on the dev split by minimising negative log-likelihood, keeps
the ranking of the model's scores (accuracy is unchanged) while making its probabilities
mean what they say — which is what an abstention threshold needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of (n, k) scores, float64 (the max is subtracted first).

    NumPy, not ``scipy.special``: importing SciPy's special functions costs a one-passage
    ``predict`` about 0.3 s.
    """
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (n, k) scores, float64; rows sum to 1."""
    return np.exp(log_softmax(scores))


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """(n, k) probabilities ``softmax(logits / temperature)``."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature in [0.05, 20] minimising NLL of ``y`` under ``softmax(logits / T)``."""
    from scipy.optimize import minimize_scalar  # training only: keeps start-up light

    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0:
        return 1.0

    def nll(log_t: float) -> float:
        logp = log_softmax(logits / np.exp(log_t))
        return float(-logp[np.arange(len(y)), y].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def fit_pool_weights(member_logps: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights on the simplex minimising NLL of ``y`` under the weighted log-opinion pool.

    ``member_logps``: (m, n, k) calibrated log-probabilities of m models on n dev passages;
    returns (m,) non-negative weights summing to 1. The pool is
    ``log_softmax(sum_i w_i * logp_i)`` (Genest & Zidek 1986, the logarithmic opinion pool;
    fitting w on held-out NLL is stacking, Wolpert 1992): a weak or redundant member gets a
    small weight instead of an equal vote. Keeping the weights on the simplex leaves sharpness
    to the temperature fitted afterwards, which ``calibration.min_temperature`` bounds.
    Raises ``ValueError`` for mismatched shapes.
    """
    from scipy.optimize import minimize  # training only: keeps start-up light

    member_logps = np.asarray(member_logps, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if member_logps.ndim != 3 or member_logps.shape[1] != len(y):
        raise ValueError(f"member_logps {member_logps.shape} does not match {len(y)} labels")
    m = member_logps.shape[0]
    if m == 1 or len(y) == 0:
        return np.full(m, 1.0 / m)
    rows = np.arange(len(y))

    def nll(z: np.ndarray) -> float:
        w = softmax(z[None, :])[0]
        return float(-log_softmax(np.tensordot(w, member_logps, axes=1))[rows, y].mean())

    # Nelder-Mead from equal weights: m is small and the objective is smooth and convex in w.
    result = minimize(nll, np.zeros(m), method="Nelder-Mead", options={"xatol": 1e-4})
    weights = softmax(result.x[None, :])[0]
    weights[weights < 1e-3] = 0.0  # a negligible member is not worth scoring
    return weights / weights.sum()


def fit_abstain_threshold(
    confidence: np.ndarray,
    flagged_anyway: np.ndarray,
    gold_stance: np.ndarray,
    max_flagged: float,
) -> float | None:
    """The highest confidence threshold that flags at most ``max_flagged`` of the stance passages.

    A passage is flagged ``uncertain`` when its confidence is below the threshold or it is
    flagged anyway (predicted no stance, or off topic). Raising the threshold makes the
    confident stance claims that remain more precise and flags more real stances; the
    analyst's budget for the latter (say 0.10) fixes the trade-off, and fitting it on the dev
    split — never a test set — makes the threshold follow the model's own confidence scale.

    ``confidence``, ``flagged_anyway``, ``gold_stance``: (n,) arrays for the dev passages
    (max calibrated probability; bool; bool, true where the gold label is one of the three
    stances). Returns a threshold in [0, 1], or ``None`` when the passages flagged anyway
    already exceed the budget (no threshold can meet it; the caller falls back to a fixed
    one). Raises ``ValueError`` when there is no gold stance passage or the budget is outside
    (0, 1).
    """
    if not 0 < max_flagged < 1:
        raise ValueError(f"max_flagged must lie in (0, 1), got {max_flagged}")
    confidence = np.asarray(confidence, dtype=np.float64)
    gold_stance = np.asarray(gold_stance, dtype=bool)
    if not gold_stance.any():
        raise ValueError("no stance passage in the dev split: cannot fit a threshold")
    base = np.asarray(flagged_anyway, dtype=bool)[gold_stance]
    conf = confidence[gold_stance]
    budget = int(np.floor(max_flagged * len(conf) + 1e-9))
    if base.sum() > budget:
        return None
    # Candidates: the stance passages' own confidences. A threshold t flags those below t;
    # the best t is the largest that keeps base + newly flagged within budget.
    best = 0.0
    for t in np.unique(conf[~base]):
        if base.sum() + int(((conf < t) & ~base).sum()) <= budget:
            best = float(t)
        else:
            break
    return best


def reliability(probs: np.ndarray, y: np.ndarray, n_bins: int = 10) -> list[dict[str, Any]]:
    """Per confidence bin: count, mean confidence, accuracy (equal-width bins on max prob)."""
    probs = np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(y)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        in_bin = which == b
        n = int(in_bin.sum())
        bins.append(
            {
                "bin_lower": float(edges[b]),
                "bin_upper": float(edges[b + 1]),
                "count": n,
                "confidence": float(confidence[in_bin].mean()) if n else None,
                "accuracy": float(correct[in_bin].mean()) if n else None,
            }
        )
    return bins


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """ECE: bin-size-weighted mean |accuracy - confidence| over equal-width bins."""
    bins = reliability(probs, y, n_bins)
    total = sum(b["count"] for b in bins)
    if total == 0:
        return float("nan")
    return float(
        sum(b["count"] * abs(b["accuracy"] - b["confidence"]) for b in bins if b["count"]) / total
    )
