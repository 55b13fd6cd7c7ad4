"""Keyword-only baseline: counts of the annotation guide's signature terms per label.

It exists to measure leakage: if counting "SERMS", "diversification" and "self-reliance"
comes close to the fine-tuned model, the corpus teaches vocabulary, not stance.
A logistic regression on the three (log) counts learns how much each list is worth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.persist import load_logreg, save_logreg
from dprk_stance.stances import STANCES
from dprk_stance.text import fold_key, normalize_text

# Signature terms per label, as the annotation guide lists them (matched on ASCII-folded,
# lower-cased text, so "charyŏk kaengsaeng" and "charyok kaengsaeng" both match).
SIGNATURE_TERMS: dict[str, tuple[str, ...]] = {
    "pro-decentralization": (
        r"enterprise responsib\w* management",
        r"responsible (business|management|operation)",
        r"corporate responsible management",
        r"independent[- ]accounting",
        r"actual right of management",
        r"rights? of management",
        r"basic unit of management",
        r"own initiative",
        r"creativity",
        r"business strateg\w*",
        r"own plans?",
        r"field responsibility",
        r"\bpojon\b",
        r"sub-?work-?team",
        r"according to (labou?r|work)",
        r"commercial banks?",
        r"\binterest\b",
        r"\bloans?\b",
        r"\bcredit\b",
        r"idle funds",
        r"cash accounts?",
        r"material incentives?",
        r"profitab\w*",
        r"practical (benefit|profit)",
        r"\bsilli\b",
        r"real profit",
        r"order contracts?",
        r"commodity[- ]trading markets?",
        r"economic management methods? of our (own )?style",
        r"trade rights?",
    ),
    "pro-diversification": (
        r"diversif\w*",
        r"multilateral\w*",
        r"one-sided\w*",
        r"many countries",
        r"various countries",
        r"capitalist countries",
        r"new markets?",
        r"new regions?",
        r"foreign investment",
        r"investors?",
        r"joint ventures?",
        r"development zones?",
        r"special economic zones?",
        r"\brason\b",
        r"sinuiju",
        r"wonsan",
        r"kalma",
        r"touris\w*",
        r"trade fairs?",
        r"processing[- ]on[- ]commission",
        r"high value[- ]added",
        r"world[- ]market",
        r"international market",
        r"credibility",
        r"technology trade",
        r"service trade",
        r"trade blocs?",
        r"preferential",
    ),
    "conservative": (
        r"unified guidance",
        r"unitary",
        r"strategic management",
        r"command cent\w*",
        r"self-?supporting",
        r"self-?relian\w*",
        r"charyok kaengsaeng",
        r"import substitut\w*",
        r"domestic production",
        r"our own (things|raw materials|resources)",
        r"dependen\w* on imports?",
        r"political criteria",
        r"imperialis\w*",
        r"socialist principles?",
        r"collectivis\w*",
        r"socialist ownership",
        r"anti-socialist",
        r"non-socialist",
        r"ideological and cultural infiltration",
        r"political(ly)?[- ]moral",
        r"planning discipline",
        r"discipline",
        r"\bcontrol\b",
    ),
}

_PATTERNS = {
    label: re.compile("|".join(f"(?:{t})" for t in terms))
    for label, terms in SIGNATURE_TERMS.items()
}


def _fold(text: str) -> str:
    """Lower-case, strip diacritics and apostrophes but keep word boundaries."""
    words = normalize_text(text).replace("'", "").split(" ")
    return " ".join(fold_key(w) if w.isalpha() else w.lower() for w in words)


def keyword_counts(texts: Sequence[str]) -> np.ndarray:
    """(n, 3) matrix: number of signature-term hits per stance (STANCES order).

    A passage with no hit at all is the keyword model's only evidence of "no stance".
    """
    out = np.zeros((len(texts), len(STANCES)))
    for i, text in enumerate(texts):
        folded = _fold(text)
        for j, label in enumerate(STANCES):
            out[i, j] = len(_PATTERNS[label].findall(folded))
    return out


class KeywordModel(StanceModel):
    kind = "keywords"

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        self.clf = LogisticRegression(C=self.params.C, max_iter=1000, random_state=self.seed)
        self.clf.fit(np.log1p(keyword_counts(train_texts)), train_y)
        no_hit = float((keyword_counts(train_texts).sum(axis=1) == 0).mean())
        return {"train_share_without_any_term": no_hit}

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.clf, np.log1p(keyword_counts(texts)))

    def _save_files(self, path: Path) -> None:
        save_logreg(self.clf, path, "classifier")

    def _load_files(self, path: Path) -> None:
        self.clf = load_logreg(path, "classifier")
