"""Batch labelling: documents in, per-passage stance with calibrated probabilities out.

Streams documents, segments each into passages that fit the model's window (nothing is
truncated), scores passages in length-sorted chunks, and appends whole documents to a
working file. A progress file records how many documents are done and where the working
files end, so ``resume`` truncates any half-written tail and carries on. Resuming skips the
first ``documents_done`` documents, so it is only right for the very inputs the checkpoint was
made from: a run records the files it reads (each file's path, size and SHA-256, hashed once
at the start) and ``resume`` refuses, naming them, when files were added, removed or changed.
The final outputs (passages, per-document summary, chart) are written atomically at the end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

import pandas as pd

from dprk_stance import __version__
from dprk_stance.assess import assess_documents, segment_document
from dprk_stance.fsutil import atomic_path, file_sha256, write_json, write_jsonl
from dprk_stance.label_options import LabelOptions
from dprk_stance.models import StanceModel, load_model
from dprk_stance.provenance import utc_now
from dprk_stance.readers import (
    META_FIELDS,
    META_SOURCE_FIELDS,
    METADATA_SIDECAR,
    STDIN_SOURCE,
    Document,
    InputError,
    InputFile,
    iter_documents,
    iter_inputs,
)
from dprk_stance.segment import Segmentation
from dprk_stance.stances import PROB_COLUMNS, STANCES

log = logging.getLogger(__name__)

OUTPUT_FORMATS = (".csv", ".jsonl", ".parquet")
PASSAGE_COLUMNS = (
    "doc_id",
    "source",
    "passage",
    "start",
    "end",
    "row_ids",
    *META_FIELDS,
    "text",
    "label",
    "stance",
    *PROB_COLUMNS,
    "confidence",
    "relevance",
    "no_stance",
    "off_topic",
    "uncertain",
    "model",
    "model_sha256",
)
_KEYS = tuple(label.replace("-", "_") for label in STANCES)
SUMMARY_COLUMNS = (
    "doc_id",
    "source",
    *META_FIELDS,
    *META_SOURCE_FIELDS,
    "passages",
    "uncertain",
    "no_stance",
    "off_topic",
    "share_uncertain",
    "mean_confidence",
    "skipped_fragments",
    *(
        f"{p}_{k}{s}"
        for k in _KEYS
        for p, s in (("n", ""), ("share", ""), ("top", "_passage"), ("top", "_p"), ("top", "_text"))
    ),
)


_RESUMED_COUNTS = (
    "passages",
    "uncertain",
    "no_stance",
    "skipped_fragments",
    "skipped_chars",
    "merged_fragments",
    "split_paragraphs",
    "skipped_by_kind",
)


@dataclass
class LabelResult:
    out: Path
    summary: Path
    chart: Path
    report: Path
    documents: int = 0
    passages: int = 0
    uncertain: int = 0
    # Passages flagged no stance; they are counted in ``uncertain`` too.
    no_stance: int = 0
    skipped_fragments: int = 0
    skipped_chars: int = 0
    merged_fragments: int = 0
    split_paragraphs: int = 0
    resumed_documents: int = 0
    # Passages carried over from the checkpoint (in ``passages``, not scored by this session).
    resumed_passages: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    # Everything not labelled, by kind: furniture the readers left out (running heads,
    # footnotes, navigation, ...) and paragraphs segmentation skipped (headings, bylines,
    # page numbers, ...).
    skipped_by_kind: dict[str, int] = field(default_factory=dict)
    # Files under input folders deliberately not read, with the reason (hidden, outputs).
    ignored: list[str] = field(default_factory=list)

    @property
    def scored_passages(self) -> int:
        """Passages scored by this session (those carried over from a checkpoint are not)."""
        return self.passages - self.resumed_passages

    @property
    def passages_per_s(self) -> float:
        """This session's rate: passages carried over from a checkpoint are not counted."""
        return self.scored_passages / self.seconds if self.seconds else 0.0


def output_paths(out: Path) -> dict[str, Path]:
    """Every file a run writes, derived from ``--out``: results/x.csv -> results/x.summary.csv."""
    stem, suffix = out.with_suffix(""), out.suffix
    work = out.parent / f".{out.name}"
    return {
        "out": out,
        "summary": Path(f"{stem}.summary{suffix}"),
        "chart": Path(f"{stem}.shares.png"),
        "report": Path(f"{stem}.run.json"),
        "failures": Path(f"{stem}.failures.jsonl"),
        "work_passages": Path(f"{work}.passages.partial.jsonl"),
        "work_summary": Path(f"{work}.summary.partial.jsonl"),
        "progress": Path(f"{work}.progress.json"),
        "work_inputs": Path(f"{work}.inputs.json"),
    }


@dataclass(frozen=True)
class PreparedRun:
    """What every engine settles before reading: the model, its identity in the rows, the
    threshold, the key a resume must match, the output paths, the run's citation and the
    files it reads (``input_fingerprint``, which a resume must match too)."""

    model: StanceModel
    identity: dict[str, str]
    threshold: float
    key: dict[str, Any]
    paths: dict[str, Path]
    citation: dict[str, Any]
    inputs: list[dict[str, Any]]


def prepare_run(
    inputs: Sequence[str | Path], model_dir: str | Path, out: str | Path, opts: LabelOptions
) -> PreparedRun:
    """Check the output format, load the model and fingerprint the inputs (every file hashed
    once); ``ValueError`` for a format it cannot write or ``--int8`` with a model that has
    no int8 path."""
    out = Path(out)
    if out.suffix.lower() not in OUTPUT_FORMATS:
        raise ValueError(f"--out {out}: format by extension, one of {list(OUTPUT_FORMATS)}")
    try:
        model = load_model(model_dir, int8=opts.int8)
    except NotImplementedError as exc:  # the int8 path of a model kind that has none
        raise ValueError(f"--int8: {exc}") from None
    identity = {"model": str(Path(model_dir).resolve()), "model_sha256": model.content_sha256}
    threshold = model.abstain_threshold if opts.threshold is None else opts.threshold
    key = {
        **identity,
        "inputs": [str(i) for i in inputs],
        "int8": opts.int8,
        "threshold": threshold,
        "min_chars": opts.min_chars,
        "text_column": opts.text_column,
        "metadata": opts.metadata,
    }
    citation = run_citation(model, identity["model"], inputs, opts, threshold)
    paths = output_paths(out)
    files = input_fingerprint(inputs, exclude=list(paths.values()), metadata=opts.metadata)
    return PreparedRun(model, identity, threshold, key, paths, citation, files)


def input_fingerprint(
    inputs: Sequence[str | Path],
    exclude: Sequence[str | Path] = (),
    metadata: str | Path | None = None,
) -> list[dict[str, Any]]:
    """The files a run reads, as they are now: ``{"path", "size", "sha256"}`` for each, in
    reading order, folders resolved into their files as ``readers.iter_inputs`` lists them
    (``exclude``: the run's own outputs), plus the metadata sidecars (a folder's
    ``metadata.csv``, ``metadata``). Each file is read once, to hash it. A file that cannot
    be read gets None for size and hash (reading it fails later, as a failure of the run);
    stdin ("-") is ``{"path": "<stdin>"}``: it cannot be read twice, so it is never hashed
    and a run reading it cannot be resumed."""
    files: list[dict[str, Any]] = []
    listed: set[str] = set()

    def add(path: str) -> None:
        if path in listed:
            return
        listed.add(path)
        try:
            size: int | None = os.path.getsize(path)
            digest: str | None = file_sha256(path)
        except OSError:
            size = digest = None
        files.append({"path": path, "size": size, "sha256": digest})

    excluded = [*exclude, *([metadata] if metadata is not None else [])]
    for item in inputs:
        if isinstance(item, str) and item == "-":
            files.append({"path": STDIN_SOURCE, "size": None, "sha256": None})
            continue
        if Path(item).is_dir() and (Path(item) / METADATA_SIDECAR).is_file():
            add(str(Path(item) / METADATA_SIDECAR))
        for found in iter_inputs([item], exclude=excluded, warn=False):  # reading warns
            if isinstance(found, InputFile):
                add(found.path)
    if metadata is not None:
        add(os.fspath(metadata))
    return files


def _fingerprint_sha256(files: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf-8")).hexdigest()


_NAMED = 5  # files named per kind of change in a refused resume


def input_changes(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> str:
    """How two fingerprints differ, "" when they do not: "added: a.txt, b.txt; changed:
    c.jsonl" (up to a few names per kind, then how many more)."""
    old = {f["path"]: (f["size"], f["sha256"]) for f in before}
    new = {f["path"]: (f["size"], f["sha256"]) for f in now}
    kinds = (
        ("added", [p for p in new if p not in old]),
        ("removed", [p for p in old if p not in new]),
        ("changed", [p for p in new if p in old and new[p] != old[p]]),
    )
    parts = []
    for kind, names in kinds:
        if names:
            more = f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
            parts.append(f"{kind}: {', '.join(names[:_NAMED])}{more}")
    return "; ".join(parts)


def run_key_changes(before: dict[str, Any], now: dict[str, Any]) -> str:
    """Which parts of a run key (model, its hash, inputs, threshold, options) differ, with
    the checkpoint's value and this run's: "threshold 0.5 then, 0.7 now"."""
    names = [*now, *(k for k in before if k not in now)]
    return "; ".join(
        f"{name} {before.get(name)!r} then, {now.get(name)!r} now"
        for name in names
        if before.get(name) != now.get(name)
    )


def label_documents(
    inputs: Sequence[str | Path],
    model_dir: str | Path,
    out: str | Path,
    options: LabelOptions | None = None,
    stdin: TextIO | None = None,
) -> LabelResult:
    """Label every passage of every input document; see the module docstring.

    Raises ``ValueError`` (one line, for the CLI's exit 2) for an output format it cannot
    write, ``--int8`` with a model that has no int8 path, or a resume that does not match.
    Files that cannot be read are not raised: they are in ``LabelResult.failures`` (and the
    failures file); files deliberately not read (hidden, this or an earlier run's outputs,
    a metadata sidecar) are in ``LabelResult.ignored``. The run's own outputs are never
    read as input, even when ``--out`` lies inside an input folder.
    """
    opts = options or LabelOptions()
    from dprk_stance.models.hf import set_threads

    set_threads(0)
    run = prepare_run(inputs, model_dir, out, opts)
    model, identity, threshold, run_key, paths = (
        run.model,
        run.identity,
        run.threshold,
        run.key,
        run.paths,
    )
    out = paths["out"]

    result = LabelResult(
        out=out, summary=paths["summary"], chart=paths["chart"], report=paths["report"]
    )
    state = open_work(paths, run_key, opts.resume, result, engine="local", inputs=run.inputs)
    failures: list[InputError] = []
    ignored: list[str] = []

    bar = progress_bar(opts.progress)
    started = time.perf_counter()
    pending: list[tuple[Document, Segmentation]] = []
    n_pending = 0
    seen = 0
    with (
        open(paths["work_passages"], "a", encoding="utf-8") as passages_fh,
        open(paths["work_summary"], "a", encoding="utf-8") as summary_fh,
    ):

        def flush() -> None:
            nonlocal pending, n_pending
            if pending:
                _score_and_write(
                    pending,
                    model,
                    threshold,
                    identity,
                    opts.batch_size,
                    passages_fh,
                    summary_fh,
                    result,
                )
                state["documents_done"] += len(pending)
                checkpoint(paths, state, result, passages_fh, summary_fh)
                bar.update(n_pending)
                rate = result.scored_passages / max(time.perf_counter() - started, 1e-9)
                bar.set_postfix_str(f"{rate:.0f} passages/s")
                pending, n_pending = [], 0

        for document in iter_documents(
            inputs,
            text_column=opts.text_column,
            on_error=failures.append,
            stdin=stdin,
            exclude=list(paths.values()),
            on_skip=lambda path, reason: ignored.append(f"{path}: {reason}"),
            metadata=opts.metadata,
        ):
            seen += 1
            if seen <= state["documents_done"]:
                continue  # done in an earlier, interrupted run
            seg = segment_document(document.text, model, min_chars=opts.min_chars)
            pending.append((document, seg))
            n_pending += len(seg.passages)
            if n_pending >= opts.chunk_passages:
                flush()
        flush()
    bar.close()
    result.seconds = time.perf_counter() - started
    result.failures = [str(f) for f in failures]
    result.ignored = ignored
    finalise(paths, result, run_key, failures, run.citation)
    return result


def run_citation(
    model: StanceModel,
    model_path: str,
    inputs: Sequence[str | Path],
    opts: LabelOptions,
    threshold: float,
) -> dict[str, Any]:
    """What a labelling run needs to be cited and repeated: tool version, the model's content
    hash and what it was trained from (commit, dirty flag, corpus version), inputs and every
    option. The date (``labelled_at``, UTC) is added when the run's outputs are written.

    A model saved before provenance was recorded gives None for what it was trained from.
    """
    trained = model.provenance or {}
    git = trained.get("git") or {}
    corpus = trained.get("corpus") or {}
    return {
        "tool": "dprk-stance",
        "version": __version__,
        "model": {
            "path": model_path,
            "kind": model.kind,
            "content_sha256": model.content_sha256,
            "trained_at": trained.get("trained_at"),
            "commit": git.get("commit"),
            "dirty": git.get("dirty"),
            "corpus_version": corpus.get("version"),
        },
        "inputs": [str(i) for i in inputs],
        "options": {
            **asdict(opts),
            "threshold": threshold,
            "threshold_source": "model" if opts.threshold is None else "--threshold",
        },
    }


def progress_bar(enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(unit="passage", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def open_work(
    paths: dict[str, Path],
    run_key: dict[str, Any],
    resume: bool,
    result: LabelResult,
    engine: str,
    *,
    inputs: list[dict[str, Any]],
) -> dict[str, Any]:
    """Start fresh working files, or truncate them to the last checkpoint when resuming.

    ``inputs`` is the run's ``input_fingerprint``: a fresh start records it (in the
    ``work_inputs`` file, its hash in the progress state); a resume compares it with the
    recorded one. Returns the progress state (``documents_done``, byte offsets, counts; an
    engine may keep more in it). ``ValueError``, saying what differs, when the checkpoint
    belongs to another run (model, inputs or options) or engine, when the files read were
    added, removed or changed since, or when stdin is an input. A fresh start over an
    unfinished run's checkpoint logs a warning naming the checkpoint it replaces.
    """
    paths["out"].parent.mkdir(parents=True, exist_ok=True)
    progress = paths["progress"]
    if resume and progress.is_file():
        state = json.loads(progress.read_text(encoding="utf-8"))
        _check_resume(progress, state, run_key, engine, paths["work_inputs"], inputs)
        for key, name in (("passages_bytes", "work_passages"), ("summary_bytes", "work_summary")):
            with open(paths[name], "r+b") as fh:
                fh.truncate(state[key])
        result.resumed_documents = state["documents_done"]
        for key in _RESUMED_COUNTS:  # none yet when interrupted before the first chunk
            setattr(result, key, state["counts"].get(key, getattr(result, key)))
        result.resumed_passages = result.passages
        result.documents = state["documents_done"]
        return state
    if progress.is_file():
        log.warning(
            "replacing the checkpoint %s of an unfinished run (pass --resume to continue "
            "it instead)",
            progress,
        )
    for name in ("work_passages", "work_summary"):
        paths[name].write_bytes(b"")
    write_json(paths["work_inputs"], inputs)
    state = {
        "run": run_key,
        "engine": engine,
        "inputs_sha256": _fingerprint_sha256(inputs),
        "documents_done": 0,
        "passages_bytes": 0,
        "summary_bytes": 0,
        "counts": {},
    }
    write_json(progress, state)
    return state


def _check_resume(
    progress: Path,
    state: dict[str, Any],
    run_key: dict[str, Any],
    engine: str,
    recorded: Path,
    inputs: list[dict[str, Any]],
) -> None:
    """``ValueError`` unless the checkpoint ``state`` is of this very run: same model,
    options and inputs, same engine, and the same files with the same content."""
    again = "start without --resume to begin again"
    if state.get("run") != run_key:
        differs = run_key_changes(state.get("run") or {}, run_key)
        raise ValueError(f"--resume: {progress} belongs to another run ({differs}); {again}")
    if state.get("engine", "local") != engine:
        raise ValueError(
            f"--resume: {progress} was written by the {state.get('engine', 'local')} "
            f"engine; resume with --engine {state.get('engine', 'local')}"
        )
    if any(f["path"] == STDIN_SOURCE for f in inputs):
        raise ValueError(
            f"--resume: the inputs include stdin (-), which cannot be checked to be the same "
            f"as in the interrupted run; {again}"
        )
    try:
        before = json.loads(recorded.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = None
    if before is None or state.get("inputs_sha256") != _fingerprint_sha256(before):
        raise ValueError(
            f"--resume: {progress} has no record of the files it was made from ({recorded} "
            f"missing or not its own; an earlier version wrote none), so it cannot be checked "
            f"against the inputs; {again}"
        )
    changes = input_changes(before, inputs)
    if changes:
        raise ValueError(
            f"--resume: the input files differ from those {progress} was made from "
            f"({changes}); resuming would skip or repeat documents; {again}"
        )


def checkpoint(
    paths: dict[str, Path],
    state: dict[str, Any],
    result: LabelResult,
    passages_fh: IO[str],
    summary_fh: IO[str],
) -> None:
    """Make the appended rows durable, then record where they end and the counts so far."""
    state["counts"] = {key: getattr(result, key) for key in _RESUMED_COUNTS}
    for fh in (passages_fh, summary_fh):
        fh.flush()
        os.fsync(fh.fileno())
    state["passages_bytes"] = passages_fh.tell()
    state["summary_bytes"] = summary_fh.tell()
    write_json(paths["progress"], state)


def _score_and_write(
    batch: list[tuple[Document, Segmentation]],
    model: StanceModel,
    threshold: float,
    identity: dict[str, str],
    batch_size: int,
    passages_fh: IO[str],
    summary_fh: IO[str],
    result: LabelResult,
) -> None:
    model.inference_batch_size = batch_size
    for assessed in assess_documents(batch, model, threshold, identity):
        write_assessed(
            [json.dumps(r, ensure_ascii=False) for r in assessed.rows],
            json.dumps(assessed.summary, ensure_ascii=False),
            passages_fh,
            summary_fh,
        )
        account(
            result,
            assessed.document,
            assessed.segmentation,
            assessed.uncertain,
            assessed.summary["no_stance"],
        )


def write_assessed(
    passage_lines: Sequence[str], summary_line: str, passages_fh: IO[str], summary_fh: IO[str]
) -> None:
    """Append one document's passage rows and summary row (JSON lines) to the working files."""
    for line in passage_lines:
        passages_fh.write(line + "\n")
    summary_fh.write(summary_line + "\n")


def account(
    result: LabelResult, document: Document, seg: Segmentation, uncertain: int, no_stance: int
) -> None:
    """Add one written document to the run's counts (documents, passages, uncertain and
    no-stance passages, skipped, ...)."""
    result.documents += 1
    result.passages += len(seg.passages)
    result.uncertain += uncertain
    result.no_stance += no_stance
    result.skipped_fragments += seg.skipped_fragments
    result.skipped_chars += seg.skipped_chars
    result.merged_fragments += seg.merged_fragments
    result.split_paragraphs += seg.split_paragraphs
    result.skipped_fragments += sum(document.skipped.values())
    kinds = Counter(result.skipped_by_kind)
    kinds.update(document.skipped)
    kinds.update(seg.furniture)
    result.skipped_by_kind = dict(sorted(kinds.items()))


def finalise(
    paths: dict[str, Path],
    result: LabelResult,
    run_key: dict[str, Any],
    failures: list[InputError],
    citation: dict[str, Any],
) -> None:
    _convert(paths["work_passages"], paths["out"], PASSAGE_COLUMNS)
    _convert(paths["work_summary"], paths["summary"], SUMMARY_COLUMNS)
    chart_columns = ["doc_id", "date", "year", "uncertain", *(f"n_{k}" for k in _KEYS)]
    frames = (
        [
            chunk.reindex(columns=chart_columns)
            for chunk in pd.read_json(
                paths["work_summary"], lines=True, chunksize=20000, dtype=False
            )
        ]
        if paths["work_summary"].stat().st_size
        else []
    )
    shares_chart(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), paths["chart"])
    if failures:
        write_jsonl(
            paths["failures"],
            [{"source": f.source, "row": f.row, "reason": f.reason} for f in failures],
        )
    elif paths["failures"].exists():
        paths["failures"].unlink()
    report = {
        **{
            k: v
            for k, v in asdict(result).items()
            if k not in ("out", "summary", "chart", "report")
        },
        "passages_per_s": result.passages_per_s,
        "run": run_key,
        "citation": {**citation, "labelled_at": utc_now()},
        "outputs": {
            k: str(v)
            for k, v in paths.items()
            if not k.startswith("work") and k != "progress" and (k != "failures" or failures)
        },
    }
    write_json(paths["report"], report)
    for name in ("work_passages", "work_summary", "progress", "work_inputs"):
        paths[name].unlink(missing_ok=True)


def column_type(name: str) -> str:
    """Output column types by name, so every chunk (and every run) has the same schema."""
    if (
        name in ("passage", "start", "end", "passages", "skipped_fragments")
        or name.startswith("n_")
        or (name.startswith("top_") and name.endswith("_passage"))
    ):
        return "Int64"
    if (
        name.startswith(("p_", "share_"))
        or name in ("confidence", "mean_confidence", "relevance")
        or (name.startswith("top_") and name.endswith("_p"))
    ):
        return "Float64"
    if name in ("uncertain", "off_topic", "no_stance"):
        return "boolean"
    return "string"


def _typed(chunk: pd.DataFrame, columns: Sequence[str], counts_uncertain: bool) -> pd.DataFrame:
    chunk = chunk.reindex(columns=list(columns))
    types = {c: column_type(c) for c in columns}
    if counts_uncertain:  # in summaries these are counts, not flags
        types["uncertain"] = types["off_topic"] = types["no_stance"] = "Int64"
    return chunk.astype(types)


def _convert(work: Path, final: Path, columns: Sequence[str]) -> None:
    """Stream the JSONL working file into the requested format, atomically."""
    suffix = final.suffix.lower()
    if suffix == ".jsonl":
        with atomic_path(final) as tmp:
            shutil.copyfile(work, tmp)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    is_summary = "passages" in columns
    with atomic_path(final) as tmp:
        chunks = (
            pd.read_json(work, lines=True, chunksize=20000, dtype=False)
            if work.stat().st_size
            else iter([pd.DataFrame(columns=list(columns))])
        )
        writer = None
        for i, chunk in enumerate(chunks):
            chunk = _typed(chunk, columns, is_summary)
            if suffix == ".csv":
                chunk.to_csv(tmp, mode="w" if i == 0 else "a", header=i == 0, index=False)
                continue
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()


def shares_chart(summaries: pd.DataFrame, path: Path, max_documents: int = 60) -> None:
    """Stance shares per year (or month, for a short span) when dated, else per document."""
    from dprk_stance.plotting import stance_shares_png  # matplotlib: only when charting

    stances = [*STANCES, "uncertain"]
    if summaries.empty:
        stance_shares_png([], {s: [] for s in stances}, [], "no passages labelled", path)
        return
    counts = summaries[[f"n_{s.replace('-', '_')}" for s in STANCES] + ["uncertain"]]
    counts.columns = stances
    dates = (
        pd.to_datetime(summaries["date"].astype("string"), errors="coerce", format="mixed")
        if "date" in summaries
        else pd.Series(pd.NaT, index=summaries.index)
    )
    if "year" in summaries:  # a year without a full date still places a document in time
        years = pd.to_datetime(
            summaries["year"].astype("string").str.slice(0, 4), errors="coerce", format="%Y"
        )
        dates = dates.fillna(years)
    if dates.notna().mean() >= 0.5:
        span = dates.max().year - dates.min().year
        period = dates.dt.strftime("%Y-%m" if span < 3 else "%Y")
        grouped = counts.groupby(period[dates.notna()]).sum().sort_index()
        title = (
            f"stance shares per {'month' if span < 3 else 'year'} "
            f"({int(dates.notna().sum())} dated documents)"
        )
    else:
        grouped = counts.set_axis(summaries["doc_id"].astype(str)).head(max_documents)
        title = "stance shares per document" + (
            f" (first {max_documents} of {len(summaries)})"
            if len(summaries) > max_documents
            else ""
        )
    totals = grouped.sum(axis=1).replace(0, 1)
    shares = {s: (grouped[s] / totals).tolist() for s in stances}
    stance_shares_png(
        list(grouped.index.astype(str)),
        shares,
        grouped.sum(axis=1).astype(int).tolist(),
        title,
        path,
    )


def failure_summary(result: LabelResult) -> str:
    reasons = Counter(f.split(": ", 1)[-1] for f in result.failures)
    lines = [f"{len(result.failures)} input(s) failed:"]
    lines += [f"  {f}" for f in result.failures[:20]]
    if len(result.failures) > 20:
        lines.append(f"  … and {len(result.failures) - 20} more (see the failures file)")
    lines += [f"  [{n}x] {reason}" for reason, n in reasons.most_common(5) if n > 1]
    return "\n".join(lines)
