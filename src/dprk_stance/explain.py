"""Why a passage got its label: signed word-level attributions toward a class.

One function, :func:`explain_passages`, serves ``dprk-stance explain`` and the HTML report.
The method follows the model, and each is exact about what it measures:

* ``linear`` (tfidf-logreg without character n-grams, keywords): the model's calibrated
  log-odds of the class against the mean of all four classes is a sum over features,
  ``(w_c - mean_k w_k) * x / T`` (``x`` the TF-IDF weight or log keyword count, ``T`` the
  fitted temperature). Each feature's term is shared among the words that produce it (an
  n-gram's among its words, a keyword count's among its matches), so the word weights plus
  the intercept term add up to that log-odds exactly. Unit: calibrated log-odds.
* ``integrated-gradients`` (transformer, with the optional ``captum`` extra installed):
  Layer Integrated Gradients on the word-embedding layer from a baseline of padding tokens
  (special tokens kept), on the calibrated logit of the class; word pieces are summed per
  word. Unit: calibrated logit.
* ``occlusion`` (every other model, and the transformer without captum): leave one word out
  and score again; a word's weight is how much the calibrated log-odds of the class,
  ``log p / (1 - p)``, drop without it (log-odds, not probability, so that words still
  count when the probability is near 1). Model-agnostic and library-free; costs one
  scoring per word. Unit: calibrated log-odds.

Weights are signed: positive pushes toward the explained class, negative away from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel
from dprk_stance.stances import LABEL2ID, LABELS
from dprk_stance.text import NEGATION_PREFIX, negation_scopes

log = logging.getLogger(__name__)

METHODS = ("auto", "linear", "integrated-gradients", "occlusion")
_WORD = re.compile(r"\w[\w'’-]*\w|\w")
INSTALL_HINT = "pip install 'dprk-stance[explain]'  (captum)"


@dataclass(frozen=True)
class Token:
    """A word of the passage: ``text[start:end]`` and its signed weight toward the class."""

    text: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class Explanation:
    """Attributions for one passage toward ``target`` (the predicted class unless asked)."""

    text: str
    label: str  # the predicted class (LABELS), "none" included
    target: str  # the class the weights point toward
    probability: float  # calibrated probability of ``target``
    method: str  # "linear", "integrated-gradients" or "occlusion"
    unit: str  # what a weight is measured in
    tokens: tuple[Token, ...]  # every word in text order, zero weights included
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)  # e.g. the intercept term

    def top(self, k: int = 10, *, positive_only: bool = False) -> list[Token]:
        """The ``k`` words with the largest absolute weight (largest weight if positive_only)."""
        tokens = [t for t in self.tokens if t.weight > 0] if positive_only else list(self.tokens)
        key = (lambda t: -t.weight) if positive_only else (lambda t: -abs(t.weight))
        return sorted((t for t in tokens if t.weight != 0), key=key)[:k]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["tokens"] = [asdict(t) for t in self.tokens]
        return out


class ExplainError(ValueError):
    """An explanation method that cannot be used with this model or target."""


def words(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` (letters/digits, inner hyphens/apostrophes)."""
    return [m.span() for m in _WORD.finditer(text)]


def explain_passages(
    model: StanceModel,
    texts: Sequence[str],
    *,
    target: str | Sequence[str] | None = None,
    method: str = "auto",
    ig_steps: int = 32,
) -> list[Explanation]:
    """Word attributions for each of ``texts`` (one Explanation per text, same order).

    ``target``: a class name for all texts, one per text, or None for each text's predicted
    class. ``method``: "auto" picks ``linear`` for tfidf-logreg (without character
    n-grams) and keywords,
    ``integrated-gradients`` for the transformer when captum is installed, else
    ``occlusion``. Raises ExplainError for an unknown method or target, or a method the
    model does not support (``linear`` on a non-linear model, IG without captum or on a
    model without an embedding layer).
    """
    if method not in METHODS:
        raise ExplainError(f"unknown explanation method {method!r}; one of {list(METHODS)}")
    texts = list(texts)
    if not texts:
        return []
    probs = model.predict_proba(texts)
    predicted = probs.argmax(axis=1)
    if target is None:
        targets = predicted
    else:
        names = [target] * len(texts) if isinstance(target, str) else list(target)
        unknown = sorted({t for t in names if t not in LABEL2ID})
        if unknown or len(names) != len(texts):
            raise ExplainError(
                f"target {unknown or names!r}: one class per text, each one of {list(LABELS)}"
            )
        targets = np.array([LABEL2ID[t] for t in names])
    note = ""
    if method == "auto":
        method, note = _auto_method(model)
    if method == "linear":
        weights = _linear(model, texts, targets)
    elif method == "integrated-gradients":
        weights = _integrated_gradients(model, texts, targets, ig_steps)
    else:
        weights = _occlusion(model, texts, targets, probs)
    out = []
    for i, text in enumerate(texts):
        spans, values, extra = weights[i]
        tokens = tuple(
            Token(text[s:e], s, e, float(v)) for (s, e), v in zip(spans, values, strict=True)
        )
        out.append(
            Explanation(
                text=text,
                label=LABELS[int(predicted[i])],
                target=LABELS[int(targets[i])],
                probability=float(probs[i, targets[i]]),
                method=method,
                unit=_UNITS[method],
                tokens=tokens,
                note=note,
                extra=extra,
            )
        )
    return out


_UNITS = {
    "linear": "calibrated log-odds (class vs mean of classes)",
    "integrated-gradients": "calibrated logit",
    "occlusion": "drop in calibrated log-odds of the class when the word is left out",
}

Weights = list[tuple[list[tuple[int, int]], np.ndarray, dict[str, float]]]


def _auto_method(model: StanceModel) -> tuple[str, str]:
    if getattr(model, "char_vectorizer", None) is not None:
        return "occlusion", _CHAR_NGRAMS_NOTE
    if model.kind in ("tfidf-logreg", "keywords"):
        return "linear", ""
    if model.kind == "transformer":
        if getattr(model, "_int8_session", None) is None and captum_available():
            return "integrated-gradients", ""
        return "occlusion", (
            "captum is not installed: attributions by occlusion instead of Integrated "
            f"Gradients ({INSTALL_HINT})"
        )
    return "occlusion", ""


def captum_available() -> bool:
    try:
        import captum.attr  # noqa: F401
    except ImportError:
        return False
    return True


# --- linear models ------------------------------------------------------------------------
def _centred_rows(clf: Any, targets: np.ndarray, temperature: float) -> tuple[Any, np.ndarray]:
    """Per text: coefficient row of its target minus the mean row, over temperature.

    A class the classifier never saw has a constant log-probability of -1e4 (class_scores),
    so its row is treated as all zeros: it is never a sensible target.
    """
    classes = [int(c) for c in np.asarray(clf.classes_)]
    coef = np.asarray(clf.coef_, dtype=float)
    intercept = np.asarray(clf.intercept_, dtype=float)
    if coef.shape[0] == 1 and len(classes) == 2:  # binary: sklearn stores one row
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    centred = coef - coef.mean(axis=0)
    centred_b = intercept - intercept.mean()
    rows, biases = [], []
    for t in targets:
        if int(t) not in classes:
            raise ExplainError(f"the model was trained without the class {LABELS[int(t)]!r}")
        rows.append(centred[classes.index(int(t))] / temperature)
        biases.append(centred_b[classes.index(int(t))] / temperature)
    return np.array(rows), np.array(biases)


_CHAR_NGRAMS_NOTE = (
    "the model also reads character n-grams, which the exact linear decomposition does "
    "not share out among words: attributions by occlusion instead"
)


def _linear(model: StanceModel, texts: list[str], targets: np.ndarray) -> Weights:
    if getattr(model, "char_vectorizer", None) is not None:
        raise ExplainError(f"no linear attribution: {_CHAR_NGRAMS_NOTE}")
    if model.kind == "tfidf-logreg":
        return _linear_tfidf(model, texts, targets)
    if model.kind == "keywords":
        return _linear_keywords(model, texts, targets)
    raise ExplainError(f"no linear attribution for a {model.kind!r} model; use occlusion")


def _linear_tfidf(model: StanceModel, texts: list[str], targets: np.ndarray) -> Weights:
    vectorizer = model.vectorizer
    rows, biases = _centred_rows(model.clf, targets, model.temperature)
    matrix = vectorizer.transform(model.prepare(texts)).tocsr()
    preprocess = vectorizer.build_preprocessor()
    pattern = re.compile(vectorizer.token_pattern)
    low, high = vectorizer.ngram_range
    vocabulary = vectorizer.vocabulary_
    out: Weights = []
    for i, text in enumerate(texts):
        # Tokens found on the raw text keep their spans; each is preprocessed as the
        # vectorizer preprocesses the whole text (lower case, accents stripped), with the
        # negation mark the model adds to words in a negation's scope.
        spans = [m.span() for m in pattern.finditer(text)]
        negated = set(negation_scopes(text)) if model.params.negation_scope else set()
        keys = [
            preprocess((NEGATION_PREFIX if (s, e) in negated else "") + text[s:e]) for s, e in spans
        ]
        contrib = {
            int(j): float(v) * rows[i, j]
            for j, v in zip(matrix[i].indices, matrix[i].data, strict=True)
        }
        occurrences: dict[int, list[tuple[int, ...]]] = {}
        for n in range(low, high + 1):
            for k in range(len(keys) - n + 1):
                j = vocabulary.get(" ".join(keys[k : k + n]))
                if j is not None and j in contrib:
                    occurrences.setdefault(j, []).append(tuple(range(k, k + n)))
        weights = np.zeros(len(spans))
        for j, places in occurrences.items():
            share = contrib[j] / (len(places) * len(places[0]))
            for place in places:
                weights[list(place)] += share
        unassigned = sum(v for j, v in contrib.items() if j not in occurrences)
        out.append(
            (
                spans,
                weights,
                {"intercept": float(biases[i]), "unassigned": float(unassigned)},
            )
        )
    return out


def _linear_keywords(model: StanceModel, texts: list[str], targets: np.ndarray) -> Weights:
    from dprk_stance.models.keywords import _PATTERNS, _fold, keyword_counts
    from dprk_stance.stances import STANCES

    rows, biases = _centred_rows(model.clf, targets, model.temperature)
    features = np.log1p(keyword_counts(texts))
    out: Weights = []
    for i, text in enumerate(texts):
        spans = words(text)
        # Fold word by word so that a match on the folded text maps back to words.
        owner: list[int] = []
        parts: list[str] = []
        for w, (s, e) in enumerate(spans):
            folded = _fold(text[s:e])
            if parts:
                owner.append(-1)
            parts.append(folded)
            owner.extend([w] * len(folded))
        folded_text = " ".join(parts)
        weights = np.zeros(len(spans))
        unassigned = 0.0
        for j, stance in enumerate(STANCES):
            term = features[i, j] * rows[i, j]
            if term == 0:
                continue
            matches = [
                sorted({owner[c] for c in range(m.start(), m.end()) if owner[c] >= 0})
                for m in _PATTERNS[stance].finditer(folded_text)
            ]
            matches = [m for m in matches if m]
            if not matches:  # the whole-text fold matched what word-by-word folding did not
                unassigned += term
                continue
            for match in matches:
                weights[match] += term / (len(matches) * len(match))
        out.append(
            (spans, weights, {"intercept": float(biases[i]), "unassigned": float(unassigned)})
        )
    return out


# --- model-agnostic: occlusion ------------------------------------------------------------
def _occlusion(
    model: StanceModel, texts: list[str], targets: np.ndarray, probs: np.ndarray
) -> Weights:
    variants: list[str] = []
    owners: list[tuple[int, int]] = []
    all_spans = []
    for i, text in enumerate(texts):
        spans = words(text)
        all_spans.append(spans)
        for w, (s, e) in enumerate(spans):
            variants.append((text[:s] + text[e:]).strip() or ".")
            owners.append((i, w))
    scored = model.predict_proba(variants) if variants else np.zeros((0, len(LABELS)))

    def log_odds(p: np.ndarray | float) -> np.ndarray:
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    weights = [np.zeros(len(s)) for s in all_spans]
    for (i, w), row in zip(owners, scored, strict=True):
        weights[i][w] = log_odds(probs[i, targets[i]]) - log_odds(row[targets[i]])
    return [(all_spans[i], weights[i], {}) for i in range(len(texts))]


# --- transformer: Integrated Gradients (captum) ------------------------------------------
def _integrated_gradients(
    model: StanceModel, texts: list[str], targets: np.ndarray, steps: int
) -> Weights:
    if model.kind != "transformer" or not hasattr(model, "torch_model"):
        raise ExplainError(f"Integrated Gradients needs a transformer model, not {model.kind!r}")
    if not captum_available():
        raise ExplainError(f"Integrated Gradients needs captum: {INSTALL_HINT}")
    import torch
    from captum.attr import LayerIntegratedGradients

    net, tokenizer = model.torch_model(), model.auto_tokenizer()
    temperature = model.temperature

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return net(input_ids=input_ids, attention_mask=attention_mask).logits / temperature

    lig = LayerIntegratedGradients(forward, net.get_input_embeddings())
    special = set(tokenizer.all_special_ids)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out: Weights = []
    for i, text in enumerate(texts):
        enc = tokenizer(
            text,
            truncation=True,
            max_length=model.params.max_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        ids, mask = enc["input_ids"], enc["attention_mask"]
        baseline = torch.where(
            torch.tensor([[t in special for t in ids[0].tolist()]]), ids, torch.full_like(ids, pad)
        )
        attributions = lig.attribute(
            inputs=ids,
            baselines=baseline,
            additional_forward_args=(mask,),
            target=int(targets[i]),
            n_steps=steps,
            internal_batch_size=steps,
        )
        per_piece = attributions.sum(dim=-1)[0].detach().numpy()
        spans = words(text)
        weights = np.zeros(len(spans))
        starts = np.array([s for s, _ in spans])
        ends = np.array([e for _, e in spans])
        for (s, e), value, token_id in zip(
            enc["offset_mapping"][0].tolist(), per_piece, ids[0].tolist(), strict=True
        ):
            if token_id in special or e <= s:
                continue
            hit = np.flatnonzero((starts < e) & (ends > s))
            if hit.size:
                weights[hit[0]] += float(value)
        out.append((spans, weights, {}))
    return out


def highlight_segments(explanation: Explanation) -> list[tuple[str, float]]:
    """The passage cut into (text, weight) pieces: words with their weight, the rest at 0.

    For rendering: the pieces concatenate to ``explanation.text``.
    """
    pieces: list[tuple[str, float]] = []
    at = 0
    for token in explanation.tokens:
        if token.start > at:
            pieces.append((explanation.text[at : token.start], 0.0))
        pieces.append((explanation.text[token.start : token.end], token.weight))
        at = token.end
    if at < len(explanation.text):
        pieces.append((explanation.text[at:], 0.0))
    return pieces
