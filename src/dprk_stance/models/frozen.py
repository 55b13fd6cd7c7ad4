"""Frozen, inference-only forms of the fitted scikit-learn parts of a model.

Why not scikit-learn itself at inference: ``import sklearn`` alone takes about 2 s on a
2-core machine (it imports most of SciPy), more than the whole budget of a one-passage
``predict``. A fitted ``TfidfVectorizer`` and a fitted ``LogisticRegression`` are fully
described by a few arrays, so a loaded model applies them with NumPy and ``scipy.sparse``.
Training still uses scikit-learn, and ``tests/test_frozen.py`` checks that both forms give
the same matrices and probabilities (to 1e-12) on the corpus and on awkward text.

The analyzers below follow ``sklearn.feature_extraction.text`` (version 1.9) line by line:
``_preprocess``, ``strip_accents_unicode``/``_ascii``, ``_word_ngrams`` and
``_char_wb_ngrams``; ``TfidfTransformer.transform`` for sublinear tf, idf and l2 norm;
``LogisticRegression.predict_proba`` for softmax (multinomial) and logistic (binary) output.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dprk_stance.calibrate import softmax

# The constructor settings a frozen vectorizer honours. Anything else (stop words, a custom
# analyzer or tokenizer, max_df) only shapes the vocabulary at fit time or is unsupported.
SUPPORTED = {
    "analyzer": ("word", "char_wb"),
    "strip_accents": (None, "unicode", "ascii"),
    "norm": ("l2", None),
}
_WHITE_SPACES = re.compile(r"\s\s+")


def _strip_accents_unicode(s: str) -> str:
    try:
        s.encode("ASCII", errors="strict")
        return s
    except UnicodeEncodeError:
        normalized = unicodedata.normalize("NFKD", s)
        return "".join(c for c in normalized if not unicodedata.combining(c))


def _strip_accents_ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ASCII", "ignore").decode("ASCII")


class TfidfTransform:
    """The ``transform`` of a fitted ``TfidfVectorizer``: text in, l2-normalised rows out.

    ``params``: the vectorizer's settings (``analyzer``, ``ngram_range``, ``lowercase``,
    ``strip_accents``, ``token_pattern``, ``sublinear_tf``, ``use_idf``, ``norm``);
    ``vocabulary``: term -> column; ``idf``: (n_features,) float64. Raises ``ValueError``
    for a setting it cannot reproduce, so a model never loads with a different transform.
    The attribute names match scikit-learn's (``vocabulary_``, ``idf_``, ``ngram_range``,
    ``token_pattern``, ``build_preprocessor``) so code written for either works with both.
    """

    def __init__(self, params: dict[str, Any], vocabulary: dict[str, int], idf: np.ndarray):
        for key, allowed in SUPPORTED.items():
            if params.get(key) not in allowed:
                raise ValueError(f"vectorizer setting {key}={params.get(key)!r} not supported")
        self.analyzer = params["analyzer"]
        self.ngram_range = tuple(int(n) for n in params["ngram_range"])
        self.lowercase = bool(params.get("lowercase", True))
        self.strip_accents = params.get("strip_accents")
        self.token_pattern = params.get("token_pattern") or r"(?u)\b\w\w+\b"
        self.sublinear_tf = bool(params.get("sublinear_tf", False))
        self.use_idf = bool(params.get("use_idf", True))
        self.norm = params.get("norm", "l2")
        self.vocabulary_ = vocabulary
        self.idf_ = np.asarray(idf, dtype=np.float64)
        if len(self.idf_) != len(vocabulary):
            raise ValueError(f"{len(vocabulary)} terms but {len(self.idf_)} idf weights")
        self._tokenize = re.compile(self.token_pattern).findall
        self._preprocess = self.build_preprocessor()  # once: analyze() runs per document
        self._params = dict(params)

    def get_params(self) -> dict[str, Any]:
        """The vectorizer's settings as loaded (scikit-learn's accessor name)."""
        return dict(self._params)

    def build_preprocessor(self) -> Callable[[str], str]:
        """Lower-casing then accent stripping, as the vectorizer preprocesses a document."""
        strip = {
            None: None,
            "unicode": _strip_accents_unicode,
            "ascii": _strip_accents_ascii,
        }[self.strip_accents]
        lower = self.lowercase

        def preprocess(doc: str) -> str:
            if lower:
                doc = doc.lower()
            return strip(doc) if strip is not None else doc

        return preprocess

    def analyze(self, doc: str) -> list[str]:
        """The document's features (terms or character n-grams), repeats included."""
        doc = self._preprocess(doc)
        if self.analyzer == "char_wb":
            return self._char_wb_ngrams(doc)
        return self._word_ngrams(self._tokenize(doc))

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        min_n, max_n = self.ngram_range
        if max_n == 1:
            return tokens
        out = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n + 1, len(tokens) + 1)):
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return out

    def _char_wb_ngrams(self, doc: str) -> list[str]:
        min_n, max_n = self.ngram_range
        out: list[str] = []
        for w in _WHITE_SPACES.sub(" ", doc).split():
            w = " " + w + " "
            for n in range(min_n, max_n + 1):
                offset = 0
                out.append(w[offset : offset + n])
                while offset + n < len(w):
                    offset += 1
                    out.append(w[offset : offset + n])
                if offset == 0:  # a word shorter than n is counted once
                    break
        return out

    def transform(self, texts: Sequence[str]) -> Any:
        """(n, n_features) ``scipy.sparse.csr_matrix`` of tf-idf weights, rows l2-normalised."""
        import scipy.sparse as sp

        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        vocabulary = self.vocabulary_
        for text in texts:
            counter: dict[int, int] = {}
            for feature in self.analyze(text):
                j = vocabulary.get(feature)
                if j is not None:
                    counter[j] = counter.get(j, 0) + 1
            indices.extend(counter)
            counts.extend(counter.values())
            indptr.append(len(indices))
        data = np.asarray(counts, dtype=np.float64)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        cols = np.asarray(indices, dtype=np.int64)
        if self.use_idf:
            data *= self.idf_[cols]
        if self.norm == "l2":
            rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(texts)))
            norms[norms == 0.0] = 1.0
            data /= norms[rows]
        matrix = sp.csr_matrix(
            (data, cols, np.asarray(indptr, dtype=np.int64)),
            shape=(len(texts), len(vocabulary)),
        )
        matrix.sort_indices()
        return matrix


class LinearClassifier:
    """``predict_proba`` / ``predict_log_proba`` of a fitted ``LogisticRegression``.

    ``coef``: (n_classes, n_features), or (1, n_features) for two classes; ``intercept``:
    (n_classes,) or (1,); ``classes``: (n_classes,) the labels in column order. Features may
    be a dense array or a sparse matrix (n, n_features). ``params``: the classifier's
    training settings, kept for the record (``get_params``).
    """

    def __init__(
        self,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: np.ndarray,
        params: dict[str, Any] | None = None,
    ):
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.classes_ = np.asarray(classes)
        binary = len(self.classes_) == 2 and self.coef_.shape[0] == 1
        if not binary and self.coef_.shape[0] != len(self.classes_):
            raise ValueError(f"{self.coef_.shape[0]} coefficient rows for {len(classes)} classes")
        self._params = dict(params or {})

    def get_params(self) -> dict[str, Any]:
        """The training settings recorded with the classifier (scikit-learn's accessor name)."""
        return dict(self._params)

    def decision_function(self, features: Any) -> np.ndarray:
        """(n, n_classes) scores, or (n,) for two classes."""
        scores = np.asarray(features @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, features: Any) -> np.ndarray:
        """(n, n_classes) probabilities in ``classes_`` order."""
        scores = self.decision_function(features)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            return np.stack([1.0 - positive, positive], axis=1)
        return softmax(scores)

    def predict_log_proba(self, features: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(features))
