"""Text normalisation shared by ingest (training data) and label (new documents).

One function, used on both sides, so a model never sees text normalised differently at
labelling time from how it was trained.
"""

from __future__ import annotations

import re
import unicodedata

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
    "cabinetstatement": "Cabinet statement",
    "kcna": "KCNA",
    "koreancentralnewsagency": "KCNA",
    "pyongyangtimes": "Pyongyang Times",
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
