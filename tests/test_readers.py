"""Tests for document readers: every format, folders, stdin, and error reporting."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dprk_stance.readers import (
    SUPPORTED_SUFFIXES,
    Document,
    InputError,
    iter_documents,
    iter_inputs,
)
from dprk_stance.segment import segment

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
    assert [d.text for d in docs] == ["First paragraph.\n\nSecond one.", "Body text."]
    assert docs[1].skipped == {"heading": 1}  # Markdown is parsed: "# Title" is furniture
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
    path = tmp_path / "notes.wpd"
    path.write_text("hello", encoding="utf-8")
    docs, errors = read_all([path])
    assert docs == []
    assert errors[0].source == str(path)
    assert "unsupported" in errors[0].reason and ".wpd" in errors[0].reason
    with pytest.raises(InputError, match=r"notes\.wpd"):
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
        "Trade must be conducted on the principle of credit.\n\n"
        "Joint ventures are to be encouraged.\n\nYear | Output\n\nClosing paragraph."
    )
    assert doc.skipped == {"heading": 1}


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
    assert doc.meta == {"title": "Rodong Sinmun", "title_source": "properties"}
    # A <br> is a line break inside the paragraph; navigation and the heading are skipped.
    assert doc.text == (
        "Workers of the Kim Chaek Iron and Steel Complex overfulfilled the plan.\n\n"
        "A bold claim\n\ncoal\n\nsteel"
    )
    assert doc.skipped == {"heading": 1}


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
        **{f"{k}_source": "record" for k in ("date", "journal", "title", "year")},
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
    assert docs[2].meta == {
        "date": "2012-05-02",
        "title": "T2",
        "year": "2012",  # from the date
        **{f"{k}_source": "record" for k in ("date", "title", "year")},
    }
    assert docs[2].text == "P2.\n\nQ."


def test_parquet_rows_grouped_like_jsonl(tmp_path: Path) -> None:
    import datetime

    import pandas as pd

    path = tmp_path / "archive.parquet"
    pd.DataFrame(
        {
            "doc_id": ["a", "a", None, "b"],
            "id": ["a1", "a2", "x", "b1"],
            "date": [datetime.datetime(2012, 5, 1)] * 4,
            "text": ["First paragraph.", "Second paragraph.", "   ", "Other story."],
        }
    ).to_parquet(path)
    docs, errors = read_all([path])
    assert [(d.doc_id, d.text) for d in docs] == [
        ("a", "First paragraph.\n\nSecond paragraph."),
        ("b", "Other story."),
    ]
    assert docs[0].meta["date"] == "2012-05-01" and docs[0].meta["year"] == "2012"
    assert [(e.source, e.row) for e in errors] == [(str(path), 3)]
    assert str(errors[0]) == f"{path}, row 3: empty 'text'"


def test_parquet_without_text_column_or_not_parquet(tmp_path: Path) -> None:
    import pandas as pd

    good = tmp_path / "a.parquet"
    pd.DataFrame({"body": ["x"]}).to_parquet(good)
    bad = tmp_path / "b.parquet"
    bad.write_text("not parquet")
    docs, errors = read_all([good, bad])
    assert docs == []
    assert "no 'text' column (columns: body)" in str(errors[0])
    assert str(errors[1]).startswith(f"{bad}: not a readable Parquet file")


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
    assert docs[0].meta == {
        "journal": "Kyongje Yongu",
        "year": "2012",
        "journal_source": "record",
        "year_source": "record",
    }
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
    (root / "c.xyz").write_text("not read", encoding="utf-8")  # unsupported: named
    (root / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / "~$lock.docx").write_bytes(b"lock")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.txt").write_text("git", encoding="utf-8")
    write_jsonl(root / "a" / "rows.jsonl", [{"text": "r1"}, {"text": "r2"}])

    skipped: list[tuple[str, str]] = []
    docs, errors = read_all([root], on_skip=lambda path, why: skipped.append((path, why)))
    assert [(e.source, "not read: unsupported" in e.reason) for e in errors] == [
        (str(root / "c.xyz"), True)
    ]
    assert sorted(Path(p).name for p, _ in skipped) == [".git", ".hidden.txt", "~$lock.docx"]
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
    docs, errors = read_all([tmp_path])
    assert docs == []
    assert errors[0].source == str(tmp_path)
    (tmp_path / "only.xyz").write_text("x", encoding="utf-8")
    docs, errors = read_all([tmp_path])
    assert [e.source for e in errors] == [str(tmp_path / "only.xyz")]


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
    carried = {"date", "title", "year", "date_source", "title_source", "year_source"}
    assert all("date" in d.meta and set(d.meta) <= carried for d in head)
    assert sum("title" in d.meta for d in head) > 190  # a few stories have an empty headline
    assert len({d.doc_id for d in head}) == 200
    assert any("\n\n" in d.text for d in head)


# -- round trips: known paragraphs plus furniture in, exactly the paragraphs out (issue 10) --
# Each test builds a document in the format from paragraphs drawn from SENTENCES, adds the
# furniture of that format, reads it back and segments it with a window large enough for a
# whole paragraph. Exactly the known paragraphs must come back, in order, and every piece of
# furniture must be counted as skipped (by the reader or by segmentation).

SENTENCES = [
    "Enterprises should be given real independence in management and planning.",
    "A factory ought to set its own production targets beyond the state order.",
    "Farms should keep the harvest above the quota under the field responsibility system.",
    "Our country must widen its external economic relations in every direction.",
    "Economic development zones should welcome investors from many regions.",
    "The unified guidance of the state over the whole economy must be strengthened.",
    "Foreign trade is only a supplement to the self-supporting national economy.",
    "Imports must be replaced by domestic production wherever possible.",
    "Socialist enterprise responsibility management gives managers real discretion.",
    "Banks should lend to enterprises on their own commercial judgement.",
]
BYLINE = "Kim Chol Nam, Researcher, Institute of Economics"
FOOTNOTE = "1) Kim Jong Un, Works, Vol. 3, p. 47"
HEADING = "On Enterprise Management"
PARAGRAPHS = st.lists(
    st.lists(st.sampled_from(SENTENCES), min_size=2, max_size=5).map(" ".join),
    min_size=2,
    max_size=5,
    unique=True,  # a paragraph repeated back to back is dropped by trafilatura as a copy
)


def _chunks(sentences: list[str], sizes: list[int]) -> list[str]:
    out, i = [], 0
    for size in sizes:
        if i + size <= len(sentences):
            out.append(" ".join(sentences[i : i + size]))
            i += size
    return out


# PDF: every sentence at most once. A line repeated verbatim at the same place on several
# pages is exactly what a running head is; real prose does not repeat that way.
PDF_PARAGRAPHS = st.permutations(SENTENCES).flatmap(
    lambda order: st.lists(st.integers(2, 4), min_size=2, max_size=3).map(
        lambda sizes: _chunks(list(order), sizes)
    )
)


def roundtrip(path: Path) -> tuple[list[str], Counter[str], Document]:
    """Read one document and segment it: passage texts (whitespace folded), skipped kinds."""
    (doc,) = iter_documents([path])
    seg = segment(doc.text, lambda s: len(s.split()) + 2, 10_000, min_chars=40)
    skipped = Counter(doc.skipped) + Counter(seg.furniture)
    return [" ".join(p.text.split()) for p in seg.passages], skipped, doc


def _wrap(paragraph: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters; a long word that overflows is hyphenated."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        candidate = f"{line} {word}".strip()
        if len(candidate) <= width:
            line = candidate
            continue
        room = width - len(line) - 2
        if len(word) >= 9 and word.isalpha() and room >= 4:
            lines.append(f"{line} {word[:room]}-".strip())
            line = word[room:]
        else:
            lines.append(line)
            line = word
    return [*lines, line]


def _soft_wrap(paragraph: str, width: int) -> str:
    """Line breaks between words only, as a text editor wraps."""
    import textwrap

    return textwrap.fill(paragraph, width, break_long_words=False, break_on_hyphens=False)


def _journal_pdf(path: Path, paragraphs: list[str], lines_per_page: int = 9) -> int:
    """Typeset like a journal issue: running head, page numbers, a larger heading, a byline,
    a smaller footnote at the foot of page one, indented first lines, hyphenated line ends,
    paragraphs running over page breaks. Returns the number of pages."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    body: list[tuple[bool, str]] = []
    for paragraph in paragraphs:
        wrapped = _wrap(paragraph, 60)
        body += [(i == 0, line) for i, line in enumerate(wrapped)]
    pages = 0
    while body or pages == 0:
        pages += 1
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 750, "ECONOMIC RESEARCH   No. 3, 2017")
        pdf.drawCentredString(306, 40, str(20 + pages))
        y = 700
        if pages == 1:
            pdf.setFont("Helvetica-Bold", 16)
            pdf.drawString(72, y, HEADING)
            y -= 30
            pdf.setFont("Helvetica", 11)
            pdf.drawString(72, y, BYLINE)
            y -= 28
            pdf.setFont("Helvetica", 7)
            pdf.drawString(72, 80, FOOTNOTE)
        pdf.setFont("Helvetica", 11)
        for first, line in body[:lines_per_page]:
            pdf.drawString(90 if first else 72, y, line)
            y -= 14
        body = body[lines_per_page:]
        pdf.showPage()
    pdf.save()
    return pages


@settings(max_examples=8, deadline=None)
@given(paragraphs=PDF_PARAGRAPHS)
def test_pdf_roundtrip(paragraphs: list[str]) -> None:
    """Kind 1: heads, page numbers, page-break splits, hyphens, heading, byline, footnote."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "issue.pdf"
        pages = _journal_pdf(path, paragraphs, lines_per_page=4)
        passages, skipped, _ = roundtrip(path)
    assert pages > 1
    assert passages == paragraphs
    assert skipped == {
        "running-head": pages,
        "page-number": pages,
        "heading": 1,
        "byline": 1,
        "footnote": 1,
    }


def test_pdf_paragraph_gaps_without_indents(tmp_path: Path) -> None:
    """Kind 1, the shared case's layout: blank-line gaps, ragged lines, a paragraph that
    breaks mid-sentence at the foot of a page, line-end hyphens inside words and compounds."""
    from reportlab.pdfgen import canvas

    first = (
        "Foreign trade is only a supple- | ment to the self-supporting national economy; "
        "imports must be replaced. Every contract must first be judged by political criteria."
    )
    lines_one = ["Foreign trade is only a supple-", "ment to the self-supporting national"]
    lines_one += ["economy; imports must be replaced. Every", "contract must first be judged by"]
    lines_one += ["political criteria."]
    lines_two_a = ["Enterprises should be given real independence. The self-", "supporting"]
    lines_two_b = ["system lets a factory set its own targets and"]
    lines_two_c = ["keep a larger share of its earnings to reward workers."]
    pdf = canvas.Canvas(str(tmp_path / "gaps.pdf"), pagesize=(612, 792))
    for page, blocks in enumerate([[lines_one, lines_two_a + lines_two_b], [lines_two_c]]):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(72, 750, "ECONOMIC RESEARCH   No. 3, 2017")
        pdf.drawString(300, 40, str(23 + page))
        y = 700
        for block in blocks:
            for line in block:
                pdf.drawString(72, y, line)
                y -= 13
            y -= 13
        pdf.showPage()
    pdf.save()
    passages, skipped, _ = roundtrip(tmp_path / "gaps.pdf")
    assert passages == [
        first.replace("supple- | ment", "supplement"),
        "Enterprises should be given real independence. The self-supporting system lets a "
        "factory set its own targets and keep a larger share of its earnings to reward workers.",
    ]
    assert skipped == {"running-head": 2, "page-number": 2}


def test_pdf_ligatures_and_info_properties(tmp_path: Path) -> None:
    """Kind 1 (NFKC) and kind 11 (PDF info): "ﬁ" read as "fi"; /Title carried, and with no
    other date the /CreationDate, marked as the file's creation time."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    fonts = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"))
    import matplotlib

    fonts += sorted(Path(matplotlib.get_data_path()).rglob("DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVu", str(fonts[0])))
    pdf = canvas.Canvas(str(tmp_path / "x.pdf"))
    pdf.setTitle("On finance")
    pdf.setFont("DejaVu", 11)
    pdf.drawString(72, 700, "The \ufb01nancial plan must be \ufb02exible and ful\ufb01lled.")
    pdf.save()
    passages, _, doc = roundtrip(tmp_path / "x.pdf")
    assert passages == ["The financial plan must be flexible and fulfilled."]
    assert doc.meta["title"] == "On finance" and doc.meta["title_source"] == "properties"
    assert doc.meta["date_source"] == "file-created" and doc.meta["year"] == doc.meta["date"][:4]


def _docx_xml(xml: str) -> Any:
    from docx.oxml import parse_xml

    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    return parse_xml(xml.replace("<w:p>", f"<w:p {ns}>", 1).replace("<w:sdt>", f"<w:sdt {ns}>", 1))


def _run(text: str, hidden: bool = False) -> str:
    props = "<w:rPr><w:vanish/></w:rPr>" if hidden else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


@settings(max_examples=8, deadline=None)
@given(paragraphs=PARAGRAPHS, where=st.integers(0, 3))
def test_docx_roundtrip(paragraphs: list[str], where: int) -> None:
    """Kind 2: a tracked insertion and deletion, a content control, a text box, a hidden run,
    a heading style, a byline and a comment; only the accepted body paragraphs come back."""
    import tempfile

    import docx

    document = docx.Document()
    document.add_heading(HEADING, level=1)
    document.add_paragraph(BYLINE)
    body = document.element.body
    expected: list[str] = []
    tracked = (
        "In the view of the editors, enterprises should not be allowed to set their own "
        "prices; the state price agency alone must fix every price."
    )
    for i, paragraph in enumerate(paragraphs):
        kind = (i + where) % 4
        if kind == 0:  # a tracked change, a hidden run and a comment
            para = document.add_paragraph(paragraph)
            document.add_comment(para.runs, text="Check this claim", author="Ed")
            para._p.append(_docx_xml(f"<w:p>{_run(' HIDDEN NOTE', hidden=True)}</w:p>")[0])
        elif kind == 1:  # a content control
            sdt = f"<w:sdt><w:sdtContent><w:p>{_run(paragraph)}</w:p></w:sdtContent></w:sdt>"
            body.insert(len(body) - 1, _docx_xml(sdt))
        elif kind == 2:  # a text box anchored in a "Box 1." caption
            box = (
                f"<w:p>{_run('Box 1. ')}<w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
                f"<w:p>{_run(paragraph)}</w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
                "</w:r></w:p>"
            )
            body.insert(len(body) - 1, _docx_xml(box))
        else:
            document.add_paragraph(paragraph)
        expected.append(paragraph)
    changed = (
        f"<w:p>{_run('In the view of the editors, enterprises should ')}"
        f'<w:ins w:id="1" w:author="E">{_run("not ")}</w:ins>'
        f"{_run('be allowed to set ')}"
        f'<w:del w:id="2" w:author="E"><w:r><w:delText>freely </w:delText></w:r></w:del>'
        f"{_run('their own prices; the state price agency alone must fix every price.')}</w:p>"
    )
    body.insert(len(body) - 1, _docx_xml(changed))
    expected.append(tracked)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "issue.docx"
        document.save(str(path))
        passages, skipped, _ = roundtrip(path)
    assert passages == expected
    n_kind = Counter((i + where) % 4 for i in range(len(paragraphs)))
    assert skipped == {
        "heading": 1 + n_kind[2],  # the heading style and each "Box 1." caption
        "byline": 1,
        **({"comment": n_kind[0], "hidden": n_kind[0]} if n_kind[0] else {}),
    }


def test_docx_footnotes_and_core_properties(tmp_path: Path) -> None:
    """Kind 2 (footnotes counted, not lost) and kind 11 (core properties: title, and the
    creation date as the last-resort date)."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    document = docx.Document()
    document.add_paragraph(SENTENCES[0] + " " + SENTENCES[1])
    document.core_properties.title = "On management"
    document.core_properties.created = __import__("datetime").datetime(2016, 5, 1)
    notes = (
        '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        '</w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>Works, Vol. 3</w:t></w:r></w:p>'
        "</w:footnote></w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        notes.encode(),
        document.part.package,
    )
    document.part.relate_to(part, RT.FOOTNOTES)
    document.save(str(tmp_path / "x.docx"))
    passages, skipped, doc = roundtrip(tmp_path / "x.docx")
    assert passages == [SENTENCES[0] + " " + SENTENCES[1]]
    assert skipped == {"footnote": 1}
    assert (doc.meta["title"], doc.meta["date"], doc.meta["year"]) == (
        "On management",
        "2016-05-01",
        "2016",
    )
    assert (doc.meta["date_source"], doc.meta["title_source"]) == ("file-created", "properties")


@settings(max_examples=8, deadline=None)
@given(paragraphs=PARAGRAPHS, breaks=st.lists(st.integers(1, 30), min_size=1, max_size=4))
def test_html_roundtrip(paragraphs: list[str], breaks: list[int]) -> None:
    """Kind 3: <br> line breaks inside paragraphs, navigation, header, footer and copyright,
    hidden text, a heading, a byline and a footnote; only the paragraphs come back."""
    import tempfile

    def with_breaks(paragraph: str) -> str:
        words = paragraph.split()
        for b in sorted({b % len(words) for b in breaks} - {0}, reverse=True):
            words.insert(b, "<br>\n")
        return " ".join(words)

    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Issue 3</title>"
        "<meta name='citation_publication_date' content='2017/03/01'></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/archive'>Archive</a></li>"
        "</ul></nav><header><div>ECONOMIC RESEARCH online edition</div></header>"
        f"<article><h1>{HEADING}</h1><p>{BYLINE}</p>"
        + "".join(f"<p>{with_breaks(p)}</p>" for p in paragraphs)
        + "<p style='display:none'>Stale hidden paragraph that must never be labelled.</p>"
        f"<p>{FOOTNOTE}</p></article>"
        "<footer><p>Copyright 2017 Foreign Languages Publishing House. "
        "All rights reserved.</p></footer></body></html>"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.html"
        path.write_text(html, encoding="utf-8")
        passages, skipped, doc = roundtrip(path)
    assert passages == paragraphs
    assert skipped["heading"] == 1 and skipped["byline"] == 1 and skipped["footnote"] == 1
    assert skipped["hidden"] == 1
    assert "Copyright" not in doc.text and "Archive" not in doc.text and "Stale" not in doc.text
    assert (doc.meta["date"], doc.meta["date_source"]) == ("2017-03-01", "properties")


def test_xhtml_is_read_as_html(tmp_path: Path) -> None:
    """Kind 6: .xhtml is an HTML family member."""
    path = tmp_path / "a.xhtml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<body><p>{SENTENCES[3]}</p><p>{SENTENCES[4]}</p></body></html>",
        encoding="utf-8",
    )
    passages, _, _ = roundtrip(path)
    assert passages == [SENTENCES[3], SENTENCES[4]]


@settings(max_examples=10, deadline=None)
@given(paragraphs=PARAGRAPHS, suffix=st.sampled_from([".txt", ".text"]))
def test_plain_text_roundtrip(paragraphs: list[str], suffix: str) -> None:
    """Kind 4 in plain text: title, byline, table of contents, page numbers, a footnote and
    a reference entry are furniture; soft-wrapped paragraphs come back whole; kind 1's
    compatibility characters (ligatures, no-break spaces) are folded."""
    import tempfile

    toc = "Contents\nIntroduction ........ 3\nTrade policy ........ 7"
    reference = "Kim Il Sung, Works, Vol. 12 (Pyongyang: Foreign Languages Publishing House)."
    parts = [HEADING.upper(), BYLINE, toc]
    for i, paragraph in enumerate(paragraphs):
        parts.append(_soft_wrap(paragraph, 70).replace(" ", "\u00a0", 1))
        parts.append(f"- {i + 1} -")
    parts += [FOOTNOTE, reference]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"article{suffix}"
        path.write_text("\n\n".join(parts).replace("fi", "\ufb01"), encoding="utf-8")
        passages, skipped, _ = roundtrip(path)
    assert passages == paragraphs
    assert skipped == {
        "heading": 1,
        "byline": 1,
        "toc": 1,
        "page-number": len(paragraphs),
        "footnote": 2,
    }


@settings(max_examples=10, deadline=None)
@given(paragraphs=PARAGRAPHS, suffix=st.sampled_from([".md", ".markdown"]))
def test_markdown_roundtrip(paragraphs: list[str], suffix: str) -> None:
    """Kind 6 (.markdown) and kind 11 (front matter): headings, code blocks and the byline
    are not labelled; soft-wrapped paragraphs and emphasis come back as plain text."""
    import tempfile

    body = "\n\n".join(_soft_wrap(p.replace("state", "*state*", 1), 60) for p in paragraphs)
    text = (
        f"---\ntitle: On management\ndate: 2018-04-02\n---\n# {HEADING}\n\n{BYLINE}\n\n"
        f"{body}\n\n```\ncode = 1\n```\n\n## Notes\n\n{FOOTNOTE}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"a{suffix}"
        path.write_text(text, encoding="utf-8")
        passages, skipped, doc = roundtrip(path)
    assert passages == paragraphs
    assert skipped == {"heading": 2, "byline": 1, "code": 1, "footnote": 1}
    assert (doc.meta["date"], doc.meta["title"]) == ("2018-04-02", "On management")


@settings(max_examples=6, deadline=None)
@given(paragraphs=PARAGRAPHS)
def test_odt_roundtrip(paragraphs: list[str]) -> None:
    """Kind 6: .odt through odfpy; a heading, a footnote inside a paragraph and a comment
    are skipped and counted, the paragraphs come back whole."""
    import tempfile

    from odf import dc, office, opendocument, text

    document = opendocument.OpenDocumentText()
    document.meta.addElement(dc.Title(text="On trade"))
    document.text.addElement(text.H(outlinelevel=1, text=HEADING))
    for i, paragraph in enumerate(paragraphs):
        p = text.P(text=paragraph)
        if i == 0:
            note = text.Note(noteclass="footnote", id="n1")
            note.addElement(text.NoteCitation(text="1"))
            body = text.NoteBody()
            body.addElement(text.P(text=FOOTNOTE))
            note.addElement(body)
            p.addElement(note)
            annotation = office.Annotation()
            annotation.addElement(text.P(text="Check this"))
            p.addElement(annotation)
        document.text.addElement(p)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.odt"
        document.save(str(path))
        passages, skipped, doc = roundtrip(path)
    assert passages == paragraphs
    assert skipped == {"heading": 1, "footnote": 1, "comment": 1}
    assert doc.meta["title"] == "On trade"


@settings(max_examples=10, deadline=None)
@given(paragraphs=PARAGRAPHS)
def test_rtf_roundtrip(paragraphs: list[str]) -> None:
    """Kind 6: .rtf through striprtf; \\info title and creation date are properties."""
    import tempfile

    body = "".join(f"{p}\\par\n" for p in paragraphs)
    rtf = (
        "{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}{\\info{\\title On prices}"
        "{\\creatim\\yr2015\\mo6\\dy3}}\\f0 " + body + "}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.rtf"
        path.write_text(rtf, encoding="ascii")
        passages, _, doc = roundtrip(path)
    assert passages == paragraphs
    assert (doc.meta["title"], doc.meta["date"]) == ("On prices", "2015-06-03")
    assert doc.meta["date_source"] == "file-created"  # \creatim: when the file was made


@settings(max_examples=10, deadline=None)
@given(groups=st.lists(PARAGRAPHS, min_size=1, max_size=4), fmt=st.sampled_from(["csv", "jsonl"]))
def test_records_sharing_a_doc_id_are_one_document(groups: list[list[str]], fmt: str) -> None:
    """Kind 11: rows that share a doc_id are one document, paragraphs in row order; kind 8:
    integer ids become strings."""
    import tempfile

    rows = [
        {"id": f"p{g}-{i}", "doc_id": g + 1, "date": f"201{g}-01-0{i % 9 + 1}", "text": p}
        for g, paragraphs in enumerate(groups)
        for i, p in enumerate(paragraphs)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"rows.{fmt}"
        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        else:
            write_jsonl(path, rows)
        docs, errors = read_all([path])
    assert errors == []
    assert [d.doc_id for d in docs] == [str(g + 1) for g in range(len(groups))]
    assert [d.text.split("\n\n") for d in docs] == groups
    assert [d.meta["year"] for d in docs] == [f"201{g}" for g in range(len(groups))]


def test_a_document_id_that_comes_back_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, [{"doc_id": "a", "text": "x"}, {"doc_id": "b", "text": "y"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"doc_id": "a", "text": "z"}) + "\n")
    docs, errors = read_all([path, tmp_path / "rows.jsonl"])
    assert [d.doc_id for d in docs] == ["a", "b"]
    assert [(e.row, "already ended at line 1" in e.reason) for e in errors[:1]] == [(3, True)]
    assert any("already read from" in e.reason for e in errors)  # the same ids, second file


def test_csv_row_with_more_fields_than_the_header_is_an_error(tmp_path: Path) -> None:
    """Kind 5: an unquoted comma used to cut the text at the first field."""
    path = tmp_path / "extra.csv"
    path.write_text(
        'id,text,date\nr1,"Trade must grow, and zones must open.",2016-05-01\n'
        "r2,Enterprises, not the planning committee, should decide.,2016-06-01\n",
        encoding="utf-8",
    )
    docs, errors = read_all([path])
    assert [d.doc_id for d in docs] == ["r1"]
    assert [(e.source, e.row) for e in errors] == [(str(path), 3)]
    assert "5 fields but the header has 3" in errors[0].reason


# -- every file in a folder is read or named (kinds 6, 7) --------------------------------------


def test_every_file_in_a_folder_is_read_or_named(tmp_path: Path) -> None:
    """Kind 6: .rtf .odt .markdown .xhtml .text are read; anything else is an error naming
    the file; a corrupt .odt names the file too."""
    (tmp_path / "a.rtf").write_text("{\\rtf1\\ansi " + SENTENCES[0] + "}", encoding="ascii")
    (tmp_path / "b.markdown").write_text(f"# T\n\n{SENTENCES[1]}\n", encoding="utf-8")
    (tmp_path / "c.xhtml").write_text(f"<html><body><p>{SENTENCES[2]}</p></body></html>")
    (tmp_path / "d.text").write_text(SENTENCES[3], encoding="utf-8")
    (tmp_path / "e.odt").write_bytes(b"PK not really an odt")
    (tmp_path / "f.wpd").write_bytes(b"word perfect")
    docs, errors = read_all([tmp_path])
    assert [d.doc_id for d in docs] == ["a.rtf", "b.markdown", "c.xhtml", "d.text"]
    assert [Path(e.source).name for e in errors] == ["e.odt", "f.wpd"]
    assert "cannot read .odt" in errors[0].reason and "unsupported" in errors[1].reason


def test_outputs_of_a_run_are_never_read(tmp_path: Path) -> None:
    """Kind 7: files a run report names as outputs, and ``exclude``d paths, are skipped and
    reported, never read as documents."""
    (tmp_path / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    for name in ("out.csv", "out.summary.csv", "out.failures.jsonl", "other.jsonl"):
        (tmp_path / name).write_text("text\nlabelled before\n", encoding="utf-8")
    (tmp_path / "out.run.json").write_text(
        json.dumps(
            {
                "outputs": {
                    "out": "somewhere/out.csv",
                    "summary": "somewhere/out.summary.csv",
                    "failures": "somewhere/out.failures.jsonl",
                    "report": "somewhere/out.run.json",
                }
            }
        )
    )
    skipped: list[str] = []
    docs, errors = read_all(
        [tmp_path],
        exclude=[tmp_path / "other.jsonl"],
        on_skip=lambda path, why: skipped.append(Path(path).name),
    )
    assert [d.doc_id for d in docs] == ["a.txt"] and errors == []
    assert sorted(skipped) == sorted(
        ["out.csv", "out.summary.csv", "out.failures.jsonl", "out.run.json", "other.jsonl"]
    )


# -- metadata: sidecar, then properties, then the file name (kind 11) -------------------------


def test_metadata_precedence_and_sources(tmp_path: Path) -> None:
    body = f"<html><head><title>From meta</title></head><body><p>{SENTENCES[0]}</p></body></html>"
    (tmp_path / "issue-2019-03.html").write_text(body, encoding="utf-8")
    (tmp_path / "kj_2014.txt").write_text(SENTENCES[1], encoding="utf-8")
    (tmp_path / "plain.txt").write_text(SENTENCES[2], encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(
        "file,date,journal,title\nplain.txt,2016-05-01,Hakpo,\n"
        "issue-2019-03.html,,Kyongje Yongu,From sidecar\n",
        encoding="utf-8",
    )
    skipped: list[str] = []
    docs, errors = read_all([tmp_path], on_skip=lambda path, why: skipped.append(why))
    assert errors == [] and skipped == ["metadata sidecar (date/journal/title per file)"]
    meta = {d.doc_id: d.meta for d in docs}
    assert meta["issue-2019-03.html"] == {
        "journal": "Kyongje Yongu",
        "journal_source": "sidecar",
        "title": "From sidecar",
        "title_source": "sidecar",
        "date": "2019-03",
        "date_source": "filename",
        "year": "2019",
        "year_source": "filename",
    }
    assert meta["kj_2014.txt"] == {
        "date": "2014",
        "date_source": "filename",
        "year": "2014",
        "year_source": "filename",
    }
    assert (meta["plain.txt"]["date"], meta["plain.txt"]["date_source"]) == (
        "2016-05-01",
        "sidecar",
    )


# -- a file's creation time is not its publication date -------------------------------------

CREATED = "2026-11-30"  # a conversion date, years after any issue named below


def _with_creation_date(path: Path) -> None:
    """Give a PDF the /CreationDate CREATED (as a converter writing it today would)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(path))
    writer.add_metadata({"/CreationDate": "D:20261130120000+00'00'"})
    with path.open("wb") as handle:
        writer.write(handle)


def _created_file(folder: Path, name: str) -> Path:
    """A one-paragraph document whose only date is its creation timestamp, CREATED."""
    import datetime

    path = folder / name
    suffix = path.suffix
    if suffix == ".pdf":
        _make_pdf(path, [[SENTENCES[0]]])
        _with_creation_date(path)
    elif suffix == ".docx":
        import docx

        document = docx.Document()  # the template's own dcterms:created is 2013-12-23
        document.add_paragraph(SENTENCES[0])
        document.core_properties.created = datetime.datetime(2026, 11, 30, 12, 0)
        document.save(str(path))
    elif suffix == ".odt":
        from odf import dc, meta, opendocument, text

        document = opendocument.OpenDocumentText()
        document.meta.addElement(meta.CreationDate(text="2026-11-30T12:00:00"))
        document.meta.addElement(dc.Date(text="2026-12-01T09:00:00"))  # ODF: last saved
        document.text.addElement(text.P(text=SENTENCES[0]))
        document.save(str(path))
    else:
        rtf = "{\\rtf1\\ansi{\\info{\\creatim\\yr2026\\mo11\\dy30}}" + SENTENCES[0] + "\\par}"
        path.write_text(rtf, encoding="ascii")
    return path


def _creation_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dprk_stance.readers" and "creation time" in r.getMessage()
    ]


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".odt", ".rtf"])
def test_creation_time_loses_to_a_dated_file_name(
    tmp_path: Path, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: issue-2019-01.pdf made today was dated by its /CreationDate, and a DOCX by its
    template's dcterms:created; the file name's date must win, silently."""
    path = _created_file(tmp_path, f"issue-2012-07{suffix}")
    (doc,) = iter_documents([path])
    assert (doc.meta["date"], doc.meta["date_source"]) == ("2012-07", "filename")
    assert (doc.meta["year"], doc.meta["year_source"]) == ("2012", "filename")
    assert _creation_warnings(caplog) == []


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".odt", ".rtf"])
def test_creation_time_is_the_last_resort_with_a_warning(
    tmp_path: Path, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = _created_file(tmp_path, f"issue{suffix}")
    (doc,) = iter_documents([path])
    assert (doc.meta["date"], doc.meta["date_source"]) == (CREATED, "file-created")
    assert (doc.meta["year"], doc.meta["year_source"]) == ("2026", "file-created")
    (warning,) = _creation_warnings(caplog)  # once per document
    assert str(path) in warning and "not a publication date" in warning
    assert "metadata sidecar" in warning and "file name" in warning


def test_creation_time_is_not_used_when_a_year_is_given(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A year alone (here from the sidecar) places the document; a 2026 creation date
    would override it in the time series."""
    _created_file(tmp_path, "issue.pdf")
    (tmp_path / "metadata.csv").write_text("file,year\nissue.pdf,2012\n", encoding="utf-8")
    (doc,) = iter_documents([tmp_path])
    assert "date" not in doc.meta and "date_source" not in doc.meta
    assert (doc.meta["year"], doc.meta["year_source"]) == ("2012", "sidecar")
    assert _creation_warnings(caplog) == []


@pytest.mark.parametrize(
    ("name", "prop", "expected"),
    [
        # A custom property named "date" is the author's publication date.
        (
            "issue-2012-07.docx",
            "date",
            {"date": "2012-07-15", "date_source": "properties"}
            | {"year": "2012", "year_source": "properties"},
        ),
        # One named "year" places the document; the 2026 creation time must not.
        ("issue.docx", "year", {"year": "2012", "year_source": "properties"}),
    ],
)
def test_docx_custom_properties_are_explicit_metadata(
    tmp_path: Path, name: str, prop: str, expected: dict[str, str]
) -> None:
    import docx
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    path = _created_file(tmp_path, name)
    document = docx.Document(str(path))
    value = expected[prop]
    custom = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
        f'name="{prop}"><vt:lpwstr>{value}</vt:lpwstr></property></Properties>'
    )
    part = Part(
        PackURI("/docProps/custom.xml"),
        "application/vnd.openxmlformats-officedocument.custom-properties+xml",
        custom.encode(),
        document.part.package,
    )
    document.part.package.relate_to(
        part,
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
    )
    document.save(str(path))
    (doc,) = iter_documents([path])
    assert doc.meta == expected


def test_front_matter_date_wins_over_the_file_name_and_sidecar_over_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "issue-2019-03.md").write_text(
        f"---\ndate: 2018-04-02\n---\n{SENTENCES[1]}\n", encoding="utf-8"
    )
    (tmp_path / "kj-2011-05.md").write_text(
        f"---\ndate: 2018-04-02\n---\n{SENTENCES[2]}\n", encoding="utf-8"
    )
    _created_file(tmp_path, "issue-2012-07.pdf")
    _created_file(tmp_path, "undated.docx")
    _created_file(tmp_path, "issue-2012-07.odt")  # not in the sidecar: the file name
    (tmp_path / "metadata.csv").write_text(
        "file,date\nkj-2011-05.md,2010-01-02\nissue-2012-07.pdf,2013-02\nundated.docx,2014-03-04\n",
        encoding="utf-8",
    )
    docs, errors = read_all([tmp_path])
    assert errors == []
    dates = {d.doc_id: (d.meta["date"], d.meta["date_source"]) for d in docs}
    assert dates == {
        "issue-2019-03.md": ("2018-04-02", "properties"),
        "kj-2011-05.md": ("2010-01-02", "sidecar"),
        "issue-2012-07.pdf": ("2013-02", "sidecar"),
        "undated.docx": ("2014-03-04", "sidecar"),
        "issue-2012-07.odt": ("2012-07", "filename"),
    }
    assert _creation_warnings(caplog) == []


# -- problems that leave a document readable are warnings naming the file and row ------------


def _reader_warnings(caplog: pytest.LogCaptureFixture, *words: str) -> list[str]:
    """Warnings of the readers that hold every one of ``words``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dprk_stance.readers"
        and r.levelname == "WARNING"
        and all(w in r.getMessage() for w in words)
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_of_one_document_that_disagree_on_metadata_are_a_warning(
    tmp_path: Path, fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: the second d1 row's date and title were dropped in silence. The first value is
    kept for the whole document, and a warning names the file, both rows, the id and the
    values; a value only a later row has is used; the same date written otherwise
    (2016/1/1) is no conflict."""
    rows = [
        {"id": "d1", "date": "2016-01-01", "title": "On prices", "journal": "", "text": "One."},
        {"id": "d1", "date": "2016-02-01", "title": "On wages", "journal": "Hakpo", "text": "Two."},
        {"id": "d1", "date": "2016/1/1", "title": "On prices", "journal": "", "text": "Three."},
    ]
    path = tmp_path / f"rows.{fmt}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        first, second, unit = 2, 3, "rows"
    else:
        write_jsonl(path, rows)
        first, second, unit = 1, 2, "lines"
    docs, errors = read_all([path])
    assert errors == []
    (doc,) = docs
    assert doc.text == "One.\n\nTwo.\n\nThree."
    assert (doc.meta["date"], doc.meta["year"], doc.meta["title"]) == (
        "2016-01-01",
        "2016",
        "On prices",
    )
    assert (doc.meta["journal"], doc.meta["journal_source"]) == ("Hakpo", "record")
    (date_warning,) = _reader_warnings(caplog, "'2016-02-01'")
    assert date_warning.startswith(f"{path}, {unit} {first} and {second}: document 'd1' ")
    assert "kept '2016-01-01'" in date_warning
    (title_warning,) = _reader_warnings(caplog, "'On wages'")
    assert "kept 'On prices'" in title_warning
    assert len(_reader_warnings(caplog, "document 'd1'")) == 2  # 2016/1/1 is 2016-01-01


def test_a_sidecar_row_naming_no_file_read_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: a metadata.csv row for ghost.pdf (no such file) was ignored in silence, in a
    folder's sidecar and in --metadata alike; so was a row with no file name."""
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    (folder / "metadata.csv").write_text(
        "file,date\na.txt,2016-01-01\nghost.pdf,2016-02-01\n,2016-03-01\n", encoding="utf-8"
    )
    extra = tmp_path / "more.csv"
    extra.write_text("file,journal\nb.txt,Hakpo\nissues/a.txt,Kulloja\n", encoding="utf-8")
    assert len(list(iter_inputs([folder], metadata=extra, warn=False))) == 1
    assert _reader_warnings(caplog) == []  # listing again (a run's fingerprint) is quiet
    docs, errors = read_all([folder], metadata=extra)
    assert errors == [] and [d.meta["date"] for d in docs] == ["2016-01-01"]
    sidecar = folder / "metadata.csv"
    (ghost,) = _reader_warnings(caplog, "'ghost.pdf'")
    assert ghost.startswith(f"{sidecar}, row 3: ") and "not used" in ghost
    (unnamed,) = _reader_warnings(caplog, "no 'file' named")
    assert unnamed.startswith(f"{sidecar}, row 4: ")
    (missing,) = _reader_warnings(caplog, "'b.txt'")
    assert missing.startswith(f"{extra}, row 2: ")
    (other,) = _reader_warnings(caplog, "'issues/a.txt'")  # a.txt is "a.txt" in the folder
    assert other.startswith(f"{extra}, row 3: ")
    assert len(_reader_warnings(caplog)) == 4


def test_an_invalid_sidecar_date_is_a_warning_not_a_year(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: date 2016-13-45 became year 2016 (date_source "sidecar"). It is not used, with a
    warning naming the sidecar, row and value; the next source (here the file name) dates
    the document."""
    (tmp_path / "plain.txt").write_text(SENTENCES[0], encoding="utf-8")
    (tmp_path / "kj-2015-04.txt").write_text(SENTENCES[1], encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(
        "file,date,year\nplain.txt,2016-13-45,\nkj-2015-04.txt,2016-02-30,\nplain2.txt,,20x6\n",
        encoding="utf-8",
    )
    docs, errors = read_all([tmp_path])
    assert errors == []
    meta = {d.doc_id: d.meta for d in docs}
    assert meta["plain.txt"] == {}
    assert (meta["kj-2015-04.txt"]["date"], meta["kj-2015-04.txt"]["date_source"]) == (
        "2015-04",
        "filename",
    )
    sidecar = tmp_path / "metadata.csv"
    (first,) = _reader_warnings(caplog, "'2016-13-45'")
    assert first.startswith(f"{sidecar}, row 2: date '2016-13-45'") and "not a date" in first
    (second,) = _reader_warnings(caplog, "'2016-02-30'")
    assert second.startswith(f"{sidecar}, row 3: ")
    (year,) = _reader_warnings(caplog, "'20x6'")
    assert year.startswith(f"{sidecar}, row 4: year '20x6'")


def test_a_year_contradicting_the_date_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: a sidecar year 2017 beside a 2018-03-01 date gave date 2018-03-01 and year 2017.
    Date and year now always agree. From one source (a sidecar row, a record) the date
    sets the year; across sources the first in precedence decides, so a sidecar year keeps a
    date in another year out, and a date in the same year still fills it in."""
    for name in ("issue-2018-03-01.txt", "kj-2018-05.txt", "both.txt"):
        (tmp_path / name).write_text(SENTENCES[0], encoding="utf-8")
    sidecar = tmp_path / "metadata.csv"
    sidecar.write_text(
        "file,date,year\nissue-2018-03-01.txt,,2017\nkj-2018-05.txt,,2018\n"
        "both.txt,2018-03-01,2017\n",
        encoding="utf-8",
    )
    records = tmp_path / "rows.jsonl"
    write_jsonl(records, [{"id": "r", "date": "2018-03-01", "year": 2017, "text": "Text."}])
    docs, errors = read_all([tmp_path])
    assert errors == []
    when = {
        d.doc_id: {k: v for k, v in d.meta.items() if k.startswith(("date", "year"))} for d in docs
    }
    assert when["issue-2018-03-01.txt"] == {"year": "2017", "year_source": "sidecar"}
    assert when["kj-2018-05.txt"] == {
        "date": "2018-05",
        "date_source": "filename",
        "year": "2018",
        "year_source": "sidecar",
    }
    for doc_id, source in (("both.txt", "sidecar"), ("r", "record")):
        assert when[doc_id] == {
            "date": "2018-03-01",
            "date_source": source,
            "year": "2018",
            "year_source": source,
        }
    (kept_out,) = _reader_warnings(caplog, "issue-2018-03-01.txt:")
    assert f"year 2017 ({sidecar}, row 2)" in kept_out and "date not used" in kept_out
    (row,) = _reader_warnings(caplog, "'both.txt'")
    assert row.startswith(f"{sidecar}, row 4: year 2017 contradicts date 2018-03-01")
    (record,) = _reader_warnings(caplog, f"{records}, line 1:")
    assert "year 2017 contradicts date 2018-03-01" in record and "year 2018 used" in record
    assert len(_reader_warnings(caplog, "contradicts")) == 3  # kj-2018-05: no conflict


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_record_date_that_is_not_a_date_is_a_warning(
    tmp_path: Path, fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: "not-a-date" was carried as the date (with no year) without a word. It is left
    out, with a warning naming the file, row and value; so is 2016-13-45 (which gave year
    2016); a real date written otherwise is carried as written."""
    rows = [
        {"id": "a", "date": "not-a-date", "text": "First."},
        {"id": "b", "date": "2016-13-45", "text": "Second."},
        {"id": "c", "date": "2016/3/1", "text": "Third."},
    ]
    path = tmp_path / f"rows.{fmt}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        where = [f"{path}, row 2:", f"{path}, row 3:"]
    else:
        write_jsonl(path, rows)
        where = [f"{path}, line 1:", f"{path}, line 2:"]
    docs, errors = read_all([path])
    assert errors == []
    assert [d.meta for d in docs[:2]] == [{}, {}]
    assert (docs[2].meta["date"], docs[2].meta["year"]) == ("2016/3/1", "2016")
    (first,) = _reader_warnings(caplog, "'not-a-date'")
    (second,) = _reader_warnings(caplog, "'2016-13-45'")
    assert [first.split(" date ")[0], second.split(" date ")[0]] == where
    assert "not a date" in first and "not used" in first
    assert len(_reader_warnings(caplog)) == 2


def test_rows_grouped_by_doc_id_keep_their_ids_and_spans(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bug: with both columns the rows' ids vanished from the output (passage rows carried
    doc_id, passage and span, no row id). Each row's id now stays with its span in the
    document text; rows without an id, or files without doc_id, record none."""
    path = tmp_path / "rows.csv"
    path.write_text("doc_id,id,text\nA,a1, One. \nA,a2,Two.\nB,b1,Three.\n", encoding="utf-8")
    bare = tmp_path / "bare.csv"
    bare.write_text("id,text\nC,Four.\n", encoding="utf-8")
    docs, errors = read_all([path, bare])
    assert errors == [] and [d.doc_id for d in docs] == ["A", "B", "C"]
    a, b, c = docs
    assert a.row_spans == (("a1", 0, 4), ("a2", 6, 10))
    assert [a.text[s:e] for _, s, e in a.row_spans] == ["One.", "Two."]
    assert b.row_spans == (("b1", 0, len(b.text)),) and c.row_spans == ()
    assert _reader_warnings(caplog, "'a1'") == []
    twice = tmp_path / "twice.csv"
    twice.write_text("doc_id,id,text\nD,d1,Five.\nE,d1,Six.\n", encoding="utf-8")
    docs, errors = read_all([twice])
    assert errors == [] and [d.row_spans[0][0] for d in docs] == ["d1", "d1"]
    (warning,) = _reader_warnings(caplog, "'d1'")
    assert warning.startswith(f"{twice}, row 3: ") and "row 2" in warning


def test_bytes_that_are_not_utf8_are_named_by_offset_and_value(tmp_path: Path) -> None:
    """Bug: "not valid UTF-8 (byte 49)" read like a byte value; it is the offset."""
    text = tmp_path / "latin1.txt"
    text.write_bytes(b"x" * 49 + "\xe9".encode("latin-1"))
    rows = tmp_path / "rows.csv"
    rows.write_bytes(b"text\nfine\ncaf\xe9\n")
    lines = tmp_path / "rows.jsonl"
    lines.write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    docs, errors = read_all([text, rows, lines])
    assert [d.text for d in docs] == ["fine", "fine"]
    assert [str(e) for e in errors] == [
        f"{text}: not valid UTF-8 at byte offset 49 (0xe9); save it as UTF-8",
        f"{rows}, row 3: not valid UTF-8 at byte offset 13 of the file (0xe9); save it as UTF-8",
        f"{lines}, line 2: not valid UTF-8 at byte offset 13 of the line (0xe9); save it as UTF-8",
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_or_utf32_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    """Bug: a UTF-16 file (Windows "Unicode" text, PowerShell output) was rejected as "byte
    0". Its byte-order mark says how to read it: text, CSV, JSONL and sidecar alike."""

    def write(path: Path, content: str) -> None:
        path.write_bytes("\ufeff".encode(encoding) + content.encode(encoding))

    write(tmp_path / "a.txt", "Trade must grow.\r\n\r\nZones must open.\r\n")
    write(tmp_path / "b.csv", 'id,text\r\nb1,"Prices, set by enterprises."\r\n')
    write(tmp_path / "c.jsonl", '{"id": "c1", "text": "Caf\\u00e9 of Pyongyang \u00e9."}\r\n')
    write(tmp_path / "metadata.csv", "file,date\r\na.txt,2016-05-01\r\n")
    docs, errors = read_all([tmp_path])
    assert errors == []
    assert [(d.doc_id, d.text) for d in docs] == [
        ("a.txt", "Trade must grow.\n\nZones must open."),
        ("b1", "Prices, set by enterprises."),
        ("c1", "Café of Pyongyang é."),
    ]
    assert docs[0].meta["date"] == "2016-05-01"


def test_utf16_without_a_byte_order_mark_is_an_error(tmp_path: Path) -> None:
    """Without a mark UTF-16 decodes as UTF-8 with a NUL after every letter: an error, never
    text labelled as that."""
    path = tmp_path / "a.txt"
    path.write_bytes("Trade must grow.".encode("utf-16-le"))
    docs, errors = read_all([path])
    assert docs == []
    assert str(errors[0]).startswith(f"{path}: a NUL character at byte offset 1: UTF-16")


def test_a_date_in_another_form_keeps_its_year_and_warnings_are_capped_per_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A review found that "03/01/2017" (day and month order unknown) lost its year as
    well as its date, with a warning per row: the year stays, and a file says the same
    thing at most 5 times, then how many more."""
    rows = [{"id": f"r{i}", "date": "03/01/2017", "text": f"Row {i}."} for i in range(8)]
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, rows)
    docs, errors = read_all([path])
    assert errors == []
    assert {(d.meta.get("date"), d.meta.get("year")) for d in docs} == {(None, "2017")}
    notes = _reader_warnings(caplog, "'03/01/2017'")
    assert len(notes) == 5 and "only its year 2017 is used" in notes[0]
    assert any("3 more such warnings" in r.getMessage() for r in caplog.records)
