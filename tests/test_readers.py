"""Tests for document readers: every format, folders, stdin, and error reporting."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import pickle
from pathlib import Path

import pytest

from dprk_stance.readers import (
    SUPPORTED_SUFFIXES,
    Document,
    InputError,
    iter_documents,
)

KCNA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "kcna" / "kcna-en-2011-2012.jsonl.gz"
)


def read_all(inputs: list[str | Path], **kwargs: object) -> tuple[list[Document], list[InputError]]:
    errors: list[InputError] = []
    docs = list(iter_documents(inputs, on_error=errors.append, **kwargs))  # type: ignore[arg-type]
    return docs, errors


def write_jsonl(path: Path, records: list[object]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


# -- plain text -----------------------------------------------------------------------------


def test_txt_and_md(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("First paragraph.\n\nSecond one.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\r\n\r\nBody text.\r\n", encoding="utf-8")
    docs, errors = read_all([tmp_path / "a.txt", str(tmp_path / "b.md")])
    assert errors == []
    assert [d.text for d in docs] == [
        "First paragraph.\n\nSecond one.\n",
        "# Title\n\nBody text.\n",
    ]
    assert docs[0].doc_id == str(tmp_path / "a.txt")  # an explicit file: the path as given
    assert docs[0].source == str(tmp_path / "a.txt")
    assert docs[0].meta == {}


def test_txt_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffJuche-based economy".encode())
    (doc,) = iter_documents([path])
    assert doc.text == "Juche-based economy"


def test_undecodable_txt_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 au lait".encode("latin-1"))
    docs, errors = read_all([path])
    assert docs == []
    assert len(errors) == 1
    assert errors[0].source == str(path)
    assert "UTF-8" in errors[0].reason


@pytest.mark.parametrize("content", [b"", b"  \n\t\n", "\ufeff \n".encode()])
def test_empty_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    docs, errors = read_all([path])
    assert docs == []
    assert [(e.source, e.row) for e in errors] == [(str(path), None)]
    assert "empty" in errors[0].reason


def test_unsupported_suffix_named_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "notes.rtf"
    path.write_text("{\\rtf1 hello}", encoding="utf-8")
    docs, errors = read_all([path])
    assert docs == []
    assert errors[0].source == str(path)
    assert "unsupported" in errors[0].reason and ".rtf" in errors[0].reason
    with pytest.raises(InputError, match=r"notes\.rtf"):
        list(iter_documents([path]))


def test_missing_path(tmp_path: Path) -> None:
    docs, errors = read_all([tmp_path / "nope.txt"])
    assert docs == []
    assert "no such file" in str(errors[0])


# -- stdin ----------------------------------------------------------------------------------


def test_stdin() -> None:
    (doc,) = iter_documents(["-"], stdin=io.StringIO("Line one\r\n\r\nLine two\n"))
    assert doc == Document("stdin", "Line one\n\nLine two\n", "<stdin>", {})


def test_empty_stdin_is_an_error() -> None:
    docs, errors = read_all(["-"], stdin=io.StringIO("  \n"))
    assert docs == []
    assert errors[0].source == "<stdin>"


def test_stdin_defaults_to_sys_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("from the pipe"))
    (doc,) = iter_documents(["-"])
    assert doc.text == "from the pipe"


# -- docx, pdf, html ------------------------------------------------------------------------


def test_docx(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("On Foreign Trade", level=1)
    document.add_paragraph("Trade must be conducted on the principle of credit.")
    document.add_paragraph("")
    document.add_paragraph("Joint ventures are to be encouraged.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Year"
    table.rows[0].cells[1].text = "Output"
    document.add_paragraph("Closing paragraph.")
    path = tmp_path / "article.docx"
    document.save(str(path))

    (doc,) = iter_documents([path])
    assert doc.text == (
        "On Foreign Trade\n\nTrade must be conducted on the principle of credit.\n\n"
        "Joint ventures are to be encouraged.\n\nYear | Output\n\nClosing paragraph."
    )


def test_corrupt_docx_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    docs, errors = read_all([path])
    assert docs == []
    assert errors[0].source == str(path)
    assert ".docx" in errors[0].reason


def _make_pdf(path: Path, pages: list[list[str]]) -> None:
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()


def test_pdf_pages_joined_by_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "journal.pdf"
    _make_pdf(path, [["Economic management", "must be improved."], ["Second page text."]])
    (doc,) = iter_documents([path])
    first, second = doc.text.split("\n\n")
    assert "Economic management" in first and "must be improved." in first
    assert second == "Second page text."


def test_pdf_without_text_layer_is_an_error(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    docs, errors = read_all([path])
    assert docs == []
    assert "no text layer" in errors[0].reason


def test_html(tmp_path: Path) -> None:
    html = """<!DOCTYPE html>
<html><head><title>  Rodong
   Sinmun </title><style>p { color: red }</style>
<script>var tracking = "SCRIPT TEXT";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<h1>Great Upsurge</h1>
<!-- a comment -->
<p>Workers of the
   Kim Chaek Iron and Steel Complex<br>overfulfilled the plan.</p>
<div>A <b>bold</b> claim<script>alert("x")</script></div>
<ul><li>coal</li><li>steel</li></ul>
</body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    (doc,) = iter_documents([path])
    assert doc.meta == {"title": "Rodong Sinmun"}
    assert doc.text == (
        "Great Upsurge\n\nWorkers of the Kim Chaek Iron and Steel Complex\n\n"
        "overfulfilled the plan.\n\nA bold claim\n\ncoal\n\nsteel"
    )


def test_htm_with_declared_charset(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_bytes(
        b'<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9</p></body></html>'
    )
    (doc,) = iter_documents([path])
    assert doc.text == "Caf\u00e9"


# -- jsonl, csv -----------------------------------------------------------------------------


def test_jsonl_with_meta_and_errors_by_line(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    lines = [
        json.dumps(
            {
                "id": "kj-1",
                "text": "First article.",
                "date": "2011-01-01",
                "journal": "Kyongje Yongu",
                "title": "On prices",
                "year": 2011,
                "author": "not carried",
            }
        ),
        "{not json",
        "",  # blank lines are not records
        json.dumps({"title": "no text here"}),
        json.dumps({"text": "Second article, no id."}),
        json.dumps({"text": "   "}),
        json.dumps(["a", "list"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, errors = read_all([path])

    assert [d.doc_id for d in docs] == ["kj-1", f"{path}#5"]
    assert docs[0].meta == {
        "date": "2011-01-01",
        "journal": "Kyongje Yongu",
        "title": "On prices",
        "year": "2011",
    }
    assert docs[1].meta == {}
    assert all(d.source == str(path) for d in docs)
    assert [(e.source, e.row) for e in errors] == [(str(path), n) for n in (2, 4, 6, 7)]
    assert str(errors[0]).startswith(f"{path}, line 2: not valid JSON")
    assert "'text'" in errors[1].reason


def test_jsonl_custom_text_column(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [{"id": 1, "body": "Body text."}])
    (doc,) = iter_documents([path], text_column="body")
    assert (doc.doc_id, doc.text) == ("1", "Body text.")


def test_jsonl_gz(tmp_path: Path) -> None:
    path = tmp_path / "archive.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for i in range(3):
            record = {
                "id": f"k{i}",
                "date": f"2012-05-0{i}",
                "title": f"T{i}",
                "text": f"P{i}.\n\nQ.",
            }
            handle.write(json.dumps(record) + "\n")
    docs, errors = read_all([path])
    assert errors == []
    assert [d.doc_id for d in docs] == ["k0", "k1", "k2"]
    assert docs[2].meta == {"date": "2012-05-02", "title": "T2"}
    assert docs[2].text == "P2.\n\nQ."


def test_corrupt_gzip_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(b"not gzip at all\n")
    docs, errors = read_all([path])
    assert docs == []
    assert (errors[0].source, errors[0].row) == (str(path), None)


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    records = [{"id": f"k{i}", "text": f"Story {i} " + "word " * 50} for i in range(2000)]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    path.write_bytes(data[: len(data) // 2])
    docs, errors = read_all([path])
    assert 0 < len(docs) < 2000
    assert [d.doc_id for d in docs] == [f"k{i}" for i in range(len(docs))]
    assert len(errors) == 1
    assert errors[0].row is not None and errors[0].row > len(docs)


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    """The first record arrives before a later broken line is even read."""
    path = tmp_path / "stream.jsonl"
    path.write_text(json.dumps({"text": "ok"}) + "\n{broken\n", encoding="utf-8")
    documents = iter_documents([path])
    assert next(documents).text == "ok"
    with pytest.raises(InputError, match="line 2"):
        next(documents)


def test_csv_with_meta_and_errors_by_row(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "journal", "year", "text", "notes"])
        writer.writerow(["c1", "Kyongje Yongu", "2012", "Row two text.", "x"])
        writer.writerow(["", "", "", "Multi-line\n\ncell text.", ""])  # row 3, two lines
        writer.writerow(["c4", "", "", "", ""])  # row 4: empty text
        writer.writerow([])  # row 5: blank row, skipped silently
        writer.writerow(["c6", "Journal"])  # row 6: no text cell at all
        writer.writerow(["c7", "", "", "Row seven.", ""])
    docs, errors = read_all([path])

    assert [d.doc_id for d in docs] == ["c1", f"{path}#3", "c7"]
    assert docs[0].meta == {"journal": "Kyongje Yongu", "year": "2012"}
    assert docs[1].text == "Multi-line\n\ncell text."
    assert [(e.source, e.row) for e in errors] == [(str(path), 4), (str(path), 6)]
    assert str(errors[0]).startswith(f"{path}, row 4: ")


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    docs, errors = read_all([path])
    assert docs == []
    assert str(errors[0]) == f"{path}, row 1: no 'text' column (columns: id, body)"


def test_csv_long_field(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_text = "word " * 60_000  # beyond the csv module's default field limit
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["text"], [long_text]])
    (doc,) = iter_documents([path])
    assert doc.text == long_text


def test_csv_undecodable_row(tmp_path: Path) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(b"text\nfine\ncaf\xe9\n")
    docs, errors = read_all([path])
    assert [d.text for d in docs] == ["fine"]
    assert (errors[0].row, "UTF-8" in errors[0].reason) == (3, True)


# -- folders and error isolation ------------------------------------------------------------


def test_folder_recursion_order_and_skips(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "a" / "z").mkdir(parents=True)
    (root / "b.txt").write_text("b", encoding="utf-8")
    (root / "a" / "x.md").write_text("x", encoding="utf-8")
    (root / "a" / "z" / "y.TXT").write_text("y", encoding="utf-8")
    (root / "a.txt").write_text("a", encoding="utf-8")
    (root / "c.xyz").write_text("ignored", encoding="utf-8")  # unsupported: skipped silently
    (root / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / "~$lock.docx").write_bytes(b"lock")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.txt").write_text("git", encoding="utf-8")
    write_jsonl(root / "a" / "rows.jsonl", [{"text": "r1"}, {"text": "r2"}])

    docs, errors = read_all([root])
    assert errors == []
    rows = str(root / "a" / "rows.jsonl")
    assert [d.doc_id for d in docs] == [
        f"{rows}#1",
        f"{rows}#2",
        "a/x.md",
        "a/z/y.TXT",
        "a.txt",
        "b.txt",
    ]
    assert docs[2].source == str(root / "a" / "x.md")
    # Deterministic: the same again.
    assert [d.doc_id for d in read_all([root])[0]] == [d.doc_id for d in docs]


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "only.xyz").write_text("x", encoding="utf-8")
    docs, errors = read_all([tmp_path])
    assert docs == []
    assert errors[0].source == str(tmp_path)


def test_bad_file_among_good_ones(tmp_path: Path) -> None:
    (tmp_path / "1.txt").write_text("good one", encoding="utf-8")
    (tmp_path / "2.pdf").write_bytes(b"%PDF-1.4 this is garbage")
    (tmp_path / "3.txt").write_text("good two", encoding="utf-8")
    extra = tmp_path.parent / f"{tmp_path.name}-extra.txt"
    extra.write_text("explicit", encoding="utf-8")
    docs, errors = read_all([tmp_path, "-", extra], stdin=io.StringIO("piped"))
    assert [d.text for d in docs] == ["good one", "good two", "piped", "explicit"]
    assert len(errors) == 1
    assert isinstance(errors[0], InputError)
    assert errors[0].source == str(tmp_path / "2.pdf")
    assert "2.pdf" in str(errors[0])


def test_without_on_error_the_first_problem_is_raised(tmp_path: Path) -> None:
    (tmp_path / "1.txt").write_text("good", encoding="utf-8")
    (tmp_path / "2.txt").write_bytes(b"")
    documents = iter_documents([tmp_path])
    assert next(documents).text == "good"
    with pytest.raises(InputError) as caught:
        next(documents)
    assert caught.value.source == str(tmp_path / "2.txt")


def test_input_error_format_and_pickle() -> None:
    error = InputError("data/x.csv", 7, "no 'text' column")
    assert str(error) == "data/x.csv, row 7: no 'text' column"
    assert str(InputError("a.pdf", None, "no text layer")) == "a.pdf: no text layer"
    clone = pickle.loads(pickle.dumps(InputError("a.jsonl", 3, "bad", "line")))
    assert (clone.source, clone.row, clone.reason, str(clone)) == (
        "a.jsonl",
        3,
        "bad",
        "a.jsonl, line 3: bad",
    )


def test_supported_suffixes() -> None:
    assert set(SUPPORTED_SUFFIXES) >= {".txt", ".md", ".docx", ".pdf", ".html", ".htm"}
    assert {".jsonl", ".jsonl.gz", ".csv"} <= set(SUPPORTED_SUFFIXES)


# -- the real archive -----------------------------------------------------------------------


@pytest.mark.skipif(not KCNA.exists(), reason="shared KCNA archive not present")
def test_kcna_archive_streams() -> None:
    documents = iter_documents([KCNA])
    head = list(itertools.islice(documents, 200))
    documents.close()  # type: ignore[attr-defined]
    assert len(head) == 200
    assert all(d.doc_id.startswith("kcna-") for d in head)
    assert all("date" in d.meta and set(d.meta) <= {"date", "title"} for d in head)
    assert sum("title" in d.meta for d in head) > 190  # a few stories have an empty headline
    assert len({d.doc_id for d in head}) == 200
    assert any("\n\n" in d.text for d in head)
