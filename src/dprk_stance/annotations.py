"""Analysts' labels back into the corpus: ``dprk-stance import-labels``.

Reads Label Studio JSON exports of a ``suggest`` queue and the queue's CSV filled in by
hand, checks every labelled row and writes the good ones, as corpus rows with provenance,
to ``<out_dir>/<export name>-<date>.jsonl`` (``data/raw/annotations/`` by default, where
the ingest stage reads them like any other corpus file, as ``origin: annotation``).

Checks, each a row-level rejection written with file, row and reason (nothing is lost):
missing passage ids, unknown labels, text changed since the queue was made (SHA-256
carried in the queue), text that no longer matches the source document at the passage's
span (the source file is re-read), the same passage labelled twice by one annotator (in
the file, or against an earlier import with another label), and anything that would not
be a valid corpus row (:func:`dprk_stance.corpus.validate_row`). Rows without a label are
counted as unlabelled, not rejected. A row already imported with the same label is skipped,
so importing the same file twice adds nothing. Outputs are written atomically.

With two or more annotators in the store, agreement is reported (Cohen's kappa per pair,
Krippendorff's alpha overall) and passages they labelled differently are written to an
adjudication queue; ingest rejects a text carrying two labels, so a disagreement stays out
of training until an annotator corrects their label.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dprk_stance.agreement import annotator_agreement
from dprk_stance.config import Config
from dprk_stance.corpus import ANNOTATION, validate_row
from dprk_stance.fsutil import write_json, write_jsonl, write_table
from dprk_stance.readers import iter_documents
from dprk_stance.stances import LABELS, NO_STANCE
from dprk_stance.suggest import FROM_NAME, NO_STANCE_DISPLAY, passage_key, text_sha256
from dprk_stance.text import normalize_text

log = logging.getLogger(__name__)

ID_FIELDS = ("doc_id", "start", "end", "text", "source_document")
_LABEL_SYNONYMS = {NO_STANCE_DISPLAY: NO_STANCE, "no-stance": NO_STANCE, "nostance": NO_STANCE}


@dataclass
class ImportResult:
    written: Path | None
    rows_read: int = 0
    imported: int = 0
    already_imported: int = 0
    unlabelled: int = 0
    rejected: int = 0
    rejects: Path | None = None
    agreement: Path | None = None
    adjudication: Path | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    agreement_summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Row:
    file: str
    row: int  # CSV line, or task number (1-based) in a Label Studio export
    values: dict[str, Any]


def _label(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = text.strip().lower()
    return _LABEL_SYNONYMS.get(text, text)


def read_export(path: str | Path) -> Iterator[_Row]:
    """Labelled rows of a Label Studio JSON export (a list of tasks) or a queue CSV.

    Each annotation of a task is one row (cancelled/skipped ones are left out); a task
    with no annotation is one row without a label. Raises ``ValueError`` naming the file
    when it is neither.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            tasks = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Label Studio JSON export ({exc})") from None
        if not isinstance(tasks, list):
            raise ValueError(f"{path}: a Label Studio JSON export is a list of tasks")
        for number, task in enumerate(tasks, start=1):
            data = task.get("data", {}) if isinstance(task, dict) else {}
            annotations = [
                a
                for a in (task.get("annotations") or [] if isinstance(task, dict) else [])
                if not a.get("was_cancelled")
            ]
            if not annotations:
                yield _Row(str(path), number, {**data, "label": ""})
            for annotation in annotations:
                choices = [
                    c
                    for r in annotation.get("result", [])
                    if r.get("type") == "choices" and r.get("from_name", FROM_NAME) == FROM_NAME
                    for c in r.get("value", {}).get("choices", [])
                ]
                label = choices[0] if len(choices) == 1 else "|".join(choices)
                when = annotation.get("updated_at") or annotation.get("created_at")
                yield _Row(str(path), number, {**data, "label": label, "annotated_at": when})
    elif path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{path}: not UTF-8 (byte {exc.start}); save the spreadsheet as CSV UTF-8"
            ) from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames:
            raise ValueError(f"{path}: empty CSV (no header row)")
        for record in reader:
            if "label" not in record and "stance" in record:  # Label Studio CSV export
                record["label"] = record["stance"]
            yield _Row(str(path), reader.line_num, dict(record))
    else:
        raise ValueError(f"{path}: expected a Label Studio .json export or a queue .csv")


def store_rows(out_dir: Path) -> list[dict[str, Any]]:
    """Every annotation row already in ``out_dir`` (``*.jsonl``), with its file."""
    rows = []
    for path in sorted(out_dir.glob("*.jsonl")) if out_dir.is_dir() else []:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rows.append({**json.loads(line), "__file__": str(path)})
    return rows


def annotated_keys(out_dir: str | Path) -> set[tuple[str, int, int]]:
    """Passage keys (:func:`dprk_stance.suggest.passage_key`) already labelled in the store."""
    return {passage_key(r["doc_id"], r["start"], r["end"]) for r in store_rows(Path(out_dir))}


class _Sources:
    """Document texts re-read from source files, for the span check (each file read once)."""

    def __init__(self) -> None:
        self._texts: dict[str, dict[str, str] | None] = {}

    def text(self, source: str, doc_id: str) -> str | bool | None:
        """The document's text; None when the file has no such document, False when the
        file cannot be read."""
        if source not in self._texts:
            path = Path(source)
            if not path.is_file():
                self._texts[source] = None
            else:
                errors: list[Any] = []
                self._texts[source] = {
                    str(d.doc_id): d.text for d in iter_documents([path], on_error=errors.append)
                }
        texts = self._texts[source]
        return False if texts is None else texts.get(doc_id)


def _check(
    row: _Row, annotator: str, journal: str | None, sources: _Sources | None, cfg: Config
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The corpus row for one labelled export row, or (None, reason); (None, None) when it
    carries no label."""
    v = row.values
    label = _label(v.get("label"))
    if not label:
        return None, None
    missing = [k for k in ID_FIELDS if v.get(k) in (None, "")]
    if missing:
        return None, ("missing_id", f"no {', '.join(missing)}: not a row of a suggest queue")
    if label not in LABELS:
        return None, ("unknown_label", f"label {label!r}; expected one of {list(LABELS)}")
    try:
        doc_id, start, end = passage_key(v["doc_id"], v["start"], v["end"])
    except (TypeError, ValueError):
        return None, ("missing_id", f"start/end {v['start']!r}/{v['end']!r} are not integers")
    text = str(v["text"])
    if v.get("text_sha256") and text_sha256(text) != v["text_sha256"]:
        return None, ("text_changed", "the text differs from the queue's (edited in the export?)")
    if sources is not None:
        document = sources.text(str(v["source_document"]), doc_id)
        if document is False:
            return None, ("source_missing", f"source file {v['source_document']} not found")
        if document is None:
            return None, ("source_mismatch", f"document {doc_id} is no longer in the source file")
        if normalize_text(document[start:end]) != normalize_text(text):
            return None, (
                "source_mismatch",
                f"the source text at {start}-{end} of {doc_id} no longer matches the passage",
            )
    model_label = _label(v.get("model_label")) or None
    year = v.get("year") or str(v.get("date") or "")[:4] or None
    key = f"{doc_id}\t{start}\t{end}\t{annotator}"
    values = {
        "id": "ann-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16],
        "doc_id": doc_id,
        "text": text,
        "label": label,
        "journal": v.get("journal") or journal,
        "year": int(float(year)) if re.fullmatch(r"\d+(\.0)?", str(year)) else year,
        "title": v.get("title") or None,
        "notes": v.get("notes") or None,
        "origin": ANNOTATION,
        "annotator": annotator,
        "annotated_at": v.get("annotated_at") or None,
        "import_file": row.file,
        "source_run": v.get("source_run") or None,
        "source_document": str(v["source_document"]),
        "passage": v.get("passage"),
        "start": start,
        "end": end,
        "model_sha256": v.get("model_sha256") or None,
        "model_label": model_label,
        "agrees_with_model": None if model_label is None else label == model_label,
    }
    clean, reason = validate_row({**values, "annotated_at": values["annotated_at"] or "now"}, cfg)
    if reason is not None:
        return None, reason
    return {
        k: values[k] if k in ("annotated_at", "title", "notes") else clean.get(k, values[k])
        for k in values
    }, None


def _stem(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).stem).strip("-.") or "labels"


def import_labels(
    files: Sequence[str | Path],
    annotator: str,
    cfg: Config,
    out_dir: str | Path,
    report_dir: str | Path,
    journal: str | None = None,
    verify_source: bool = True,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Import labelled exports into ``out_dir``; see the module docstring.

    Writes ``<out_dir>/<first file's name>-<YYYY-MM-DD>.jsonl`` (only when something new
    was imported; rows are merged into that file if it exists), the rejects
    (``<report_dir>/<same name>.rejects.jsonl``), ``agreement.json`` and, when annotators
    disagree, ``adjudication.csv`` in ``report_dir``. ``journal`` fills rows whose run had
    none (KCNA archives have no journal field). Raises ``ValueError`` for an unreadable
    file or an empty annotator name.
    """
    annotator = annotator.strip()
    if not annotator:
        raise ValueError("--annotator: give the analyst's name")
    now = now or dt.datetime.now(dt.timezone.utc)
    stamp = now.isoformat(timespec="seconds")
    out_dir, report_dir = Path(out_dir), Path(report_dir)
    name = f"{_stem(str(files[0]))}-{now.date().isoformat()}"
    result = ImportResult(written=None)
    store = store_rows(out_dir)
    earlier = {(*passage_key(r["doc_id"], r["start"], r["end"]), r["annotator"]): r for r in store}
    sources = _Sources() if verify_source else None
    candidates: list[tuple[_Row, dict[str, Any]]] = []
    rejects: list[dict[str, Any]] = []

    def reject(row: _Row, code: str, detail: str) -> None:
        values = {k: v for k, v in row.values.items() if k != "__file__"}
        rejects.append(
            {"file": row.file, "row": row.row, "reason": code, "detail": detail, "values": values}
        )

    for path in files:
        for row in read_export(path):
            result.rows_read += 1
            corpus_row, reason = _check(row, annotator, journal, sources, cfg)
            if reason is not None:
                reject(row, *reason)
            elif corpus_row is None:
                result.unlabelled += 1
            else:
                corpus_row["annotated_at"] = corpus_row["annotated_at"] or stamp
                corpus_row["imported_at"] = stamp
                candidates.append((row, corpus_row))

    by_key: dict[tuple[Any, ...], list[tuple[_Row, dict[str, Any]]]] = defaultdict(list)
    for row, corpus_row in candidates:
        by_key[(corpus_row["doc_id"], corpus_row["start"], corpus_row["end"], annotator)].append(
            (row, corpus_row)
        )
    new: list[dict[str, Any]] = []
    for key, group in by_key.items():
        if len(group) > 1:
            where = ", ".join(f"{r.file}:{r.row}" for r, _ in group)
            for row, _ in group:
                reject(row, "labelled_twice", f"{annotator} labelled this passage at {where}")
            continue
        row, corpus_row = group[0]
        previous = earlier.get(key)
        if previous is None:
            new.append(corpus_row)
        elif previous["label"] == corpus_row["label"]:
            result.already_imported += 1
        else:
            reject(
                row,
                "labelled_twice",
                f"{annotator} already labelled this passage {previous['label']!r} in "
                f"{previous['__file__']}; correct that file rather than import a second label",
            )

    if new:
        target = out_dir / f"{name}.jsonl"
        kept = [
            {k: v for k, v in r.items() if k != "__file__"}
            for r in store
            if r["__file__"] == str(target)
        ]
        write_jsonl(target, kept + new)
        result.written = target
    result.imported = len(new)
    result.rejected = len(rejects)
    reasons: dict[str, int] = defaultdict(int)
    for r in rejects:
        reasons[r["reason"]] += 1
    result.rejected_by_reason = dict(reasons)
    rejects_path = report_dir / f"{name}.rejects.jsonl"
    if rejects:
        write_jsonl(rejects_path, rejects)
        result.rejects = rejects_path
    elif rejects_path.exists():  # an earlier import of this file; its rows are now fixed
        rejects_path.unlink()
    _agreement(store_rows(out_dir), report_dir, result)
    return result


def _agreement(rows: list[dict[str, Any]], report_dir: Path, result: ImportResult) -> None:
    """Agreement among the store's annotators; the adjudication queue when they differ."""
    if not rows:
        return
    frame = pd.DataFrame(rows)
    frame["item"] = [
        ":".join(map(str, passage_key(d, s, e)))
        for d, s, e in zip(frame["doc_id"], frame["start"], frame["end"], strict=True)
    ]
    summary = annotator_agreement(frame[["item", "annotator", "label"]])
    result.agreement_summary = summary
    result.agreement = report_dir / "agreement.json"
    write_json(result.agreement, summary)
    adjudication = report_dir / "adjudication.csv"
    if summary["disagreements"]:
        texts = frame.drop_duplicates("item").set_index("item")
        queue = pd.DataFrame(
            [
                {
                    "item": d["item"],
                    "doc_id": texts.at[d["item"], "doc_id"],
                    "start": texts.at[d["item"], "start"],
                    "end": texts.at[d["item"], "end"],
                    "text": texts.at[d["item"], "text"],
                    **{f"label_{a}": lab for a, lab in sorted(d["labels"].items())},
                    "decision": "",
                }
                for d in summary["disagreements"]
            ]
        )
        write_table(adjudication, queue)
        result.adjudication = adjudication
    elif adjudication.exists():
        adjudication.unlink()
