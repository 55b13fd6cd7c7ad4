"""Stage 1 — ingest: raw labelled passages (JSONL/CSV) -> one validated, normalised table.

Nothing is lost: every row that is not kept lands in the rejects file with its reason and
origin (file and line) — undecodable bytes, malformed JSON and rows with more CSV fields than
the header included. A file that cannot be parsed at all stops the stage, naming the file,
because a half-read corpus would silently change every number downstream. Files under hidden
folders (a notebook's ``.ipynb_checkpoints/`` copy, ``.git``) are never read: a stale copy
would otherwise win over the real file; the report lists them.

Analysts' labels on real text (``data/raw/annotations/*.jsonl``, written by
``dprk-stance import-labels``) are corpus files like any other; their rows carry
``origin: annotation`` and their provenance (see :mod:`dprk_stance.corpus`), and the report
counts them apart from the authored passages.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dprk_stance.config import Config
from dprk_stance.corpus import ANNOTATION, COLUMNS, ORIGINS, Reason, validate_row
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import write_json, write_jsonl, write_table
from dprk_stance.stances import LABELS
from dprk_stance.text import canonical_journal


class IngestError(DprkStanceError):
    """The corpus cannot be ingested at all (unparseable file, nothing valid left)."""


@dataclass(frozen=True)
class RawRow:
    source: str  # "data/raw/x.jsonl:17"
    values: dict[str, Any]


def ingest(cfg: Config) -> dict[str, Any]:
    """Read, validate and normalise ``paths.raw_dir``; write table, rejects and report."""
    raw_dir = Path(cfg.paths.raw_dir)
    out_dir = Path(cfg.paths.processed_dir)
    files = raw_files(raw_dir)
    if not files:
        raise IngestError(f"{raw_dir}: no .jsonl or .csv files found")
    hidden = hidden_files(raw_dir)

    kept, rejects, unknown_journals = validate_rows(
        (row for file in files for row in read_raw_file(file)), cfg
    )
    rows_read = len(kept) + len(rejects)
    # every analyst's valid labels, before a passage labelled by two analysts is kept once
    labels_by_annotator = Counter(r["annotator"] for r in kept if r["origin"] == ANNOTATION)
    kept, duplicate_rejects = deduplicate(kept)
    rejects.extend(duplicate_rejects)
    if not kept:
        write_jsonl(out_dir / "rejects.jsonl", rejects)
        raise IngestError(
            f"{raw_dir}: no valid rows remain ({rows_read} read, all rejected; "
            f"see {out_dir / 'rejects.jsonl'})"
        )

    table = pd.DataFrame(kept, columns=list(COLUMNS))
    table["year"] = table["year"].astype("int64")
    table = table.astype(
        {"passage": "Int64", "start": "Int64", "end": "Int64", "agrees_with_model": "boolean"}
    )
    annotations = table[table["origin"] == ANNOTATION]
    report = {
        "corpus_version": corpus_version(table),
        "files": [str(f) for f in files],
        "skipped_hidden_files": [str(f) for f in hidden],
        "rows_read": rows_read,
        "rows_kept": len(table),
        "rows_rejected": len(rejects),
        "rejected_by_reason": dict(Counter(r["reason"] for r in rejects).most_common()),
        "labels": {label: int((table["label"] == label).sum()) for label in LABELS},
        "origins": {origin: int((table["origin"] == origin).sum()) for origin in ORIGINS},
        "annotations": {
            "passages": len(annotations),
            "kept_by_annotator": dict(Counter(annotations["annotator"]).most_common()),
            "valid_labels_by_annotator": dict(labels_by_annotator.most_common()),
            "labels": {label: int((annotations["label"] == label).sum()) for label in LABELS},
            "agreed_with_model": int(annotations["agrees_with_model"].fillna(False).sum()),
        },
        "journals": dict(Counter(table["journal"]).most_common()),
        "unrecognised_journals": sorted(unknown_journals),
        "documents": int(table["doc_id"].nunique()),
        "years": {str(k): int(v) for k, v in sorted(Counter(table["year"]).items())},
        "difficulty": dict(Counter(table["difficulty"].fillna("")).most_common()),
        "topics": dict(Counter(table["topic"].fillna("")).most_common()),
    }
    write_table(out_dir / "passages.parquet", table)
    write_jsonl(out_dir / "rejects.jsonl", rejects)
    write_json(out_dir / "ingest_report.json", report)
    return report


def corpus_version(table: pd.DataFrame) -> str:
    """12 hex digits of SHA-256 over the sorted (id, label, text) of the kept passages.

    Independent of file layout and row order, so two copies of one corpus share a version.
    """
    digest = hashlib.sha256()
    for row in sorted(zip(table["id"], table["label"], table["text"], strict=True)):
        digest.update("\t".join(row).encode("utf-8") + b"\n")
    return digest.hexdigest()[:12]


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


def raw_files(raw_dir: Path) -> list[Path]:
    """The .jsonl/.csv files under ``raw_dir``, sorted; hidden paths are never included."""
    if not raw_dir.is_dir():
        raise IngestError(f"{raw_dir}: raw corpus folder not found")
    return sorted(
        p
        for p in raw_dir.rglob("*")
        if p.suffix.lower() in (".jsonl", ".csv") and p.is_file() and not _is_hidden(p, raw_dir)
    )


def hidden_files(raw_dir: Path) -> list[Path]:
    """Corpus-like files skipped because they sit under a hidden path (for the report)."""
    return sorted(
        p
        for p in raw_dir.rglob("*")
        if p.suffix.lower() in (".jsonl", ".csv") and p.is_file() and _is_hidden(p, raw_dir)
    )


def _row_error(path: Path, lineno: int, code: str, detail: str) -> RawRow:
    """A row that could not even be parsed: it is rejected (with file and line) downstream."""
    return RawRow(f"{path}:{lineno}", {"__error__": (code, detail)})


def read_raw_file(path: Path) -> Iterator[RawRow]:
    """Yield rows with their origin; rows that cannot be decoded or parsed are yielded as
    errors that ``validate_rows`` rejects, naming file and line. Raises ``IngestError``
    only when the file as a whole cannot be read (no CSV header)."""
    if path.suffix.lower() == ".jsonl":
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield _row_error(
                        path, lineno, "decode_error", f"not valid UTF-8 (byte {exc.start})"
                    )
                    continue
                if lineno == 1:
                    line = line.removeprefix("\ufeff")
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield _row_error(path, lineno, "bad_json", f"not valid JSON ({exc.msg})")
                    continue
                if not isinstance(obj, dict):
                    yield _row_error(path, lineno, "bad_json", "expected a JSON object")
                    continue
                yield RawRow(f"{path}:{lineno}", obj)
    else:
        bad_lines: dict[int, int] = {}  # physical line -> first undecodable byte

        def decoded(fh: Iterator[bytes]) -> Iterator[str]:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad_lines[lineno] = exc.start
                    line = raw.decode("utf-8", errors="replace")
                yield line.removeprefix("\ufeff") if lineno == 1 else line

        with open(path, "rb") as fh:
            reader = csv.DictReader(decoded(fh))
            try:
                if reader.fieldnames is None:
                    raise IngestError(f"{path}: empty CSV file (no header row)")
                previous = reader.line_num
                for record in reader:
                    lines = range(previous + 1, reader.line_num + 1)
                    previous = reader.line_num
                    bad = [n for n in lines if n in bad_lines]
                    if bad:
                        detail = f"not valid UTF-8 (line {bad[0]}, byte {bad_lines[bad[0]]})"
                        yield _row_error(path, reader.line_num, "decode_error", detail)
                    elif None in record:
                        yield _row_error(
                            path,
                            reader.line_num,
                            "extra_fields",
                            "more fields than header columns (an unquoted comma?)",
                        )
                    else:
                        yield RawRow(f"{path}:{reader.line_num}", dict(record))
            except csv.Error as exc:
                raise IngestError(f"{path}, line {reader.line_num}: {exc}") from exc
        if 1 in bad_lines:
            raise IngestError(f"{path}, line 1: header is not valid UTF-8")


def validate_rows(
    rows: Iterator[RawRow], cfg: Config
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """Split rows into kept (normalised) and rejected (with reasons)."""
    kept: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    unknown_journals: set[str] = set()
    seen_ids: dict[str, str] = {}
    for row in rows:
        clean, reason = validate_row(row.values, cfg)
        if reason is None and clean["id"] in seen_ids:
            reason = ("duplicate_id", f"id {clean['id']!r} already used at {seen_ids[clean['id']]}")
        if reason is not None:
            rejects.append(reject(row, reason))
            continue
        seen_ids[clean["id"]] = row.source
        journal, known = canonical_journal(clean["journal"])
        if not known:
            unknown_journals.add(journal)
        clean["journal_raw"], clean["journal"] = clean["journal"], journal
        clean["source"] = row.source
        kept.append(clean)
    return kept, rejects, unknown_journals


def deduplicate(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Drop exact duplicates of normalised text; reject every copy of a text with two labels."""
    labels_by_text: dict[str, set[str]] = {}
    for row in rows:
        labels_by_text.setdefault(row["text"], set()).add(row["label"])
    kept: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    first_source: dict[str, str] = {}
    for row in rows:
        labels = labels_by_text[row["text"]]
        origin = RawRow(row["source"], row)
        if len(labels) > 1:
            detail = f"the same text carries labels {sorted(labels)}"
            rejects.append(reject(origin, ("conflicting_labels", detail)))
        elif row["text"] in first_source:
            detail = f"same normalised text as {first_source[row['text']]}"
            rejects.append(reject(origin, ("duplicate_text", detail)))
        else:
            first_source[row["text"]] = row["source"]
            kept.append(row)
    return kept, rejects


def reject(row: RawRow, reason: Reason) -> dict[str, Any]:
    path, _, line = row.source.rpartition(":")
    values = {
        k: v for k, v in row.values.items() if k not in ("source", "journal_raw", "__error__")
    }
    code, detail = reason
    return {"file": path, "line": int(line), "reason": code, "detail": detail, "row": values}


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(ingest, argv, name="ingest")


if __name__ == "__main__":
    sys.exit(main())
