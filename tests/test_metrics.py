import numpy as np
import pandas as pd
import pytest

from dprk_stance.metrics import kinds_score, risk_coverage, trust_metrics
from dprk_stance.stances import LABELS, PROB_COLUMNS


def table(rows):
    """A prediction table from (gold, predicted, confidence) triples; the probability of the
    predicted class is the confidence, the rest is spread evenly."""
    records = []
    for i, (gold, pred, conf) in enumerate(rows):
        probs = {c: (1 - conf) / 3 for c in PROB_COLUMNS}
        probs[PROB_COLUMNS[LABELS.index(pred)]] = conf
        stance = pred if pred != "none" else "conservative"
        records.append(
            {
                "id": f"p{i}",
                "doc_id": f"d{i // 2}",
                "label": gold,
                "predicted": pred,
                "stance": stance,
                **probs,
                "confidence": conf,
                "no_stance": pred == "none",
                "uncertain": pred == "none" or conf < 0.6,
            }
        )
    return pd.DataFrame(records)


def test_risk_coverage_and_aurc_by_hand():
    correct = np.array([True, False, True, True])
    confidence = np.array([0.9, 0.95, 0.5, 0.7])
    coverage, risk = risk_coverage(correct, confidence)
    # order by confidence: wrong(0.95), right(0.9), right(0.7), right(0.5)
    np.testing.assert_allclose(coverage, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(risk, [1.0, 0.5, 1 / 3, 0.25])


def test_trust_metrics_recomputed_by_hand():
    t = table(
        [
            ("conservative", "conservative", 0.95),  # right, confident
            ("conservative", "pro-diversification", 0.92),  # confident error
            ("pro-decentralization", "pro-decentralization", 0.55),  # right, uncertain
            ("none", "none", 0.80),  # no stance found
            ("none", "conservative", 0.91),  # confident error, no stance missed
            ("pro-diversification", "none", 0.70),  # stance passage flagged no-stance
        ]
    )
    m = trust_metrics(t, n_bins=10, confident=0.9)
    assert m["passages"] == 6 and m["stance_passages"] == 4 and m["no_stance_passages"] == 2
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["no_stance_recall"] == pytest.approx(1 / 2)
    assert m["stance_flagged_as_no_stance"] == pytest.approx(1 / 4)
    assert m["errors_at_confidence_0.9"] == 2
    assert m["confident_errors_per_100"] == pytest.approx(100 * 2 / 6)
    # confident stances: rows 0, 1, 4 (row 2 below 0.6, rows 3 and 5 no stance); 1 of 3 right
    assert m["confident_stance_passages"] == 3
    assert m["confident_stance_precision"] == pytest.approx(1 / 3)
    # stance accuracy: rows 0, 1, 2, 5 -> stance conservative, pro-div, pro-dec, conservative
    assert m["stance_accuracy"] == pytest.approx(2 / 4)
    _, risk = risk_coverage(t["predicted"] == t["label"], t["confidence"])
    assert m["aurc"] == pytest.approx(risk.mean())


def test_negated_stance_accuracy_counts_only_gold_stance_passages_with_a_cue():
    t = table(
        [
            ("conservative", "conservative", 0.9),  # negated, right
            ("conservative", "pro-decentralization", 0.9),  # negated, a right denied misread
            ("pro-decentralization", "pro-decentralization", 0.9),  # no cue: not counted
            ("none", "conservative", 0.9),  # negated but no stance: not counted
        ]
    ).assign(negation=[True, True, False, True])
    m = trust_metrics(t, 10, 0.9)
    assert m["negated_stance_passages"] == 2
    assert m["negated_stance_accuracy"] == pytest.approx(1 / 2)
    without = trust_metrics(t.drop(columns="negation"), 10, 0.9)
    assert without["negated_stance_passages"] is None  # not measured, not "none"
    assert without["negated_stance_accuracy"] is None


def test_metrics_without_no_stance_gold_are_none_not_zero():
    m = trust_metrics(table([("conservative", "conservative", 0.9)]), 10, 0.9)
    assert m["no_stance_recall"] is None and m["stance_accuracy"] == 1.0


def test_kinds_score_counts_none_cases_by_the_no_stance_flag():
    t = table(
        [
            ("conservative", "conservative", 0.9),
            ("pro-diversification", "conservative", 0.9),
            ("none", "none", 0.7),
            ("none", "conservative", 0.5),  # uncertain, but not flagged no-stance
        ]
    )
    score = kinds_score(t)
    assert score["right"] == 2 and score["wrong_ids"] == ["p1", "p3"]
    assert score["right_counting_uncertain_as_none"] == 3
