import dataclasses
import gzip
import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
from conftest import KCNA

from dprk_stance import label as label_module
from dprk_stance.label import LabelOptions, label_documents, output_paths
from dprk_stance.models import load_model
from dprk_stance.stances import LABELS, PROB_COLUMNS, STANCES
from dprk_stance.text import normalize_text

PARAS = [
    "Enterprises should be given the right to draw up their own plans, fix prices for goods "
    "produced beyond the plan and keep part of their earnings for reinvestment.",
    "Trade should reach many countries and regions; economic development zones should welcome "
    "foreign investors and tourism should become a source of foreign currency.",
    "The state's unified guidance must be strengthened, and trade may only supplement the "
    "self-supporting national economy built on our own raw materials.",
]
QUIET = LabelOptions(progress=False)


def _docs(folder: Path) -> Path:
    """One document per supported format, each holding the three paragraphs."""
    import docx
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(PARAS)
    (folder / "a.txt").write_text("Page 1\n\n" + body + "\n\n- 2 -\n", encoding="utf-8")
    (folder / "b.md").write_text("# On trade\n\n" + body, encoding="utf-8")
    (folder / "c.html").write_text(
        "<html><head><title>Issue 3</title><style>p{}</style><script>var x=1;</script></head>"
        "<body>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</body></html>",
        encoding="utf-8",
    )
    document = docx.Document()
    for p in PARAS:
        document.add_paragraph(p)
    document.save(folder / "d.docx")
    pdf = canvas.Canvas(str(folder / "e.pdf"), pagesize=A4)
    y = 800
    for p in PARAS:
        words = p.split()
        for i in range(0, len(words), 12):
            pdf.drawString(40, y, " ".join(words[i : i + 12]))
            y -= 14
        y -= 20
    pdf.save()
    rows = [
        {
            "id": f"r{i}",
            "date": f"2015-0{i + 1}-01",
            "journal": "Kyongje Yongu",
            "title": f"t{i}",
            "text": p,
        }
        for i, p in enumerate(PARAS)
    ]
    (folder / "f.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    # Document ids are unique across the files of a run: the CSV copy gets its own.
    pd.DataFrame(rows).assign(id=lambda f: "c" + f["id"]).to_csv(folder / "g.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    return _docs(tmp_path_factory.mktemp("docs"))


@pytest.fixture(scope="module")
def tfidf(trained):
    return Path(trained.paths.models_dir) / "tfidf-logreg"


def test_every_format_is_labelled(docs, tfidf, tmp_path):
    result = label_documents([docs], tfidf, tmp_path / "out.csv", QUIET)
    rows = pd.read_csv(result.out)
    assert not result.failures
    per_source = rows.groupby(rows["source"].map(lambda s: Path(s).suffix)).size().to_dict()
    assert set(per_source) == {".txt", ".md", ".html", ".docx", ".pdf", ".jsonl", ".csv"}
    assert per_source[".jsonl"] == per_source[".csv"] == 3  # one document per row
    assert set(rows["label"]) <= set(LABELS)
    assert (rows[list(PROB_COLUMNS)].sum(axis=1).round(6) == 1).all()
    jsonl_rows = rows[rows["source"].str.endswith(".jsonl")]
    assert set(jsonl_rows["journal"]) == {"Kyongje Yongu"} and jsonl_rows["date"].notna().all()
    assert rows["model_sha256"].nunique() == 1 and len(rows["model_sha256"].iloc[0]) == 64
    summary = pd.read_csv(result.summary)
    assert summary["passages"].sum() == len(rows)
    assert result.chart.read_bytes()[:4] == b"\x89PNG"
    assert result.skipped_fragments >= 2  # "Page 1" and "- 2 -"


def test_spans_point_back_into_the_document(docs, tfidf, tmp_path):
    result = label_documents([docs / "a.txt"], tfidf, tmp_path / "out.jsonl", QUIET)
    text = (docs / "a.txt").read_text(encoding="utf-8")
    for row in map(json.loads, result.out.read_text().splitlines()):
        assert normalize_text(text[row["start"] : row["end"]]) == row["text"]


def test_passages_name_the_input_rows_they_came_from(tfidf, tmp_path):
    """Rows grouped into one document by doc_id keep their ids: each passage row lists the
    input rows it overlaps (``row_ids``); inputs without row ids leave it empty."""
    rows = [
        {
            "doc_id": "art",
            "id": "r1",
            "text": "Enterprises must have the right to plan their "
            "own production and to keep part of what they earn.",
        },
        {
            "doc_id": "art",
            "id": "r2",
            "text": "Trade must reach many more countries and regions, "
            "and the zones must be opened to investors from every continent.",
        },
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "plain.txt").write_text(rows[0]["text"] + "\n", encoding="utf-8")
    out = label_documents([path, tmp_path / "plain.txt"], tfidf, tmp_path / "out.csv", QUIET).out
    frame = pd.read_csv(out)
    grouped = frame[frame["doc_id"] == "art"]
    assert grouped["row_ids"].tolist() == ["r1", "r2"]
    assert frame.loc[frame["doc_id"] != "art", "row_ids"].isna().all()


def test_no_passage_exceeds_the_model_window(trained, tmp_path):
    model_dir = Path(trained.paths.models_dir) / "transformer"
    long_doc = tmp_path / "long.txt"
    long_doc.write_text(" ".join(PARAS * 20), encoding="utf-8")  # one paragraph, ~1,000 words
    result = label_documents([long_doc], model_dir, tmp_path / "out.csv", QUIET)
    model = load_model(model_dir)
    rows = pd.read_csv(result.out)
    assert len(rows) > 5 and result.split_paragraphs == 1
    assert max(model.count_tokens(t) for t in rows["text"]) <= model.max_tokens


def test_stdin(tfidf, tmp_path):
    result = label_documents(
        ["-"], tfidf, tmp_path / "out.csv", QUIET, stdin=io.StringIO("\n\n".join(PARAS))
    )
    rows = pd.read_csv(result.out)
    assert len(rows) == 3 and set(rows["doc_id"]) == {"stdin"}


def test_bad_file_among_good_ones(docs, tfidf, tmp_path, capsys):
    from dprk_stance.cli import main

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("   \n", encoding="utf-8")
    (bad / "broken.jsonl").write_text(
        '{"text": "fine passage that is long enough to keep"}\n{not json\n', encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    code = main(
        [
            "label",
            str(docs / "a.txt"),
            str(bad),
            "--model",
            str(tfidf),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "empty.txt" in err and "broken.jsonl, line 2" in err
    rows = pd.read_csv(out)
    assert set(rows["source"].map(lambda s: Path(s).name)) == {"a.txt", "broken.jsonl"}
    failures = [json.loads(x) for x in output_paths(out)["failures"].read_text().splitlines()]
    assert len(failures) == 2
    outputs = json.loads(output_paths(out)["report"].read_text())["outputs"]
    assert outputs["failures"] == str(output_paths(out)["failures"])


def test_the_run_report_names_only_the_files_written(docs, tfidf, tmp_path):
    """Without failures no failures file is written, and the run report does not name one."""
    out = tmp_path / "out.csv"
    label_documents([docs / "a.txt"], tfidf, out, QUIET)
    outputs = json.loads(output_paths(out)["report"].read_text())["outputs"]
    assert "failures" not in outputs and not output_paths(out)["failures"].exists()
    assert all(Path(path).is_file() for path in outputs.values())


def test_resume_after_interruption_gives_the_same_rows(docs, tfidf, tmp_path, monkeypatch):
    inputs = [docs]
    options = LabelOptions(progress=False, chunk_passages=2)
    reference = pd.read_csv(label_documents(inputs, tfidf, tmp_path / "ref.csv", options).out)

    calls = {"n": 0}
    original = label_module._score_and_write

    def crash_on_third_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    out = tmp_path / "run.csv"
    monkeypatch.setattr(label_module, "_score_and_write", crash_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        label_documents(inputs, tfidf, out, options)
    monkeypatch.setattr(label_module, "_score_and_write", original)
    assert not out.exists(), "no final output from an interrupted run"
    work = output_paths(out)["work_passages"]
    with open(work, "a", encoding="utf-8") as fh:  # a torn, half-written tail line
        fh.write('{"doc_id": "torn", "pass')
    result = label_documents(
        inputs, tfidf, out, LabelOptions(progress=False, chunk_passages=2, resume=True)
    )
    assert result.resumed_documents == 2
    resumed = pd.read_csv(out)
    pd.testing.assert_frame_equal(resumed, reference)
    assert not work.exists() and not output_paths(out)["work_inputs"].exists()
    # The speed is this session's: passages carried over from the checkpoint are not in it.
    first_two = reference["doc_id"].isin(reference["doc_id"].unique()[:2]).sum()
    assert result.resumed_passages == first_two > 0
    assert result.passages == len(reference)
    assert result.passages_per_s * result.seconds == pytest.approx(len(reference) - first_two)
    report = json.loads(result.report.read_text())
    assert report["passages_per_s"] == pytest.approx(result.passages_per_s)


def test_resume_refuses_a_different_run(docs, tfidf, tmp_path, monkeypatch):
    out = tmp_path / "run.csv"
    monkeypatch.setattr(label_module, "finalise", lambda *a, **k: None)
    label_documents([docs / "a.txt"], tfidf, out, QUIET)
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r"inputs \[.*a\.txt'\] then, \[.*b\.md'\] now"):
        label_documents([docs / "b.md"], tfidf, out, LabelOptions(progress=False, resume=True))


# -- resume checks the inputs' content --------------------------------------------------------

CHUNKED = LabelOptions(progress=False, chunk_passages=2)  # a checkpoint after every document


def _story(i: int) -> str:
    return f"Report number {i} from the economic front, as the journal printed it.\n\n" + (
        "\n\n".join(PARAS)
    )


def _folder(root: Path, names: Sequence[str] = ("b.txt", "c.txt", "d.txt")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (root / name).write_text(_story(i), encoding="utf-8")
    return root


def _interrupt(
    inputs, model, out, monkeypatch, after: int = 1, stdin=None, **options
) -> dict[str, Path]:
    """Start a run and Ctrl-C it once ``after`` documents are checkpointed (as the resume
    test above does); the working files and checkpoint stay behind."""
    original = label_module._score_and_write
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(label_module, "_score_and_write", crash)
        with pytest.raises(KeyboardInterrupt):
            label_documents(
                inputs, model, out, dataclasses.replace(CHUNKED, **options), stdin=stdin
            )
    paths = output_paths(out)
    assert paths["progress"].is_file() and not out.exists()
    return paths


def _resume(inputs, model, out, **options):
    return label_documents(inputs, model, out, dataclasses.replace(CHUNKED, resume=True, **options))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("add", r"added: \S*a-new\.txt(;|\))"),  # sorts first: every later document shifts
        ("remove", r"removed: \S*c\.txt(;|\))"),
        ("edit", r"changed: \S*d\.txt(;|\))"),
    ],
)
def test_resume_refuses_when_the_files_in_an_input_folder_changed(
    tfidf, tmp_path, monkeypatch, change, expected
):
    """A folder's files changed after the interruption: resuming by document count would
    skip the new file, label others twice, or keep rows of text no longer there."""
    folder = _folder(tmp_path / "issues")
    out = tmp_path / "out.csv"
    paths = _interrupt([folder], tfidf, out, monkeypatch)
    if change == "add":
        (folder / "a-new.txt").write_text(_story(9), encoding="utf-8")
    elif change == "remove":
        (folder / "c.txt").unlink()
    else:  # same size, other words: only the hash tells
        text = (folder / "d.txt").read_text(encoding="utf-8")
        (folder / "d.txt").write_text(text.replace("Report", "Papers"), encoding="utf-8")
    with pytest.raises(ValueError, match=expected) as refused:
        _resume([folder], tfidf, out)
    assert "start without --resume" in str(refused.value)
    assert change != "add" or "changed:" not in str(refused.value)
    # Refusing leaves the checkpoint as it was, and no outputs.
    assert paths["progress"].is_file() and not out.exists()


def test_resume_refuses_a_jsonl_replaced_at_the_same_path(tfidf, tmp_path, monkeypatch):
    """Other stories at the same path: the rows of the old ones must not be kept."""
    archive = tmp_path / "stories.jsonl"

    def write(prefix: str) -> None:
        rows = [{"id": f"{prefix}{i}", "text": _story(i)} for i in range(4)]
        archive.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    write("old")
    out = tmp_path / "out.jsonl"
    _interrupt([archive], tfidf, out, monkeypatch, after=2)
    write("new")
    with pytest.raises(ValueError, match=r"changed: \S*stories\.jsonl\)"):
        _resume([archive], tfidf, out)


def test_resume_names_the_option_that_differs(tfidf, tmp_path, monkeypatch):
    folder = _folder(tmp_path / "issues")
    out = tmp_path / "out.csv"
    _interrupt([folder], tfidf, out, monkeypatch, threshold=0.3)
    with pytest.raises(
        ValueError, match=r"belongs to another run \(threshold 0\.3 then, 0\.9 now\)"
    ):
        _resume([folder], tfidf, out, threshold=0.9)
    with pytest.raises(ValueError, match=r"\(min_chars 40 then, 30 now\)"):
        _resume([folder], tfidf, out, threshold=0.3, min_chars=30)
    # The same options: it resumes.
    assert _resume([folder], tfidf, out, threshold=0.3).resumed_documents == 1


def test_resume_of_unchanged_inputs_gives_an_uninterrupted_runs_rows(tfidf, tmp_path, monkeypatch):
    """Files touched but not changed (same bytes, new mtime) still resume, to the same rows."""
    folder = _folder(tmp_path / "issues", ["a.txt", "b.txt", "c.txt", "d.txt"])
    (folder / "metadata.csv").write_text("file,date\nb.txt,2016-03-01\n", encoding="utf-8")
    reference = pd.read_csv(label_documents([folder], tfidf, tmp_path / "ref.csv", CHUNKED).out)
    out = tmp_path / "out.csv"
    _interrupt([folder], tfidf, out, monkeypatch, after=2)
    for file in folder.iterdir():
        file.write_bytes(file.read_bytes())
    result = _resume([folder], tfidf, out)
    assert result.resumed_documents == 2 and result.documents == 4
    pd.testing.assert_frame_equal(pd.read_csv(out), reference)


def test_resume_refuses_when_the_metadata_sidecar_changed(tfidf, tmp_path, monkeypatch):
    """The folder's metadata.csv is read too: the dates of written rows would be stale."""
    folder = _folder(tmp_path / "issues")
    (folder / "metadata.csv").write_text("file,date\nb.txt,2016-03-01\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    _interrupt([folder], tfidf, out, monkeypatch)
    (folder / "metadata.csv").write_text("file,date\nb.txt,2017-03-01\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"changed: \S*metadata\.csv"):
        _resume([folder], tfidf, out)


def test_resume_refuses_stdin(tfidf, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    text = "\n\n".join(PARAS)
    _interrupt(["-"], tfidf, out, monkeypatch, after=0, stdin=io.StringIO(text))
    with pytest.raises(ValueError, match=r"stdin \(-\)"):
        label_documents(
            ["-"],
            tfidf,
            out,
            dataclasses.replace(CHUNKED, resume=True),
            stdin=io.StringIO(text),
        )


def test_resume_refuses_a_checkpoint_without_a_record_of_its_inputs(tfidf, tmp_path, monkeypatch):
    """A checkpoint from before inputs were fingerprinted cannot be checked: refused."""
    folder = _folder(tmp_path / "issues")
    out = tmp_path / "out.csv"
    paths = _interrupt([folder], tfidf, out, monkeypatch)
    paths["work_inputs"].unlink()
    with pytest.raises(ValueError, match="no record of the files it was made from"):
        _resume([folder], tfidf, out)


def test_a_fresh_start_warns_that_it_replaces_a_checkpoint(tfidf, tmp_path, monkeypatch, caplog):
    folder = _folder(tmp_path / "issues")
    out = tmp_path / "out.csv"
    with caplog.at_level(logging.WARNING, logger="dprk_stance.label"):
        paths = _interrupt([folder], tfidf, out, monkeypatch)
    assert not [r for r in caplog.records if "checkpoint" in r.getMessage()]
    with caplog.at_level(logging.WARNING, logger="dprk_stance.label"):
        result = label_documents([folder], tfidf, out, CHUNKED)
    warnings = [r for r in caplog.records if r.name == "dprk_stance.label"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert f"replacing the checkpoint {paths['progress']}" in warnings[0].getMessage()
    assert result.resumed_documents == 0 and result.documents == 3
    assert pd.read_csv(out)["doc_id"].value_counts().to_dict() == {
        "b.txt": 4,
        "c.txt": 4,
        "d.txt": 4,
    }


def test_fingerprinting_reads_each_file_once(tfidf, tmp_path, monkeypatch):
    """Inputs are hashed once per run, at the start: not per document or per checkpoint."""
    folder = _folder(tmp_path / "issues")
    hashed: list[str] = []
    original = label_module.file_sha256
    monkeypatch.setattr(
        label_module, "file_sha256", lambda path: hashed.append(str(path)) or original(path)
    )
    label_documents([folder], tfidf, tmp_path / "out.csv", CHUNKED)
    assert sorted(Path(p).name for p in hashed) == ["b.txt", "c.txt", "d.txt"]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_output_formats_hold_the_same_rows(docs, tfidf, tmp_path, suffix):
    csv = pd.read_csv(label_documents([docs], tfidf, tmp_path / "a.csv", QUIET).out)
    out = label_documents([docs], tfidf, tmp_path / f"a{suffix}", QUIET).out
    other = pd.read_parquet(out) if suffix == ".parquet" else pd.read_json(out, lines=True)
    assert len(other) == len(csv)
    assert other["label"].tolist() == csv["label"].tolist()


@pytest.mark.parametrize(
    "name", ["keywords", "tfidf-logreg", "embed-logreg", "setfit", "transformer", "ensemble"]
)
def test_every_model_kind_labels(trained, docs, name, tmp_path):
    result = label_documents(
        [docs / "a.txt"], Path(trained.paths.models_dir) / name, tmp_path / "out.csv", QUIET
    )
    rows = pd.read_csv(result.out)
    assert len(rows) == 3
    assert set(rows["label"]) <= set(LABELS) and set(rows["stance"]) <= set(STANCES)
    assert (rows.loc[rows["label"] == "none", "no_stance"]).all()
    assert (rows.loc[rows["no_stance"], "uncertain"]).all()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_no_stance_signal_in_every_output_format(trained, tmp_path, suffix):
    """A no-stance passage is flagged in every format, with p_none and the best stance."""
    doc = tmp_path / "issue.txt"
    doc.write_text(
        "The plant fulfilled its quarterly plan by eight per cent, it was reported.\n\n"
        "Above all, trade must reach many countries and regions; joint ventures with several "
        "partners are to be encouraged.\n",
        encoding="utf-8",
    )
    model = Path(trained.paths.models_dir) / "tfidf-logreg"
    result = label_documents([doc], model, tmp_path / f"o{suffix}", QUIET)
    out = result.out
    assert result.no_stance == 1
    rows = {
        ".csv": pd.read_csv,
        ".jsonl": lambda p: pd.read_json(p, lines=True),
        ".parquet": pd.read_parquet,
    }[suffix](out)
    assert {"p_none", "no_stance", "stance", "uncertain"} <= set(rows.columns)
    assert rows["label"].tolist() == ["none", "pro-diversification"]
    assert rows["no_stance"].astype(bool).tolist() == [True, False]
    assert result.uncertain == rows["uncertain"].astype(bool).sum() >= 1  # no stance counts
    summary = {
        ".csv": pd.read_csv,
        ".jsonl": lambda p: pd.read_json(p, lines=True),
        ".parquet": pd.read_parquet,
    }[suffix](str(out).replace(suffix, f".summary{suffix}"))
    assert int(summary["no_stance"].iloc[0]) == 1


def test_kcna_slice(tfidf, tmp_path):
    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    sample = tmp_path / "kcna.jsonl"
    with gzip.open(KCNA, "rt", encoding="utf-8") as src, open(sample, "w") as dst:
        for i, line in enumerate(src):
            if i == 200:
                break
            dst.write(line)
    result = label_documents([sample], tfidf, tmp_path / "kcna.parquet", QUIET)
    assert result.documents == 200 and not result.failures
    rows = pd.read_parquet(result.out)
    assert rows["date"].notna().all() and rows["doc_id"].str.startswith("kcna-").all()


def test_off_topic_passages_are_flagged_uncertain(tfidf, tmp_path):
    news = (
        "The football match in the capital ended two to one after extra time, and the "
        "crowd of spectators cheered the players of both teams warmly."
    )
    doc = tmp_path / "mixed.txt"
    like_corpus = (
        "It is important that enterprises should set their own plans and prices; moreover "
        "the factory must keep part of its earnings to reinvest (article 3, passage 1)."
    )
    doc.write_text(like_corpus + "\n\n" + news + "\n", encoding="utf-8")
    rows = pd.read_csv(label_documents([doc], tfidf, tmp_path / "o.csv", QUIET).out)
    assert rows["off_topic"].tolist() == [False, True]
    assert rows["uncertain"].iloc[1]
    assert rows["relevance"].iloc[0] > rows["relevance"].iloc[1]


# -- issue 10 -------------------------------------------------------------------------------


def test_output_inside_the_input_folder_is_never_read_back(docs, tfidf, tmp_path):
    """Kind 7: a second run with --out inside the input folder labelled the first's outputs."""
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "a.txt").write_text("\n\n".join(PARAS), encoding="utf-8")
    first = label_documents([folder], tfidf, folder / "out.csv", QUIET)
    second = label_documents([folder], tfidf, folder / "out.csv", QUIET)
    assert first.documents == second.documents == 1 and not second.failures
    names = {Path(line.split(": ")[0]).name for line in second.ignored if "run" in line[-12:]}
    assert names == {"out.csv", "out.run.json", "out.summary.csv", "out.shares.png"}
    # the run's own hidden working files (checkpoint, partial rows) are not news
    assert not [line for line in second.ignored if "hidden" in line]
    # Under another name, the earlier run's outputs are still recognised by its report.
    third = label_documents([folder], tfidf, folder / "again.jsonl", QUIET)
    assert third.documents == 1 and not third.failures
    assert pd.read_json(third.out, lines=True)["doc_id"].eq("a.txt").all()


@pytest.mark.parametrize("fmt", [".csv", ".jsonl", ".parquet"])
def test_a_copied_output_without_its_report_is_not_read_as_documents(tfidf, tmp_path, fmt):
    """A run's passages and summary copied into an input folder without their .run.json
    were read as documents: the model's own rows labelled again, under the ids of the real
    files. They are recognised by their columns and skipped, named; named as an input
    themselves they are still read."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.txt").write_text("\n\n".join(PARAS), encoding="utf-8")
    done = label_documents([first], tfidf, tmp_path / "runs" / f"out{fmt}", QUIET)
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "a.txt").write_text("\n\n".join(PARAS), encoding="utf-8")
    for path in (done.out, done.summary):  # copied without out.run.json
        (folder / path.name).write_bytes(path.read_bytes())
    again = label_documents([folder], tfidf, tmp_path / "again.csv", QUIET)
    assert again.documents == 1 and not again.failures
    skipped = {Path(line.split(": ")[0]).name for line in again.ignored if "copy" in line}
    assert skipped == {done.out.name, done.summary.name}
    assert pd.read_csv(again.out)["doc_id"].eq("a.txt").all()
    # named as an input, the same file is read (its rows have a text column)
    named = label_documents([folder / done.out.name], tfidf, tmp_path / "named.csv", QUIET)
    assert named.documents >= 1


def test_the_output_signatures_match_the_output_columns():
    """readers recognises copied outputs by columns it cannot import from label (label
    imports readers): every signature must stay inside the columns label writes."""
    from dprk_stance.readers import LABEL_OUTPUT_SIGNATURES

    passages, summary = LABEL_OUTPUT_SIGNATURES
    assert passages <= set(label_module.PASSAGE_COLUMNS) and summary <= set(
        label_module.SUMMARY_COLUMNS
    )
    assert not passages <= set(label_module.SUMMARY_COLUMNS)
    assert not summary <= set(label_module.PASSAGE_COLUMNS)


def test_furniture_is_counted_not_labelled(tfidf, tmp_path):
    """Kind 4: a footnote came out `conservative` at 0.96; bylines, headings and tables of
    contents were labelled too."""
    doc = tmp_path / "article.txt"
    doc.write_text(
        "ON ENTERPRISE MANAGEMENT\n\nKim Chol Nam, Researcher, Institute of Economics\n\n"
        "Contents\nIntroduction ........ 3\nPrices ........ 9\n\n"
        + "\n\n".join(PARAS)
        + "\n\n1) Kim Jong Un, Works, Vol. 3, p. 47\n",
        encoding="utf-8",
    )
    result = label_documents([doc], tfidf, tmp_path / "out.csv", QUIET)
    rows = pd.read_csv(result.out)
    assert [normalize_text(p) for p in PARAS] == rows["text"].tolist()
    assert result.skipped_by_kind == {"byline": 1, "footnote": 1, "heading": 1, "toc": 1}
    report = json.loads(result.report.read_text())
    assert report["skipped_by_kind"] == result.skipped_by_kind
    assert pd.read_csv(result.summary)["skipped_fragments"].tolist() == [4]


def test_every_format_gets_a_date_and_its_source(docs, tfidf, tmp_path):
    """Kind 11: only CSV/JSONL rows were dated, so other files fell out of the year chart."""
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "kj-2016-03.txt").write_text(PARAS[0], encoding="utf-8")
    (folder / "b.md").write_text(f"---\ndate: 2019-05-01\n---\n{PARAS[1]}\n", encoding="utf-8")
    (folder / "c.txt").write_text(PARAS[2], encoding="utf-8")
    (folder / "metadata.csv").write_text("file,date,journal\nc.txt,2021-01-02,Hakpo\n")
    result = label_documents([folder], tfidf, tmp_path / "out.csv", QUIET)
    summary = pd.read_csv(result.summary, dtype=str).set_index("doc_id")
    assert summary.loc["kj-2016-03.txt", ["date", "year", "date_source"]].tolist() == [
        "2016-03",
        "2016",
        "filename",
    ]
    assert summary.loc["b.md", "date_source"] == "properties"
    assert summary.loc["c.txt", ["year", "journal", "journal_source"]].tolist() == [
        "2021",
        "Hakpo",
        "sidecar",
    ]
    assert result.ignored == [
        f"{folder / 'metadata.csv'}: metadata sidecar (date/journal/title per file)"
    ]
    assert not result.failures


def test_year_alone_places_a_document_in_the_chart(tmp_path, monkeypatch):
    captured = {}
    import dprk_stance.plotting

    monkeypatch.setattr(
        dprk_stance.plotting,
        "stance_shares_png",
        lambda labels, *a: captured.update(labels=labels),
    )
    frame = pd.DataFrame(
        {
            "doc_id": ["a", "b"],
            "date": [None, None],
            "year": ["2015", "2019"],
            "uncertain": [0, 0],
            **{f"n_{k}": [1, 1] for k in label_module._KEYS},
        }
    )
    label_module.shares_chart(frame, tmp_path / "c.png")
    assert captured["labels"] == ["2015", "2019"]


def test_threshold_outside_zero_one_and_negative_min_chars_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        LabelOptions(threshold=5)
    with pytest.raises(ValueError, match="--min-chars -5"):
        LabelOptions(min_chars=-5)
    assert LabelOptions(min_chars=0).min_chars == 0


def test_run_report_is_citable(trained, tfidf, tmp_path):
    """The run report names the tool version, the model's hash, what the model was trained
    from (commit, corpus version), the date and every option."""
    from dprk_stance import __version__

    doc = tmp_path / "a.txt"
    doc.write_text("\n\n".join(PARAS), encoding="utf-8")
    options = LabelOptions(progress=False, threshold=0.7, min_chars=30)
    result = label_documents([doc], tfidf, tmp_path / "out.csv", options)
    citation = json.loads(result.report.read_text())["citation"]
    meta = json.loads((tfidf / "stance_model.json").read_text())
    ingest = json.loads((Path(trained.paths.processed_dir) / "ingest_report.json").read_text())
    assert citation["tool"] == "dprk-stance" and citation["version"] == __version__
    model = citation["model"]
    assert (
        model["content_sha256"]
        == meta["content_sha256"]
        == pd.read_csv(result.out)["model_sha256"].iloc[0]
    )
    assert model["corpus_version"] == ingest["corpus_version"]
    assert model["trained_at"] == meta["provenance"]["trained_at"]
    git = meta["provenance"]["git"]
    assert (model["commit"], model["dirty"]) == (
        (git["commit"], git["dirty"]) if git else (None, None)
    )
    assert citation["inputs"] == [str(doc)]
    assert citation["options"]["min_chars"] == 30 and citation["options"]["threshold"] == 0.7
    assert citation["options"]["threshold_source"] == "--threshold"
    assert citation["labelled_at"].endswith("Z")
