import numpy as np
import pytest

from dprk_stance.stats import (
    bootstrap_ci,
    bootstrap_resamples,
    cluster_bootstrap_ratio,
    format_estimate,
    holm,
    macro_f1,
    mcnemar,
    paired_bootstrap_difference,
)


def _data(n_docs, per_doc=4, accuracy=0.75, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_docs), per_doc)
    y = rng.integers(0, 3, size=len(groups))
    pred = np.where(rng.random(len(y)) < accuracy, y, (y + 1) % 3)
    return y, pred, groups


def test_interval_contains_estimate_and_narrows_with_more_data():
    small = bootstrap_ci(*_data(20), n_samples=500, seed=1)
    large = bootstrap_ci(*_data(400), n_samples=500, seed=1)
    for ci in (small, large):
        assert ci["low"] <= ci["estimate"] <= ci["high"]
    assert (large["high"] - large["low"]) < 0.5 * (small["high"] - small["low"])


def test_one_article_has_no_interval_not_a_zero_width_one():
    y, pred, groups = _data(1, per_doc=6, accuracy=0.5)
    ci = bootstrap_ci(y, pred, groups, n_samples=100, seed=0)
    assert ci["estimate"] == macro_f1(y, pred)
    assert np.isnan(ci["low"]) and np.isnan(ci["high"]) and np.isnan(ci["std"])
    two = bootstrap_ci(*_data(2, per_doc=6, accuracy=0.5), n_samples=100, seed=0)
    assert not np.isnan(two["low"])
    ratio = cluster_bootstrap_ratio(np.array([[3.0]]), np.array([4.0]), n_samples=50)
    assert ratio["estimate"][0] == 0.75 and np.isnan(ratio["low"][0])
    assert np.isnan(cluster_bootstrap_ratio(np.zeros((0, 1)), np.zeros(0))["estimate"][0])
    # three articles, but only one with passages of the kind: still no interval
    lone = cluster_bootstrap_ratio(np.array([[3.0], [0.0], [0.0]]), np.array([4.0, 0.0, 0.0]))
    assert lone["estimate"][0] == 0.75 and np.isnan(lone["low"][0]) and np.isnan(lone["std"][0])
    both = cluster_bootstrap_ratio(np.array([[3.0], [1.0]]), np.array([4.0, 2.0]), n_samples=50)
    assert both["low"][0] < both["high"][0]
    paired = paired_bootstrap_difference(y, pred, y, groups, n_samples=50)
    assert paired["difference"] < 0 and np.isnan(paired["low"]) and np.isnan(paired["p_value"])
    assert format_estimate(0.75, [float("nan"), float("nan")]) == "0.750 [–]"
    assert format_estimate(0.75, [0.5, 1.0]) == "0.750 [0.500, 1.000]"
    assert format_estimate(0.75, None) == "0.750 [–]"  # null in leaderboard.json
    assert format_estimate(0.75) == "0.750"  # no interval asked for


def test_resamples_keep_articles_whole():
    groups = np.repeat(["a", "b", "c"], [1, 2, 3])
    for rows in bootstrap_resamples(groups, 50, seed=0):
        picked = groups[rows]
        for g, size in (("a", 1), ("b", 2), ("c", 3)):
            assert np.sum(picked == g) % size == 0


def test_mcnemar_matches_the_textbook_example():
    # Classic table: b=10 discordant one way, c=2 the other -> exact two-sided p = 0.0386
    a = np.array([True] * 50 + [True] * 10 + [False] * 2 + [False] * 8)
    b = np.array([True] * 50 + [False] * 10 + [True] * 2 + [False] * 8)
    result = mcnemar(a, b)
    assert result["table"] == [[50, 10], [2, 8]]
    assert result["exact"]
    assert result["p_value"] == pytest.approx(0.03857, abs=1e-4)


def test_identical_models_are_not_different():
    y, pred, groups = _data(40)
    assert mcnemar(pred == y, pred == y)["p_value"] == 1.0
    diff = paired_bootstrap_difference(y, pred, pred, groups, n_samples=200)
    assert diff["difference"] == 0 and diff["low"] == 0 and diff["high"] == 0


def test_paired_difference_detects_a_real_gap():
    y, good, groups = _data(200, accuracy=0.9, seed=3)
    _, bad, _ = _data(200, accuracy=0.5, seed=4)
    bad = np.where(np.random.default_rng(5).random(len(y)) < 0.5, y, (y + 2) % 3)
    diff = paired_bootstrap_difference(y, good, bad, groups, n_samples=300)
    assert diff["low"] > 0 and diff["p_value"] < 0.01
    assert diff["difference"] == pytest.approx(macro_f1(y, good) - macro_f1(y, bad))


def test_holm_adjustment():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_fast_macro_f1_matches_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        y, pred = rng.integers(0, 4, n), rng.integers(0, 4, n)
        # sklearn's default labels: the classes present in y or pred
        expected = f1_score(y, pred, average="macro", zero_division=0)
        assert macro_f1(y, pred) == pytest.approx(expected)
