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
