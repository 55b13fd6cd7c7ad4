"""The three stance labels. Fixed by design: every model, file and report uses this order."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("pro-decentralization", "pro-diversification", "conservative")
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))


def prob_column(label: str) -> str:
    """Column holding the probability of ``label`` in prediction tables (``p_conservative``)."""
    return "p_" + label.replace("-", "_")


PROB_COLUMNS: tuple[str, ...] = tuple(prob_column(label) for label in LABELS)
