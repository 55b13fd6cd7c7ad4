"""Read input files of many formats as one stream of plain-text ``Document`` objects.

Why a stream: the news archive holds 20,000+ stories, so rows of .jsonl/.csv files are read
and yielded one at a time, never collected. Why ``on_error``: in a batch run one broken file
(or row) must be reported by name and number without stopping the other inputs; without a
handler the first problem is raised, which suits a one-file run.

Why format-aware extraction: a stance share is only as good as the paragraphs it counts. Each
reader returns the *reading text* of a document — its body paragraphs, separated by blank
lines — and counts what it deliberately left out (running heads, page numbers, navigation,
footnotes, comments, hidden text, headings) in ``Document.skipped``, so nothing disappears
without a number. Layout and markup are read with well-kept libraries: pdfminer.six layout
analysis for PDF, the WordprocessingML tree (via python-docx/lxml) for DOCX, trafilatura for
HTML, odfpy for ODT, striprtf for RTF, markdown-it-py for Markdown.

Every file under a folder is either read or reported: unsupported and unreadable files are
``InputError``s; hidden paths, metadata sidecars and the outputs of dprk-stance runs are
passed to ``on_skip`` with the reason, so a run report can name them. Problems that leave a
document readable — a date that is not one, a year contradicting the date, rows of one
document that disagree on its metadata, a sidecar row naming no file that is read — are
logged warnings (logger ``dprk_stance.readers``), one line each, naming the file and row and
saying which value was used.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import itertools
import json
import logging
import os
import re
import statistics
import sys
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dprk_stance.errors import DprkStanceError

log = logging.getLogger(__name__)

__all__ = [
    "METADATA_SIDECAR",
    "META_FIELDS",
    "META_SOURCE_FIELDS",
    "SUPPORTED_SUFFIXES",
    "Document",
    "InputError",
    "InputFile",
    "iter_documents",
    "iter_inputs",
    "read_input_file",
    "read_metadata_sidecar",
    "suffix_of",
    "unique_id_error",
]

SUPPORTED_SUFFIXES = (
    ".txt",
    ".text",
    ".md",
    ".markdown",
    ".docx",
    ".odt",
    ".rtf",
    ".pdf",
    ".html",
    ".htm",
    ".xhtml",
    ".jsonl",
    ".jsonl.gz",
    ".csv",
    ".parquet",
)
# Columns of a .jsonl/.csv record carried into Document.meta when present and non-empty.
META_FIELDS = ("date", "journal", "title", "year")
# Where each metadata value came from: "record", "sidecar", "properties", "filename", and for
# a date only, "file-created" (the file's creation timestamp, the last resort).
META_SOURCE_FIELDS = tuple(f"{key}_source" for key in META_FIELDS)
# A CSV in an input folder with this name (and a "file" column) describes the other files.
METADATA_SIDECAR = "metadata.csv"
# Besides META_FIELDS, a sidecar entry holds the sidecar's path and the entry's row, so that a
# warning about one of its values can name them.
_SIDECAR_PATH = "sidecar"
_SIDECAR_ROW = "sidecar_row"
ID_FIELD = "id"
DOC_ID_FIELD = "doc_id"
STDIN_SOURCE = "<stdin>"
STDIN_ID = "stdin"
_CSV_FIELD_LIMIT = 2**31 - 1  # the default (128 KiB) is shorter than some long documents
_RUN_REPORT_SUFFIX = ".run.json"
# Columns that a dprk-stance label run's passages output, or its summary, has all of and a
# corpus or document table does not: a copy of such an output without its .run.json
# (moved, downloaded, dropped into an input folder) is recognised by them and not read as
# documents, which would label the model's own rows again under the same document ids.
# tests/test_label.py checks them against label.PASSAGE_COLUMNS and SUMMARY_COLUMNS.
LABEL_OUTPUT_SIGNATURES = (
    frozenset({"model_sha256", "relevance", "off_topic", "no_stance", "uncertain"}),
    frozenset({"share_uncertain", "mean_confidence", "skipped_fragments"}),
)

# A block of a structured document: ("body", text) or (furniture kind, text).
Block = tuple[str, str]
BODY = "body"


@dataclass(frozen=True)
class Document:
    """One document's plain text, where it came from, and its carried-through metadata."""

    doc_id: str
    text: str
    source: str
    meta: dict[str, str] = field(default_factory=dict)
    # Furniture the reader left out of ``text``, by kind ("running-head", "footnote", ...).
    skipped: dict[str, int] = field(default_factory=dict)
    # Rows of a .jsonl/.csv/.parquet grouped by doc_id that had an ``id``: (id, start, end),
    # each row's character span in ``text``, so passages can name the rows they came from.
    row_spans: tuple[tuple[str, int, int], ...] = ()


class InputError(DprkStanceError):
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


SkipHandler = Callable[[str, str], None]


def iter_documents(
    inputs: Sequence[str | Path],
    *,
    text_column: str = "text",
    on_error: Callable[[InputError], None] | None = None,
    stdin: TextIO | None = None,
    exclude: Collection[str | Path] = (),
    on_skip: SkipHandler | None = None,
    metadata: str | Path | None = None,
) -> Iterator[Document]:
    """Yield the documents of files, folders (recursively, sorted) and "-" (stdin), in order.

    Problems become ``InputError``s passed to ``on_error`` while reading goes on with the next
    row or input; with no ``on_error`` the first one is raised. ``exclude`` lists paths never
    read (a run's own outputs); ``on_skip(path, reason)`` hears of every file under a folder
    that is deliberately not read (hidden, excluded, a sidecar, an earlier run's output).
    ``metadata`` is a sidecar CSV (see ``read_metadata_sidecar``); a folder's own
    ``metadata.csv`` is used for the files under it.

    Records (.jsonl/.csv rows) that share a ``doc_id`` (or, without one, an ``id``) and stand
    next to each other are one document, their texts joined as paragraphs; a document id seen
    again later, or in another file, is an error naming both places. Each metadata value of
    such a document is its first row's that has one; a later row with another value is
    logged as a warning naming the rows. With both columns, the ``id`` of the rows is not
    carried (a warning says so, once per file).
    """
    seen_ids: dict[str, str] = {}
    for item in iter_inputs(
        inputs, stdin=stdin, exclude=exclude, on_skip=on_skip, metadata=metadata
    ):
        results = read_input_file(item, text_column) if isinstance(item, InputFile) else [item]
        for result in results:
            if isinstance(result, Document):
                result = unique_id_error(result, seen_ids) or result
            if isinstance(result, Document):
                yield result
            elif on_error is None:
                raise result
            else:
                on_error(result)


@dataclass(frozen=True)
class InputFile:
    """One file to read: where it is, its name in outputs, the document id a whole-file
    format gets, and the sidecar metadata for it. Plain data, so it can travel to a worker."""

    path: str
    source: str
    doc_id: str
    meta: dict[str, str] = field(default_factory=dict)


def iter_inputs(
    inputs: Sequence[str | Path],
    *,
    stdin: TextIO | None = None,
    exclude: Collection[str | Path] = (),
    on_skip: SkipHandler | None = None,
    metadata: str | Path | None = None,
    warn: bool = True,
) -> Iterator[InputFile | Document | InputError]:
    """The files ``iter_documents`` reads, in its order, without reading them.

    Folders are walked (lazily, one input at a time) as ``iter_documents`` describes; stdin
    is read at once and yielded as its ``Document``; problems found while listing (a missing
    path, an unsupported file, a bad sidecar) are yielded as ``InputError``s in place. Read
    each ``InputFile`` with ``read_input_file``, on this machine or another.

    Sidecar rows with values that are not used (see ``read_metadata_sidecar``), and rows
    naming no file that is read (a folder's ``metadata.csv``: once that folder is listed;
    ``metadata``: after the last input), are logged as warnings; ``warn=False`` keeps a
    second listing of the same inputs (a fingerprint) quiet.
    """
    if isinstance(inputs, (str, Path)):  # one path, not a sequence of one-letter paths
        inputs = [inputs]
    excluded = {_resolved(p) for p in exclude}
    sidecar = read_metadata_sidecar(metadata, warn=warn) if metadata is not None else {}
    if metadata is not None:
        excluded.add(_resolved(metadata))
    skip = on_skip or (lambda _path, _reason: None)
    named: set[str] = set()  # the names (as a sidecar may give them) of the files listed
    for item in inputs:
        yield from _read_input(item, stdin, excluded, skip, sidecar, named, warn)
    if warn:
        _warn_unused(sidecar, named, "")


def read_input_file(item: InputFile, text_column: str = "text") -> Iterator[Document | InputError]:
    """The documents of one listed file, and ``InputError``s for its bad rows (or for the
    whole file when it cannot be read), in file order. Ids are not checked across files:
    that is ``unique_id_error``'s job, in reading order."""
    yield from _read_file(Path(item.path), item.source, item.doc_id, text_column, item.meta)


def unique_id_error(document: Document, seen_ids: dict[str, str]) -> InputError | None:
    """An ``InputError`` when ``document``'s id was already read (from ``seen_ids``: id ->
    source, updated here), else None. Call it in reading order."""
    if document.doc_id in seen_ids:
        return InputError(
            document.source,
            None,
            f"document id {document.doc_id!r} already read from {seen_ids[document.doc_id]}",
        )
    seen_ids[document.doc_id] = document.source
    return None


def suffix_of(path: str | Path) -> str | None:
    """The supported suffix a file name ends with (case-insensitive), or None."""
    name = Path(path).name.lower()
    # Longest first, so "x.jsonl.gz" is not taken for something ending in ".gz".
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


def read_metadata_sidecar(path: str | Path, *, warn: bool = True) -> dict[str, dict[str, str]]:
    """Metadata per file name from a sidecar CSV: columns ``file`` and any of META_FIELDS.

    Keys are the ``file`` cells as written (a name relative to the folder, or a bare file
    name); values hold the non-empty date/journal/title/year cells, a date as ISO
    (YYYY-MM-DD, YYYY-MM or YYYY), plus the sidecar's path and the row (for messages).
    Raises ``InputError`` naming the file and row for an unreadable sidecar, a missing
    ``file`` column or a file named twice. Logs a warning naming the file, row and value,
    and leaves the value out, for a date that is not one (``2016-13-45``) and a year that
    is not one; a year contradicting the row's date gives way to it (the year follows the
    date), with a warning; a row with values but no file name is a warning too.
    """
    source = os.fspath(path)
    say = log.warning if warn else _quiet
    try:
        with open(path, "rb") as handle:
            text = _decode_text(handle.read(), source)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = [c.strip() for c in reader.fieldnames or []]
        if "file" not in columns:
            raise InputError(source, 1, "a metadata sidecar needs a 'file' column")
        reader.fieldnames = columns
        table: dict[str, dict[str, str]] = {}
        for record in reader:
            row = reader.line_num
            name = (record.get("file") or "").strip()
            values = {
                k: str(record[k]).strip()
                for k in META_FIELDS
                if record.get(k) is not None and str(record[k]).strip()
            }
            if not name:
                if values:
                    say("%s, row %d: no 'file' named; the row's metadata is not used", source, row)
                continue
            if name in table:
                raise InputError(source, row, f"file {name!r} listed twice")
            values = _checked_when(values, f"{source}, row {row}", f" (for {name!r})", say)
            # Settled here, not left to resolve_metadata: for a row file the record's own
            # date comes first there, and the sidecar's year would then be taken as
            # agreeing with it although this row contradicts itself.
            date, year = values.get("date"), values.get("year")
            if date is not None and year is not None and year != date[:4]:
                say(
                    "%s, row %d: year %s contradicts date %s (for %r); year %s used: the year "
                    "follows the date",
                    source,
                    row,
                    year,
                    date,
                    name,
                    date[:4],
                )
                del values["year"]
            table[name] = {**values, _SIDECAR_PATH: source, _SIDECAR_ROW: str(row)}
    except csv.Error as exc:
        raise InputError(source, None, f"malformed CSV ({exc})") from None
    except OSError as exc:
        raise InputError(source, None, f"cannot read: {exc.strerror or exc}") from None
    return table


def _quiet(*_args: object) -> None:
    """A stand-in for ``log.warning`` when warnings are not wanted."""


# -- inputs -----------------------------------------------------------------------------------

_Result = Document | InputError


def _resolved(path: str | Path) -> str:
    return os.path.realpath(os.fspath(path))


def _read_input(
    item: str | Path,
    stdin: TextIO | None,
    excluded: set[str],
    skip: SkipHandler,
    sidecar: dict[str, dict[str, str]],
    named: set[str],
    warn: bool,
) -> Iterator[InputFile | _Result]:
    """The files of one input; ``named`` gathers the names a sidecar row may give for them
    (path as given, path under the folder, bare name), to find rows naming none."""
    given = os.fspath(item)
    if isinstance(item, str) and item == "-":
        yield from _read_stdin(stdin if stdin is not None else sys.stdin)
        return
    path = Path(item)
    if path.is_dir():
        entries, own = _walk(path, excluded, skip)
        own_table: dict[str, dict[str, str]] = {}
        if own is not None:
            try:
                own_table = read_metadata_sidecar(own, warn=warn)
            except InputError as exc:
                yield exc
        folder_meta = {**own_table, **sidecar}
        if not entries:
            yield InputError(given, None, "folder holds no supported files")
        here: set[str] = set()
        for file in entries:
            if isinstance(file, InputError):
                yield file
                continue
            rel = file.relative_to(path).as_posix()
            here.update((rel, file.name))
            meta = folder_meta.get(rel) or folder_meta.get(file.name) or {}
            yield InputFile(str(file), str(file), rel, meta)
        named.update(here)
        if warn:
            _warn_unused(own_table, here, f" under {given}")
    elif path.exists():
        if _resolved(path) in excluded:
            skip(given, "an output of this run")
            return
        named.update((given, path.name))
        meta = sidecar.get(given) or sidecar.get(path.name) or {}
        yield InputFile(str(path), given, given, meta)
    else:
        yield InputError(given, None, "no such file or folder")


_UNUSED_NAMED = 5  # sidecar rows named one by one in the warnings, then counted


def _warn_unused(table: dict[str, dict[str, str]], named: Collection[str], where: str) -> None:
    """A warning per sidecar row (the first few, then a count) whose file is not one read:
    a misspelt name, or a file moved or deleted; its metadata reaches no document."""
    unused = sorted(
        (int(values.get(_SIDECAR_ROW, 0)), name, values.get(_SIDECAR_PATH, "metadata sidecar"))
        for name, values in table.items()
        if name not in named
    )
    for row, name, sidecar in unused[:_UNUSED_NAMED]:
        log.warning(
            "%s, row %d: file %r is not among the files read%s; its metadata is not used",
            sidecar,
            row,
            name,
            where,
        )
    if len(unused) > _UNUSED_NAMED:
        rest = unused[_UNUSED_NAMED:]
        log.warning(
            "%s: %d more rows (rows %s) name files not among those read%s; their metadata "
            "is not used",
            rest[0][2],
            len(rest),
            ", ".join(str(row) for row, _, _ in rest),
            where,
        )


def _walk(
    root: Path, excluded: set[str], skip: SkipHandler
) -> tuple[list[Path | InputError], Path | None]:
    """Files to read under root and errors for files that cannot be, sorted by path
    components, plus the folder's metadata sidecar if it has one.

    Hidden files and folders and Office lock files (``~$x.docx``) are skipped and reported
    through ``skip``; so are the outputs of this run (``excluded``) and of any earlier run
    whose ``<out>.run.json`` report lies under root. A file of an unsupported type is an
    error, so it is named in the run's failures rather than ignored in silence.
    """
    found: list[Path | InputError] = []
    sidecar: Path | None = None

    def on_walk_error(exc: OSError) -> None:
        found.append(InputError(str(exc.filename or root), None, f"cannot list folder: {exc}"))

    outputs = set(excluded)
    candidates: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_walk_error):
        for d in sorted(dirnames):
            if d.startswith("."):
                skip(str(Path(dirpath) / d) + os.sep, "hidden folder")
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            file = Path(dirpath) / name
            if name.startswith((".", "~$")):
                if _resolved(file) not in excluded:  # else this run's own working file
                    skip(str(file), "hidden or lock file")
                continue
            if name.endswith(_RUN_REPORT_SUFFIX):
                outputs |= _earlier_outputs(file)
            candidates.append(file)
    for file in sorted(candidates, key=lambda p: p.relative_to(root).parts):
        if _resolved(file) in outputs:
            skip(str(file), "an output of a dprk-stance label run")
        elif _is_label_output(file):
            skip(
                str(file),
                "a copy of a dprk-stance label output (its columns); name the file itself "
                "to read it as input",
            )
        elif file.parent == root and file.name == METADATA_SIDECAR and _is_sidecar(file):
            sidecar = file
            skip(str(file), "metadata sidecar (date/journal/title per file)")
        elif suffix_of(file.name) is None:
            found_suffix = "".join(file.suffixes[-1:]) or "no suffix"
            found.append(
                InputError(
                    str(file),
                    None,
                    f"not read: unsupported file type ({found_suffix}); supported: "
                    + ", ".join(SUPPORTED_SUFFIXES),
                )
            )
        else:
            found.append(file)
    return found, sidecar


def _earlier_outputs(report: Path) -> set[str]:
    """Paths a dprk-stance run report names as its outputs (and the report itself)."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return set()
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), dict):
        return set()
    names = {str(v) for v in data["outputs"].values() if isinstance(v, str)}
    # Reports store paths as the run was given them; match them by file name beside it too.
    found = {_resolved(report)}
    for name in names:
        found.add(_resolved(report.parent / Path(name).name))
        if Path(name).is_absolute():
            found.add(_resolved(name))
    return found


def _is_label_output(path: Path) -> bool:
    """Whether a table file's columns are those of a label run's output
    (``LABEL_OUTPUT_SIGNATURES``); False for any other file, or one that cannot be read
    (reading it later reports why)."""
    columns = _table_columns(path)
    return any(signature <= columns for signature in LABEL_OUTPUT_SIGNATURES)


def _table_columns(path: Path) -> set[str]:
    """The column names of a .csv (its header), .jsonl/.jsonl.gz (the first line's keys) or
    .parquet (its schema); empty for other files and for what cannot be read."""
    suffix = suffix_of(path)
    try:
        if suffix == ".csv":
            with open(path, "rb") as raw:
                encoding = _sniff_bom(raw) or "utf-8-sig"
                text = io.TextIOWrapper(raw, encoding, newline="")
                return {h.strip() for h in next(csv.reader(text), [])}
        if suffix in (".jsonl", ".jsonl.gz"):
            opener: Callable[..., Any] = gzip.open if suffix == ".jsonl.gz" else open
            with opener(path, "rb") as raw:
                encoding = _sniff_bom(raw) or "utf-8-sig"
                first = next(io.TextIOWrapper(raw, encoding), "")
            record = json.loads(first) if first.strip() else None
            return set(record) if isinstance(record, dict) else set()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return set(pq.read_schema(path).names)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, EOFError, zlib.error):
        return set()  # pyarrow's ArrowInvalid (not a parquet file) is a ValueError
    return set()


def _is_sidecar(path: Path) -> bool:
    """Whether a folder's ``METADATA_SIDECAR``-named file is a sidecar (a ``file`` column)."""
    return "file" in _table_columns(path)


def _read_stdin(stream: TextIO) -> Iterator[_Result]:
    try:
        text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        yield InputError(STDIN_SOURCE, None, f"cannot read: {exc}")
        return
    text = _fold(text)
    if not text.strip():
        yield InputError(STDIN_SOURCE, None, "empty input")
        return
    yield Document(STDIN_ID, text, STDIN_SOURCE, {})


def _read_file(
    path: Path, source: str, doc_id: str, text_column: str, sidecar: dict[str, str]
) -> Iterator[_Result]:
    """Yield a file's documents and row errors; a whole-file problem ends it as an error."""
    suffix = suffix_of(path)
    try:
        if suffix is None:
            found = "".join(path.suffixes[-1:]) or "no suffix"
            supported = ", ".join(SUPPORTED_SUFFIXES)
            raise InputError(source, None, f"unsupported file type ({found}); use {supported}")
        if suffix in (".jsonl", ".jsonl.gz"):
            rows = _read_jsonl(path, source, text_column, gz=suffix == ".jsonl.gz")
            yield from _group_records(rows, source, sidecar)
        elif suffix == ".csv":
            yield from _group_records(_read_csv(path, source, text_column), source, sidecar)
        elif suffix == ".parquet":
            yield from _group_records(_read_parquet(path, source, text_column), source, sidecar)
        else:
            blocks, properties = _WHOLE_FILE_READERS[suffix](path, source)
            body = [_fold(t).strip() for kind, t in blocks if kind == BODY]
            text = "\n\n".join(t for t in body if t)
            if not text.strip():
                raise InputError(source, None, "empty file (no text)")
            skipped = Counter(kind for kind, _ in blocks if kind != BODY)
            meta = resolve_metadata(sidecar, properties, path.name, source)
            yield Document(doc_id, text, source, meta, dict(skipped))
    except InputError as exc:
        yield exc
    except OSError as exc:
        yield InputError(source, None, f"cannot read: {exc.strerror or exc}")


def _fold(text: str) -> str:
    """NFKC-fold (ligatures such as "ﬁ", full-width and other compatibility characters) and
    make CRLF and lone CR into LF, so a blank line is a blank line whatever the origin."""
    return unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))


# -- metadata ---------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?!\d)")
_COMPACT_DATE = re.compile(r"^D?:?(1[89]\d\d|20\d\d)(\d\d)?(\d\d)?")
_FILENAME_DATE = re.compile(
    r"(?<![0-9])(19[4-9]\d|20\d\d)(?:[-_.]?(0[1-9]|1[0-2])(?:[-_.]?(0[1-9]|[12]\d|3[01]))?)?"
    r"(?![0-9])"
)


def iso_date(value: str) -> str | None:
    """ "2017-03-01", "2017/3/1", "D:20170301120000+09'00'", "2017-03" or "2017" as ISO
    (YYYY-MM-DD, YYYY-MM or YYYY); None when no year between 1800 and 2099 is found, or when
    the month or day found is not one ("2016-13-45", "2017-02-30"): never a year alone in
    place of a date that is wrong (a caller decides whether the year still stands: a file
    name's does, ``issue-2019-02-30`` -> 2019)."""
    value = value.strip()
    match = _COMPACT_DATE.match(value) if re.match(r"^D?:?\d{8}", value) else None
    match = match or _ISO_DATE.search(value)
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{year}-{int(month):02d}"
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# An explicit date (a record's or a sidecar's): the whole value is the date, a time may follow.
_EXPLICIT_DATE = re.compile(
    r"(?:\d{8}|\d{4}(?:([-/.])\d{1,2}(?:\1\d{1,2})?)?)"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_DATE_FORMS = "YYYY-MM-DD, YYYY-MM or YYYY"


def _explicit_date(value: str) -> str | None:
    """A record's or sidecar's date as ISO ("2017/3/1" -> "2017-03-01"; a time after it is
    allowed), or None when the value is not wholly a real date ("not-a-date", "2016-13-45",
    "March 2017")."""
    return iso_date(value) if _EXPLICIT_DATE.fullmatch(value.strip()) else None


def _checked_when(
    values: dict[str, str],
    where: str,
    about: str,
    say: Callable[..., None],
    *,
    normalise: bool = True,
) -> dict[str, str]:
    """``values`` less a date that is not one and a year that is not one, each with a
    warning through ``say`` naming ``where`` (file and row) and the value; the date as ISO
    when ``normalise`` (else as written, for a record's date carried through)."""
    checked = dict(values)
    if "date" in checked:
        date = _explicit_date(checked["date"])
        found = iso_date(checked["date"]) if date is None else None
        if date is None and found is not None and "year" not in checked:
            # "03/01/2017", "1 March 2017": day and month order unknown, the year is not
            checked["year"] = found[:4]
            say(
                "%s: date %r%s is not in a form read as a date (%s); only its year %s is used",
                where,
                checked.pop("date"),
                about,
                _DATE_FORMS,
                found[:4],
            )
        elif date is None:
            say(
                "%s: date %r%s is not a date (%s); not used",
                where,
                checked.pop("date"),
                about,
                _DATE_FORMS,
            )
        elif normalise:
            checked["date"] = date
    if "year" in checked and _YEAR.fullmatch(checked["year"]) is None:
        say("%s: year %r%s is not a year (YYYY); not used", where, checked.pop("year"), about)
    return checked


# One source's say on when a document was published: (origin, date, where the date is
# written, year, where the year is written); dates and years already checked.
_When = tuple[str, str | None, str, str | None, str]


def _resolve_when(document: str, sources: Sequence[_When]) -> dict[str, str]:
    """Date and year (with ``<key>_source``) from sources in precedence order, consistent.

    Date and year are one fact, so the first source that gives either decides it: a later
    source's date fills in a year from an earlier one only when it falls in that year, and
    is otherwise not used; a year that contradicts the date (from its own or an earlier
    source) gives way to it, as the year follows the date. Either is a warning naming
    ``document`` and where both values come from. The year of a lone date is left to
    ``with_year``.
    """
    date: tuple[str, str, str] | None = None  # (value, origin, where)
    year: tuple[str, str, str] | None = None
    for origin, this_date, date_at, this_year, year_at in sources:
        if this_date is not None and date is None:
            if year is not None and year[0] != this_date[:4]:
                log.warning(
                    "%s: date %s (%s) contradicts year %s (%s), which takes precedence; "
                    "date not used",
                    document,
                    this_date,
                    date_at,
                    year[0],
                    year[2],
                )
            else:
                date = (this_date, origin, date_at)
        if this_year is not None and year is None:
            if date is not None and date[0][:4] != this_year:
                at = (
                    f"both {year_at}" if year_at == date[2] else f"year: {year_at}; date: {date[2]}"
                )
                log.warning(
                    "%s: year %s contradicts date %s (%s); year %s used: the year follows the date",
                    document,
                    this_year,
                    date[0],
                    at,
                    date[0][:4],
                )
            else:
                year = (this_year, origin, year_at)
    meta: dict[str, str] = {}
    for key, found in (("date", date), ("year", year)):
        if found is not None:
            meta[key], meta[f"{key}_source"] = found[0], found[1]
    return meta


def _sidecar_at(sidecar: dict[str, str]) -> str:
    """Where a sidecar entry was read: "metadata.csv, row 3"."""
    if _SIDECAR_PATH in sidecar and _SIDECAR_ROW in sidecar:
        return f"{sidecar[_SIDECAR_PATH]}, row {sidecar[_SIDECAR_ROW]}"
    return "metadata sidecar"


def _sidecar_when(sidecar: dict[str, str]) -> _When:
    at = _sidecar_at(sidecar)
    # Checked when the sidecar was read (a warning then); checked again, quietly, for a
    # table made some other way.
    values = _checked_when(
        {k: sidecar[k].strip() for k in ("date", "year") if (sidecar.get(k) or "").strip()},
        at,
        "",
        _quiet,
    )
    return ("sidecar", values.get("date"), at, values.get("year"), at)


def resolve_metadata(
    sidecar: dict[str, str],
    properties: dict[str, str],
    file_name: str,
    source: str | None = None,
) -> dict[str, str]:
    """Date, journal, title and year for a whole-file document, with the source of each.

    Precedence: the metadata sidecar ("sidecar"), then the document's own metadata
    ("properties": Markdown front matter, HTML meta tags, DOCX custom properties, info
    titles), then a date in the file name ("filename"), and last the file's creation
    timestamp (``properties["created"]``: "file-created"), which tells when the file was
    made or converted, not when the issue was published. That timestamp is used only when
    no date and no year is known otherwise, with a logged warning naming the file
    (``source``, else ``file_name``). ``<key>_source`` records which one supplied each
    value; ``year`` follows the date when not given.

    Date and year are decided together (``_resolve_when``): a year from an earlier source
    (a sidecar's ``year``) keeps a date in another year from a later one (the file name)
    out, and a year contradicting the date gives way to it, each with a warning. A date in
    the document's metadata that is not one is not used, with a warning.
    """
    where = source or file_name
    meta: dict[str, str] = {}
    for origin, values in (("sidecar", sidecar), ("properties", properties)):
        for key in ("journal", "title"):
            value = (values.get(key) or "").strip()
            if value and key not in meta:
                meta[key] = value
                meta[f"{key}_source"] = origin
    own = {k: (properties.get(k) or "").strip() for k in ("date", "year")}
    own_date = iso_date(own["date"]) if own["date"] else None
    if own["date"] and own_date is None:
        log.warning(
            "%s: date %r in the document's metadata is not a date; not used", where, own["date"]
        )
    own_year = own["year"] if _YEAR.fullmatch(own["year"]) else None
    if own["year"] and own_year is None:
        log.warning(
            "%s: year %r in the document's metadata is not a year; not used", where, own["year"]
        )
    when = [
        _sidecar_when(sidecar),
        ("properties", own_date, "the document's metadata", own_year, "the document's metadata"),
    ]
    match = _FILENAME_DATE.search(Path(file_name).stem)
    if match is not None:
        named = iso_date("-".join(g for g in match.groups() if g)) or match.group(1)
        when.append(("filename", named, "the file name", None, ""))
    meta.update(_resolve_when(where, when))
    created = iso_date(properties.get("created") or "")
    if "date" not in meta and "year" not in meta and created is not None:
        meta["date"] = created
        meta["date_source"] = "file-created"
        log.warning(
            "%s: date %s is the file's creation time, not a publication date; give the "
            "publication date in a metadata sidecar (metadata.csv: file,date) or in the "
            "file name (issue-2019-03.pdf)",
            where,
            created,
        )
    return with_year(meta)


def with_year(meta: dict[str, str]) -> dict[str, str]:
    """Fill ``year`` from ``date`` when only the date is known."""
    if "year" not in meta and "date" in meta:
        date = iso_date(meta["date"])
        if date is not None:
            meta["year"] = date[:4]
            meta["year_source"] = meta.get("date_source", "record")
    return meta


# -- whole-file formats -----------------------------------------------------------------------
# Each returns (blocks, properties): blocks in reading order, properties from the file itself.
# properties["date"] is only ever an explicit publication date; a file-creation timestamp
# (when the file was made or converted) goes under "created" (see resolve_metadata).

_Whole = tuple[list[Block], dict[str, str]]


def _decode_text(data: bytes, source: str) -> str:
    """A whole file's text: UTF-8 (a BOM dropped), or UTF-16/UTF-32 when it starts with that
    byte-order mark (as Windows "Unicode" text and PowerShell files do).

    No lossy fallback: a file that is not UTF-8 is reported (where the first bad byte is, and
    its value), never labelled as mojibake; so is a NUL character, which no text holds but
    UTF-16 without a byte-order mark does.
    """
    encoding = _bom_encoding(data[:4])
    if encoding is not None:
        try:
            return data.decode(encoding)  # the codec drops the byte-order mark
        except UnicodeDecodeError as exc:
            raise InputError(source, None, _not_bom_encoded(encoding, exc)) from None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, None, _not_utf8(exc, start)) from None
    if "\x00" in text:
        offset = start + len(text[: text.index("\x00")].encode("utf-8"))
        raise InputError(
            source,
            None,
            f"a NUL character at byte offset {offset}: UTF-16 without a byte-order mark? "
            "Save it as UTF-8",
        )
    return text


_BYTE_ORDER_MARKS = (  # UTF-32 first: its little-endian mark begins like UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _sniff_bom(handle: Any) -> str | None:
    """The encoding a binary file's byte-order mark names (None: none), the file left at
    its start."""
    encoding = _bom_encoding(handle.read(4))
    handle.seek(0)
    return encoding


def _bom_encoding(head: bytes) -> str | None:
    """The encoding ("utf-16", "utf-32") whose byte-order mark ``head`` (a file's first
    bytes) starts with, else None (UTF-8, with or without its own mark). Bytes FE and FF
    never occur in UTF-8, so such a file cannot be UTF-8 read wrongly."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return encoding
    return None


def _not_utf8(exc: UnicodeDecodeError, offset: int = 0, of: str = "") -> str:
    """Where the first byte that is not UTF-8 is, and its value: "not valid UTF-8 at byte
    offset 49 (0xe9)". ``offset``: where the decoded bytes start in the file (or line,
    ``of`` " of the line")."""
    at, byte = offset + exc.start, exc.object[exc.start]
    return f"not valid UTF-8 at byte offset {at}{of} (0x{byte:02x}); save it as UTF-8"


def _not_bom_encoded(encoding: str, exc: UnicodeDecodeError) -> str:
    name = encoding.upper()
    return f"not valid {name} ({exc.reason}), although it starts with a {name} byte-order mark"


def _read_text(path: Path, source: str) -> _Whole:
    """Plain text (.txt, .text): one body block; segmentation finds its paragraphs."""
    return [(BODY, _decode_text(path.read_bytes(), source))], {}


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)


def _read_markdown(path: Path, source: str) -> _Whole:
    """Markdown (.md, .markdown) through markdown-it-py: headings are furniture, code and raw
    HTML blocks are skipped, inline markup is reduced to its text; YAML front matter gives
    date/journal/title."""
    from markdown_it import MarkdownIt

    text = _fold(_decode_text(path.read_bytes(), source))
    properties: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        import yaml

        try:
            data = yaml.safe_load(front.group(1))
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict):
            properties = {k: str(data[k]) for k in META_FIELDS if data.get(k) not in (None, "")}
            text = text[front.end() :]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    kind = BODY
    for token in tokens:
        if token.type == "heading_open":
            kind = "heading"
        elif token.type == "heading_close":
            kind = BODY
        elif token.type in ("th_open", "td_open"):
            kind = "table"
        elif token.type == "tr_close":
            kind = BODY
        elif token.type == "inline":
            words = _markdown_inline(token)
            if kind == "table" and blocks and blocks[-1][0] == "table-row":
                blocks[-1] = ("table-row", f"{blocks[-1][1]} | {words}")
            elif kind == "table":
                blocks.append(("table-row", words))
            else:
                blocks.append((kind, words))
        elif token.type in ("fence", "code_block"):
            blocks.append(("code", token.content))
        elif token.type == "html_block":
            blocks.append(("markup", token.content))
    # A table row reads as one paragraph ("Year | Output"), as in .docx.
    return [(BODY if k == "table-row" else k, t) for k, t in blocks], properties


def _markdown_inline(token: Any) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            continue
    return " ".join("".join(parts).split())


# DOCX: WordprocessingML, read from the XML tree so that content controls (w:sdt), text
# boxes (w:txbxContent) and revisions (w:ins in, w:del out) are read as Word shows the
# accepted document.
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_NS = {"w": _W, "mc": _MC}


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_DOCX_SKIP_SUBTREES = {
    _w("del"),
    _w("moveFrom"),
    _w("delText"),
    _w("instrText"),
    _w("txbxContent"),  # read as paragraphs of their own, after the paragraph holding them
    _w("pPr"),
    _w("rPr"),
    _w("footnoteReference"),
    _w("endnoteReference"),
    _w("commentReference"),
    f"{{{_MC}}}Fallback",  # the same drawing again, for old readers
}
_DOCX_HEADING_STYLES = re.compile(r"^(heading|title|subtitle|caption|tocheading)", re.IGNORECASE)
_DOCX_TOC_STYLES = re.compile(r"^(toc|tableoffigures)", re.IGNORECASE)
_DOCX_NOTE_PARTS = {
    "word/footnotes.xml": ("footnote", "footnote"),
    "word/endnotes.xml": ("endnote", "footnote"),
    "word/comments.xml": ("comment", "comment"),
}


def _read_docx(path: Path, source: str) -> _Whole:
    """Body paragraphs of a .docx in document order, tracked changes accepted.

    Content controls and text boxes are read (a text box after the paragraph anchoring it);
    hidden runs (``w:vanish``), deleted and moved-away text are left out. Headings, captions
    and tables of contents (by paragraph style or outline level) are furniture; footnotes,
    endnotes, comments and page headers/footers are not read and are counted as skipped.
    """
    try:
        import docx
    except ImportError:
        raise InputError(source, None, "reading .docx needs the python-docx package") from None
    try:
        document = docx.Document(str(path))
        blocks = list(_docx_blocks(document.element.body, toc=False))
        with zipfile.ZipFile(path) as package:
            blocks.extend(_docx_side_parts(package))
            properties = _docx_properties(package)
    except InputError:
        raise
    except Exception as exc:  # corrupt packages raise zip, XML and key errors alike
        raise InputError(source, None, f"cannot read .docx: {exc}") from None
    return blocks, properties


def _docx_blocks(container: Any, toc: bool) -> Iterator[Block]:
    for child in container.iterchildren():
        tag = child.tag
        if tag == _w("p"):
            yield from _docx_paragraph(child, toc)
        elif tag == _w("tbl"):
            for row in child.iterchildren(_w("tr")):
                cells = []
                for cell in row.iterchildren(_w("tc")):
                    text = " ".join(
                        t for _, t in _docx_blocks(cell, toc) if t.strip() and _ == BODY
                    )
                    if text.strip():
                        cells.append(" ".join(text.split()))
                yield (BODY, " | ".join(cells))
        elif tag == _w("sdt"):
            gallery = child.find("w:sdtPr/w:docPartObj/w:docPartGallery", _NS)
            is_toc = gallery is not None and "content" in (gallery.get(_w("val")) or "").lower()
            content = child.find("w:sdtContent", _NS)
            if content is not None:
                yield from _docx_blocks(content, toc or is_toc)
        elif tag in (_w("customXml"), _w("ins"), _w("moveTo"), _w("smartTag")):
            yield from _docx_blocks(child, toc)
        elif tag == f"{{{_MC}}}AlternateContent":
            choice = child.find("mc:Choice", _NS)
            if choice is not None:
                yield from _docx_blocks(choice, toc)


def _docx_paragraph(p: Any, toc: bool) -> Iterator[Block]:
    style = p.find("w:pPr/w:pStyle", _NS)
    style_id = "" if style is None else style.get(_w("val")) or ""
    outline = p.find("w:pPr/w:outlineLvl", _NS)
    parts: list[str] = []
    hidden = 0
    boxes: list[Any] = []

    def walk(element: Any, vanish: bool) -> None:
        nonlocal hidden
        for child in element.iterchildren():
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            if tag == _w("txbxContent"):
                boxes.append(child)
                continue
            if tag in _DOCX_SKIP_SUBTREES:
                continue
            if tag == _w("r"):
                run_vanish = child.find("w:rPr/w:vanish", _NS)
                off = run_vanish is not None and run_vanish.get(_w("val")) in ("0", "false")
                run_hidden = run_vanish is not None and not off
                if run_hidden and not vanish and child.findtext("w:t", "", _NS).strip():
                    hidden += 1
                walk(child, vanish or run_hidden)
            elif tag == _w("t"):
                if not vanish:
                    parts.append(child.text or "")
            elif tag in (_w("tab"), _w("br"), _w("cr")):
                if not vanish:
                    parts.append(" ")
            elif tag == _w("noBreakHyphen"):
                parts.append("-")
            else:
                walk(child, vanish)

    walk(p, False)
    text = " ".join("".join(parts).split())
    if text:
        if toc or _DOCX_TOC_STYLES.match(style_id):
            yield ("toc", text)
        elif _DOCX_HEADING_STYLES.match(style_id) or (
            outline is not None and (outline.get(_w("val")) or "9") != "9"
        ):
            yield ("heading", text)
        else:
            yield (BODY, text)
    for _ in range(hidden):
        yield ("hidden", "")
    for box in boxes:
        yield from _docx_blocks(box, toc)


def _docx_side_parts(package: zipfile.ZipFile) -> Iterator[Block]:
    """One skipped block per footnote, endnote, comment and non-empty page header/footer."""
    from lxml import etree

    names = set(package.namelist())
    for part, (element, kind) in _DOCX_NOTE_PARTS.items():
        if part not in names:
            continue
        root = etree.fromstring(package.read(part))
        for note in root.iterchildren(_w(element)):
            if note.get(_w("type")) in (None, "normal"):
                yield (kind, "".join(note.itertext()))
    for name in sorted(names):
        if re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            root = etree.fromstring(package.read(name))
            text = "".join(t.text or "" for t in root.iter(_w("t")))
            if text.strip():
                yield ("running-head", text)


def _docx_properties(package: zipfile.ZipFile) -> dict[str, str]:
    """Title and creation time from docProps/core.xml (dc:title; dcterms:created as
    "created"), and date/journal/title/year from custom properties of those names
    (docProps/custom.xml), when the package has them."""
    from lxml import etree

    names = set(package.namelist())
    properties: dict[str, str] = {}
    if "docProps/core.xml" in names:
        root = etree.fromstring(package.read("docProps/core.xml"))
        for element in root.iterchildren():
            local = etree.QName(element).localname
            value = (element.text or "").strip()
            if local == "title" and value:
                properties["title"] = value
            elif local == "created" and value:
                # When the file was made (python-docx's template says 2013), not published.
                properties["created"] = value
    if "docProps/custom.xml" in names:
        root = etree.fromstring(package.read("docProps/custom.xml"))
        for prop in root.iterchildren():
            name = (prop.get("name") or "").strip().lower()
            if name in META_FIELDS:
                value = "".join(prop.itertext()).strip()
                if value:
                    properties[name] = value
    return properties


def _read_odt(path: Path, source: str) -> _Whole:
    """OpenDocument text through odfpy: headings are furniture; footnotes/endnotes
    (text:note), comments (office:annotation) and tracked deletions are counted, not read.
    dc:title and meta:creation-date (as "created") are properties."""
    try:
        from odf import opendocument
        from odf.namespaces import DCNS, METANS, OFFICENS, TEXTNS
    except ImportError:
        raise InputError(source, None, "reading .odt needs the odfpy package") from None
    try:
        document = opendocument.load(str(path))
    except Exception as exc:  # zip, XML and key errors alike
        raise InputError(source, None, f"cannot read .odt: {exc}") from None
    blocks: list[Block] = []

    def inline(node: Any) -> str:
        out: list[str] = []
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.append(str(child.data))
                continue
            qname = getattr(child, "qname", None)
            if qname == (TEXTNS, "note"):
                blocks.append(("footnote", ""))
            elif qname == (OFFICENS, "annotation"):
                blocks.append(("comment", ""))
            elif qname == (TEXTNS, "s"):
                out.append(" " * int(child.getAttribute("c") or 1))
            elif qname in ((TEXTNS, "tab"), (TEXTNS, "line-break")):
                out.append(" ")
            elif qname in ((TEXTNS, "tracked-changes"), (OFFICENS, "annotation-end")):
                continue
            else:
                out.append(inline(child))
        return "".join(out)

    def walk(node: Any) -> None:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname == (TEXTNS, "tracked-changes"):
                continue
            if qname in ((TEXTNS, "h"), (TEXTNS, "p")):
                text = " ".join(inline(child).split())
                if text:
                    blocks.append(("heading" if qname[1] == "h" else BODY, text))
            elif qname == (TEXTNS, "table-of-content"):
                blocks.append(("toc", ""))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(document.text)
    properties: dict[str, str] = {}
    for node in document.meta.childNodes:
        qname = getattr(node, "qname", None)
        value = "".join(str(t.data) for t in node.childNodes if t.nodeType == t.TEXT_NODE)
        if qname == (DCNS, "title") and value.strip():
            properties["title"] = value.strip()
        elif qname == (METANS, "creation-date") and value.strip():
            properties["created"] = value.strip()  # when the file was made, not published
        # dc:date is not read: in ODF it is the time the file was last saved.
    return blocks, properties


def _read_rtf(path: Path, source: str) -> _Whole:
    """RTF through striprtf: each paragraph (``\\par``) one block; the ``\\info`` group's
    title and creation time (``\\creatim``, as "created") as properties."""
    try:
        from striprtf.striprtf import rtf_to_text
    except ImportError:
        raise InputError(source, None, "reading .rtf needs the striprtf package") from None
    raw = path.read_bytes().decode("latin-1")  # RTF is 7-bit; \'xx escapes carry the rest
    if not raw.lstrip().startswith("{\\rtf"):
        raise InputError(source, None, "cannot read .rtf: not an RTF file (no {\\rtf header)")
    try:
        text = rtf_to_text(raw, errors="replace")
    except Exception as exc:
        raise InputError(source, None, f"cannot read .rtf: {exc}") from None
    properties: dict[str, str] = {}
    title = re.search(r"\{\\title\s+([^{}]*)\}", raw)
    if title and title.group(1).strip():
        properties["title"] = title.group(1).strip()
    created = re.search(r"\{\\creatim\\yr(\d{4})\\mo(\d{1,2})\\dy(\d{1,2})", raw)
    if created:  # when the file was made, not published; \info has no publication date
        properties["created"] = "-".join(created.groups())
    return [(BODY, line) for line in text.split("\n") if line.strip()], properties


# PDF: pdfminer.six layout analysis gives every text line with its position and font size.
# Lines repeated at the same place on several pages (running heads and feet) and lone page
# numbers in the margins are furniture; so are lines in a clearly larger font (headings) and
# smaller-font lines at the foot of a page (footnotes). The rest is rebuilt into paragraphs
# from the vertical gaps and indents, rejoined across page and column breaks and with words
# hyphenated at line ends made whole again.
@dataclass
class _Line:
    page: int
    x0: float
    x1: float
    top: float  # distance from the top of the page
    bottom: float
    size: float
    text: str
    page_height: float
    kind: str = BODY


_PAGE_NUMBER = re.compile(
    r"^(?:page\s+|p\.\s*)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:of|/)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_MARGIN = 0.12  # share of the page height at top and bottom where heads and feet sit
_TERMINAL = re.compile(r"[.!?:;\"'\u201d\u2019)\]]$")
_HYPHENATED = re.compile(r"([^\W\d_]+)-$")
_WORD_START = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"\b[^\W\d_]+-[^\W\d_]+\b")


def _read_pdf(path: Path, source: str) -> _Whole:
    """Body paragraphs of a PDF's text layer (see the comment above); info dictionary
    (/Title, /Journal, and /CreationDate as "created") as properties."""
    try:
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    except ImportError:
        raise InputError(source, None, "reading .pdf needs the pdfminer.six package") from None
    lines: list[_Line] = []
    try:
        for number, page in enumerate(extract_pages(str(path), laparams=LAParams())):
            height = page.height or 1.0
            for element in page:
                if not isinstance(element, LTTextContainer):
                    continue
                for line in element:
                    if not isinstance(line, LTTextLine):
                        continue
                    text = " ".join(_fold(line.get_text()).split())
                    if not text:
                        continue
                    sizes = [c.size for c in line if isinstance(c, LTChar)]
                    size = statistics.median(sizes) if sizes else line.height
                    lines.append(
                        _Line(
                            number,
                            line.x0,
                            line.x1,
                            height - line.y1,
                            height - line.y0,
                            round(size, 1),
                            text,
                            height,
                        )
                    )
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise InputError(source, None, "encrypted PDF (needs a password)") from None
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise InputError(source, None, f"cannot read .pdf: {exc}") from None
    if not lines:
        raise InputError(source, None, "no text layer (a scanned PDF? run OCR first)")
    _mark_pdf_furniture(lines)
    return _pdf_paragraphs(lines), _pdf_properties(path)


def _mark_pdf_furniture(lines: list[_Line]) -> None:
    """Set ``kind`` of running heads/feet, page numbers, headings and footnotes."""
    pages = len({line.page for line in lines})

    def in_margin(line: _Line) -> bool:
        return (
            line.top < _MARGIN * line.page_height or line.bottom > (1 - _MARGIN) * line.page_height
        )

    # A running head: the same text (digits aside) in a margin on two or more pages.
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    pages_by_key: dict[str, set[int]] = {}
    for line in lines:
        if in_margin(line):
            pages_by_key.setdefault(key(line), set()).add(line.page)
    for line in lines:
        if not in_margin(line):
            continue
        if _PAGE_NUMBER.match(line.text):
            line.kind = "page-number"
        elif pages > 1 and len(pages_by_key[key(line)]) >= 2:
            line.kind = "running-head"
    body = [line for line in lines if line.kind == BODY]
    if not body:
        return
    weights = Counter()
    for line in body:
        weights[line.size] += len(line.text)
    body_size = weights.most_common(1)[0][0]
    for line in body:
        if line.size >= 1.15 * body_size:
            line.kind = "heading"
        elif line.size <= 0.88 * body_size and line.top > 0.5 * line.page_height:
            line.kind = "footnote"


def _pdf_paragraphs(lines: list[_Line]) -> list[Block]:
    """Group lines into blocks: furniture runs by kind, body lines into paragraphs."""
    body = [line for line in lines if line.kind == BODY]
    heights = [line.bottom - line.top for line in body] or [10.0]
    line_height = statistics.median(heights)
    pitches = [
        b.top - a.top
        for a, b in itertools.pairwise(body)
        if a.page == b.page and 0 < b.top - a.top < 2.5 * line_height
    ]
    pitch = statistics.median(pitches) if pitches else 1.2 * line_height
    compounds = {m.group().lower() for line in body for m in _COMPOUND.finditer(line.text)}

    margins: dict[int, float] = {}
    for line in body:
        margins[line.page] = min(margins.get(line.page, line.x0), line.x0)

    def indented(line: _Line) -> bool:
        shift = line.x0 - margins[line.page]
        return 0.8 * line.size < shift < 0.25 * max(line.x1 - margins[line.page], 1.0)

    # Paragraphs marked by first-line indents: then an unindented line after a page break
    # always continues the paragraph, even after a full stop.
    uses_indents = any(indented(line) for line in body)

    blocks: list[Block] = []
    current: list[str] = []
    previous: _Line | None = None
    furniture: _Line | None = None

    def close() -> None:
        if current:
            blocks.append((BODY, " ".join(current)))
            current.clear()

    for line in lines:
        if line.kind != BODY:
            # Heads, feet and footnotes do not end a paragraph: one may run across a page.
            same_run = furniture is not None and furniture.kind == line.kind
            adjacent = same_run and furniture.page == line.page
            if line.kind == "heading":
                close()
                previous = None
            if not adjacent:
                blocks.append((line.kind, line.text))
            furniture = line
            continue
        furniture = None
        if previous is not None and _pdf_new_paragraph(
            previous, line, pitch, indented(line), uses_indents
        ):
            close()
        if current and (match := _HYPHENATED.search(current[-1])) and line.text[:1].islower():
            rest = _WORD_START.match(line.text)
            compound = f"{match.group(1)}-{rest.group() if rest else ''}".lower()
            joiner = "-" if compound in compounds else ""
            current[-1] = current[-1][:-1] + joiner + line.text
        else:
            current.append(line.text)
        previous = line
    close()
    return blocks


def _pdf_new_paragraph(
    previous: _Line, line: _Line, pitch: float, indented: bool, uses_indents: bool
) -> bool:
    """Whether ``line`` starts a new paragraph after ``previous`` (both body lines)."""
    if indented:
        return True
    if line.page != previous.page or line.top < previous.top - 0.5 * pitch:
        # A page or column break: rejoin unless the paragraph visibly ended.
        if uses_indents:
            return False
        return bool(_TERMINAL.search(previous.text)) and not line.text[:1].islower()
    return line.top - previous.top > 1.4 * pitch


def _pdf_properties(path: Path) -> dict[str, str]:
    try:
        from pypdf import PdfReader

        info = PdfReader(str(path)).metadata or {}
    except Exception:  # metadata is optional; the text was read already
        return {}
    properties: dict[str, str] = {}
    # /CreationDate is when the PDF was written (by a converter, often years after the issue).
    for key, name in (("/Title", "title"), ("/Journal", "journal"), ("/CreationDate", "created")):
        value = info.get(key)
        if value is not None and str(value).strip():
            properties[name] = str(value).strip()
    return properties


# HTML: trafilatura finds the main text (navigation, headers, footers, share boxes and
# copyright lines are boilerplate); elements hidden with display:none, visibility:hidden,
# ``hidden`` or aria-hidden are removed first. Inside a paragraph a <br> is a line break.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_META = {
    "title": ("citation_title", "dc.title", "og:title"),
    "date": (
        "citation_publication_date",
        "citation_date",
        "dc.date",
        "dcterms.date",
        "article:published_time",
        "date",
        "pubdate",
    ),
    "journal": ("citation_journal_title", "prism.publicationname", "dc.source"),
}
_HTML_LEAF_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt"}


def _read_html(path: Path, source: str) -> _Whole:
    """Main-text paragraphs of an .html/.htm/.xhtml page; headings are furniture, and page
    text blocks outside the main text are counted as "boilerplate"; meta tags (citation_*,
    Dublin Core, Open Graph) and <title> as properties."""
    try:
        import lxml.html
        import trafilatura
        from lxml import etree
        from trafilatura.settings import use_config
    except ImportError:
        raise InputError(source, None, "reading .html needs the trafilatura package") from None
    data = path.read_bytes()
    if not data.strip():
        raise InputError(source, None, "empty file")
    try:
        tree = lxml.html.document_fromstring(data)  # bytes: the declared charset is honoured
    except (etree.ParserError, ValueError) as exc:
        raise InputError(source, None, f"cannot read .html: {exc}") from None
    properties = _html_properties(tree)
    hidden = 0
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):
            continue
        if (
            _HIDDEN_STYLE.search(element.get("style") or "")
            or element.get("hidden") is not None
            or (element.get("aria-hidden") or "").lower() == "true"
        ) and element.getparent() is not None:
            hidden += 1
            element.drop_tree()
    page_blocks = [
        ("heading" if el.tag[:1] == "h" else "boilerplate", " ".join(el.text_content().split()))
        for el in tree.iter(*_HTML_LEAF_BLOCKS)
        if el.getparent() is not None and el.text_content().strip()
    ]
    config = use_config()
    for setting in ("MIN_EXTRACTED_SIZE", "MIN_OUTPUT_SIZE"):
        config.set("DEFAULT", setting, "1")  # journal pages can be a single short paragraph
    # A paragraph repeated in an article (a slogan, a refrain) is text, not boilerplate.
    config.set("DEFAULT", "MIN_DUPLCHECK_SIZE", str(10**9))
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    extracted = trafilatura.extract(
        lxml.html.tostring(tree),
        output_format="xml",
        include_formatting=True,
        favor_recall=True,  # every paragraph in; navigation and footers still go
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        config=config,
    )
    blocks: list[Block] = [("hidden", "")] * hidden
    if extracted:
        main = etree.fromstring(extracted.encode("utf-8")).find("main")
        if main is not None:
            blocks.extend(_trafilatura_blocks(main))
    # Page text blocks that did not make it into the main text: counted, by kind.
    joined = "".join("".join(t.split()) for _, t in blocks)
    blocks.extend((k, t) for k, t in page_blocks if "".join(t.split()) not in joined)
    return blocks, properties


def _trafilatura_blocks(element: Any) -> Iterator[Block]:
    for child in element.iterchildren():
        tag = child.tag
        if tag == "head":
            yield ("heading", _xml_text(child))
        elif tag == "row":
            cells = [_xml_text(c) for c in child]
            yield (BODY, " | ".join(c for c in cells if c))
        elif tag in ("list", "table", "quote", "div"):
            yield from _trafilatura_blocks(child)
        elif tag == "graphic":
            continue
        else:  # p, item, cell, code and anything new
            text = _xml_text(child)
            if text:
                yield ("code" if tag == "code" else BODY, text)


def _xml_text(element: Any) -> str:
    """Text of an element with line breaks (<lb/>, a <br> in the page) as spaces."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        parts.append(" " if node.tag == "lb" else node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    return " ".join("".join(parts).split())


def _html_properties(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name and content and name not in metas:
            metas[name] = content
    for key, names in _HTML_META.items():
        for name in names:
            if name in metas:
                found[key] = metas[name]
                break
    if "title" not in found:
        title = tree.find(".//title")
        if title is not None and " ".join(title.text_content().split()):
            found["title"] = " ".join(title.text_content().split())
    return found


_WHOLE_FILE_READERS: dict[str, Callable[[Path, str], _Whole]] = {
    ".txt": _read_text,
    ".text": _read_text,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".docx": _read_docx,
    ".odt": _read_odt,
    ".rtf": _read_rtf,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
    ".xhtml": _read_html,
}


# -- record formats (streamed) ----------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    key: str | None  # the document id (doc_id, else id); None: a document of its own
    text: str
    meta: dict[str, str]  # dates and years checked (see _record)
    number: int
    unit: str
    row_id: str | None = None  # the ``id`` of a row grouped by its ``doc_id``
    notes: tuple[str, ...] = ()  # warnings about the row, logged (capped) per file


def _same_value(key: str, a: str, b: str) -> bool:
    """Whether two rows' values of a metadata key agree (dates as dates, text up to spacing)."""
    if key == "date":
        return _explicit_date(a) == _explicit_date(b)
    return " ".join(a.split()) == " ".join(b.split())


def _record_meta(group: Sequence[_Record], source: str, doc_id: str) -> dict[str, tuple[str, int]]:
    """Each metadata value of a document of several rows, with its row: the first row's that
    has one. A later row with another value is a warning naming the rows, the document id
    and the value kept; one document has one date, journal and title."""
    merged: dict[str, tuple[str, int]] = {}
    for record in group:
        for key, value in record.meta.items():
            if key not in merged:
                merged[key] = (value, record.number)
            elif not _same_value(key, merged[key][0], value):
                kept, at = merged[key]
                unit = record.unit
                log.warning(
                    "%s, %ss %d and %d: document %r has %s %r in %s %d but %r in %s %d; kept "
                    "%r (its first) for the whole document",
                    source,
                    unit,
                    at,
                    record.number,
                    doc_id,
                    key,
                    kept,
                    unit,
                    at,
                    value,
                    unit,
                    record.number,
                    kept,
                )
    return merged


def _group_records(
    records: Iterator[_Record | InputError], source: str, sidecar: dict[str, str]
) -> Iterator[_Result]:
    """Join neighbouring records with the same document id into one document (paragraphs
    in row order); a document id that comes back after other rows is an error.

    Metadata: a record's (the first row's value; conflicting rows are a warning, see
    ``_record_meta``), else the sidecar's for the file; date and year are decided together
    (``_resolve_when``: the record's date or year first). Rows grouped by ``doc_id`` that
    have an ``id`` keep it in ``Document.row_spans``, with the row's span in the text; an
    ``id`` used twice in the file is a warning naming both rows.
    """
    finished: dict[str, int] = {}
    group: list[_Record] = []
    row_ids: dict[str, int] = {}  # a row's id -> the first row that had it
    side = {k: v for k, v in sidecar.items() if k in META_FIELDS}

    def emit() -> Iterator[_Result]:
        if not group:
            return
        first = group[0]
        doc_id = first.key if first.key is not None else f"{source}#{first.number}"
        merged = _record_meta(group, source, doc_id)
        meta: dict[str, str] = {}
        for key in ("journal", "title"):
            if key in merged:
                meta[key], meta[f"{key}_source"] = merged[key][0], "record"
            elif key in side:
                meta[key], meta[f"{key}_source"] = side[key], "sidecar"
        date, year = merged.get("date"), merged.get("year")
        record_when: _When = (
            "record",
            date[0] if date else None,
            f"{first.unit} {date[1]}" if date else "",
            year[0] if year else None,
            f"{first.unit} {year[1]}" if year else "",
        )
        when = [record_when, _sidecar_when(sidecar)]
        meta = with_year({**meta, **_resolve_when(f"{source}, {first.unit} {first.number}", when)})
        parts = [group[0].text] if len(group) == 1 else [r.text.strip() for r in group]
        text, spans = "\n\n".join(parts), []
        for part in parts:
            start = spans[-1][1] + 2 if spans else 0
            spans.append((start, start + len(part)))
        row_spans = tuple(
            (r.row_id, start, end)
            for r, (start, end) in zip(group, spans, strict=True)
            if r.row_id is not None
        )
        if first.key is not None:
            finished[first.key] = group[-1].number
        group.clear()
        yield Document(doc_id, text, source, meta, row_spans=row_spans)

    capped = _CappedLog(source)
    try:
        for record in records:
            if isinstance(record, InputError):
                yield record
                continue
            for note in record.notes:
                capped(note)
            if record.row_id is not None:
                if record.row_id in row_ids:
                    capped(
                        f"{source}, {record.unit} {record.number}: id {record.row_id!r} was "
                        f"already used in {record.unit} {row_ids[record.row_id]}, so the "
                        "output's row_ids cannot tell the two rows apart"
                    )
                else:
                    row_ids[record.row_id] = record.number
            if group and (record.key is None or record.key != group[0].key):
                yield from emit()
            if record.key is not None and record.key in finished:
                yield InputError(
                    source,
                    record.number,
                    f"document id {record.key!r} already ended at {record.unit} "
                    f"{finished[record.key]}; keep the rows of one document together",
                    record.unit,
                )
                continue
            group.append(record)
            if record.key is None:  # a document of its own: no need to wait for the next row
                yield from emit()
    except InputError:
        yield from emit()  # what was read before a file-level failure still counts
        raise
    finally:
        capped.close()
    yield from emit()


def _read_jsonl(
    path: Path, source: str, text_column: str, *, gz: bool
) -> Iterator[_Record | InputError]:
    """One record per line, read line by line; a bad line is reported and skipped. UTF-8, or
    UTF-16/UTF-32 when the file starts with that byte-order mark."""
    opener: Callable[..., Any] = gzip.open if gz else open
    line_no = 0
    any_content = False
    encoding: str | None = None
    with opener(path, "rb") as handle:
        try:
            encoding = _sniff_bom(handle)
            lines: Iterable[bytes | str] = (
                handle if encoding is None else io.TextIOWrapper(handle, encoding, newline="")
            )
            for raw in lines:
                line_no += 1
                if not raw.strip():
                    continue
                any_content = True
                if isinstance(raw, str):
                    line = raw
                else:
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        yield InputError(source, line_no, _not_utf8(exc, of=" of the line"), "line")
                        continue
                if line_no == 1:
                    line = line.removeprefix("\ufeff")
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield InputError(source, line_no, f"not valid JSON ({exc.msg})", "line")
                    continue
                yield _record(record, source, line_no, "line", text_column)
        except UnicodeDecodeError as exc:  # only a UTF-16/UTF-32 file: whole lines are UTF-8's
            raise InputError(
                source, line_no + 1, _not_bom_encoded(encoding or "utf-16", exc), "line"
            ) from None
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip
            row = line_no + 1 if line_no else None  # nothing read at all: the whole file
            raise InputError(source, row, f"cannot read further: {exc}", "line") from None
    if not any_content:
        raise InputError(source, None, "empty file")


def _read_csv(path: Path, source: str, text_column: str) -> Iterator[_Record | InputError]:
    """One record per row, header first; rows are numbered as a spreadsheet shows them.

    A row with more fields than the header is an error naming the row (an unquoted comma in
    the text, usually), never a record whose text is cut at the first comma. UTF-8, or
    UTF-16/UTF-32 when the file starts with that byte-order mark ("Unicode" CSV).
    """
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    row_no = 0
    with open(path, "rb") as handle:
        encoding = _sniff_bom(handle)
        rows = csv.reader(
            _decoded_lines(handle)
            if encoding is None
            else io.TextIOWrapper(handle, encoding, newline="")
        )
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
                if len(row) > len(columns) and any(c.strip() for c in row[len(columns) :]):
                    yield InputError(
                        source,
                        row_no,
                        f"{len(row)} fields but the header has {len(columns)} "
                        f"({', '.join(columns)}); quote fields that contain commas",
                    )
                    continue
                yield _record(
                    dict(zip(columns, row, strict=False)), source, row_no, "row", text_column
                )
        except _NotUtf8 as exc:
            raise InputError(source, row_no + 1, str(exc)) from None
        except UnicodeDecodeError as exc:  # a UTF-16/UTF-32 file
            raise InputError(source, row_no + 1, _not_bom_encoded(encoding or "", exc)) from None
        except csv.Error as exc:
            raise InputError(source, row_no + 1, f"malformed CSV ({exc})") from None
    if not any_rows:
        raise InputError(source, None, "no data rows under the header")


def _read_parquet(path: Path, source: str, text_column: str) -> Iterator[_Record | InputError]:
    """One record per row, read a batch at a time; rows are numbered from 1."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
        columns = table.schema_arrow.names
        if text_column not in columns:
            raise InputError(
                source, None, f"no {text_column!r} column (columns: {', '.join(columns)})"
            )
        wanted = [c for c in (text_column, DOC_ID_FIELD, ID_FIELD, *META_FIELDS) if c in columns]
        number = 0
        for batch in table.iter_batches(batch_size=1024, columns=wanted):
            for record in batch.to_pylist():
                number += 1
                yield _record(record, source, number, "row", text_column)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(source, None, f"not a readable Parquet file ({exc})") from None
    if number == 0:
        raise InputError(source, None, "no data rows")


class _NotUtf8(ValueError):
    """A line that is not UTF-8; the message says where in the file."""


def _decoded_lines(handle: Iterable[bytes]) -> Iterator[str]:
    """Decode UTF-8 line by line (strictly, BOM dropped), keeping line endings for the csv
    module; ``_NotUtf8`` names the byte offset in the file of the first bad byte."""
    offset = 0
    for raw in handle:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(_not_utf8(exc, offset, " of the file")) from None
        if offset == 0:
            line = line.removeprefix("\ufeff")
        offset += len(raw)
        yield line


def _scalar(value: Any) -> str | None:
    """A record value as a string id or metadata value; None when empty or not a scalar."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 2016.0 -> "2016", 7.0 -> "7"
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()  # a Parquet timestamp at midnight is a date
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _record(
    record: Any, source: str, number: int, unit: str, text_column: str
) -> _Record | InputError:
    if not isinstance(record, dict):
        return InputError(source, number, "not a JSON object", unit)
    text = record.get(text_column)
    if text is None:
        return InputError(source, number, f"no {text_column!r} value", unit)
    if not isinstance(text, str):
        kind = type(text).__name__.replace("dict", "an object").replace("list", "a list")
        return InputError(source, number, f"{text_column!r} is {kind}, not a string", unit)
    text = _fold(text)
    if not text.strip():
        return InputError(source, number, f"empty {text_column!r}", unit)
    doc_id, row_id = _scalar(record.get(DOC_ID_FIELD)), _scalar(record.get(ID_FIELD))
    meta = {key_: v for key_ in META_FIELDS if (v := _scalar(record.get(key_))) is not None}
    # A date or year that is not one is left out, with a warning, so it neither stands in
    # the date column nor gives a wrong year; a date is carried as written.
    notes: list[str] = []
    meta = _checked_when(
        meta, f"{source}, {unit} {number}", "", lambda f, *a: notes.append(f % a), normalise=False
    )
    return _Record(
        doc_id or row_id, text, meta, number, unit, row_id if doc_id else None, tuple(notes)
    )


class _CappedLog:
    """``log.warning`` at most ``limit`` times for one file, then once how many more there
    were (``close``): a 20,000-row export with one bad date column says so in 6 lines."""

    def __init__(self, source: str, limit: int = 5) -> None:
        self.source, self.limit, self.shown, self.more = source, limit, 0, 0

    def __call__(self, message: str) -> None:
        if self.shown < self.limit:
            self.shown += 1
            log.warning("%s", message)
        else:
            self.more += 1

    def close(self) -> None:
        if self.more:
            log.warning(
                "%s: %d more such warnings about its rows not shown", self.source, self.more
            )
