"""suggest: strategy selection on toy runs with known probabilities, and the queue files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dprk_stance.cli import main
from dprk_stance.label import PASSAGE_COLUMNS
from dprk_stance.stances import LABELS, PROB_COLUMNS
from dprk_stance.suggest import (
    LABEL_CONFIG,
    QUEUE_COLUMNS,
    SuggestError,
    load_runs,
    near_duplicate_filter,
    select,
    suggest,
    text_sha256,
)

TOPICS = {
    "farm": "the cooperative farm harvested rice maize and potatoes in the county fields",
    "trade": "the trade delegation signed contracts on exports of coal textiles and seafood",
    "rail": "the railway line between the stations was electrified and new wagons arrived",
}


def toy_run(path: Path, probs: list[list[float]], texts: list[str], sha: str = "a" * 64) -> Path:
    """A labelling output with given probabilities (rows in LABELS order)."""
    rows = []
    for i, (p, text) in enumerate(zip(probs, texts, strict=True)):
        rows.append(
            {
                **dict.fromkeys(PASSAGE_COLUMNS),
                "doc_id": f"doc-{i // 3}",
                "source": "docs.jsonl",
                "passage": i % 3,
                "start": (i % 3) * 1000,
                "end": (i % 3) * 1000 + len(text),
                "year": 2012,
                "text": text,
                "label": LABELS[int(np.argmax(p))],
                **dict(zip(PROB_COLUMNS, p, strict=True)),
                "confidence": max(p),
                "model": "m",
                "model_sha256": sha,
            }
        )
    pd.DataFrame(rows, columns=list(PASSAGE_COLUMNS)).to_csv(path, index=False)
    return path


def spread(top: float, label: int = 0) -> list[float]:
    rest = (1 - top) / 3
    return [top if j == label else rest for j in range(4)]


def distinct_texts(n: int) -> list[str]:
    words = ["coal", "rice", "steel", "cloth", "fish", "salt", "glass", "paper", "cement"]
    return [
        f"passage {i}: the {words[i % 9]} works in district {i * 7} reported "
        f"{['growth', 'repairs', 'a meeting', 'new machines'][i % 4]} number {i * 13}"
        for i in range(n)
    ]


def test_uncertainty_takes_the_least_confident_first(tmp_path):
    tops = [0.9, 0.3, 0.8, 0.4, 0.95, 0.35]
    run = toy_run(tmp_path / "run.csv", [spread(t) for t in tops], distinct_texts(6))
    picked = select(load_runs([run]), 3, "uncertainty")
    assert picked["text"].tolist() == [distinct_texts(6)[i] for i in (1, 5, 3)]
    assert picked["score"].tolist() == pytest.approx([0.7, 0.65, 0.6])


def test_near_duplicates_are_never_both_chosen(tmp_path):
    texts = distinct_texts(4)
    texts[2] = texts[1].replace("reported", "has reported")  # a reprint with a changed word
    run = toy_run(tmp_path / "run.csv", [spread(t) for t in (0.9, 0.3, 0.31, 0.5)], texts)
    picked = select(load_runs([run]), 2, "uncertainty")
    assert picked["text"].tolist() == [texts[1], texts[3]]
    # with the check switched off (threshold above any cosine) both copies are taken
    loose = select(load_runs([run]), 2, "uncertainty", near_duplicate=1.01)
    assert loose["text"].tolist() == [texts[1], texts[2]]


def test_disagreement_needs_two_aligned_runs_and_ranks_differing_labels_first(tmp_path):
    texts = distinct_texts(3)
    a = toy_run(tmp_path / "a.csv", [spread(0.9, 0), spread(0.6, 1), spread(0.5, 2)], texts)
    b = toy_run(tmp_path / "b.csv", [spread(0.4, 0), spread(0.6, 2), spread(0.5, 2)], texts, "b")
    picked = select(load_runs([a, b]), 3, "disagreement")
    assert picked["text"].tolist() == [texts[1], texts[0], texts[2]]
    assert picked["other_model_label"].tolist() == [LABELS[2], LABELS[0], LABELS[2]]
    assert picked["score"].iloc[0] > 1 > picked["score"].iloc[1] > picked["score"].iloc[2] == 0
    with pytest.raises(SuggestError, match="exactly two runs"):
        select(load_runs([a]), 2, "disagreement")
    other = toy_run(tmp_path / "c.csv", [spread(0.5)], ["something else entirely here"])
    frame = pd.read_csv(other)
    frame["doc_id"] = "unrelated"
    frame.to_csv(other, index=False)
    with pytest.raises(SuggestError, match="share no passage"):
        select(load_runs([a, other]), 2, "disagreement")


def test_diverse_takes_the_most_uncertain_passage_of_each_cluster(tmp_path):
    texts, tops = [], []
    for topic, top in (("farm", 0.30), ("farm", 0.31), ("farm", 0.32), ("trade", 0.6)):
        texts.append(f"{TOPICS[topic]} ({len(texts)} {topic} report number {len(texts) * 31})")
        tops.append(top)
    texts += [f"{TOPICS['trade']} (extra {i})" for i in range(2)]
    tops += [0.9, 0.95]
    run = toy_run(tmp_path / "run.csv", [spread(t) for t in tops], texts)
    plain = select(load_runs([run]), 2, "uncertainty", near_duplicate=1.01)
    assert plain["text"].tolist() == texts[:2]  # both from the farm cluster
    diverse = select(load_runs([run]), 2, "diverse", near_duplicate=1.01)
    assert diverse["text"].tolist() == [texts[0], texts[3]]  # one per cluster


def test_random_is_seeded(tmp_path):
    run = toy_run(tmp_path / "run.csv", [spread(0.5)] * 9, distinct_texts(9))
    first = select(load_runs([run]), 4, "random", seed=1)["text"].tolist()
    assert first == select(load_runs([run]), 4, "random", seed=1)["text"].tolist()
    assert first != select(load_runs([run]), 4, "random", seed=2)["text"].tolist()


def test_already_labelled_passages_are_excluded(tmp_path):
    run = toy_run(tmp_path / "run.csv", [spread(t) for t in (0.3, 0.4, 0.5)], distinct_texts(3))
    frame = pd.read_csv(run)
    first = (frame["doc_id"][0], int(frame["start"][0]), int(frame["end"][0]))
    picked = select(load_runs([run]), 1, "uncertainty", exclude={first})
    assert picked["text"].tolist() == [distinct_texts(3)[1]]


def test_queue_files_for_a_spreadsheet_and_label_studio(tmp_path):
    texts = distinct_texts(3)
    run = toy_run(tmp_path / "run.csv", [spread(t, 3) for t in (0.3, 0.4, 0.9)], texts)
    queue = suggest([run], 2, "uncertainty", tmp_path / "queue" / "round-1.csv")
    assert queue.csv.name == "round-1.csv" and queue.rows == 2
    table = pd.read_csv(queue.csv, keep_default_na=False)
    assert list(table.columns) == list(QUEUE_COLUMNS)
    assert (table["label"] == "").all()
    assert table["text_sha256"].tolist() == [text_sha256(t) for t in texts[:2]]
    assert table["source_run"].tolist() == [str(run)] * 2
    tasks = json.loads(queue.tasks.read_text())
    assert [t["data"]["text"] for t in tasks] == texts[:2]
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == "a" * 12
    assert prediction["score"] == pytest.approx(0.3)
    assert prediction["result"][0]["value"]["choices"] == ["none"]
    assert {"from_name", "to_name", "type"} <= set(prediction["result"][0])
    config = ET.fromstring(queue.config.read_text())
    assert config.find("Choices").get("name") == prediction["result"][0]["from_name"]
    choices = [(c.get("alias") or c.get("value")) for c in config.iter("Choice")]
    assert choices == list(LABELS)
    assert queue.config.read_text() == LABEL_CONFIG


def test_cli_suggest(tmp_path, capsys):
    run = toy_run(tmp_path / "run.csv", [spread(t) for t in (0.3, 0.4)], distinct_texts(2))
    argv = ["suggest", str(run), "--n", "1", "--out", str(tmp_path / "q"), "--annotations", ""]
    assert main([*argv, "--strategy", "diverse"]) == 0
    assert "1 passages suggested" in capsys.readouterr().out
    assert main([*argv, "--strategy", "disagreement"]) == 2
    assert "exactly two runs" in capsys.readouterr().err


def test_near_duplicate_filter_looks_past_a_long_run_of_copies():
    texts = ["the plant fulfilled its quarterly plan by eight per cent"] * 300
    texts.append("a delegation of the trade ministry left for several countries")
    assert near_duplicate_filter(texts, range(301), 2) == [0, 300]
