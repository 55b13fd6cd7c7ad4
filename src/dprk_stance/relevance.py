"""Relevance gate: does a passage read like stance-bearing economic-policy prose at all?

Softmax confidence cannot say "none of the three": a model trained on three stances spreads
all its probability over them, so ceremonial or diplomatic news comes out as a confident
"conservative". The gate measures how close a passage is to the training corpus — the mean
cosine similarity of its character n-gram TF-IDF vector to its k nearest training passages —
and flags passages below a threshold set on the dev split (the ``quantile`` of dev scores, so
about that share of genuine stance passages is flagged too). It is model-agnostic, costs
microseconds per passage, and is stored with every model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from dprk_stance.models.skops_io import load_skops, save_skops

GATE_FILE = "relevance.skops"


class RelevanceGate:
    def __init__(self, quantile: float = 0.02, top_k: int = 5, max_features: int = 10000):
        self.quantile = quantile
        self.top_k = top_k
        self.max_features = max_features
        self.threshold = float("nan")

    def fit(self, train_texts: Sequence[str], dev_texts: Sequence[str]) -> RelevanceGate:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            max_features=self.max_features,
        )
        self.reference = self.vectorizer.fit_transform(list(train_texts)).tocsr()
        self.threshold = float(np.quantile(self.scores(dev_texts), self.quantile))
        return self

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Mean cosine similarity to the ``top_k`` most similar training passages."""
        if len(texts) == 0:
            return np.zeros(0)
        sims = (self.vectorizer.transform(list(texts)) @ self.reference.T).toarray()
        k = min(self.top_k, sims.shape[1])
        return np.sort(sims, axis=1)[:, -k:].mean(axis=1)

    def off_topic(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) < self.threshold

    def describe(self) -> dict[str, Any]:
        return {
            "method": "char 3-5-gram TF-IDF, mean cosine to k nearest training passages",
            "quantile": self.quantile,
            "top_k": self.top_k,
            "threshold": self.threshold,
        }

    def save(self, model_dir: Path) -> None:
        save_skops(
            {
                "vectorizer": self.vectorizer,
                "reference": self.reference,
                "quantile": self.quantile,
                "top_k": self.top_k,
                "threshold": self.threshold,
            },
            model_dir / GATE_FILE,
        )

    @classmethod
    def load(cls, model_dir: Path) -> RelevanceGate | None:
        path = model_dir / GATE_FILE
        if not path.is_file():
            return None
        state = load_skops(path)
        gate = cls(quantile=state["quantile"], top_k=state["top_k"])
        gate.vectorizer, gate.reference = state["vectorizer"], state["reference"]
        gate.threshold = float(state["threshold"])
        return gate
