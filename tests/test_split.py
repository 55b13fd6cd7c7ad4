from collections import Counter

import pandas as pd
import pytest
from conftest import make_corpus, write_jsonl

from dprk_stance.config import Config
from dprk_stance.ingest import ingest
from dprk_stance.split import SPLITS, SplitError, split


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


def test_splits_are_stratified(cfg, corpus_dir):
    write_jsonl(corpus_dir / "corpus.jsonl", make_corpus(n_docs=90, per_doc=5))
    ingest(cfg)
    split(cfg)
    for name, frame in _frames(cfg).items():
        shares = pd.Series(Counter(frame["label"])) / len(frame)
        assert (abs(shares - 1 / 3) < 0.12).all(), (name, shares.to_dict())


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
    temporal = Config.from_dict(
        {**cfg.to_dict(), "split": {"mode": "temporal", "temporal_train_max_year": 2019}}
    )
    split(temporal)
    frames = _frames(cfg)
    assert frames["test"]["year"].min() > 2019
    assert frames["train"]["year"].max() <= 2019 and frames["dev"]["year"].max() <= 2019


def test_temporal_mode_with_empty_side_is_an_error(cfg):
    ingest(cfg)
    bad = Config.from_dict(
        {**cfg.to_dict(), "split": {"mode": "temporal", "temporal_train_max_year": 2030}}
    )
    with pytest.raises(SplitError, match="one side is empty"):
        split(bad)


def test_too_few_articles_is_an_error(cfg, corpus_dir):
    write_jsonl(corpus_dir / "corpus.jsonl", make_corpus(n_docs=3))
    ingest(cfg)
    with pytest.raises(SplitError, match="articles"):
        split(cfg)
