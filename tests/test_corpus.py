"""Checks on the bundled corpus (data/raw): schema, uniqueness, near-duplicates, balance."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from dprk_stance.config import Config
from dprk_stance.ingest import ingest
from dprk_stance.labels import LABELS
from dprk_stance.split import assign_splits
from dprk_stance.text import KYONGJE

NEAR_DUPLICATE = 0.5  # character 5-gram Jaccard; the corpus's closest pair is below 0.3
NEAR_DUPLICATE_ACROSS_SPLITS = 0.4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    cfg = Config.load(REPO / "params.yaml")
    data = cfg.to_dict()
    data["paths"] = {
        **data["paths"],
        "raw_dir": str(REPO / "data" / "raw"),
        "processed_dir": str(root),
    }
    cfg = Config.from_dict(data)
    report = ingest(cfg)
    return cfg, report, pd.read_parquet(Path(root) / "passages.parquet")


def test_every_row_is_valid(corpus):
    _, report, table = corpus
    assert report["rows_rejected"] == 0, report["rejected_by_reason"]
    assert table["id"].is_unique
    assert not report["unrecognised_journals"]


def test_size_and_balance(corpus):
    _, report, table = corpus
    assert len(table) >= 900 and table["doc_id"].nunique() >= 150
    for label in LABELS:
        assert report["labels"][label] >= 280, label
    assert (table["difficulty"] == "hard").mean() >= 0.30
    assert set(range(2012, 2024)) <= set(table["year"])
    assert table.groupby("label")["topic"].nunique().min() >= 8
    # Kyŏngje Yŏn'gu stopped in late 2020
    assert table.loc[table["journal"] == KYONGJE, "year"].max() <= 2020


def test_articles_are_consistent(corpus):
    _, _, table = corpus
    per_doc = table.groupby("doc_id")[["journal", "year", "issue", "title", "topic"]].nunique()
    assert (per_doc == 1).all().all()
    assert table.groupby("doc_id").size().between(3, 9).all()


def _jaccard(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import CountVectorizer

    x = CountVectorizer(analyzer="char", ngram_range=(5, 5)).fit_transform(texts) > 0
    x = x.astype(np.int32)
    inter = (x @ x.T).toarray()
    sizes = np.asarray(x.sum(axis=1)).ravel()
    jac = inter / (sizes[:, None] + sizes[None, :] - inter)
    np.fill_diagonal(jac, 0)
    return jac


def test_no_near_duplicates_anywhere_or_across_splits(corpus):
    cfg, _, table = corpus
    jac = _jaccard(table["text"].tolist())
    i, j = np.unravel_index(jac.argmax(), jac.shape)
    assert jac.max() < NEAR_DUPLICATE, (table["id"][i], table["id"][j], jac.max())
    splits = assign_splits(table, cfg)
    across = splits[:, None] != splits[None, :]
    assert (jac * across).max() < NEAR_DUPLICATE_ACROSS_SPLITS


def test_datasheet_counts_match_ingest(corpus):
    _, report, table = corpus
    sheet = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    total = re.search(r"\*\*(\d[\d,]*) passages\*\* in \*\*(\d+) articles\*\*", sheet)
    assert total, "datasheet must state '**N passages** in **M articles**'"
    assert int(total.group(1).replace(",", "")) == report["rows_kept"]
    assert int(total.group(2)) == report["documents"]
    for label in LABELS:
        row = re.search(rf"^\| `{label}` \| (\d+) \|", sheet, re.M)
        assert row and int(row.group(1)) == report["labels"][label], label
    hard = re.search(r"^\| hard \| (\d+) \|", sheet, re.M)
    assert hard and int(hard.group(1)) == int((table["difficulty"] == "hard").sum())
