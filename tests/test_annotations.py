"""import-labels: the round trip into the corpus, row-level rejects, re-import, agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_corpus, tiny_config, write_jsonl

from dprk_stance.agreement import annotator_agreement
from dprk_stance.annotations import import_labels
from dprk_stance.cli import main
from dprk_stance.ingest import ingest
from dprk_stance.label import LabelOptions, label_documents
from dprk_stance.models import build_model
from dprk_stance.split import split
from dprk_stance.stances import LABELS
from dprk_stance.suggest import suggest

PARAGRAPHS = [
    "Enterprises should set their own plans and prices and keep part of their earnings.",
    "The delegation laid a wreath at the monument on arrival in the capital city.",
    "Trade must reach many countries and regions, and new markets have to be opened.",
    "The state's unified guidance over the economy must be strengthened in every unit.",
    "The volume of output rose in the first half of the year at the county's plants.",
    "Economic development zones should welcome foreign investors from several partners.",
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A project folder with a corpus, a fitted tf-idf model, documents and a labelling run."""
    root = tmp_path_factory.mktemp("loop")
    cfg = tiny_config(root, root / "no-backbone")
    write_jsonl(Path(cfg.paths.raw_dir) / "corpus.jsonl", make_corpus())
    corpus = pd.DataFrame(make_corpus())
    model = build_model("tfidf-logreg", cfg.model_params("tfidf-logreg"), seed=0)
    y = corpus["label"].map(LABELS.index).to_numpy()
    model.fit(corpus["text"].tolist(), y, corpus["text"].tolist(), y)
    model.abstain_threshold = 0.6
    model.save(root / "model")
    docs = write_jsonl(
        root / "docs" / "stories.jsonl",
        [
            {
                "id": f"story-{d}",
                "date": f"2012-0{d + 1}-15",
                "title": f"Story {d}",
                "journal": "Pyongyang Times",
                "text": "\n\n".join(PARAGRAPHS[d * 3 : d * 3 + 3]),
            }
            for d in range(2)
        ],
    )
    run = label_documents([docs], root / "model", root / "run.csv", LabelOptions(progress=False))
    return cfg, root, run.out


def ls_export(tasks_file: Path, labels: list[str], path: Path, who: int = 1) -> Path:
    """A Label Studio JSON export of the queue's tasks with one annotation per task."""
    tasks = json.loads(tasks_file.read_text())
    exported = []
    for i, (task, label) in enumerate(zip(tasks, labels, strict=True)):
        annotations = []
        if label:
            choice = "no stance" if label == "none" else label
            annotations.append(
                {
                    "id": 100 + i,
                    "completed_by": who,
                    "was_cancelled": False,
                    "created_at": "2026-11-30T08:00:00.000000Z",
                    "updated_at": "2026-11-30T08:01:00.000000Z",
                    "result": [
                        {
                            "from_name": "stance",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": [choice]},
                        }
                    ],
                }
            )
        exported.append({"id": i + 1, **task, "annotations": annotations})
    path.write_text(json.dumps(exported))
    return path


def queue(setup, tmp_path, n=4):
    return suggest([setup[2]], n, "uncertainty", tmp_path / "queue")


def test_round_trip_into_the_corpus(setup, tmp_path):
    cfg, _, run = setup
    q = queue(setup, tmp_path)
    tasks = json.loads(q.tasks.read_text())
    model_labels = [t["predictions"][0]["result"][0]["value"]["choices"][0] for t in tasks]
    labels = ["conservative", "none", "pro-diversification", ""]  # the last one skipped
    export = ls_export(q.tasks, labels, tmp_path / "project-1-export.json")
    store = Path(cfg.paths.raw_dir) / "annotations"
    result = import_labels([export], "kim", cfg, store, tmp_path / "reports", journal="KCNA")
    assert (result.imported, result.unlabelled, result.rejected) == (3, 1, 0)
    assert result.written == store / f"project-1-export-{result.written.stem[-10:]}.jsonl"

    report = ingest(cfg)
    assert report["origins"] == {"authored": len(make_corpus()), "annotation": 3}
    assert report["annotations"]["kept_by_annotator"] == {"kim": 3}
    assert report["annotations"]["valid_labels_by_annotator"] == {"kim": 3}
    table = pd.read_parquet(Path(cfg.paths.processed_dir) / "passages.parquet")
    mine = table[table["origin"] == "annotation"].set_index("text")
    expected = {t["data"]["text"]: (lab, t) for t, lab in zip(tasks, labels, strict=True) if lab}
    assert set(mine.index) == set(expected)
    for text, (label, task) in expected.items():
        row = mine.loc[text]
        assert row["label"] == label
        assert row["annotator"] == "kim"
        assert row["annotated_at"] == "2026-11-30T08:01:00.000000Z"
        assert row["model_sha256"] == task["data"]["model_sha256"]
        assert row["source_run"] == str(run)
        assert row["journal"] == "Pyongyang Times" and row["year"] == 2012
        assert (row["start"], row["end"]) == (task["data"]["start"], task["data"]["end"])
        assert bool(row["agrees_with_model"]) == (label == task["data"]["model_label"])
    assert model_labels  # pre-annotations were there to agree or disagree with
    assert (table["origin"] == "authored").sum() == len(make_corpus())

    splits = split(cfg)
    assert sum(splits[s]["annotations"] for s in ("train", "dev", "test")) == 3

    again = import_labels([export], "kim", cfg, store, tmp_path / "reports", journal="KCNA")
    assert (again.imported, again.already_imported, again.written) == (0, 3, None)
    assert len(list(store.glob("*.jsonl"))) == 1
    assert len(result.written.read_text().splitlines()) == 3
    for path in store.glob("*.jsonl"):
        path.unlink()


def csv_rows(q, tmp_path: Path, edit) -> Path:
    """The queue CSV filled in by hand; ``edit(frame)`` changes it like an annotator would."""
    frame = pd.read_csv(q.csv, dtype=str, keep_default_na=False)
    edit(frame)
    out = tmp_path / "filled.csv"
    frame.to_csv(out, index=False)
    return out


def test_each_kind_of_bad_row_is_rejected_with_file_row_and_reason(setup, tmp_path):
    cfg = setup[0]
    q = queue(setup, tmp_path, n=6)

    def edit(frame):
        frame["label"] = ["none", "Neutral", "conservative", "none", "none", "conservative"]
        frame.loc[2, "doc_id"] = ""  # missing id
        frame.loc[3, "text"] = frame.loc[3, "text"] + " (edited)"  # text changed
        frame.loc[4, "start"] = str(int(frame.loc[4, "start"]) + 1)  # span moved
        frame.loc[5, "year"] = ""  # no year: not a valid corpus row
        frame.loc[5, "date"] = ""

    filled = csv_rows(q, tmp_path, edit)
    store, reports = tmp_path / "store", tmp_path / "reports"
    result = import_labels([filled], "kim", cfg, store, reports, journal="KCNA")
    rejects = [json.loads(line) for line in result.rejects.read_text().splitlines()]
    got = {(r["row"], r["reason"]) for r in rejects}
    assert got == {
        (3, "unknown_label"),
        (4, "missing_id"),
        (5, "text_changed"),
        (6, "source_mismatch"),
        (7, "missing_field"),
    }
    assert all(r["file"] == str(filled) and r["detail"] for r in rejects)
    assert result.imported == 1 and result.rejected == 5
    assert result.rows_read == result.imported + result.rejected + result.unlabelled

    # the annotator fixes the label they mistyped and drops the other bad rows: importing
    # again adds the fixed row only, and the stale rejects file goes
    frame = pd.read_csv(filled, dtype=str, keep_default_na=False)
    frame.loc[1, "label"] = "none"
    frame.loc[2:, "label"] = ""
    frame.to_csv(filled, index=False)
    again = import_labels([filled], "kim", cfg, store, reports, journal="KCNA")
    assert (again.imported, again.already_imported, again.rejected) == (1, 1, 0)
    assert not result.rejects.exists()


def test_source_document_changed_or_gone(setup, tmp_path):
    cfg = setup[0]
    q = queue(setup, tmp_path, n=1)
    moved = tmp_path / "stories.jsonl"

    def edit(frame):
        frame["label"] = "none"
        frame["source_document"] = str(moved)

    filled = csv_rows(q, tmp_path, edit)
    result = import_labels([filled], "kim", cfg, tmp_path / "store", tmp_path / "reports")
    assert result.rejected_by_reason == {"source_missing": 1}
    moved.write_text(json.dumps({"id": "other", "text": "a different story altogether"}) + "\n")
    result = import_labels([filled], "kim", cfg, tmp_path / "store", tmp_path / "reports")
    assert result.rejected_by_reason == {"source_mismatch": 1}
    result = import_labels(
        [filled], "kim", cfg, tmp_path / "store", tmp_path / "reports", verify_source=False
    )
    assert result.imported == 1


def test_same_passage_twice_by_one_annotator(setup, tmp_path):
    cfg = setup[0]
    q = queue(setup, tmp_path, n=2)
    store, reports = tmp_path / "store", tmp_path / "reports"
    first = ls_export(q.tasks, ["none", "conservative"], tmp_path / "first.json")
    assert import_labels([first], "kim", cfg, store, reports).imported == 2
    changed = ls_export(q.tasks, ["none", "pro-diversification"], tmp_path / "second.json")
    result = import_labels([changed], "kim", cfg, store, reports)
    assert (result.imported, result.already_imported) == (0, 1)
    assert result.rejected_by_reason == {"labelled_twice": 1}
    # twice within one export: both copies rejected, neither chosen silently
    tasks = json.loads(first.read_text())
    tasks[1]["annotations"].append({**tasks[1]["annotations"][0], "id": 999})
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps(tasks))
    result = import_labels([twice], "lee", cfg, store, reports)
    assert result.imported == 1 and result.rejected_by_reason == {"labelled_twice": 2}


def test_agreement_against_hand_computed_values():
    a = ["conservative", "conservative", "none", "none"]
    b = ["conservative", "none", "none", "none"]
    rows = [(i, "A", lab) for i, lab in enumerate(a)] + [(i, "B", lab) for i, lab in enumerate(b)]
    rows.append((9, "A", "none"))  # labelled once: not in any statistic
    result = annotator_agreement(pd.DataFrame(rows, columns=["item", "annotator", "label"]))
    # kappa: p_o = 3/4, p_e = 1/2 * 1/4 + 1/2 * 3/4 = 1/2, kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert result["pairs"] == [
        {"a": "A", "b": "B", "items": 4, "agreement": 0.75, "cohen_kappa": pytest.approx(0.5)}
    ]
    # alpha (nominal): 8 pairable values, n_c = 3, n_n = 5; D_o = 2/8, D_e = 2*3*5/(8*7)
    assert result["krippendorff_alpha"] == pytest.approx(1 - (2 / 8) / (30 / 56))
    assert result["items_labelled_twice_or_more"] == 4
    assert result["disagreements"] == [{"item": 1, "labels": {"A": "conservative", "B": "none"}}]


def test_two_annotators_get_an_agreement_report_and_an_adjudication_queue(setup, tmp_path, capsys):
    cfg = setup[0]
    q = queue(setup, tmp_path, n=3)
    store, reports = tmp_path / "store", tmp_path / "reports"
    kim = ls_export(q.tasks, ["none", "conservative", "none"], tmp_path / "kim.json")
    lee = ls_export(q.tasks, ["none", "pro-diversification", "none"], tmp_path / "lee.json")
    import_labels([kim], "kim", cfg, store, reports)
    params = tmp_path / "params.yaml"
    import yaml

    params.write_text(yaml.safe_dump(cfg.to_dict()))
    argv = ["import-labels", str(lee), "--annotator", "lee", "--params", str(params)]
    assert main([*argv, "--out-dir", str(store), "--report-dir", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "3 passages labelled by two or more of 2 annotators" in out
    assert "kim vs lee: 3 shared" in out
    queue_ = pd.read_csv(reports / "adjudication.csv")
    assert len(queue_) == 1
    assert queue_.loc[0, "label_kim"] == "conservative"
    assert queue_.loc[0, "label_lee"] == "pro-diversification"
    report = json.loads((reports / "agreement.json").read_text())
    assert report["pairs"][0]["agreement"] == pytest.approx(2 / 3)


def test_cli_exit_status_with_rejects(setup, tmp_path, capsys):
    cfg = setup[0]
    q = queue(setup, tmp_path, n=1)

    def edit(frame):
        frame["label"] = "maybe"

    filled = csv_rows(q, tmp_path, edit)
    import yaml

    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(cfg.to_dict()))
    argv = ["import-labels", str(filled), "--annotator", "kim", "--params", str(params)]
    argv += ["--out-dir", str(tmp_path / "s"), "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 1
    assert "unknown_label 1" in capsys.readouterr().out
    assert not (tmp_path / "s").exists()  # nothing written


def test_unreadable_exports_name_the_file(setup, tmp_path):
    cfg = setup[0]
    latin = tmp_path / "excel.csv"
    latin.write_bytes("doc_id,label\nd1,none \xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"excel\.csv: not UTF-8"):
        import_labels([latin], "kim", cfg, tmp_path / "s", tmp_path / "r")
    broken = tmp_path / "export.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match=r"export\.json: not a Label Studio JSON export"):
        import_labels([broken], "kim", cfg, tmp_path / "s", tmp_path / "r")
