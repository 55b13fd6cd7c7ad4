import pandas as pd
import pytest

from dprk_stance.agreement import compare_runs, read_labelled
from dprk_stance.stances import LABELS, prob_column


def _run(labels, confidence=0.9):
    rows = []
    for i, label in enumerate(labels):
        probs = {
            prob_column(lab): (confidence if lab == label else (1 - confidence) / 2)
            for lab in LABELS
        }
        rows.append(
            {
                "doc_id": f"d{i // 3}",
                "passage": i % 3,
                "start": 10 * (i % 3),
                "end": 10 * (i % 3) + 10,
                "text": f"passage {i}",
                "label": label,
                **probs,
                "confidence": confidence,
            }
        )
    return pd.DataFrame(rows)


def test_agreement_kappa_and_crosstab():
    a = _run(["conservative"] * 5 + ["pro-diversification"] * 5)
    b = _run(["conservative"] * 4 + ["pro-diversification"] * 6)
    result = compare_runs(a, b)
    assert result["matched_passages"] == 10
    assert result["agreement"] == pytest.approx(0.9)
    # po = 0.9, pe = 0.5*0.4 + 0.5*0.6 = 0.5 -> kappa = 0.8
    assert result["cohen_kappa"] == pytest.approx(0.8)
    assert result["crosstab"]["conservative"]["pro-diversification"] == 1
    assert [d["passage"] for d in result["disagreements"]] == [1]


def test_strongest_disagreements_first_and_unmatched_counted():
    a = _run(["conservative", "conservative", "pro-decentralization"])
    b = pd.concat(
        [
            _run(["pro-diversification"], 0.99),
            _run(["pro-diversification"], 0.5).assign(passage=1, start=10, end=20),
            _run(["pro-decentralization"]).assign(passage=7, start=100, end=110),
        ]
    )
    result = compare_runs(a, b)
    assert result["only_in_a"] == 1 and result["only_in_b"] == 1
    assert [d["passage"] for d in result["disagreements"]] == [0, 1]


def test_rejects_files_that_are_not_labelling_outputs(tmp_path):
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(ValueError, match="not a dprk-stance labelling output"):
        read_labelled(tmp_path / "x.csv")


def test_integer_and_string_ids_match(tmp_path):
    """Kind 8: one output stored ids as integers (CSV read back), the other as strings."""
    a = _run(["conservative", "pro-diversification", "conservative"]).assign(doc_id=1)
    b = a.assign(doc_id="1")
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_json(tmp_path / "b.jsonl", orient="records", lines=True)
    a.assign(doc_id=1).to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    for other in ("b.jsonl", "c.jsonl"):
        result = compare_runs(read_labelled(tmp_path / "a.csv"), read_labelled(tmp_path / other))
        assert result["matched_passages"] == 3 and result["agreement"] == 1.0
        assert result["alignment"]["method"] == "identical spans"


def test_differently_segmented_runs_align_by_character_span():
    """Kind 8: token windows against a whole paragraph used to match 0 passages (nan)."""
    whole = _run(["conservative"]).assign(start=0, end=300)
    windows = pd.concat(
        [
            _run(["conservative"]).assign(passage=0, start=0, end=200),
            _run(["pro-diversification"]).assign(passage=1, start=201, end=300),
        ]
    )
    result = compare_runs(whole, windows)
    assert result["matched_passages"] == 2
    assert (result["only_in_a"], result["only_in_b"]) == (0, 0)
    assert result["alignment"] == {
        "method": "character-span overlap",
        "identical_span_pairs": 0,
        "overlap_pairs": 2,
        "weighted_by": "shared characters",
        "aligned_chars": 299,
    }
    assert result["agreement"] == pytest.approx(200 / 299)
    assert [(d["passage"], d["passage_b"]) for d in result["disagreements"]] == [(0, 1)]


def test_passage_agreement_counts_each_pair_once_beside_the_character_weighted():
    """A short disagreeing passage barely moves the character-weighted agreement; the
    per-passage figures, which the cross-tabulation shows, count it fully."""
    a = _run(["conservative"] * 4).assign(start=[0, 300, 600, 0], end=[200, 500, 800, 5])
    b = a.assign(label=["conservative"] * 3 + ["pro-diversification"])
    result = compare_runs(a, b)
    assert result["passage_agreement"] == pytest.approx(0.75)
    assert result["agreement"] > 0.95
    crosstab_agree = sum(result["crosstab"][la][la] for la in result["crosstab"])
    assert result["passage_agreement"] == crosstab_agree / result["matched_passages"]


def test_compare_refuses_runs_that_share_no_document(tmp_path, capsys):
    from dprk_stance.cli import main

    a = _run(["conservative", "pro-diversification"]).assign(doc_id="issue-2016-02.txt")
    a.to_csv(tmp_path / "a.csv", index=False)
    a.assign(doc_id="/data/issue-2016-02.txt").to_csv(tmp_path / "b.csv", index=False)
    assert main(["compare", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 2
    err = capsys.readouterr().err
    assert "share no document id" in err and "'/data/issue-2016-02.txt'" in err
