"""Word attributions: on a linear model trained here, where the answer is known."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import tfidf_params

from dprk_stance.cli import main
from dprk_stance.explain import ExplainError, explain_passages, highlight_segments
from dprk_stance.models import build_model, load_model
from dprk_stance.stances import LABEL2ID, LABELS

# One invented cue word per class, planted in otherwise shared filler.
CUES = {
    "pro-decentralization": "zubrath",
    "pro-diversification": "quelmior",
    "conservative": "vostrang",
    "none": "pellinor",
}
FILLER = [
    "the",
    "report",
    "of",
    "the",
    "committee",
    "was",
    "discussed",
    "at",
    "length",
    "by",
    "the",
    "members",
    "present",
]


def _corpus(n: int = 160, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        words = rng.sample(FILLER, 8)
        words.insert(rng.randrange(len(words)), CUES[label])
        if i % 3 == 0:  # negation scopes, so that NOT_ features exist
            words.insert(rng.randrange(len(words)), "not")
        texts.append(" ".join(words))
        labels.append(LABEL2ID[label])
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def tfidf_dir(tmp_path_factory):
    texts, y = _corpus()
    params = tfidf_params(
        ngram_max=2, max_features=5000, negation_scope=True, char_ngram_range=[], C=10.0
    )
    model = build_model("tfidf-logreg", params, seed=0)
    model.fit(texts, y, texts, y)
    model.temperature = 1.3
    model.abstain_threshold = 0.5
    out = tmp_path_factory.mktemp("tfidf")
    model.save(out)
    return out


def test_linear_attributions_point_at_the_planted_word(tfidf_dir):
    model = load_model(tfidf_dir)
    texts = [
        "members of the committee discussed the vostrang report at length",
        "the quelmior report was discussed by the members present",
    ]
    out = explain_passages(model, texts)
    assert [e.label for e in out] == ["conservative", "pro-diversification"]
    for explanation, cue in zip(out, ["vostrang", "quelmior"], strict=True):
        assert explanation.method == "linear"
        best = explanation.top(1)[0]
        assert best.text == cue and best.weight > 0
        assert explanation.text[best.start : best.end] == cue
    # toward another class the planted word counts against
    against = explain_passages(model, texts[:1], target="pro-decentralization")[0]
    cue = next(t for t in against.tokens if t.text == "vostrang")
    assert cue.weight < 0
    assert against.top(1, positive_only=False)[0].text == "vostrang"


def test_linear_weights_add_up_to_the_calibrated_log_odds(tfidf_dir):
    model = load_model(tfidf_dir)
    text = "the zubrath committee report, and the members present"
    (e,) = explain_passages(model, [text])
    logp = np.log(model.predict_proba([text]))[0]
    expected = logp[LABEL2ID[e.target]] - logp.mean()
    total = sum(t.weight for t in e.tokens) + e.extra["intercept"] + e.extra["unassigned"]
    assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert "".join(piece for piece, _ in highlight_segments(e)) == text


def test_negated_words_get_the_weights_of_their_marked_features(tfidf_dir):
    model = load_model(tfidf_dir)
    text = "the zubrath report was not discussed by the members present, at length"
    assert "not_discussed" in model.vectorizer.vocabulary_
    (e,) = explain_passages(model, [text])
    logp = np.log(model.predict_proba([text]))[0]
    total = sum(t.weight for t in e.tokens) + e.extra["intercept"] + e.extra["unassigned"]
    assert total == pytest.approx(logp[LABEL2ID[e.target]] - logp.mean(), rel=1e-9, abs=1e-9)
    assert e.extra["unassigned"] == pytest.approx(0.0, abs=1e-12)  # NOT_discuss etc. found
    assert any(t.text == "discussed" and t.weight != 0 for t in e.tokens)


def test_occlusion_agrees_on_the_planted_word(tfidf_dir):
    model = load_model(tfidf_dir)
    (e,) = explain_passages(
        model, ["the members discussed the pellinor report"], method="occlusion"
    )
    assert e.method == "occlusion" and e.label == "none"
    assert e.top(1)[0].text == "pellinor" and e.top(1)[0].weight > 0


def test_errors_are_clear(tfidf_dir):
    model = load_model(tfidf_dir)
    with pytest.raises(ExplainError, match="one of"):
        explain_passages(model, ["x"], target="reformist")
    with pytest.raises(ExplainError, match="unknown explanation method"):
        explain_passages(model, ["x"], method="shap")
    with pytest.raises(ExplainError, match="Integrated Gradients needs a transformer"):
        explain_passages(model, ["x"], method="integrated-gradients")


def test_keywords_model_attributes_to_signature_terms(trained):
    model = load_model(Path(trained.paths.models_dir) / "keywords")
    text = "Trade should reach many countries through joint ventures and development zones."
    (e,) = explain_passages(model, [text], target="pro-diversification")
    top = {t.text.lower() for t in e.top(4, positive_only=True)}
    assert top & {"countries", "joint", "ventures", "development", "zones"}
    assert all(t.weight == 0 for t in e.tokens if t.text in ("Trade", "should", "and"))


def test_transformer_explained_by_integrated_gradients_or_occlusion(trained):
    model = load_model(Path(trained.paths.models_dir) / "transformer")
    (e,) = explain_passages(model, ["enterprises should set their own plans"], ig_steps=8)
    assert e.method in ("integrated-gradients", "occlusion")
    assert [t.text for t in e.tokens] == ["enterprises", "should", "set", "their", "own", "plans"]
    assert np.isfinite([t.weight for t in e.tokens]).all()
    if e.method == "occlusion":
        assert "captum" in e.note


def test_cli_explain(tfidf_dir, capsys):
    assert main(["explain", "the vostrang report", "--model", str(tfidf_dir), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "conservative" in out and "vostrang" in out
    assert main(["explain", "the vostrang report", "--model", str(tfidf_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["label"] == "conservative"
    assert {t["text"] for t in data["tokens"]} == {"the", "vostrang", "report"}
    assert main(["explain", "  ", "--model", str(tfidf_dir)]) == 2


def test_a_model_with_character_ngrams_is_explained_by_occlusion(tmp_path):
    texts, y = _corpus()
    model = build_model("tfidf-logreg", tfidf_params(char_ngram_range=[3, 5]), seed=0)
    model.fit(texts, y, texts, y)
    (e,) = explain_passages(model, ["the members discussed the pellinor report"])
    assert e.method == "occlusion" and "character n-grams" in e.note
    assert e.top(1)[0].text == "pellinor"
    with pytest.raises(ExplainError, match="character n-grams"):
        explain_passages(model, ["the pellinor report"], method="linear")
