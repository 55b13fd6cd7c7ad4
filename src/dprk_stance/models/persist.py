"""Fast, code-free persistence for the scikit-learn parts of a model.

skops audits every object in a file one by one; a TF-IDF vocabulary of tens of thousands of
terms made loading a model take 16 s. A fitted ``TfidfVectorizer`` is fully described by its
constructor parameters, its vocabulary and its idf weights, and a fitted
``LogisticRegression`` by its parameters, coefficients, intercepts and classes — so they are
stored as JSON (parameters, vocabulary) and NPZ (arrays, loaded with ``allow_pickle=False``).
Loading executes no code from the file, takes milliseconds, and gives the frozen
inference-only forms of :mod:`dprk_stance.models.frozen`, so a loaded model never imports
scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.fsutil import atomic_path, write_json
from dprk_stance.models.frozen import LinearClassifier, TfidfTransform

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


def save_tfidf(vectorizer: Any, folder: Path, name: str) -> None:
    """``<name>.json`` (parameters, vocabulary) and ``<name>.npz`` (idf) in ``folder``.

    ``vectorizer``: a fitted ``TfidfVectorizer``, or the :class:`TfidfTransform` loaded from
    such files (a loaded model saves again unchanged).
    """
    given = vectorizer.get_params()
    params = {k: given[k] for k in _VECTORIZER_PARAMS}
    params["ngram_range"] = list(params["ngram_range"])
    vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
    write_json(folder / f"{name}.json", {"params": params, "vocabulary": vocabulary})
    _save_npz(folder / f"{name}.npz", idf=vectorizer.idf_)


def load_tfidf(folder: Path, name: str) -> TfidfTransform:
    """Inverse of :func:`save_tfidf`: transforms text exactly as the saved vectorizer did."""
    state = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return TfidfTransform(
        state["params"], state["vocabulary"], _load_npz(folder / f"{name}.npz")["idf"]
    )


def save_logreg(clf: Any, folder: Path, name: str) -> None:
    """``<name>.json`` (parameters) and ``<name>.npz`` (coef, intercept, classes).

    ``clf``: a fitted ``LogisticRegression`` or a loaded :class:`LinearClassifier`.
    """
    given = clf.get_params()
    params = {k: v for k, v in given.items() if isinstance(v, (int, float, str))}
    weight = given.get("class_weight")
    params["class_weight"] = weight if isinstance(weight, str) else None
    write_json(folder / f"{name}.json", {"params": params})
    _save_npz(
        folder / f"{name}.npz",
        coef=clf.coef_,
        intercept=clf.intercept_,
        classes=np.asarray(clf.classes_),
    )


def load_logreg(folder: Path, name: str) -> LinearClassifier:
    """Inverse of :func:`save_logreg`: same probabilities as the saved classifier."""
    params = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))["params"]
    arrays = _load_npz(folder / f"{name}.npz")
    return LinearClassifier(arrays["coef"], arrays["intercept"], arrays["classes"], params)


def save_sparse(matrix: Any, path: Path) -> None:
    """A ``scipy.sparse`` matrix as NPZ (scipy's format; no pickled objects)."""
    import scipy.sparse as sp

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        sp.save_npz(fh, sp.csr_matrix(matrix))


def load_sparse(path: Path) -> Any:
    """The ``scipy.sparse.csr_matrix`` saved by :func:`save_sparse`."""
    import scipy.sparse as sp

    return sp.load_npz(path).tocsr()
