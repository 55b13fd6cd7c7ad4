"""Fast, code-free persistence for the scikit-learn parts of a model.

skops audits every object in a file one by one; a TF-IDF vocabulary of tens of thousands of
terms made loading a model take 16 s. A fitted ``TfidfVectorizer`` is fully described by its
constructor parameters, its vocabulary and its idf weights, and a fitted
``LogisticRegression`` by its parameters, coefficients, intercepts and classes — so they are
stored as JSON (parameters, vocabulary) and NPZ (arrays, loaded with ``allow_pickle=False``).
Loading executes no code from the file and takes milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from dprk_stance.fsutil import atomic_path, write_json

_VECTORIZER_PARAMS = (
    "analyzer",
    "ngram_range",
    "min_df",
    "max_df",
    "max_features",
    "sublinear_tf",
    "strip_accents",
    "lowercase",
    "norm",
    "use_idf",
    "smooth_idf",
    "token_pattern",
)


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def save_tfidf(vectorizer: TfidfVectorizer, folder: Path, name: str) -> None:
    """``<name>.json`` (parameters, vocabulary) and ``<name>.npz`` (idf) in ``folder``."""
    params = {k: getattr(vectorizer, k) for k in _VECTORIZER_PARAMS}
    params["ngram_range"] = list(params["ngram_range"])
    vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
    write_json(folder / f"{name}.json", {"params": params, "vocabulary": vocabulary})
    _save_npz(folder / f"{name}.npz", idf=vectorizer.idf_)


def load_tfidf(folder: Path, name: str) -> TfidfVectorizer:
    """Inverse of :func:`save_tfidf`: transforms text exactly as the saved vectorizer did."""
    state = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    params = dict(state["params"])
    params["ngram_range"] = tuple(params["ngram_range"])
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = state["vocabulary"]
    vectorizer.idf_ = _load_npz(folder / f"{name}.npz")["idf"]
    return vectorizer


def save_logreg(clf: LogisticRegression, folder: Path, name: str) -> None:
    """``<name>.json`` (parameters) and ``<name>.npz`` (coef, intercept, classes)."""
    params = {k: v for k, v in clf.get_params().items() if isinstance(v, (int, float, str))}
    params["class_weight"] = clf.class_weight if isinstance(clf.class_weight, str) else None
    write_json(folder / f"{name}.json", {"params": params})
    _save_npz(
        folder / f"{name}.npz",
        coef=clf.coef_,
        intercept=clf.intercept_,
        classes=np.asarray(clf.classes_),
    )


def load_logreg(folder: Path, name: str) -> LogisticRegression:
    """Inverse of :func:`save_logreg`: same probabilities as the saved classifier."""
    params: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))[
        "params"
    ]
    arrays = _load_npz(folder / f"{name}.npz")
    clf = LogisticRegression(**params)
    clf.coef_, clf.intercept_, clf.classes_ = arrays["coef"], arrays["intercept"], arrays["classes"]
    clf.n_features_in_ = arrays["coef"].shape[1]
    return clf


def save_sparse(matrix: sp.spmatrix, path: Path) -> None:
    """A sparse matrix as NPZ (scipy's format; no pickled objects)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        sp.save_npz(fh, sp.csr_matrix(matrix))


def load_sparse(path: Path) -> sp.csr_matrix:
    return sp.load_npz(path).tocsr()
