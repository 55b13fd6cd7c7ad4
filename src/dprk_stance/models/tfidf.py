"""TF-IDF + logistic regression: the strong, cheap baseline every transformer must beat.

Fitted with scikit-learn; a loaded model scores with the frozen forms of
:mod:`dprk_stance.models.frozen` (same numbers, no scikit-learn import). With
``negation_scope`` the words after a negation are marked (:func:`~dprk_stance.text.mark_negation`)
before vectorising, so a denied right and a granted one get different features.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.persist import load_logreg, load_tfidf, save_logreg, save_tfidf
from dprk_stance.text import mark_negation


class TfidfLogRegModel(StanceModel):
    kind = "tfidf-logreg"
    vectorizer: Any  # a fitted TfidfVectorizer, or its frozen TfidfTransform once loaded
    clf: Any  # a fitted LogisticRegression, or its frozen LinearClassifier once loaded

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        p = self.params
        self.vectorizer = TfidfVectorizer(
            ngram_range=(1, p.ngram_max),
            min_df=p.min_df,
            max_features=p.max_features,
            sublinear_tf=p.sublinear_tf,
            strip_accents="unicode",
        )
        self.clf = LogisticRegression(
            C=p.C,
            max_iter=2000,
            random_state=self.seed,
            class_weight=None if p.class_weight == "none" else p.class_weight,
        )
        self.clf.fit(self.vectorizer.fit_transform(self.prepare(train_texts)), train_y)
        return {"vocabulary_size": len(self.vectorizer.vocabulary_)}

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The texts as the vectorizer sees them (negation scopes marked, if configured)."""
        if self.params.negation_scope:
            return [mark_negation(t) for t in texts]
        return list(texts)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.clf, self.vectorizer.transform(self.prepare(texts)))

    def _save_files(self, path: Path) -> None:
        save_tfidf(self.vectorizer, path, "vectorizer")
        save_logreg(self.clf, path, "classifier")

    def _load_files(self, path: Path) -> None:
        self.vectorizer = load_tfidf(path, "vectorizer")
        self.clf = load_logreg(path, "classifier")
