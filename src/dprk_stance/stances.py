"""The label set: three stances and the explicit no-stance class.

Models are trained on all four classes, so "none of the three" is something a model learns
from examples (descriptive, statistical, ceremonial prose, document furniture) rather than
something inferred from a flat softmax over three stances. Every model, file and report uses
this order; probability columns follow it.
"""

from __future__ import annotations

STANCES: tuple[str, ...] = ("pro-decentralization", "pro-diversification", "conservative")
NO_STANCE = "none"
LABELS: tuple[str, ...] = (*STANCES, NO_STANCE)
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
NO_STANCE_ID: int = LABEL2ID[NO_STANCE]


def prob_column(label: str) -> str:
    """Column holding the probability of ``label`` in prediction tables (``p_conservative``)."""
    return "p_" + label.replace("-", "_")


PROB_COLUMNS: tuple[str, ...] = tuple(prob_column(label) for label in LABELS)

GUIDELINES = "docs/annotation-guidelines.md"
# The one-sentence definitions of section 2 of the annotation guidelines, for model cards and
# reports. The guidelines are the source: tests/test_stances.py fails when these differ from
# their "**Definition.**" paragraphs, so edit the guidelines first and copy the sentence here.
DEFINITIONS: dict[str, str] = {
    "pro-decentralization": "Authority, means or rewards should pass *downward*: from the "
    "state to enterprises, co-operative farms, banks, local bodies and the workers themselves.",
    "pro-diversification": "External economic relations should *widen*: more partners, "
    "regions and kinds of exchange.",
    "conservative": "The centre should command, ideology should be guarded and the country "
    "should live on its own resources; foreign trade figures as secondary, conditional or "
    "risky.",
    "none": (
        "The passage urges, grants and approves none of the three directions, and argues "
        "none of their premises."
    ),
}
