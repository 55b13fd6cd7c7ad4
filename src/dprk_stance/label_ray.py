"""Batch labelling on Ray Data: the local engine's rows, summary and run report, from many
processes or machines.

Why: an archive of millions of stories takes days on one machine; a Ray cluster spreads the
work without a hand-made scheduler. Why the results cannot differ from ``label``: both
engines list inputs with the same readers, segment and score through :mod:`dprk_stance.assess`,
and write through the local engine's working files, checkpoints and final conversion.

The pipeline: the driver lists the input files (``readers.iter_inputs``); a dataset of those
files is read in parallel tasks (``readers.read_input_file``), one file per call; documents are
segmented in parallel tasks; passages are scored by a pool of actors, each of which loads the
model once; rows come back to the driver in input order (Ray Data's ``preserve_order``), where
document ids are checked across files, rows are appended to the working files and progress is
checkpointed. ``resume`` skips documents already written: they are still read (so failures and
duplicate ids are reported as in a fresh run) but neither segmented nor scored.

Ray is an optional dependency (``pip install "dprk-stance[ray]"``) and is imported only here,
only when this engine runs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from dprk_stance.assess import assess_documents, segment_document
from dprk_stance.errors import DprkStanceError
from dprk_stance.label import (
    LabelOptions,
    LabelResult,
    account,
    checkpoint,
    finalise,
    open_work,
    prepare_run,
    progress_bar,
    write_assessed,
)
from dprk_stance.models import StanceModel, load_model
from dprk_stance.readers import (
    Document,
    InputError,
    InputFile,
    iter_inputs,
    read_input_file,
    unique_id_error,
)
from dprk_stance.segment import Passage, Segmentation

log = logging.getLogger(__name__)

INSTALL_HINT = 'the Ray engine needs Ray: pip install "dprk-stance[ray]"'
# Documents per call of a read, segment or score step. A KCNA story is ~10 passages, so a
# scoring call sees several hundred passages: enough to batch, small enough to spread.
DOCS_PER_BATCH = 64
# CPUs each read and segment task asks Ray for (see ``_dataset``).
_READ_CPUS, _SEGMENT_CPUS = 0.25, 0.5
# Ray Data block size: ~100 news stories; big enough that per-block overhead stays small.
_BLOCK_BYTES = 256 * 1024

# Kinds of row in the dataset: a document to label, one already written (resume), an error.
_DOC, _DONE, _ERROR = "doc", "done", "error"


class RayNotInstalled(DprkStanceError):
    """``--engine ray`` without Ray installed."""


def ray_available() -> bool:
    """Whether Ray Data can be imported here (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def label_documents_ray(
    inputs: Sequence[str | Path],
    model_dir: str | Path,
    out: str | Path,
    options: LabelOptions | None = None,
    *,
    address: str | None = None,
    num_actors: int | None = None,
    stdin: TextIO | None = None,
) -> LabelResult:
    """``label.label_documents`` on Ray Data: same arguments, outputs and errors.

    ``address``: a running Ray cluster (``ray.init(address=...)``: "auto", "host:6379");
    None joins the cluster in ``RAY_ADDRESS`` if set, else starts a Ray instance on this
    machine (never joining one a ``ray start`` left running); it is disconnected (a started
    instance: stopped) at the end. If Ray is already initialised in this process it is used as is.
    ``num_actors``: scoring actors, each holding one copy of the model (default: the
    cluster's CPUs less one, at least one). ``model_dir`` and every input path must be
    readable at the same path on every node. Raises ``RayNotInstalled`` without Ray.
    """
    if not ray_available():
        raise RayNotInstalled(INSTALL_HINT)
    import ray

    opts = options or LabelOptions()
    if num_actors is not None and num_actors < 1:
        raise ValueError(f"--num-actors must be at least 1, got {num_actors}")
    run = prepare_run(inputs, model_dir, out, opts)
    paths = run.paths
    result = LabelResult(
        out=paths["out"], summary=paths["summary"], chart=paths["chart"], report=paths["report"]
    )
    state = open_work(paths, run.key, opts.resume, result, engine="ray", inputs=run.inputs)
    ignored: list[str] = []
    items = list(
        iter_inputs(
            inputs,
            stdin=stdin,
            exclude=list(paths.values()),
            on_skip=lambda path, reason: ignored.append(f"{path}: {reason}"),
            metadata=opts.metadata,
        )
    )
    if not items:  # nothing to read (every input an output of this run): no cluster needed
        result.ignored = ignored
        finalise(paths, result, run.key, [], run.citation)
        return result
    started_here = not ray.is_initialized()
    if started_here:
        # No address and no RAY_ADDRESS: a fresh instance on this machine ("local"), never a
        # cluster some earlier `ray start` left behind.
        where = address or os.environ.get("RAY_ADDRESS") or "local"
        ray.init(address=where, logging_level=logging.WARNING, log_to_driver=False)
    try:
        started = time.perf_counter()
        failures = _drive(
            _dataset(
                items,
                run.identity["model"],
                run.threshold,
                run.identity,
                opts,
                num_actors,
                state.get("cursor"),
            ),
            paths,
            state,
            result,
            opts,
        )
        result.seconds = time.perf_counter() - started
    finally:
        if started_here:
            ray.shutdown()
    result.failures = [str(f) for f in failures]
    result.ignored = ignored
    finalise(paths, result, run.key, failures, run.citation)
    return result


# -- the dataset ------------------------------------------------------------------------------


def _dataset(
    items: list[InputFile | Document | InputError],
    model_dir: str,
    threshold: float,
    identity: dict[str, str],
    opts: LabelOptions,
    num_actors: int | None,
    cursor: list[int] | None,
) -> Any:
    import ray
    from ray.data import ActorPoolStrategy, DataContext

    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order = True  # rows reach the driver in input order
    ctx.enable_progress_bars = opts.progress
    # A large archive is one file, read by one task: small blocks let its documents spread
    # over the segmenting tasks and scoring actors as they are read.
    ctx.target_max_block_size = _BLOCK_BYTES
    if not opts.progress:  # --quiet: no per-dataset progress logging either
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    cpus = max(1.0, float(ray.cluster_resources().get("CPU", 1)))
    # Reading is mostly waiting on storage and segmenting is light next to scoring, so their
    # tasks ask for a fraction of a CPU; each actor asks for a whole one, and by default the
    # pool leaves room for the tasks that feed it. (Different requests also keep Ray from
    # fusing the steps into one process, which would leave segmentation unparallelised.)
    actors = num_actors or max(1, int(cpus - _SEGMENT_CPUS))
    actor_cpus = min(1.0, round((cpus - _SEGMENT_CPUS) / actors, 3))
    if actor_cpus in (_READ_CPUS, _SEGMENT_CPUS):
        actor_cpus -= 0.01
    actor_cpus = max(0.05, actor_cpus)
    units = [{"unit": i, "item": json.dumps(_encode_item(item))} for i, item in enumerate(items)]
    # One file per block up to a few blocks per CPU; beyond that a read task reads several.
    ds = ray.data.from_items(units, override_num_blocks=max(1, min(len(units), 4 * int(cpus))))
    ds = ds.map_batches(
        _read_files,
        batch_size=1,
        batch_format="pyarrow",
        fn_kwargs={"text_column": opts.text_column, "cursor": cursor},
        num_cpus=_READ_CPUS,
    )
    ds = ds.map_batches(
        _segment_documents,
        batch_size=DOCS_PER_BATCH,
        batch_format="pyarrow",
        fn_kwargs={"model_dir": model_dir, "int8": opts.int8, "min_chars": opts.min_chars},
        num_cpus=_SEGMENT_CPUS,
    )
    return ds.map_batches(
        _Scorer,
        batch_size=DOCS_PER_BATCH,
        batch_format="pyarrow",
        fn_constructor_kwargs={
            "model_dir": model_dir,
            "int8": opts.int8,
            "threshold": threshold,
            "identity": identity,
            "batch_size": opts.batch_size,
        },
        compute=ActorPoolStrategy(size=actors),
        num_cpus=actor_cpus,
    )


def _encode_item(item: InputFile | Document | InputError) -> dict[str, Any]:
    if isinstance(item, InputFile):
        # Workers may not share the driver's working directory: read by absolute path.
        return {"file": {**dataclasses.asdict(item), "path": os.path.abspath(item.path)}}
    if isinstance(item, Document):
        return {"document": dataclasses.asdict(item)}
    return {"error": list(item.args)}


def _rows(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=_schema())


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("unit", pa.int64()),
            ("index", pa.int64()),
            ("kind", pa.string()),
            ("document", pa.string()),  # Document as JSON (text dropped once segmented)
            ("segmentation", pa.string()),  # Segmentation as JSON
            ("error", pa.string()),  # InputError args as JSON
            ("passages", pa.string()),  # passage rows, JSON lines
            ("summary", pa.string()),  # the summary row, JSON
            ("uncertain", pa.int64()),
            ("no_stance", pa.int64()),
        ]
    )


def _row(unit: int, index: int, kind: str, **values: Any) -> dict[str, Any]:
    return {
        "unit": unit,
        "index": index,
        "kind": kind,
        "document": "",
        "segmentation": "",
        "error": "",
        "passages": "",
        "summary": "",
        "uncertain": 0,
        "no_stance": 0,
        **values,
    }


def _read_files(batch: Any, text_column: str, cursor: list[int] | None) -> Iterator[Any]:
    """Documents and errors of the listed files, in file order, a batch at a time."""
    done_unit, done_index = cursor if cursor else (-1, -1)
    for unit, encoded in zip(batch["unit"].to_pylist(), batch["item"].to_pylist(), strict=True):
        item = json.loads(encoded)
        if "error" in item:
            yield _rows([_row(unit, 0, _ERROR, error=json.dumps(item["error"]))])
            continue
        results: Any = (
            [Document(**item["document"])]
            if "document" in item
            else read_input_file(InputFile(**item["file"]), text_column)
        )
        rows: list[dict[str, Any]] = []
        for index, found in enumerate(results):
            if isinstance(found, InputError):
                rows.append(_row(unit, index, _ERROR, error=json.dumps(list(found.args))))
            else:
                done = (unit, index) <= (done_unit, done_index)
                document = dataclasses.asdict(found)
                if done:
                    document["text"] = ""
                rows.append(
                    _row(unit, index, _DONE if done else _DOC, document=json.dumps(document))
                )
            if len(rows) >= DOCS_PER_BATCH:
                yield _rows(rows)
                rows = []
        if rows:
            yield _rows(rows)


_MODELS: dict[tuple[str, bool], StanceModel] = {}


def _model(model_dir: str, int8: bool) -> StanceModel:
    """The model, loaded once per worker process (tasks reuse their process)."""
    key = (model_dir, int8)
    if key not in _MODELS:
        from dprk_stance.models.hf import set_threads

        set_threads(1)  # one process per CPU: Ray gives the parallelism
        _MODELS[key] = load_model(model_dir, int8=int8)
    return _MODELS[key]


def _segment_documents(batch: Any, model_dir: str, int8: bool, min_chars: int) -> Any:
    """Segment every document to label (counting tokens with the model's own tokenizer)."""
    rows = batch.to_pylist()
    model = _model(model_dir, int8) if any(r["kind"] == _DOC for r in rows) else None
    for row in rows:
        if row["kind"] != _DOC:
            continue
        document = json.loads(row["document"])
        seg = segment_document(document["text"], model, min_chars=min_chars)
        document["text"] = ""  # the passages carry what is scored
        row["document"] = json.dumps(document)
        row["segmentation"] = json.dumps(dataclasses.asdict(seg))
    return _rows(rows)


def _segmentation(encoded: str) -> Segmentation:
    data = json.loads(encoded)
    data["passages"] = [Passage(**p) for p in data["passages"]]
    return Segmentation(**data)


class _Scorer:
    """An actor of the scoring pool: loads the model once, then assesses batch after batch."""

    def __init__(
        self,
        model_dir: str,
        int8: bool,
        threshold: float,
        identity: dict[str, str],
        batch_size: int,
    ) -> None:
        self.model = _model(model_dir, int8)
        self.model.inference_batch_size = batch_size
        self.threshold = threshold
        self.identity = identity

    def __call__(self, batch: Any) -> Any:
        rows = batch.to_pylist()
        todo = [r for r in rows if r["kind"] == _DOC]
        pairs = [
            (Document(**json.loads(r["document"])), _segmentation(r["segmentation"])) for r in todo
        ]
        for row, assessed in zip(
            todo, assess_documents(pairs, self.model, self.threshold, self.identity), strict=True
        ):
            row["passages"] = "\n".join(json.dumps(r, ensure_ascii=False) for r in assessed.rows)
            row["summary"] = json.dumps(assessed.summary, ensure_ascii=False)
            row["uncertain"] = assessed.uncertain
            row["no_stance"] = assessed.summary["no_stance"]
        return _rows(rows)


# -- the driver -------------------------------------------------------------------------------


def _drive(
    ds: Any,
    paths: dict[str, Path],
    state: dict[str, Any],
    result: LabelResult,
    opts: LabelOptions,
) -> list[InputError]:
    """Write the dataset's rows in input order through the local engine's working files."""
    failures: list[InputError] = []
    seen_ids: dict[str, str] = {}
    bar = progress_bar(opts.progress)
    since_checkpoint = 0
    with (
        open(paths["work_passages"], "a", encoding="utf-8") as passages_fh,
        open(paths["work_summary"], "a", encoding="utf-8") as summary_fh,
    ):
        for batch in ds.iter_batches(batch_size=DOCS_PER_BATCH, batch_format="pyarrow"):
            for row in batch.to_pylist():
                if row["kind"] == _ERROR:
                    failures.append(InputError(*json.loads(row["error"])))
                    continue
                document = Document(**json.loads(row["document"]))
                duplicate = unique_id_error(document, seen_ids)
                if duplicate is not None:
                    failures.append(duplicate)
                    continue
                if row["kind"] == _DONE:
                    continue
                seg = _segmentation(row["segmentation"])
                lines = row["passages"].split("\n") if row["passages"] else []
                write_assessed(lines, row["summary"], passages_fh, summary_fh)
                account(result, document, seg, row["uncertain"], row["no_stance"])
                state["documents_done"] += 1
                state["cursor"] = [row["unit"], row["index"]]
                since_checkpoint += len(lines)
                bar.update(len(lines))
                if since_checkpoint >= opts.chunk_passages:
                    checkpoint(paths, state, result, passages_fh, summary_fh)
                    since_checkpoint = 0
        checkpoint(paths, state, result, passages_fh, summary_fh)
    bar.close()
    return failures
