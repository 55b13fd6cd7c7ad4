import numpy as np
import pytest
from conftest import make_corpus

from dprk_stance.models.relevance import GATE_FILE, RelevanceGate

OFF_TOPIC = [
    "The football match in the capital ended two to one after extra time on Sunday evening.",
    "A delegation of the friendship association laid a wreath and sent a congratulatory "
    "message to the president on the anniversary of the republic.",
    "Heavy snow is expected in the northern mountains tonight, with temperatures falling.",
]


@pytest.fixture(scope="module")
def gate():
    rows = make_corpus(n_docs=80)
    texts = [r["text"] for r in rows]
    return RelevanceGate(quantile=0.05).fit(texts[:240], texts[240:])


def test_threshold_flags_about_the_quantile_of_dev(gate):
    dev = [r["text"] for r in make_corpus(n_docs=80)][240:]
    share = gate.off_topic(gate.scores(dev)).mean()
    assert share <= 0.1


def test_unrelated_prose_is_flagged_and_corpus_prose_is_not(gate):
    in_domain = [r["text"] for r in make_corpus(n_docs=5, seed=9)]
    assert gate.off_topic(gate.scores(OFF_TOPIC)).all()
    assert gate.off_topic(gate.scores(in_domain)).mean() <= 0.2


def test_round_trip(gate, tmp_path):
    gate.save(tmp_path)
    assert (tmp_path / GATE_FILE).is_file()
    again = RelevanceGate.load(tmp_path)
    np.testing.assert_allclose(again.scores(OFF_TOPIC), gate.scores(OFF_TOPIC))
    assert again.threshold == gate.threshold
    assert RelevanceGate.load(tmp_path / "missing") is None
