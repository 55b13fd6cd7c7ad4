import csv

import numpy as np
import pandas as pd
import pytest
from conftest import KCNA, REPO, write_archive

from dprk_stance import realtext
from dprk_stance.realtext import claims_sample, paragraph_hash, read_labelled, training_sample
from dprk_stance.stances import LABELS

LONG = "The delegation of the trade ministry visited the exhibition hall of the spring fair {}."


def _stories(n: int) -> list[dict]:
    return [
        {
            "id": f"s{i}",
            "date": "2011-03-01",
            "title": "",
            "text": LONG.format(i) + "\n\n" + LONG.format(f"{i} again"),
        }
        for i in range(n)
    ]


def test_training_sample_avoids_gold_stories_and_earlier_rounds(tmp_path, monkeypatch):
    archive = write_archive(tmp_path / "kcna.jsonl.gz", _stories(12))
    rounds = (("t1", {"policy": 0, "economy": 0, "other": 3}, 1), ("t2", {"other": 50}, 2))
    monkeypatch.setattr(realtext, "TRAINING_ROUNDS", rounds)
    drawn = training_sample(archive, gold_stories={"s0", "s1"})
    stories = {d["story_id"] for d in drawn}
    assert not stories & {"s0", "s1"}
    assert [d["stratum"] for d in drawn[:3]] == ["t1-other"] * 3
    keys = [(d["story_id"], d["paragraph"]) for d in drawn]
    assert len(keys) == len(set(keys)) == 20  # every paragraph of the 10 other stories


def test_read_labelled_names_the_line_of_a_changed_paragraph(tmp_path):
    archive = write_archive(tmp_path / "kcna.jsonl.gz", _stories(2))
    labels = tmp_path / "labels.csv"
    good = paragraph_hash(LONG.format("0 again"))
    labels.write_text(
        "story_id,paragraph,sha,label\n"
        f"s0,1,{good},none\n"
        f"s1,0,{paragraph_hash('edited')},none\n"
        "s1,5,abc,none\n"
        f"s0,1,{good},neutral\n"
        f"s0,one,{good},none\n"
        f"s0,1,{good},\n"
    )
    frame, rejects = read_labelled(labels, archive)
    assert frame[["id", "doc_id", "year"]].values.tolist() == [["s0#1", "s0", 2011]]
    assert [(r["line"], r["file"]) for r in rejects] == [(n, str(labels)) for n in range(3, 8)]
    reasons = [r["reason"] for r in rejects]
    assert "hash differs" in reasons[0] and "hash differs" in reasons[1]
    assert "'neutral' is not one of" in reasons[2] and "'' is not one of" in reasons[4]
    assert "'one' is not a paragraph index" in reasons[3]
    with pytest.raises(FileNotFoundError, match="not found"):
        read_labelled(labels, tmp_path / "absent.jsonl.gz")


def _committed() -> tuple[pd.DataFrame, set[str]]:
    labels = pd.read_csv(REPO / "data" / "real" / "kcna_train_labels.csv", dtype={"sha": str})
    with (REPO / "data" / "eval" / "kcna_labels.csv").open(encoding="utf-8") as fh:
        gold_stories = {row["story_id"] for row in csv.DictReader(fh)}
    return labels, gold_stories


class _Scored:
    """What claims_sample reads from a model: assess(...).uncertain, or predict_proba."""

    def __init__(self, uncertain: list[bool]) -> None:
        self.uncertain = np.array(uncertain)


class _FakeModel:
    """Claims a stance for every paragraph that mentions "fair"; records what it scored."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def assess(self, texts):
        self.seen += list(texts)
        return _Scored(["fair" not in t for t in texts])


class _FakePrefilter:
    """Gives "visited" paragraphs a stance probability of 0.5, others 0.1."""

    def predict_proba(self, texts):
        stance = [0.5 if "visited" in t else 0.1 for t in texts]
        return np.array([[s, 0.0, 0.0, 1 - s] for s in stance])


def test_claims_sample_draws_the_claims_once_each_outside_the_excluded(tmp_path):
    fair = "The delegation of the trade ministry visited the spring trade fair in Pyongyang {}."
    quiet = "The delegation of the trade ministry visited the newly built hospital in Pyongyang {}."
    unseen = "A concert was held at the theatre of the capital city on the holiday {}."
    stories = [
        {"id": "s2", "date": "2011-03-02", "title": "", "text": fair.format("today")},
        {
            "id": "s1",
            "date": "2011-03-01",
            "title": "",
            "text": fair.format("again")
            + "\n\n"
            + quiet.format(1)
            + "\n\n"
            + fair.format("on Monday"),
        },
        {"id": "s3", "date": "2011-03-03", "title": "", "text": unseen.format("fair")},
        {"id": "s4", "date": "2011-03-04", "title": "", "text": fair.format("at last")},
    ]
    archive = write_archive(tmp_path / "kcna.jsonl.gz", stories)
    model = _FakeModel()
    drawn = claims_sample(archive, model, {("s4", 0)}, prefilter=_FakePrefilter())
    # s3 never reaches the model (prefilter 0.1 < 0.2); s4 is excluded; s1#1 is not claimed;
    # s2 and s1's second fair paragraph are near-copies of s1#0, the first in story order
    assert not any("concert" in t for t in model.seen) and len(model.seen) == 4
    assert [(d["story_id"], d["paragraph"], d["stratum"]) for d in drawn] == [
        ("s1", 0, "t3-policy")
    ]
    assert drawn[0]["sha"] == paragraph_hash(fair.format("again"))
    assert claims_sample(archive, model, set(), prefilter=_FakePrefilter(), prefilter_min=0.6) == []


def test_committed_training_labels_match_the_sampler():
    """data/real's rounds t1 and t2 are exactly the paragraphs scripts/kcna_sample.py
    --training draws; round t3 (a model's claims) lies outside them and reads back from the
    archive (archive only)."""
    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    labels, gold_stories = _committed()
    t3 = labels["stratum"].str.startswith("t3-")
    earlier = labels[~t3]
    drawn = training_sample(KCNA, gold_stories)
    assert list(zip(earlier["story_id"], earlier["paragraph"], earlier["sha"], strict=True)) == [
        (d["story_id"], d["paragraph"], d["sha"]) for d in drawn
    ]
    keys = set(zip(labels.loc[t3, "story_id"], labels.loc[t3, "paragraph"], strict=True))
    assert len(keys) == t3.sum() > 0
    assert not keys & set(zip(earlier["story_id"], earlier["paragraph"], strict=True))
    frame, rejects = read_labelled(REPO / "data" / "real" / "kcna_train_labels.csv", KCNA)
    assert rejects == [] and len(frame) == len(labels)


def test_committed_training_labels_are_consistent_and_apart_from_gold():
    """From the label files alone: no gold story, known labels, annotator columns that
    agree with the final label, and a reason for every adjudication."""
    labels, gold_stories = _committed()
    assert not set(labels["story_id"]) & gold_stories
    assert set(labels["label"]) <= set(LABELS)
    disagreed = labels["annotator_1"] != labels["annotator_2"]
    assert (labels.loc[disagreed, "adjudicated"] == "yes").all()
    assert (labels.loc[~disagreed, "label"] == labels.loc[~disagreed, "annotator_1"]).all()
    adjudicated = pd.read_csv(REPO / "data" / "real" / "adjudication.csv")
    assert len(adjudicated) == disagreed.sum()
    assert adjudicated["reason"].str.len().min() > 10
