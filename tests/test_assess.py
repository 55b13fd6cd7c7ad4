import numpy as np

from dprk_stance.assess import document_summary
from dprk_stance.readers import Document
from dprk_stance.segment import Segmentation


def test_a_stances_count_share_and_top_passage_cover_the_same_confident_passages():
    """Kind: the summary counted confident passages but showed an uncertain one as the
    stance's top passage (n_conservative 0 beside top_conservative_passage 3)."""
    probs = np.array(
        [
            [0.80, 0.10, 0.05, 0.05],  # pro-decentralization, confident
            [0.05, 0.05, 0.45, 0.45],  # conservative at 0.45: uncertain
            [0.05, 0.05, 0.10, 0.80],  # none
        ]
    )
    uncertain = np.array([False, True, True])
    no_stance = np.array([False, False, True])
    summary = document_summary(
        Document("d", "a b c", "in.txt", {}, {}),
        Segmentation([], 0, 0, 0, 0),
        ["first", "second", "third"],
        probs,
        uncertain,
        np.zeros(3, dtype=bool),
        no_stance,
    )
    assert summary["n_pro_decentralization"] == 1
    assert summary["top_pro_decentralization_passage"] == 0
    assert summary["n_conservative"] == 0 and summary["share_conservative"] == 0.0
    assert summary["top_conservative_passage"] is None
    assert summary["uncertain"] == 2 and summary["no_stance"] == 1


def test_a_model_without_a_relevance_gate_gives_null_relevance_in_strict_json():
    """Without a gate the model's relevance is NaN; the passage row carries None (JSON
    null), so `predict --json` and JSON outputs stay strict (no NaN)."""
    import json

    from conftest import tfidf_params

    from dprk_stance.assess import assess_documents, segment_document
    from dprk_stance.models import build_model

    texts = [
        "Enterprises should set their own prices.",
        "Trade with many countries must grow.",
        "All trade must come under the state.",
        "The delegation arrived on Monday.",
    ] * 3
    model = build_model("tfidf-logreg", tfidf_params(char_ngram_range=[]), seed=0)
    model.fit(texts, np.arange(12) % 4, texts, np.arange(12) % 4)
    model.abstain_threshold = 0.5
    assert model.relevance is None
    text = "Enterprises should set their own prices."
    document = Document("d", text, "in.txt")
    (assessed,) = assess_documents(
        [(document, segment_document(text, model, min_chars=1))], model, 0.5, {}
    )
    (row,) = assessed.rows
    assert row["relevance"] is None and row["off_topic"] is False
    json.dumps(row, allow_nan=False)
