import pytest

from dprk_stance.text import HAKPO, KYONGJE, canonical_journal, normalize_text


def test_normalize_quotes_ellipses_whitespace():
    raw = "  \u201cSelf\u2011reliance\u201d \u2026 it\u2019s  the\tbasis . . . [we]\n say "
    assert normalize_text(raw) == '"Self\u2011reliance" ... it\'s the basis ... [we] say'


@pytest.mark.parametrize(
    "name",
    [
        "Kyŏngje Yŏn'gu",
        "Kyo'ngje Yo'ngu",
        "Kyongje Yongu",
        "KYONGJE YONGU",
        "Economic Research",
        "Kyŏngje  Yŏn’gu",
    ],
)
def test_kyongje_variants(name):
    assert canonical_journal(name) == (KYONGJE, True)


@pytest.mark.parametrize(
    "name", ["Hakpo", "Journal of Kim Il Sung University", "Kim Il Sung Chonghap Taehak Hakpo"]
)
def test_hakpo_variants(name):
    assert canonical_journal(name) == (HAKPO, True)


def test_unknown_journal_passes_through_unrecognised():
    assert canonical_journal("  Korea  Today ") == ("Korea Today", False)
