import numpy as np

from dprk_stance.calibrate import (
    expected_calibration_error,
    fit_temperature,
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
