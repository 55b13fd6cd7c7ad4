"""TF-IDF + logistic regression: the strong, cheap baseline every transformer must beat."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.persist import load_logreg, load_tfidf, save_logreg, save_tfidf


class TfidfLogRegModel(StanceModel):
    kind = "tfidf-logreg"

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        p = self.params
        self.pipeline = Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        ngram_range=(1, p.ngram_max),
                        min_df=p.min_df,
                        max_features=p.max_features,
                        sublinear_tf=p.sublinear_tf,
                        strip_accents="unicode",
                    ),
                ),
                (
                    "clf",
                    LogisticRegression(
                        C=p.C,
                        max_iter=2000,
                        random_state=self.seed,
                        class_weight=None if p.class_weight == "none" else p.class_weight,
                    ),
                ),
            ]
        )
        self.pipeline.fit(list(train_texts), train_y)
        return {"vocabulary_size": len(self.pipeline.named_steps["tfidf"].vocabulary_)}

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.pipeline, list(texts))

    def _save_files(self, path: Path) -> None:
        save_tfidf(self.pipeline.named_steps["tfidf"], path, "vectorizer")
        save_logreg(self.pipeline.named_steps["clf"], path, "classifier")

    def _load_files(self, path: Path) -> None:
        self.pipeline = Pipeline(
            [("tfidf", load_tfidf(path, "vectorizer")), ("clf", load_logreg(path, "classifier"))]
        )
