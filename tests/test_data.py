import pytest
from conftest import with_real_text, write_archive

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
