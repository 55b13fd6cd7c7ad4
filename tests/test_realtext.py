import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import KCNA, REPO, write_archive

from dprk_stance import realtext
from dprk_stance.realtext import claims_sample, paragraph_hash, read_labelled, training_sample
from dprk_stance.stances import LABELS, STANCES
from dprk_stance.text import char_jaccard

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


def test_strata_ignore_case():
    """The strata patterns are searched in lower-cased text (speed), so they must be lower
    case themselves; upper-case text still falls in its stratum."""
    for pattern in (realtext._POLICY, realtext._ECONOMY, realtext._STRONG):
        assert pattern.pattern == pattern.pattern.lower()
    assert realtext.stratum("JOINT VENTURES in the RASON zone grew.") == "policy"
    assert realtext.stratum("The Steel Works raised PRODUCTION.") == "economy"
    assert realtext.stratum("EXPORTS of coal rose.", realtext.ROUND_2) == "strong"
    assert realtext.stratum("A delegation arrived on Monday.") == "other"


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
    """What claims_sample reads from a model's assessment."""

    def __init__(self, claimed: list[bool]) -> None:
        self.uncertain = ~np.array(claimed, dtype=bool)
        self.predicted = np.where(self.uncertain, 3, 1)  # pro-diversification or none
        self.confidence = np.full(len(claimed), 0.7)
        self.probs = np.array([[0.1, 0.7, 0.1, 0.1] if c else [0, 0, 0, 1.0] for c in claimed])


class _FakeModel:
    """Claims a stance for every paragraph that mentions "fair"; records what it scored."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def assess(self, texts):
        self.seen += list(texts)
        return _Scored(["fair" in t for t in texts])


class _FakePrefilter:
    """Highest stance probability 0.5 for "visited", exactly 0.2 for "exactly", else 0.1
    (with ``none`` at 0.9: a filter reading the wrong columns lets those through)."""

    def predict_proba(self, texts):
        def stance(t: str) -> float:
            return 0.5 if "visited" in t else 0.2 if "exactly" in t.lower() else 0.1

        return np.array([[0.0, stance(t), 0.0, 1 - stance(t)] for t in texts])


FAIR = "The delegation of the trade ministry visited the spring trade fair in Pyongyang {}."
SEGMENTS = [
    "Envoys visited the autumn fair of consumer goods. ",
    "Buyers from Sinuiju ordered cloth and footwear. ",
    "The organisers praised the new glassware stands. ",
    "Farmers from Hamhung showed preserved vegetables. ",
    "A brass band played at the opening of the event. ",
]


def _claims_archive(tmp_path):
    # A~B, B~C, A not~ C; each claimed ("fair") and past the prefilter ("visited")
    chain = ["".join(SEGMENTS[k : k + 3]) + "Guests visited the fair." for k in range(3)]
    paragraphs = {
        "a1": [
            FAIR.format("again"),
            "The delegation of the trade ministry visited the newly built hospital in Pyongyang.",
            FAIR.format("on Monday"),
        ],
        "a2": [FAIR.format("today")],
        "a3": ["A concert was held at the fair ground theatre of the capital city on the holiday."],
        "a4": [FAIR.format("at last")],
        "a5": [
            "Exactly at noon the fair of local industry goods opened its gates in Sinuiju city."
        ],
        "b1": [chain[0]],
        "b2": [chain[1]],
        "b3": [chain[2]],
        "c1": [
            "The \u201cSpring\u201d fair  of  light industry, visited by envoys, "
            "opened in Kaesong city."
        ],
    }
    stories = [
        {"id": sid, "date": "2011-03-01", "title": "", "text": "\n\n".join(paras)}
        for sid, paras in paragraphs.items()
    ]
    return write_archive(tmp_path / "kcna.jsonl.gz", stories), chain


def test_claims_sample_draws_the_claims_once_each_outside_the_excluded(tmp_path):
    archive, chain = _claims_archive(tmp_path)
    similarity = char_jaccard(chain, chain)
    assert similarity[0, 1] >= 0.4 and similarity[1, 2] >= 0.4 and similarity[0, 2] < 0.4
    model = _FakeModel()
    draw = claims_sample(
        archive,
        model,
        round_name="t3",
        exclude={("a4", 0)},
        prefilter=_FakePrefilter(),
        check_skipped=5,
    )
    # a3 is skipped by the prefilter (stance 0.1 < 0.2, whatever its none column) and seen
    # only by the check of the skipped; a5 passes (0.2); a4 is excluded; a1#1 is not
    # claimed; a1#2 and a2 are near-copies of a1#0; b2 is a near-copy of b1, and b3 is
    # compared only with what was kept, so it stays
    assert sum("concert" in t for t in model.seen) == 1
    assert (draw.pool, draw.scored) == (10, 9)
    assert (draw.skipped_checked, draw.skipped_claimed, draw.skipped_max_stance) == (1, 1, 0.7)
    drawn = draw.kept
    assert [(d["story_id"], d["paragraph"]) for d in drawn] == [
        ("a1", 0),
        ("a5", 0),
        ("b1", 0),
        ("b3", 0),
        ("c1", 0),
    ]
    assert [(d["story_id"], d["paragraph"], d["near_copy_of"]) for d in draw.dropped] == [
        ("a1", 2, "a1#0"),
        ("a2", 0, "a1#0"),
        ("b2", 0, "b1#0"),
    ]
    assert (drawn[0]["claimed"], drawn[0]["confidence"]) == ("pro-diversification", 0.7)
    assert drawn[0]["stratum"] == "t3-policy" and {d["stratum"][:3] for d in drawn} == {"t3-"}
    assert drawn[0]["sha"] == paragraph_hash(FAIR.format("again"))
    # the model sees normalised text (straight quotes, single spaces); the item keeps the original
    assert 'The "Spring" fair of light industry, visited by envoys, opened in Kaesong city.' in (
        model.seen
    )
    assert "\u201c" in drawn[-1]["text"]


def test_claims_sample_avoids_labelled_text_and_respects_the_prefilter_bound(tmp_path):
    archive, _ = _claims_archive(tmp_path)
    model = _FakeModel()
    labelled = [FAIR.format("in the morning")]  # a reprint of a1#0, a1#2, a2, a4
    draw = claims_sample(
        archive, model, round_name="t4", avoid=labelled, prefilter=_FakePrefilter()
    )
    assert [d["story_id"] for d in draw.kept] == ["a5", "b1", "b3", "c1"]
    assert {d["near_copy_of"] for d in draw.dropped if d["story_id"][0] == "a"} == {"avoid[0]"}
    assert draw.kept[0]["stratum"].startswith("t4-")
    strict = claims_sample(
        archive, model, round_name="t4", prefilter=_FakePrefilter(), prefilter_min=0.21
    ).kept
    assert "a5" not in {d["story_id"] for d in strict} and "a1" in {d["story_id"] for d in strict}
    none_left = claims_sample(
        archive, model, round_name="t4", prefilter=_FakePrefilter(), prefilter_min=0.6
    )
    assert (none_left.kept, none_left.dropped, none_left.scored) == ([], [], 0)


def test_committed_training_labels_match_the_sampler():
    """data/real's rounds t1 and t2 are exactly the paragraphs scripts/kcna_sample.py
    --training draws (archive only)."""
    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    labels, gold_stories = _committed()
    earlier = labels[~labels["stratum"].str.startswith("t3-")]
    drawn = training_sample(KCNA, gold_stories)
    assert list(zip(earlier["story_id"], earlier["paragraph"], earlier["sha"], strict=True)) == [
        (d["story_id"], d["paragraph"], d["sha"]) for d in drawn
    ]


def test_committed_round_t3_obeys_the_claims_sampler_rules():
    """Round t3 as claims_sample leaves it: sorted, outside the other rounds, paragraphs the
    sampler may draw, stratum named from the text, no near-copy of another labelled or gold
    paragraph; and one claim (stance and confidence) per row (archive only)."""
    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    labels, _ = _committed()
    frame, rejects = read_labelled(REPO / "data" / "real" / "kcna_train_labels.csv", KCNA)
    assert rejects == [] and len(frame) == len(labels)
    t3 = frame["stratum"].str.startswith("t3-").to_numpy()
    keys = [(s, int(i.split("#")[1])) for s, i in zip(frame["doc_id"], frame["id"], strict=True)]
    t3_keys = [k for k, flag in zip(keys, t3, strict=True) if flag]
    assert len(t3_keys) > 0 and t3_keys == sorted(set(t3_keys))
    assert not set(t3_keys) & {k for k, flag in zip(keys, t3, strict=True) if not flag}
    archive = {s["id"]: s for s in realtext.iter_stories(KCNA)}
    raw = [realtext.paragraphs(archive[s]["text"])[i] for s, i in t3_keys]
    assert all(len(p) >= 80 and realtext.is_english(p) for p in raw)
    assert list(frame.loc[t3, "stratum"]) == [f"t3-{realtext.stratum(p)}" for p in raw]
    gold, _ = read_labelled(REPO / "data" / "eval" / "kcna_labels.csv", KCNA)
    texts = frame.loc[t3, "text"].tolist()
    within = char_jaccard(texts, texts)
    np.fill_diagonal(within, 0.0)
    others = [*frame.loc[~t3, "text"], *gold["text"]]
    assert within.max() < 0.4 and char_jaccard(texts, others).max() < 0.4


def test_committed_round_t3_claims_match_its_labels():
    """From the files alone: kcna_t3_claims.csv lists every claim of the draw (its stance at
    or above the drawing model's threshold), the kept ones are exactly round t3's rows, each
    dropped one names what it nearly copies, and 17 kept claims carry the stance claimed
    (the figure the datasheet quotes)."""
    labels, _ = _committed()
    t3 = labels[labels["stratum"].str.startswith("t3-")]
    claims = pd.read_csv(
        REPO / "data" / "real" / "kcna_t3_claims.csv",
        dtype={"story_id": str},
        keep_default_na=False,
    )
    draw = json.loads((REPO / "data" / "real" / "kcna_t3_draw.json").read_text(encoding="utf-8"))
    kept = claims[claims["kept"] == "yes"]
    assert list(zip(kept["story_id"], kept["paragraph"], strict=True)) == list(
        zip(t3["story_id"], t3["paragraph"], strict=True)
    )
    assert (draw["claimed"], draw["kept"]) == (len(claims), len(kept))
    assert set(claims["claimed"]) <= set(STANCES)
    assert (claims["confidence"] >= round(draw["abstain_threshold"], 3) - 0.0005).all()
    assert (claims.loc[claims["kept"] == "no", "near_copy_of"].str.len() > 0).all()
    right = kept.merge(t3, on=["story_id", "paragraph"])
    assert (right["claimed"] == right["label"]).sum() == 17


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
    decided = labels[disagreed].merge(adjudicated, on=["story_id", "paragraph"], how="outer")
    assert len(decided) == len(adjudicated) and (decided["label"] == decided["final"]).all()
    assert adjudicated["reason"].str.len().min() > 10


def _load_script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _label_file(path, archive, rows):
    """A label CSV for ``rows`` of (story, paragraph, stratum, label), hashed from ``archive``."""
    stories = {s["id"]: s for s in realtext.iter_stories(archive)}
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["story_id", "paragraph", "sha", "stratum", "label"])
        for story, index, stratum, label in rows:
            text = realtext.paragraphs(stories[story]["text"])[index]
            writer.writerow([story, index, paragraph_hash(text), stratum, label])
    return path


def test_kcna_sample_claims_script_excludes_other_rounds_and_gold_and_names_copies(
    tmp_path, monkeypatch
):
    """scripts/kcna_sample.py --claims: a gold story and another round's rows are neither
    drawn nor copied (a copy is named by its label id); the round being drawn is redrawn;
    the three files agree."""
    archive, _ = _claims_archive(tmp_path)
    script = _load_script("kcna_sample")
    gold = _label_file(tmp_path / "gold.csv", archive, [("c1", 0, "r1-economy", "none")])
    training = _label_file(
        tmp_path / "train.csv",
        archive,
        [("a1", 0, "t2-policy", "none"), ("b1", 0, "t3-policy", "pro-diversification")],
    )
    monkeypatch.setattr(script, "GOLD", gold)
    monkeypatch.setattr(script, "TRAINING", training)
    model, prefilter = _FakeModel(), _FakePrefilter()
    model.content_sha256, model.abstain_threshold = "m" * 64, 0.55
    prefilter.content_sha256 = "p" * 64
    import dprk_stance.models

    monkeypatch.setattr(
        dprk_stance.models, "load_model", lambda path: model if path == "M" else prefilter
    )
    out = tmp_path / "t3.jsonl"
    script.claims("t3", "M", "P", str(out), archive=str(archive))

    drawn = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(d["story_id"], d["paragraph"]) for d in drawn] == [("a5", 0), ("b1", 0), ("b3", 0)]
    claims = pd.read_csv(f"{out}.claims.csv", dtype=str, keep_default_na=False)
    dropped = claims[claims["kept"] == "no"]
    assert list(zip(dropped["story_id"], dropped["near_copy_of"], strict=True)) == [
        ("a1", "a1#0"),  # reprints of the round-t2 row: named by its id, not "avoid[k]"
        ("a2", "a1#0"),
        ("a4", "a1#0"),
        ("b2", "b1#0"),
    ]
    assert set(claims["claimed"]) == {"pro-diversification"}
    summary = json.loads(Path(f"{out}.draw.json").read_text(encoding="utf-8"))
    assert (summary["claimed"], summary["kept"]) == (len(claims), len(drawn))
    assert summary["model"] == {"path": "M", "content_sha256": "m" * 64}
    assert summary["pool"] == 9  # 11 paragraphs less the gold story's and the t2 row


def test_kcna_sample_claims_script_stops_on_a_label_row_it_cannot_read(tmp_path, monkeypatch):
    archive, _ = _claims_archive(tmp_path)
    script = _load_script("kcna_sample")
    training = _label_file(tmp_path / "train.csv", archive, [("a1", 0, "t2-policy", "none")])
    training.write_text(training.read_text().replace(",none", ",maybe"), encoding="utf-8")
    gold = _label_file(tmp_path / "gold.csv", archive, [("c1", 0, "r1-economy", "none")])
    monkeypatch.setattr(script, "GOLD", gold)
    monkeypatch.setattr(script, "TRAINING", training)
    with pytest.raises(SystemExit, match=r"train\.csv, line 2: "):
        script.claims("t3", "M", "P", str(tmp_path / "t3.jsonl"), archive=str(archive))
