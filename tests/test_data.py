from pathlib import Path

import pytest
from conftest import with_real_text, write_archive, write_jsonl

from dprk_stance.data import NEAR_DUPLICATE_REJECT, RealTextError, real_text_training
from dprk_stance.realtext import paragraph_hash

TEXT = "The Rason zone offers investors tax privileges and a free port."


GOLD = "The delegation laid a floral basket before the statues on Mansu Hill in Pyongyang."


def _real_text_cfg(cfg, tmp_path, gold_story="g1", gold_text=GOLD):
    archive = write_archive(
        tmp_path / "kcna.jsonl.gz",
        [
            {"id": "s1", "date": "2012-02-01", "title": "", "text": TEXT},
            {"id": gold_story, "date": "2012-03-01", "title": "", "text": gold_text},
        ],
    )
    train = tmp_path / "train.csv"
    train.write_text(f"story_id,paragraph,sha,label\ns1,0,{paragraph_hash(TEXT)},none\n")
    gold = tmp_path / "gold.csv"
    gold.write_text(
        f"story_id,paragraph,sha,label\n{gold_story},0,{paragraph_hash(gold_text)},none\n"
    )
    return with_real_text(
        cfg, archive=str(archive), gold=str(gold), train=str(train), models=["tfidf-logreg"]
    )


def test_listed_models_get_the_real_text_rows(cfg, tmp_path):
    cfg = _real_text_cfg(cfg, tmp_path)
    rows, rejects = real_text_training(cfg, "tfidf-logreg")
    assert rows[["id", "doc_id", "text", "label", "year", "register"]].values.tolist() == [
        ["s1#0", "s1", TEXT, "none", 2012, "kcna-news"]
    ]
    assert rejects == []
    unlisted = real_text_training(cfg, "keywords")[0]  # not in real_text.models
    assert unlisted.empty and list(unlisted.columns) == list(rows.columns)


def test_absent_archive_or_no_file_means_corpus_only(cfg, tmp_path):
    cfg = _real_text_cfg(cfg, tmp_path)
    absent = with_real_text(cfg, archive=str(tmp_path / "absent.jsonl.gz"))
    assert real_text_training(absent, "tfidf-logreg")[0].empty
    assert real_text_training(with_real_text(cfg, train=""), "tfidf-logreg")[0].empty


def test_a_story_shared_with_the_gold_set_is_refused(cfg, tmp_path):
    cfg = _real_text_cfg(cfg, tmp_path, gold_story="s1")
    with pytest.raises(RealTextError, match=r"train\.csv, line 2: story s1"):
        real_text_training(cfg, "tfidf-logreg")


def test_a_paragraph_republished_under_another_story_is_rejected(cfg, tmp_path):
    """The archive reprints text under new ids: a near-copy of a gold paragraph in another
    story is left out of training, with the gold paragraph named."""
    cfg = _real_text_cfg(cfg, tmp_path, gold_text=TEXT.replace("free port", "free port too"))
    rows, rejects = real_text_training(cfg, "tfidf-logreg")
    assert rows.empty
    assert [r["line"] for r in rejects] == [2]
    assert "near-duplicate of gold paragraph g1#0" in rejects[0]["reason"]
    assert rejects[0]["kind"] == NEAR_DUPLICATE_REJECT


# --- the dev set models are calibrated on ----------------------------------------------------
def _with_shifted_dev(cfg, path):
    from dprk_stance.config import Config

    data = cfg.to_dict()
    data["calibration"] = {**data["calibration"], "shifted_dev": str(path)}
    return Config.from_dict(data)


def _corpus_dev(cfg):
    import pandas as pd

    from dprk_stance.fsutil import write_table

    frame = pd.DataFrame(
        {
            "id": ["c1", "c2"],
            "doc_id": ["d1", "d1"],
            "text": ["Enterprises shall set their own prices.", "Output rose by 5 per cent."],
            "label": ["pro-decentralization", "none"],
        }
    )
    write_table(Path(cfg.paths.splits_dir) / "dev.parquet", frame)
    test = frame.assign(id=["t1", "t2"], text=[TEST_TEXT, "Imports fell in the third quarter."])
    write_table(Path(cfg.paths.splits_dir) / "test.parquet", test)
    return frame


TEST_TEXT = "Foreign investors in the zone shall enjoy lower tariffs and a free port."


def test_read_dev_appends_the_shifted_dev_set_with_its_part(cfg, tmp_path):
    from dprk_stance.data import SHIFTED_DEV, read_dev

    _corpus_dev(cfg)
    shifted = write_jsonl(
        tmp_path / "shifted.jsonl",
        [
            {
                "id": "s1",
                "doc_id": "x",
                "text": "Imports must wait for our own output.",
                "label": "conservative",
            },
            {"id": "s2", "text": "Pyongyang, May 3 -- It rained.", "label": "none"},
        ],
    )
    dev = read_dev(_with_shifted_dev(cfg, shifted))
    assert dev["id"].tolist() == ["c1", "c2", "s1", "s2"]
    assert dev["dev_part"].tolist() == ["corpus", "corpus", SHIFTED_DEV, SHIFTED_DEV]
    assert dev["label"].tolist()[2:] == ["conservative", "none"]
    assert dev["doc_id"].tolist()[2:] == ["x", "s2"]  # an id stands in for a missing doc_id
    alone = read_dev(_with_shifted_dev(cfg, ""))
    assert alone["id"].tolist() == ["c1", "c2"] and set(alone["dev_part"]) == {"corpus"}


def test_an_unusable_shifted_dev_row_stops_calibration_naming_file_and_line(cfg, tmp_path):
    from dprk_stance.data import DevSetError, GoldError, read_dev

    _corpus_dev(cfg)
    bad = write_jsonl(
        tmp_path / "shifted.jsonl",
        [
            {"id": "s1", "text": "Trade must widen.", "label": "pro-diversification"},
            {"id": "s2", "text": "Trade must narrow.", "label": "reformist"},
            {"id": "s3", "text": "", "label": "none"},
        ],
    )
    with pytest.raises(DevSetError, match=r"shifted\.jsonl, line 2: label 'reformist'.*2 unusable"):
        read_dev(_with_shifted_dev(cfg, bad))
    clash = write_jsonl(tmp_path / "clash.jsonl", [{"id": "c1", "text": "A.", "label": "none"}])
    with pytest.raises(DevSetError, match=r"clash\.jsonl: ids also in the corpus dev .*'c1'"):
        read_dev(_with_shifted_dev(cfg, clash))
    with pytest.raises(GoldError, match=r"absent\.jsonl: gold file not found"):
        read_dev(_with_shifted_dev(cfg, tmp_path / "absent.jsonl"))


def _dev_of_one(cfg, tmp_path, row_id, text, label="none"):
    """``read_dev`` with a shifted dev set of one passage."""
    from dprk_stance.data import read_dev

    path = write_jsonl(tmp_path / f"{row_id}.jsonl", [{"id": row_id, "text": text, "label": label}])
    return read_dev(_with_shifted_dev(cfg, path))


def test_a_shifted_dev_set_that_copies_evaluation_text_is_refused(cfg, tmp_path):
    """Calibrating on a test or evaluation passage would flatter it: an id shared with the
    test split, an evaluate.sets file or the kinds, or a near-copy of their text, is an
    error naming both passages."""
    from dprk_stance.config import Config
    from dprk_stance.data import DevSetError

    _corpus_dev(cfg)
    near = TEST_TEXT.replace("free port", "free port.")
    with pytest.raises(
        DevSetError,
        match=r"s1\.jsonl: 1 passage\(s\) nearly copy the corpus test split .*s1 ~ t1 \(0\.\d\d\)",
    ):
        _dev_of_one(cfg, tmp_path, "s1", near)
    with pytest.raises(DevSetError, match=r"ids also in the corpus test split: \['t2'\]"):
        _dev_of_one(cfg, tmp_path, "t2", "A.")
    principle = "Partners must be chosen by political principle first."
    slogan = "A sweeping offensive must be launched on every front."
    data = _with_shifted_dev(cfg, "").to_dict()
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"id": "g1", "text": principle, "label": "none"}])
    kinds = write_jsonl(tmp_path / "kinds.jsonl", [{"id": "k1", "text": slogan, "label": "none"}])
    data["evaluate"] = {**data["evaluate"], "sets": {"mine": str(gold)}, "kinds": str(kinds)}
    with_sets = Config.from_dict(data)
    with pytest.raises(DevSetError, match=r"nearly copy the mine .*s9 ~ g1"):
        _dev_of_one(with_sets, tmp_path, "s9", principle.replace(".", "!"), "conservative")
    with pytest.raises(DevSetError, match=r"ids also in the mine: \['g1'\]"):
        _dev_of_one(with_sets, tmp_path, "g1", "B.")
    with pytest.raises(DevSetError, match=r"nearly copy the kinds .*s5 ~ k1"):
        _dev_of_one(with_sets, tmp_path, "s5", slogan.replace(".", "!"))
    apart = _dev_of_one(with_sets, tmp_path, "s3", "Our own materials come before imports.")
    assert apart["id"].tolist()[-1] == "s3"
