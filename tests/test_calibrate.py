import numpy as np

from dprk_stance.calibrate import (
    expected_calibration_error,
    fit_abstain_threshold,
    fit_pool_weights,
    fit_temperature,
    log_softmax,
    probabilities,
    reliability,
)


def test_temperature_recovers_the_generating_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(4000, 3))
    true_t = 2.5
    p = probabilities(logits, true_t)
    y = np.array([rng.choice(3, p=row) for row in p])
    assert abs(fit_temperature(logits, y) - true_t) < 0.25


def test_temperature_scaling_lowers_ece_of_overconfident_scores():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=2.0, size=(3000, 3))
    y = np.array([rng.choice(3, p=row) for row in probabilities(logits, 1.0)])
    overconfident = logits * 4
    t = fit_temperature(overconfident, y)
    assert t > 2
    assert expected_calibration_error(
        probabilities(overconfident, t), y
    ) < expected_calibration_error(probabilities(overconfident, 1.0), y)


def test_ece_on_a_hand_computed_example():
    probs = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 0, 0])
    # bin (0.8,0.9]: conf 0.9, acc 0.5 -> 0.4; bin (0.5,0.6]: conf 0.6, acc 1.0 -> 0.4
    assert abs(expected_calibration_error(probs, y, n_bins=10) - 0.4) < 1e-9
    bins = reliability(probs, y, n_bins=10)
    assert sum(b["count"] for b in bins) == 4


def test_abstain_threshold_is_the_highest_within_the_flagging_budget():
    # ten stance passages, one already flagged (predicted no stance), one no-stance passage
    conf = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.99, 0.3])
    anyway = np.array([False] * 9 + [True, False])
    gold_stance = np.array([True] * 10 + [False])
    # budget 0.3 of 10 stance passages = 3 flagged: the one flagged anyway plus the two least
    # confident (0.55, 0.6), so the threshold is 0.65, which flags exactly those
    t = fit_abstain_threshold(conf, anyway, gold_stance, 0.3)
    assert t == 0.65
    flagged = (conf < t) | anyway
    assert flagged[gold_stance].sum() == 3
    # the no-stance passage's confidence plays no part
    conf[-1] = 0.9999
    assert fit_abstain_threshold(conf, anyway, gold_stance, 0.3) == 0.65
    # a budget the passages flagged anyway already exceed: no threshold can meet it
    assert fit_abstain_threshold(conf, anyway, gold_stance, 0.05) is None


def test_abstain_threshold_refuses_a_dev_split_without_stances():
    import pytest

    with pytest.raises(ValueError, match="no stance passage"):
        fit_abstain_threshold(np.array([0.9]), np.array([False]), np.array([False]), 0.1)
    with pytest.raises(ValueError, match="max_flagged"):
        fit_abstain_threshold(np.array([0.9]), np.array([False]), np.array([True]), 1.5)


def _member(rng, y, signal, n_classes=4):
    """Log-probabilities of a member whose logit for the true class is raised by ``signal``."""
    logits = rng.normal(size=(len(y), n_classes))
    logits[np.arange(len(y)), y] += signal
    return log_softmax(logits)


def test_pool_weights_favour_the_informative_member_and_drop_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=600)
    strong, weak, noise = _member(rng, y, 3.0), _member(rng, y, 1.0), _member(rng, y, 0.0)
    weights = fit_pool_weights(np.stack([strong, weak, noise]), y)
    assert weights.shape == (3,) and abs(weights.sum() - 1) < 1e-12
    assert weights[0] > 0.6 and weights[0] > weights[1] >= weights[2]
    assert weights[2] == 0.0  # pure noise: dropped, so it is never scored

    def nll(w):
        return -log_softmax(np.tensordot(w, np.stack([strong, weak, noise]), axes=1))[
            np.arange(len(y)), y
        ].mean()

    # The fitted pool is at least as good on its own data as the equal vote or any one member.
    for other in ([1 / 3] * 3, [1, 0, 0], [0, 1, 0]):
        assert nll(weights) <= nll(np.array(other)) + 1e-9


def test_pool_weights_of_one_member_and_bad_shapes():
    import pytest

    y = np.array([0, 1])
    assert fit_pool_weights(np.zeros((1, 2, 4)), y).tolist() == [1.0]
    with pytest.raises(ValueError, match="does not match"):
        fit_pool_weights(np.zeros((2, 3, 4)), y)
