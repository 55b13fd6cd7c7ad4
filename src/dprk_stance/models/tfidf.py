"""TF-IDF + logistic regression: the strong, cheap baseline every transformer must beat."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from dprk_stance.models.base import StanceModel
from dprk_stance.models.skops_io import load_skops, save_skops


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
        return self.pipeline.decision_function(list(texts))

    def _save_files(self, path: Path) -> None:
        save_skops(self.pipeline, path / "pipeline.skops")

    def _load_files(self, path: Path) -> None:
        self.pipeline = load_skops(path / "pipeline.skops")
