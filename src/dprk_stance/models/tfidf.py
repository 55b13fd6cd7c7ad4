"""TF-IDF + logistic regression: the strong, cheap baseline every transformer must beat.

Fitted with scikit-learn; a loaded model scores with the frozen forms of
:mod:`dprk_stance.models.frozen` (same numbers, no scikit-learn import). With
``negation_scope`` the words after a negation are marked (:func:`~dprk_stance.text.mark_negation`)
before vectorising, so a denied right and a granted one get different features. With
``char_ngram_range`` character n-grams within words (``char_wb``) are added beside the word
n-grams: they tie together a stem's inflections and spellings, which shift with the
translator and register.
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
    char_vectorizer: Any = None  # the same for character n-grams; None without them
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
        self.char_vectorizer = None
        if p.char_ngram_range:
            self.char_vectorizer = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(p.char_ngram_range),
                min_df=p.min_df,
                max_features=p.char_max_features,
                sublinear_tf=p.sublinear_tf,
                strip_accents="unicode",
            )
        self.clf = LogisticRegression(
            C=p.C,
            max_iter=2000,
            random_state=self.seed,
            class_weight=None if p.class_weight == "none" else p.class_weight,
        )
        prepared = self.prepare(train_texts)
        blocks = [self.vectorizer.fit_transform(prepared)]
        if self.char_vectorizer is not None:
            blocks.append(self.char_vectorizer.fit_transform(prepared))
        self.clf.fit(_hstack(blocks), train_y)
        summary = {"vocabulary_size": len(self.vectorizer.vocabulary_)}
        if self.char_vectorizer is not None:
            summary["char_vocabulary_size"] = len(self.char_vectorizer.vocabulary_)
        return summary

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The texts as the vectorizer sees them (negation scopes marked, if configured)."""
        if self.params.negation_scope:
            return [mark_negation(t) for t in texts]
        return list(texts)

    def features(self, texts: Sequence[str]) -> Any:
        """The (n_texts, n_features) sparse CSR matrix the classifier reads: the word
        n-gram columns, then the character n-gram columns (if configured)."""
        prepared = self.prepare(texts)
        blocks = [self.vectorizer.transform(prepared)]
        if self.char_vectorizer is not None:
            blocks.append(self.char_vectorizer.transform(prepared))
        return _hstack(blocks)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.clf, self.features(texts))

    def _save_files(self, path: Path) -> None:
        save_tfidf(self.vectorizer, path, "vectorizer")
        if self.char_vectorizer is not None:
            save_tfidf(self.char_vectorizer, path, "char_vectorizer")
        save_logreg(self.clf, path, "classifier")

    def _load_files(self, path: Path) -> None:
        self.vectorizer = load_tfidf(path, "vectorizer")
        self.char_vectorizer = (
            load_tfidf(path, "char_vectorizer") if self.params.char_ngram_range else None
        )
        self.clf = load_logreg(path, "classifier")


def _hstack(blocks: list[Any]) -> Any:
    """Side-by-side sparse blocks as one CSR matrix (a single block is passed through)."""
    if len(blocks) == 1:
        return blocks[0].tocsr()
    from scipy.sparse import hstack

    return hstack(blocks, format="csr")
