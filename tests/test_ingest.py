import json

import pandas as pd
import pytest
from conftest import make_corpus, write_jsonl

from dprk_stance.ingest import IngestError, ingest
from dprk_stance.text import HAKPO, KYONGJE


def _rejects(cfg):
    path = f"{cfg.paths.processed_dir}/rejects.jsonl"
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_clean_corpus_is_kept_whole(cfg):
    report = ingest(cfg)
    table = pd.read_parquet(f"{cfg.paths.processed_dir}/passages.parquet")
    assert report["rows_read"] == report["rows_kept"] == len(table) == 120
    assert set(table["journal"]) == {KYONGJE, HAKPO}
    assert set(table["journal_raw"]) == {"Kyongje Yongu", "Hakpo"}
    assert table["source"].str.match(r".*corpus\.jsonl:\d+$").all()


def test_bad_rows_go_to_rejects_with_reason_file_and_line(cfg, corpus_dir):
    good = make_corpus(n_docs=3)
    bad = [
        {**good[0], "id": "x1", "label": "reformist"},
        {**good[0], "id": "x2", "text": "   "},
        {**good[0], "id": "x3", "year": "twenty"},
        {**good[0], "id": "x4", "year": 1850},
        {k: v for k, v in good[0].items() if k != "doc_id"} | {"id": "x5"},
        {**good[0], "id": "x6", "difficulty": "impossible"},
        {**good[1]},  # duplicate id of a good row
    ]
    write_jsonl(corpus_dir / "corpus.jsonl", good)
    write_jsonl(corpus_dir / "extra.jsonl", bad)
    report = ingest(cfg)
    reasons = {r["row"]["id"]: (r["reason"], r["file"], r["line"]) for r in _rejects(cfg)}
    assert reasons["x1"][0] == "unknown_label"
    assert reasons["x2"][0] == "empty_text"
    assert reasons["x3"][0] == "bad_year"
    assert reasons["x4"][0] == "bad_year"
    assert reasons["x5"][0] == "missing_field"
    assert reasons["x6"][0] == "unknown_difficulty"
    assert all(f.endswith("extra.jsonl") for _, f, _ in reasons.values())
    assert reasons["x1"][2] == 1 and reasons["x6"][2] == 6
    assert report["rows_kept"] == len(good)
    assert report["rows_read"] == len(good) + len(bad)
    assert report["rejected_by_reason"]["bad_year"] == 2


def test_exact_duplicates_after_normalisation_are_dropped(cfg, corpus_dir):
    rows = make_corpus(n_docs=3)
    dup = {**rows[0], "id": "dup", "text": "  " + rows[0]["text"].replace(" ", "  ") + " "}
    write_jsonl(corpus_dir / "corpus.jsonl", [*rows, dup])
    report = ingest(cfg)
    assert report["rows_kept"] == len(rows)
    assert [r["reason"] for r in _rejects(cfg)] == ["duplicate_text"]


def test_conflicting_labels_reject_every_copy(cfg, corpus_dir):
    rows = make_corpus(n_docs=3)
    other = next(lab for lab in ("conservative", "pro-diversification") if lab != rows[0]["label"])
    write_jsonl(corpus_dir / "corpus.jsonl", [*rows, {**rows[0], "id": "c2", "label": other}])
    report = ingest(cfg)
    assert report["rejected_by_reason"] == {"conflicting_labels": 2}
    assert report["rows_kept"] == len(rows) - 1


def test_csv_input_and_curly_quotes(cfg, corpus_dir):
    rows = make_corpus(n_docs=3)
    (corpus_dir / "corpus.jsonl").unlink()
    frame = pd.DataFrame(rows)
    frame.loc[0, "text"] = "\u201cOur own\u201d way \u2026 " + frame.loc[0, "text"]
    frame.to_csv(corpus_dir / "corpus.csv", index=False)
    ingest(cfg)
    table = pd.read_parquet(f"{cfg.paths.processed_dir}/passages.parquet")
    assert len(table) == len(rows)
    assert table.loc[0, "text"].startswith('"Our own" way ...')
    assert table.loc[0, "source"].endswith("corpus.csv:2")


def test_malformed_lines_are_row_rejections_naming_file_and_line(cfg, corpus_dir):
    """Issue 10/12: one bad line used to abort the whole ingest with a traceback."""
    good = make_corpus(n_docs=3)
    write_jsonl(corpus_dir / "corpus.jsonl", good)
    extra = make_corpus(n_docs=2, seed=1)
    extra = [{**r, "id": f"e{i}", "text": r["text"] + " (extra)"} for i, r in enumerate(extra)]
    lines = [json.dumps(extra[0]).encode(), b'{"id": ', b"[1, 2]"]
    lines += ['{"id": "e9", "text": "caf\xe9"}'.encode("latin-1"), json.dumps(extra[1]).encode()]
    (corpus_dir / "broken.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    header = "id,doc_id,text,label,journal,year\n"
    row = "c1,c-doc,Enterprises should set prices,pro-decentralization,Hakpo,2016\n"
    bad = "c2,c-doc,Enterprises, not the plan, should decide,pro-decentralization,Hakpo,2016\n"
    (corpus_dir / "rows.csv").write_bytes(
        (header + row + bad).encode() + b"c3,c-doc,caf\xe9 au lait,conservative,Hakpo,2016\n"
    )
    report = ingest(cfg)
    found = {(r["file"].rsplit("/", 1)[-1], r["line"]): r["reason"] for r in _rejects(cfg)}
    assert found == {
        ("broken.jsonl", 2): "bad_json",
        ("broken.jsonl", 3): "bad_json",
        ("broken.jsonl", 4): "decode_error",
        ("rows.csv", 3): "extra_fields",
        ("rows.csv", 4): "decode_error",
    }
    assert report["rows_kept"] == len(good) + 2 + 1


def test_hidden_checkpoint_copy_never_wins_over_the_real_file(cfg, corpus_dir):
    """Issue 10: a notebook's .ipynb_checkpoints copy sorted first and replaced the rows."""
    rows = make_corpus(n_docs=3)
    write_jsonl(corpus_dir / "corpus.jsonl", rows)
    stale = [{**r, "label": "conservative", "text": "stale " + r["text"]} for r in rows]
    write_jsonl(corpus_dir / ".ipynb_checkpoints" / "corpus-checkpoint.jsonl", stale)
    report = ingest(cfg)
    table = pd.read_parquet(f"{cfg.paths.processed_dir}/passages.parquet")
    assert report["rows_kept"] == len(rows) and not table["text"].str.startswith("stale").any()
    assert [f.rsplit("/", 1)[-1] for f in report["skipped_hidden_files"]] == [
        "corpus-checkpoint.jsonl"
    ]
    assert all(".ipynb" not in f for f in report["files"])


def test_non_string_text_is_rejected_with_a_reason(cfg, corpus_dir):
    """Issue 10: list/object text was stored as its Python repr and trained on."""
    rows = make_corpus(n_docs=3)
    odd = [
        {**rows[0], "id": "y-1", "text": ["Enterprises should set prices.", "Farms too."]},
        {**rows[0], "id": "y-2", "text": {"en": "Trade must serve self-reliance."}},
    ]
    write_jsonl(corpus_dir / "corpus.jsonl", [*rows, *odd])
    report = ingest(cfg)
    rejects = {r["row"]["id"]: r for r in _rejects(cfg)}
    assert rejects["y-1"]["reason"] == rejects["y-2"]["reason"] == "not_a_string"
    assert "is a list" in rejects["y-1"]["detail"] and rejects["y-1"]["line"] == len(rows) + 1
    assert report["rows_kept"] == len(rows)


def test_nothing_valid_is_an_error_and_rejects_are_still_written(cfg, corpus_dir):
    rows = [{**r, "label": "neutral"} for r in make_corpus(n_docs=2)]
    write_jsonl(corpus_dir / "corpus.jsonl", rows)
    with pytest.raises(IngestError, match="no valid rows remain"):
        ingest(cfg)
    assert len(_rejects(cfg)) == len(rows)


def test_main_exit_code_and_message(cfg, corpus_dir, tmp_path, capsys):
    import yaml

    from dprk_stance.ingest import main

    (corpus_dir / "broken.csv").write_text("", encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(cfg.to_dict()))
    assert main(["--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "broken.csv: empty CSV file" in err and "Traceback" not in err


def test_no_stance_rows_are_ingested_and_counted(cfg, corpus_dir):
    rows = make_corpus(n_docs=8)
    assert any(r["label"] == "none" for r in rows)
    write_jsonl(corpus_dir / "corpus.jsonl", rows)
    report = ingest(cfg)
    assert report["labels"]["none"] == sum(r["label"] == "none" for r in rows)
    assert report["rows_rejected"] == 0 and len(report["corpus_version"]) == 12
