import numpy as np
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


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("The Pyongyang Times", "Pyongyang Times"), ("Tongil  Sinbo", "Tongil Sinbo")],
)
def test_newspaper_variants(name, canonical):
    assert canonical_journal(name) == (canonical, True)


def test_unknown_journal_passes_through_unrecognised():
    assert canonical_journal("  Korea  Today ") == ("Korea Today", False)


def test_negation_scope_runs_from_the_cue_to_clause_punctuation():
    from dprk_stance.text import mark_negation, negation_scopes

    text = "Enterprises should not be allowed to set prices; the state sets them."
    assert mark_negation(text) == (
        "Enterprises should not NOT_be NOT_allowed NOT_to NOT_set NOT_prices; the state sets them."
    )
    assert [text[s:e] for s, e in negation_scopes(text)] == ["be", "allowed", "to", "set", "prices"]
    assert mark_negation("Factories shouldn't keep earnings, the state must.") == (
        "Factories shouldn't NOT_keep NOT_earnings, the state must."
    )
    assert (
        mark_negation("No enterprise may trade abroad")
        == "No NOT_enterprise NOT_may NOT_trade NOT_abroad"
    )
    unchanged = "Enterprises shall set their own prices and keep a notable share."
    assert mark_negation(unchanged) == unchanged  # "notable" is no cue; one-letter words stay


def test_negation_scope_lets_tfidf_tell_a_denied_right_from_a_granted_one():
    from conftest import tfidf_params

    from dprk_stance.models import build_model
    from dprk_stance.stances import LABEL2ID

    # Granted: three rights. Denied: two of them. The probe denies the third, which the
    # training data only ever grants, so only the negation can say it is denied.
    rights = ["set their own prices", "keep their earnings", "choose their partners"]
    subjects = ["Enterprises", "Factories", "Cooperative farms", "Trading companies"]
    texts, y = [], []
    for subject in subjects:
        for right in rights:
            texts.append(f"{subject} should be allowed to {right}.")
            y.append(LABEL2ID["pro-decentralization"])
        for right in rights[1:]:
            texts.append(f"{subject} should not be allowed to {right}.")
            y.append(LABEL2ID["conservative"])
    probe = ["Workshops should not be allowed to set their own prices."]
    predicted = {}
    for scope in (True, False):
        params = tfidf_params(
            ngram_max=1, max_features=1000, negation_scope=scope, char_ngram_range=[], C=10.0
        )
        model = build_model("tfidf-logreg", params, seed=0)
        model.fit(texts, np.array(y), texts, np.array(y))
        predicted[scope] = model.predict(probe)[0]
    assert predicted[True] == "conservative"
    assert predicted[False] == "pro-decentralization"  # "set ... prices" outweighs "not"
