"""Read input files of many formats as one stream of plain-text ``Document`` objects.

Why a stream: the news archive holds 20,000+ stories, so rows of .jsonl/.csv files are read
and yielded one at a time, never collected. Why ``on_error``: in a batch run one broken file
(or row) must be reported by name and number without stopping the other inputs; without a
handler the first problem is raised, which suits a one-file run.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "META_FIELDS",
    "SUPPORTED_SUFFIXES",
    "Document",
    "InputError",
    "iter_documents",
    "suffix_of",
]

SUPPORTED_SUFFIXES = (
    ".txt",
    ".md",
    ".docx",
    ".pdf",
    ".html",
    ".htm",
    ".jsonl",
    ".jsonl.gz",
    ".csv",
)
# Columns of a .jsonl/.csv record carried into Document.meta when present and non-empty.
META_FIELDS = ("date", "journal", "title", "year")
ID_FIELD = "id"
STDIN_SOURCE = "<stdin>"
STDIN_ID = "stdin"

# HTML: elements whose content is never reading text, and elements that end a paragraph.
_HTML_DROP = ["script", "style", "nav", "noscript", "template", "head", "title", "svg"]
_HTML_BLOCKS = (  # noqa: SIM905 (a word list reads better than 31 quoted lines)
    "p div li h1 h2 h3 h4 h5 h6 blockquote section article header footer main aside "
    "ul ol dl dt dd table tr td th caption pre figure figcaption address hr"
).split()
_PARAGRAPH_BREAK = "\ue000"  # private-use sentinel, never in real text
_CSV_FIELD_LIMIT = 2**31 - 1  # the default (128 KiB) is shorter than some long documents


@dataclass(frozen=True)
class Document:
    """One document's plain text, where it came from, and its carried-through metadata."""

    doc_id: str
    text: str
    source: str
    meta: dict[str, str] = field(default_factory=dict)


class InputError(Exception):
    """A problem with one input, naming the file (and row/line where there is one)."""

    def __init__(self, source: str, row: int | None, reason: str, unit: str = "row") -> None:
        super().__init__(source, row, reason, unit)  # all in args, so it pickles
        self.source = source
        self.row = row
        self.reason = reason
        self.unit = unit  # "row" for .csv (spreadsheet numbering), "line" for .jsonl

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source}, {self.unit} {self.row}"
        return f"{where}: {self.reason}"


def iter_documents(
    inputs: Sequence[str | Path],
    *,
    text_column: str = "text",
    on_error: Callable[[InputError], None] | None = None,
    stdin: TextIO | None = None,
) -> Iterator[Document]:
    """Yield the documents of files, folders (recursively, sorted) and "-" (stdin), in order.

    Problems become ``InputError``s passed to ``on_error`` while reading goes on with the next
    row or input; with no ``on_error`` the first one is raised.
    """
    if isinstance(inputs, (str, Path)):  # one path, not a sequence of one-letter paths
        inputs = [inputs]
    for item in inputs:
        for result in _read_input(item, text_column, stdin):
            if isinstance(result, Document):
                yield result
            elif on_error is None:
                raise result
            else:
                on_error(result)


def suffix_of(path: str | Path) -> str | None:
    """The supported suffix a file name ends with (case-insensitive), or None."""
    name = Path(path).name.lower()
    # Longest first, so "x.jsonl.gz" is not taken for something ending in ".gz".
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


# -- inputs -----------------------------------------------------------------------------------

_Result = Document | InputError


def _read_input(item: str | Path, text_column: str, stdin: TextIO | None) -> Iterator[_Result]:
    given = os.fspath(item)
    if isinstance(item, str) and item == "-":
        yield from _read_stdin(stdin if stdin is not None else sys.stdin)
        return
    path = Path(item)
    if path.is_dir():
        files, errors = _walk(path)
        yield from errors
        if not files and not errors:
            yield InputError(given, None, "folder holds no supported files")
        for file in files:
            rel = file.relative_to(path).as_posix()
            yield from _read_file(file, str(file), rel, text_column)
    elif path.exists():
        yield from _read_file(path, given, given, text_column)
    else:
        yield InputError(given, None, "no such file or folder")


def _walk(root: Path) -> tuple[list[Path], list[InputError]]:
    """Supported files under root, sorted by path components; hidden and lock files skipped."""
    found: list[Path] = []
    errors: list[InputError] = []

    def on_walk_error(exc: OSError) -> None:
        errors.append(InputError(str(exc.filename or root), None, f"cannot list folder: {exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_walk_error):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith((".", "~$")) or suffix_of(name) is None:
                continue
            found.append(Path(dirpath) / name)
    found.sort(key=lambda p: p.relative_to(root).parts)
    return found, errors


def _read_stdin(stream: TextIO) -> Iterator[_Result]:
    try:
        text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        yield InputError(STDIN_SOURCE, None, f"cannot read: {exc}")
        return
    text = _normalise_newlines(text)
    if not text.strip():
        yield InputError(STDIN_SOURCE, None, "empty input")
        return
    yield Document(STDIN_ID, text, STDIN_SOURCE, {})


def _read_file(path: Path, source: str, doc_id: str, text_column: str) -> Iterator[_Result]:
    """Yield a file's documents and row errors; a whole-file problem ends it as an error."""
    suffix = suffix_of(path)
    try:
        if suffix is None:
            found = "".join(path.suffixes[-1:]) or "no suffix"
            supported = ", ".join(SUPPORTED_SUFFIXES)
            raise InputError(source, None, f"unsupported file type ({found}); use {supported}")
        if suffix in (".jsonl", ".jsonl.gz"):
            yield from _read_jsonl(path, source, text_column, gz=suffix == ".jsonl.gz")
        elif suffix == ".csv":
            yield from _read_csv(path, source, text_column)
        else:
            text, meta = _WHOLE_FILE_READERS[suffix](path, source)
            text = _normalise_newlines(text)
            if not text.strip():
                raise InputError(source, None, "empty file (no text)")
            yield Document(doc_id, text, source, meta)
    except InputError as exc:
        yield exc
    except OSError as exc:
        yield InputError(source, None, f"cannot read: {exc.strerror or exc}")


def _normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so a blank line is a blank line whatever the file's origin."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- whole-file formats -----------------------------------------------------------------------


def _read_text(path: Path, source: str) -> tuple[str, dict[str, str]]:
    data = path.read_bytes()
    try:
        # utf-8-sig reads plain UTF-8 too and drops a BOM. No lossy fallback: a file that is
        # not UTF-8 is reported, never labelled as mojibake.
        return data.decode("utf-8-sig"), {}
    except UnicodeDecodeError as exc:
        raise InputError(
            source, None, f"not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first"
        ) from None


def _read_docx(path: Path, source: str) -> tuple[str, dict[str, str]]:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:
        raise InputError(source, None, "reading .docx needs the python-docx package") from None
    try:
        document = docx.Document(str(path))
        body = getattr(document, "iter_inner_content", None)
        blocks = body() if body is not None else document.paragraphs
        parts: list[str] = []
        for block in blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Table):
                parts.extend(_docx_table_rows(block))
    except Exception as exc:  # corrupt packages raise zip, XML and key errors alike
        raise InputError(source, None, f"cannot read .docx: {exc}") from None
    return "\n\n".join(p.strip() for p in parts if p.strip()), {}


def _docx_table_rows(table: Any) -> Iterator[str]:
    """One paragraph per table row; a merged cell repeats in python-docx, so it is deduped."""
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            if cell.text.strip():
                cells.append(" ".join(cell.text.split()))
        yield " | ".join(cells)


def _read_pdf(path: Path, source: str) -> tuple[str, dict[str, str]]:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise InputError(source, None, "reading .pdf needs the pypdf package") from None
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(source, None, "encrypted PDF (needs a password)")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InputError(source, None, f"cannot read .pdf: {exc}") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise InputError(source, None, "no text layer (a scanned PDF? run OCR first)")
    return text, {}


def _read_html(path: Path, source: str) -> tuple[str, dict[str, str]]:
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        raise InputError(source, None, "reading .html needs the beautifulsoup4 package") from None
    data = path.read_bytes()
    if not data.strip():
        raise InputError(source, None, "empty file")
    # Bytes, so BeautifulSoup honours the page's declared charset.
    soup = BeautifulSoup(data, "html.parser")
    meta: dict[str, str] = {}
    if soup.title is not None:
        title = " ".join(soup.title.get_text().split())
        if title:
            meta["title"] = title
    for element in soup.find_all(_HTML_DROP):
        element.decompose()
    for element in soup.find_all("br"):
        element.replace_with(_PARAGRAPH_BREAK)
    for element in soup.find_all(_HTML_BLOCKS):
        element.insert_before(_PARAGRAPH_BREAK)
        element.insert_after(_PARAGRAPH_BREAK)
    # Inside a paragraph, HTML whitespace (source line breaks, indentation) is one space.
    paragraphs = (" ".join(part.split()) for part in soup.get_text().split(_PARAGRAPH_BREAK))
    return "\n\n".join(p for p in paragraphs if p), meta


_WHOLE_FILE_READERS: dict[str, Callable[[Path, str], tuple[str, dict[str, str]]]] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}


# -- record formats (streamed) ----------------------------------------------------------------


def _read_jsonl(path: Path, source: str, text_column: str, *, gz: bool) -> Iterator[_Result]:
    """One document per line, read line by line; a bad line is reported and skipped."""
    opener: Callable[..., Any] = gzip.open if gz else open
    line_no = 0
    any_content = False
    with opener(path, "rb") as handle:
        try:
            for raw in handle:
                line_no += 1
                if not raw.strip():
                    continue
                any_content = True
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield InputError(source, line_no, f"not valid UTF-8 (byte {exc.start})", "line")
                    continue
                if line_no == 1:
                    line = line.removeprefix("\ufeff")
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield InputError(source, line_no, f"not valid JSON ({exc.msg})", "line")
                    continue
                yield _record_document(record, source, line_no, "line", text_column)
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip
            row = line_no + 1 if line_no else None  # nothing read at all: the whole file
            raise InputError(source, row, f"cannot read further: {exc}", "line") from None
    if not any_content:
        raise InputError(source, None, "empty file")


def _read_csv(path: Path, source: str, text_column: str) -> Iterator[_Result]:
    """One document per row, header first; rows are numbered as a spreadsheet shows them."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    row_no = 0
    with open(path, "rb") as handle:
        rows = csv.reader(_decoded_lines(handle))
        try:
            header = next(rows, None)
            row_no = 1
            if header is None or not any(h.strip() for h in header):
                raise InputError(source, None, "empty file")
            columns = [h.strip() for h in header]
            if text_column not in columns:
                raise InputError(
                    source, 1, f"no {text_column!r} column (columns: {', '.join(columns)})"
                )
            any_rows = False
            for row_no, row in enumerate(rows, start=2):
                if not any(cell.strip() for cell in row):
                    continue  # a blank row, not a record
                any_rows = True
                yield _record_document(
                    dict(zip(columns, row, strict=False)), source, row_no, "row", text_column
                )
        except UnicodeDecodeError as exc:
            raise InputError(source, row_no + 1, f"not valid UTF-8 (byte {exc.start})") from None
        except csv.Error as exc:
            raise InputError(source, row_no + 1, f"malformed CSV ({exc})") from None
    if not any_rows:
        raise InputError(source, None, "no data rows under the header")


def _decoded_lines(handle: Iterable[bytes]) -> Iterator[str]:
    """Decode line by line (strictly, BOM dropped), keeping line endings for the csv module."""
    first = True
    for raw in handle:
        line = raw.decode("utf-8")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _record_document(record: Any, source: str, number: int, unit: str, text_column: str) -> _Result:
    if not isinstance(record, dict):
        return InputError(source, number, "not a JSON object", unit)
    text = record.get(text_column)
    if text is None:
        return InputError(source, number, f"no {text_column!r} value", unit)
    if not isinstance(text, str):
        return InputError(source, number, f"{text_column!r} is not a string", unit)
    text = _normalise_newlines(text)
    if not text.strip():
        return InputError(source, number, f"empty {text_column!r}", unit)
    raw_id = record.get(ID_FIELD)
    doc_id = f"{source}#{number}" if raw_id is None or str(raw_id).strip() == "" else str(raw_id)
    meta = {
        key: str(record[key]).strip()
        for key in META_FIELDS
        if record.get(key) is not None and str(record[key]).strip()
    }
    return Document(doc_id, text, source, meta)
