"""Relevance gate: does a passage read like stance-bearing economic-policy prose at all?

Softmax confidence cannot say "none of the three": a model trained on three stances spreads
all its probability over them, so ceremonial or diplomatic news comes out as a confident
"conservative". The gate measures how close a passage is to the training corpus — the mean
cosine similarity of its character n-gram TF-IDF vector to its k nearest training passages —
and flags passages below a threshold set on dev (the ``quantile`` of dev scores, so
about that share of genuine stance passages is flagged too). It is model-agnostic, costs
microseconds per passage, and is stored with every model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.fsutil import read_json, write_json
from dprk_stance.models.persist import load_sparse, load_tfidf, save_sparse, save_tfidf

GATE_FILE = "relevance.json"


class RelevanceGate:
    def __init__(self, quantile: float = 0.02, top_k: int = 5, max_features: int = 10000):
        self.quantile = quantile
        self.top_k = top_k
        self.max_features = max_features
        self.threshold = float("nan")

    def fit(self, train_texts: Sequence[str], dev_texts: Sequence[str]) -> RelevanceGate:
        from sklearn.feature_extraction.text import TfidfVectorizer

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
        """``relevance.json`` (settings, threshold), the vectorizer and the reference matrix."""
        save_tfidf(self.vectorizer, model_dir, "relevance_vectorizer")
        save_sparse(self.reference, model_dir / "relevance_reference.npz")
        write_json(
            model_dir / GATE_FILE,
            {"quantile": self.quantile, "top_k": self.top_k, "threshold": self.threshold},
        )

    @classmethod
    def load(cls, model_dir: Path) -> RelevanceGate | None:
        """The gate stored in ``model_dir``, or None for a model trained without one."""
        path = model_dir / GATE_FILE
        if not path.is_file():
            return None
        state = read_json(path)
        gate = cls(quantile=state["quantile"], top_k=state["top_k"])
        gate.vectorizer = load_tfidf(model_dir, "relevance_vectorizer")
        gate.reference = load_sparse(model_dir / "relevance_reference.npz")
        gate.threshold = float(state["threshold"])
        return gate
