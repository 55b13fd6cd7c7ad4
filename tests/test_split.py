from collections import Counter

import pandas as pd
import pytest
from conftest import make_corpus, write_jsonl

from dprk_stance.config import Config
from dprk_stance.ingest import ingest
from dprk_stance.split import SPLITS, SplitError, assign_splits, doc_position, split


def _frames(cfg):
    return {s: pd.read_parquet(f"{cfg.paths.splits_dir}/{s}.parquet") for s in SPLITS}


def test_articles_never_straddle_splits_and_rows_are_conserved(cfg, corpus_dir):
    write_jsonl(corpus_dir / "corpus.jsonl", make_corpus(n_docs=60, per_doc=5))
    ingest(cfg)
    report = split(cfg)
    frames = _frames(cfg)
    docs = {s: set(f["doc_id"]) for s, f in frames.items()}
    assert not docs["train"] & docs["dev"] and not docs["train"] & docs["test"]
    assert not docs["dev"] & docs["test"]
    assert sum(len(f) for f in frames.values()) == 300
    assert report["test"]["passages"] == len(frames["test"])


def test_adding_passages_moves_no_existing_passage(cfg):
    """Stable splits: the corpus grows (new articles, and new passages in old articles) and
    every existing passage stays in its split."""
    old = pd.DataFrame(make_corpus(n_docs=80, per_doc=4))
    grown_rows = make_corpus(n_docs=80, per_doc=4) + [
        {**row, "id": f"new-{i}", "doc_id": f"new-doc-{i // 3}"}
        for i, row in enumerate(make_corpus(n_docs=20, per_doc=3, seed=5))
    ]
    grown_rows += [{**make_corpus(n_docs=1)[0], "id": "extra-in-old-doc"}]
    grown = pd.DataFrame(grown_rows).sample(frac=1.0, random_state=3).reset_index(drop=True)
    before = dict(zip(old["id"], assign_splits(old, cfg), strict=True))
    after = dict(zip(grown["id"], assign_splits(grown, cfg), strict=True))
    assert all(after[i] == s for i, s in before.items())
    assert after["extra-in-old-doc"] == before[make_corpus(n_docs=1)[0]["id"]]


def test_split_shares_follow_the_sizes_and_balance_is_reported(cfg, corpus_dir):
    write_jsonl(corpus_dir / "corpus.jsonl", make_corpus(n_docs=400, per_doc=2))
    ingest(cfg)
    report = split(cfg)
    frames = _frames(cfg)
    n = sum(len(f) for f in frames.values())
    assert len(frames["test"]) / n == pytest.approx(cfg.split.test_size, abs=0.05)
    assert len(frames["dev"]) / n == pytest.approx(cfg.split.dev_size, abs=0.05)
    for name, frame in frames.items():
        shares = pd.Series(Counter(frame["label"])) / len(frame)
        assert (abs(shares - 0.25) < 0.12).all(), (name, shares.to_dict())
        assert report[name]["largest_label_share_deviation"] < 0.12


def test_doc_position_is_a_pure_function_of_id_and_seed():
    a = doc_position(pd.Series(["x", "y", "x"]), seed=1)
    assert a[0] == a[2] and a.min() >= 0 and a.max() < 1
    assert doc_position(pd.Series(["x"]), seed=2)[0] != a[0]


def test_same_seed_same_split_other_seed_other_split(cfg, corpus_dir):
    ingest(cfg)
    split(cfg)
    first = _frames(cfg)["test"]["id"].tolist()
    split(cfg)
    assert _frames(cfg)["test"]["id"].tolist() == first
    split(Config.from_dict({**cfg.to_dict(), "seed": 7}))
    assert _frames(cfg)["test"]["id"].tolist() != first


def test_temporal_mode_tests_on_later_years(cfg):
    ingest(cfg)
    data = cfg.to_dict()
    data["split"].update(mode="temporal", temporal_train_max_year=2019)
    split(Config.from_dict(data))
    frames = _frames(cfg)
    assert frames["test"]["year"].min() > 2019
    assert frames["train"]["year"].max() <= 2019 and frames["dev"]["year"].max() <= 2019


def test_temporal_mode_with_empty_side_is_an_error(cfg):
    ingest(cfg)
    data = cfg.to_dict()
    data["split"].update(mode="temporal", temporal_train_max_year=2030)
    with pytest.raises(SplitError, match="one side is empty"):
        split(Config.from_dict(data))


def test_too_few_articles_is_an_error(cfg, corpus_dir):
    write_jsonl(corpus_dir / "corpus.jsonl", make_corpus(n_docs=2))
    ingest(cfg)
    with pytest.raises(SplitError, match="empty"):
        split(cfg)
