"""Text normalisation shared by ingest (training data) and label (new documents).

One function, used on both sides, so a model never sees text normalised differently at
labelling time from how it was trained.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\u2212": "-",
    }
)
_ELLIPSIS = re.compile(r"\u2026|\.\s?\.\s?\.")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFC, straight quotes, one ellipsis form ("..."), single spaces, no edge whitespace."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = _ELLIPSIS.sub("...", text)
    return _SPACE.sub(" ", text).strip()


def fold_key(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Kyŏngje Yŏn'gu" -> "kyongjeyongu"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", ascii_only)


KYONGJE = "Kyŏngje Yŏn'gu"
HAKPO = "Journal of Kim Il Sung University"

_JOURNAL_ALIASES: dict[str, str] = {
    "kyongjeyongu": KYONGJE,
    "kyongjeyonggu": KYONGJE,
    "economicresearch": KYONGJE,
    "kyongjeyongueconomicresearch": KYONGJE,
    "hakpo": HAKPO,
    "journalofkimilsunguniversity": HAKPO,
    "kimilsungchonghaptaehakhakpo": HAKPO,
    "kimilsunguniversityjournal": HAKPO,
    "journalofkimilsunguniversityeconomics": HAKPO,
    "rodongsinmun": "Rodong Sinmun",
    "nodongsinmun": "Rodong Sinmun",
    "minjujoson": "Minju Joson",
    "partyplenaryreport": "Party plenary report",
    "partycongressreport": "Party Congress report",
    "partycommitteereport": "Party committee report",
    "cabinetstatement": "Cabinet statement",
    "kcna": "KCNA",
    "koreancentralnewsagency": "KCNA",
    "pyongyangtimes": "Pyongyang Times",
    "thepyongyangtimes": "Pyongyang Times",
    "tongilsinbo": "Tongil Sinbo",
    "chosonsinbo": "Choson Sinbo",
    "lawregulation": "Law or regulation",
    "laworregulation": "Law or regulation",
    "foreigntrade": "Foreign Trade",
    "foreigntradeofthedprk": "Foreign Trade",
    "naenara": "Naenara",
}


def canonical_journal(name: str) -> tuple[str, bool]:
    """Canonical journal name and whether it was recognised.

    Romanisations differ in diacritics and apostrophes only (Kyŏngje Yŏn'gu, Kyo'ngje Yo'ngu,
    Kyongje Yongu), so they are compared on a folded key. Unknown names pass through
    whitespace-normalised; the ingest report lists them.
    """
    cleaned = normalize_text(name)
    canonical = _JOURNAL_ALIASES.get(fold_key(cleaned))
    return (canonical, True) if canonical else (cleaned, False)


# A negation cue, a clause boundary, or a word of two or more characters (the words
# scikit-learn's default token pattern keeps). "shouldn't" is one cue token.
_NEGATION_TOKENS = re.compile(
    r"(?P<cue>\b(?:not|no|never|nor|cannot|neither|nothing|none|nobody|without)\b"
    r"|\w+n['\u2019]t\b)"
    r"|(?P<end>[.,:;!?])"
    r"|(?P<word>\w\w+)",
    re.IGNORECASE,
)
NEGATION_PREFIX = "NOT_"


def negation_scopes(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the words inside a negation's scope.

    The scope runs from a negation cue ("not", "no", "never", "cannot", "without",
    "...n't") to the next punctuation mark (``. , : ; ! ?``): the rule of Das & Chen (2001)
    and Pang, Lee & Vaithyanathan (2002). NLTK's ``mark_negation`` ends a scope at
    ``. : ; ! ?`` only; a comma ends it here too, because translated policy prose often
    joins a denied right and a granted one in one sentence ("not X, but Y"). Cues
    themselves and one-character words are outside every scope.
    """
    spans: list[tuple[int, int]] = []
    inside = False
    for match in _NEGATION_TOKENS.finditer(text):
        if match.group("cue"):
            inside = True
        elif match.group("end"):
            inside = False
        elif inside:
            spans.append(match.span())
    return spans


def mark_negation(text: str) -> str:
    """``text`` with ``NOT_`` before every word in a negation's scope (:func:`negation_scopes`).

    "Enterprises should not be allowed to set prices." becomes "Enterprises should not
    NOT_be NOT_allowed NOT_to NOT_set NOT_prices." so that a bag-of-n-grams model can tell
    a right denied from a right granted. Everything else is left as it was.
    """
    parts: list[str] = []
    last = 0
    for start, _ in negation_scopes(text):
        parts += [text[last:start], NEGATION_PREFIX]
        last = start
    parts.append(text[last:])
    return "".join(parts)


NEAR_DUPLICATE_ACROSS_SPLITS = 0.4
"""Character 5-gram Jaccard (:func:`char_jaccard`) at which two texts count as near-copies
across a boundary that must not leak: corpus splits, gold against training rows, a new
labelling round against earlier ones. Within a split the corpus tests allow up to 0.5."""


def char_jaccard(left: Sequence[str], right: Sequence[str]) -> Any:
    """Jaccard similarity of the character 5-gram sets of every left/right pair of texts.

    Returns a dense (len(left), len(right)) float array in [0, 1]. The project's measure of
    near-duplication: the corpus tests refuse pairs at 0.5 within a split and at
    ``NEAR_DUPLICATE_ACROSS_SPLITS`` across splits; the real-text training rows and new
    labelling rounds drop paragraphs at that bound against the text they must not copy.
    """
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    if not len(left) or not len(right):
        return np.zeros((len(left), len(right)))
    grams = CountVectorizer(analyzer="char", ngram_range=(5, 5), lowercase=True)
    x = (grams.fit_transform([*left, *right]) > 0).astype(np.int32)
    a, b = x[: len(left)], x[len(left) :]
    inter = (a @ b.T).toarray()
    size_a = np.asarray(a.sum(axis=1)).ravel()
    size_b = np.asarray(b.sum(axis=1)).ravel()
    union = size_a[:, None] + size_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)
