"""``dprk-stance``: a thin command line over the library functions.

Pipeline stages run as ``python -m dprk_stance.<stage>`` from dvc.yaml through
:mod:`dprk_stance.stage`; the user-facing commands here (label, predict, explain, evaluate,
compare, report, suggest, import-labels) call the same library functions the tests call.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dprk_stance.errors import EXIT_ERROR, EXIT_INPUT_FAILURES, USER_ERRORS


def _known_errors() -> tuple[type[BaseException], ...]:
    return USER_ERRORS


def _cmd_label(args: argparse.Namespace) -> int:
    from dprk_stance.label import LabelOptions, failure_summary, label_documents

    options = LabelOptions(
        batch_size=args.batch_size,
        chunk_passages=args.chunk,
        min_chars=args.min_chars,
        threshold=args.threshold,
        int8=args.int8,
        resume=args.resume,
        text_column=args.text_column,
        progress=not args.quiet,
        metadata=args.metadata,
    )
    if args.engine == "local" and (args.address or args.num_actors):
        raise ValueError("--address and --num-actors need --engine ray")
    try:
        if args.engine == "ray":
            from dprk_stance.label_ray import label_documents_ray

            result = label_documents_ray(
                args.inputs,
                resolve_model(args.model),
                args.out,
                options,
                address=args.address,
                num_actors=args.num_actors,
            )
        else:
            result = label_documents(args.inputs, resolve_model(args.model), args.out, options)
    except KeyboardInterrupt:
        # Finished documents are checkpointed; outputs appear only when a run completes.
        print("\ndprk-stance label: interrupted — rerun with --resume", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"labelled {result.passages} passages in {result.documents} documents "
        f"({result.passages_per_s:.1f} passages/s; {result.uncertain} uncertain, "
        f"{result.no_stance} of them for no stance; "
        f"{result.skipped_fragments} skipped as furniture or debris"
        + (
            f"; resumed after {result.resumed_documents} documents"
            if result.resumed_documents
            else ""
        )
        + ")"
    )
    print(
        f"passages: {result.out}\nsummary:  {result.summary}\nchart:    {result.chart}\n"
        f"report:   {result.report}"
    )
    if result.ignored:
        print(f"{len(result.ignored)} file(s) under the input folders not read on purpose:")
        for line in result.ignored[:20]:
            print(f"  {line}")
        if len(result.ignored) > 20:
            print(f"  … and {len(result.ignored) - 20} more (see {result.report})")
    if result.failures:
        print(failure_summary(result), file=sys.stderr)
        return EXIT_INPUT_FAILURES
    if result.documents == 0:
        print("dprk-stance label: error: no document could be read", file=sys.stderr)
        return EXIT_INPUT_FAILURES
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    """Print the stance of one passage; with ``--json`` stdout is always one JSON value.

    Errors (no text to classify, a bad model, a bad option) exit 2 with a one-line message
    on stderr; with ``--json`` they are also printed as ``{"error": ...}``.
    """
    try:
        return _predict(args)
    except _known_errors() as exc:
        return _predict_error(args, str(exc))


def _predict_error(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"error": message}))
    print(f"dprk-stance predict: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _predict(args: argparse.Namespace) -> int:
    from dprk_stance.assess import assess_documents, segment_document
    from dprk_stance.models import load_model
    from dprk_stance.readers import Document
    from dprk_stance.stances import LABELS, PROB_COLUMNS

    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        return _predict_error(args, "empty text")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        return _predict_error(
            args, f"--threshold {args.threshold:g}: must be a probability between 0 and 1"
        )
    try:
        model = load_model(resolve_model(args.model), int8=args.int8)
    except NotImplementedError as exc:
        return _predict_error(args, f"--int8: {exc}")
    threshold = model.abstain_threshold if args.threshold is None else args.threshold
    # The user chose this text: classify it whatever it looks like (no furniture skipped).
    seg = segment_document(text, model, min_chars=1, furniture=False)
    if not seg.passages:
        return _predict_error(
            args,
            f"nothing to classify in {text.strip()[:60]!r}: no words, only numbers or "
            "symbols; give a sentence or a paragraph",
        )
    document = Document("text", text, "<argument>")
    (assessed,) = assess_documents([(document, seg)], model, threshold, {})
    rows = [
        {
            "passage": r["passage"],
            "start": r["start"],
            "end": r["end"],
            "text": r["text"],
            "label": r["label"],
            "stance": r["stance"],
            "no_stance": r["no_stance"],
            "probabilities": {
                label: round(r[c], 4) for label, c in zip(LABELS, PROB_COLUMNS, strict=True)
            },
            "confidence": round(r["confidence"], 4),
            "relevance": None if r["relevance"] is None else round(r["relevance"], 4),
            "off_topic": r["off_topic"],
            "uncertain": r["uncertain"],
        }
        for r in assessed.rows
    ]
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=1, allow_nan=False))
        return 0
    for row in rows:
        shown = row["text"] if len(row["text"]) <= 60 else row["text"][:57] + "..."
        prefix = f"[passage {row['passage']}: {shown!r}] " if len(rows) > 1 else ""
        flag = ""
        if row["no_stance"]:
            flag = "  (no stance: none of the three stances is argued)"
        elif row["off_topic"]:
            flag = "  (uncertain: unlike any stance-bearing passage the model was trained on)"
        elif row["uncertain"]:
            flag = f"  (uncertain: confidence below threshold {threshold:.2f})"
        print(f"{prefix}{row['label']}  confidence {row['confidence']:.3f}{flag}")
        for label, value in row["probabilities"].items():
            print(f"  {label:<22} {value:.3f}")
    return 0


def resolve_model(model: str | None, reports: Path = Path("reports")) -> str:
    """``--model`` as given, or the default model the leaderboard chose (``models/<name>``).

    The default is the model best on the style-shift set (``compare.default_by``); without a
    leaderboard there is no default and the user must name a model directory.
    """
    if model:
        return model
    board = reports / "leaderboard.json"
    if board.is_file():
        name = json.loads(board.read_text(encoding="utf-8")).get("default_model", {}).get("model")
        if name:
            return str(Path("models") / name)
    if not board.is_file() and not Path("params.yaml").is_file():
        raise ValueError(
            f"no --model given, and the default model is named in {board} under the project "
            f"root, which {Path.cwd()} is not: run from the project root, or pass --model DIR"
        )
    raise ValueError(
        f"no --model given and no default in {board} (run `dvc repro` first, or pass --model DIR)"
    )


def _evaluation_params(params: str | None, model_dir: Path) -> Path:
    """The params file for ``evaluate``'s metrics and intervals: ``--params`` as given, else
    ``./params.yaml``, else that of the dprk-stance project the model directory lies in
    (``<project>/models/<name>``, with ``dvc.yaml`` beside ``params.yaml``), so that a model
    can be scored from any folder. ValueError when none applies."""
    if params:
        return Path(params)
    here = Path("params.yaml")
    if here.is_file():
        return here
    model_dir = model_dir.resolve()
    project = model_dir.parent.parent
    if model_dir.parent.name == "models" and (project / "dvc.yaml").is_file():
        found = project / "params.yaml"
        if found.is_file():
            print(f"settings from {found} (the model's project)", file=sys.stderr)
            return found
    raise ValueError(
        f"no params.yaml here ({Path.cwd()}) or in the project of {model_dir}: pass --params FILE"
    )


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from dprk_stance.config import Config, ConfigError
    from dprk_stance.data import load_gold
    from dprk_stance.evaluate import evaluate_model
    from dprk_stance.fsutil import write_json, write_jsonl, write_table
    from dprk_stance.leaderboard import board_for_set, render_set
    from dprk_stance.models import load_model
    from dprk_stance.stances import LABELS

    model_dir = resolve_model(args.model)
    params = _evaluation_params(args.params, Path(model_dir))
    try:
        cfg = Config.load(params)
    except ConfigError as exc:
        if args.params:
            raise
        raise ConfigError(f"{exc} (found by itself; pass --params FILE to use another)") from None
    model = load_model(model_dir, int8=args.int8)
    gold = load_gold(args.gold)
    if gold.rejects:
        print(f"{len(gold.rejects)} row(s) rejected:", file=sys.stderr)
        for reject in gold.rejects[:5]:
            print(f"  {reject['file']}, line {reject['line']}: {reject['reason']}", file=sys.stderr)
        if len(gold.rejects) > 5:
            print(
                f"  ... and {len(gold.rejects) - 5} more (--out writes them all)", file=sys.stderr
            )
    _, tables, _ = evaluate_model(model, [gold], cfg.evaluate.n_bins, cfg.evaluate.confident)
    table = tables[gold.name]
    boot = {
        "n_samples": cfg.compare.bootstrap_samples,
        "confidence": cfg.compare.confidence,
        "seed": cfg.seed,
    }
    board = board_for_set({str(model_dir): table}, cfg, boot)
    print(render_set(gold.name, board, boot))
    for label in LABELS:  # macro-F1 scores a class only predicted, never gold, as 0
        predicted = int((table["predicted"] == label).sum())
        if predicted and not (table["label"] == label).any():
            print(
                f"\nnote: no gold passage is {label!r}, but {predicted} passage(s) were "
                "predicted so: macro-F1 counts that class as F1 0, and resamples without "
                "them do not, so its interval can miss the estimate; stance accuracy is the "
                "steadier figure here"
            )
    wrong = table[table["predicted"] != table["label"]].copy()
    wrong["text"] = gold.frame.set_index(table.index)["text"][wrong.index]
    wrong = wrong.sort_values("confidence", ascending=False)
    print(f"\nerrors ({len(wrong)}), most confident first:")
    for row in wrong.head(args.top).itertuples():
        print(
            f"  {row.id}: gold {row.label}, predicted {row.predicted} "
            f"({row.confidence:.2f}) {row.text[:90]}"
        )
    if args.out:
        out = Path(args.out)
        write_table(out / "predictions.csv", table)
        write_json(out / "metrics.json", board)
        write_jsonl(out / "rejects.jsonl", gold.rejects)
        print(f"\nwritten: {out}/predictions.csv, metrics.json, rejects.jsonl")
    # as `label` and `import-labels` do: the figures cover fewer rows than the file holds
    return EXIT_INPUT_FAILURES if gold.rejects else 0


def _cmd_explain(args: argparse.Namespace) -> int:
    """Word attributions for one passage: the top words, or every word with ``--json``."""
    from dprk_stance.explain import explain_passages
    from dprk_stance.models import load_model
    from dprk_stance.text import normalize_text

    text = sys.stdin.read() if args.text == "-" else args.text
    text = normalize_text(text)
    if not text.strip():
        raise ValueError("empty text")
    model = load_model(resolve_model(args.model))
    (explanation,) = explain_passages(
        model, [text], target=args.target, method=args.method, ig_steps=args.steps
    )
    if args.json:
        print(json.dumps(explanation.to_dict(), indent=1, ensure_ascii=False))
        return 0
    e = explanation
    print(f"label {e.label}; weights toward {e.target} (p = {e.probability:.3f})")
    print(f"method: {e.method}; unit: {e.unit}")
    if e.note:
        print(f"note: {e.note}")
    top = e.top(args.top)
    if not top:
        print("no word moves the score (nothing the model knows is in the text)")
    for token in top:
        bar = "+" * min(20, max(1, round(abs(token.weight) / max(abs(top[0].weight), 1e-12) * 20)))
        sign = "toward" if token.weight > 0 else "against"
        print(f"  {token.weight:+8.3f}  {token.text:<24} {sign:<8} {bar}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from dprk_stance.report import ReportOptions, build_report

    options = ReportOptions(
        period=args.period,
        model=args.model,
        evidence_per_cell=args.evidence,
        bootstrap_samples=args.bootstrap,
        seed=args.seed,
        highlight_limit=args.highlight_limit,
    )
    result = build_report(args.runs, args.out, options)
    print(
        f"report on {result.passages} passages in {result.documents} documents, per "
        f"{result.period} ({result.seconds:.1f} s): {result.index}"
    )
    for point in result.turning_points:
        print(
            f"  turning point: new segment from {point['period']} ({point['before']} | "
            f"{point['after']})"
        )
    if not result.turning_points:
        print("  no turning point detected")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from dprk_stance.agreement import (
        compare_runs,
        no_alignment_message,
        read_labelled,
        render_text,
    )
    from dprk_stance.fsutil import write_json

    a, b = read_labelled(args.a), read_labelled(args.b)
    result = compare_runs(a, b, top=args.top)
    if not result["matched_passages"]:
        raise ValueError(f"{args.a} and {args.b}: {no_alignment_message(a, b)}")
    print(render_text(result, args.a, args.b))
    if args.out:
        write_json(args.out, result)
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    from dprk_stance.annotations import annotated_keys
    from dprk_stance.suggest import suggest

    exclude = annotated_keys(args.annotations) if args.annotations else None
    queue = suggest(
        args.runs, args.n, args.strategy, args.out, args.seed, args.near_duplicate, exclude
    )
    print(f"{queue.rows} passages suggested ({args.strategy})")
    print(f"spreadsheet:        {queue.csv}  (fill in the 'label' column)")
    print(f"Label Studio tasks: {queue.tasks}")
    print(f"Label Studio config: {queue.config}")
    return 0


def _cmd_import_labels(args: argparse.Namespace) -> int:
    from dprk_stance.annotations import import_labels
    from dprk_stance.config import Config

    cfg = Config.load(args.params)
    out_dir = args.out_dir or Path(cfg.paths.raw_dir) / "annotations"
    result = import_labels(
        args.files,
        args.annotator,
        cfg,
        out_dir,
        args.report_dir,
        journal=args.journal,
        verify_source=not args.no_source_check,
    )
    print(
        f"{result.rows_read} rows read: {result.imported} imported, "
        f"{result.already_imported} already imported, {result.unlabelled} unlabelled, "
        f"{result.rejected} rejected"
    )
    if result.written:
        print(f"written:   {result.written}")
    if result.rejects:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.rejected_by_reason.items()))
        print(f"rejects:   {result.rejects} ({reasons})")
    summary = result.agreement_summary
    if summary.get("items_labelled_twice_or_more"):
        alpha = summary["krippendorff_alpha"]
        print(
            f"agreement: {summary['items_labelled_twice_or_more']} passages labelled by two or "
            f"more of {len(summary['annotators'])} annotators; Krippendorff's alpha "
            + ("undefined" if alpha is None else f"{alpha:.3f}")
        )
        for pair in summary["pairs"]:
            kappa = pair["cohen_kappa"]
            print(
                f"  {pair['a']} vs {pair['b']}: {pair['items']} shared, kappa "
                + ("undefined" if kappa is None else f"{kappa:.3f}")
            )
        if result.adjudication:
            print(f"adjudication queue: {result.adjudication} ({len(summary['disagreements'])})")
    if result.agreement:
        print(f"agreement report: {result.agreement}")
    return EXIT_INPUT_FAILURES if result.rejected else 0


def build_parser() -> argparse.ArgumentParser:
    from dprk_stance import __version__
    from dprk_stance.label_options import LabelOptions

    parser = argparse.ArgumentParser(
        prog="dprk-stance",
        description="Stance of translated DPRK economic-policy passages: "
        "pro-decentralization, pro-diversification, conservative.",
    )
    parser.add_argument("--version", action="version", version=f"dprk-stance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = LabelOptions()

    lab = sub.add_parser(
        "label",
        help="label every passage of documents",
        description="Label documents passage by passage. INPUT: files, "
        "folders (recursive) or - for stdin. Formats: .txt .text .md .markdown .docx "
        ".odt .rtf .pdf .html .htm .xhtml .jsonl(.gz) .csv .parquet.",
    )
    lab.add_argument("inputs", nargs="+", metavar="INPUT")
    lab.add_argument(
        "--model",
        default=None,
        help="a model directory (default: the leaderboard's default model)",
    )
    lab.add_argument("--out", required=True, help="output file: .csv, .jsonl or .parquet")
    lab.add_argument("--resume", action="store_true", help="continue an interrupted run")
    lab.add_argument(
        "--int8",
        action="store_true",
        help="int8 weights through ONNX Runtime (faster; transformer models only)",
    )
    lab.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="abstention threshold (default: the one stored with the model)",
    )
    lab.add_argument("--batch-size", type=int, default=defaults.batch_size)
    lab.add_argument(
        "--chunk",
        type=int,
        default=defaults.chunk_passages,
        help="passages scored (and checkpointed) together",
    )
    lab.add_argument(
        "--min-chars",
        type=int,
        default=defaults.min_chars,
        help="paragraphs shorter than this are fragments (merged or skipped)",
    )
    lab.add_argument("--text-column", default="text", help="text column of .jsonl/.csv inputs")
    lab.add_argument(
        "--metadata",
        default=None,
        help="a CSV with a 'file' column and date/journal/title/year per input file "
        "(default: metadata.csv in an input folder, if there is one)",
    )
    lab.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: Ray Data tasks and actors, on this machine "
        'or a cluster (needs pip install "dprk-stance[ray]"); same outputs',
    )
    lab.add_argument(
        "--address",
        default=None,
        help="--engine ray: a running Ray cluster (auto, host:6379); "
        "default: RAY_ADDRESS, else a Ray instance started on this machine",
    )
    lab.add_argument(
        "--num-actors",
        type=int,
        default=None,
        help="--engine ray: scoring actors, each with one copy of the model "
        "(default: the cluster's CPUs less one)",
    )
    lab.add_argument("--quiet", action="store_true", help="no progress bar")
    lab.set_defaults(func=_cmd_label)

    pred = sub.add_parser("predict", help="stance of one passage")
    pred.add_argument("text", help="the passage, or - to read stdin")
    pred.add_argument(
        "--model", default=None, help="model directory (default: the leaderboard's default)"
    )
    pred.add_argument("--threshold", type=float, default=None)
    pred.add_argument("--int8", action="store_true")
    pred.add_argument("--json", action="store_true")
    pred.set_defaults(func=_cmd_predict)

    ev = sub.add_parser(
        "evaluate",
        help="score a model on your own hand-labelled passages",
        description="Score a model on a gold file (JSONL or CSV with text and label: a stance "
        "or none; optional id, doc_id) with the pipeline's metrics and intervals. Malformed "
        "rows are rejected with file and line.",
    )
    ev.add_argument("gold", help="gold file: .jsonl or .csv")
    ev.add_argument("--model", default=None, help="model directory (default: the leaderboard's)")
    ev.add_argument(
        "--params",
        default=None,
        help="settings for metrics and intervals (default: ./params.yaml, else the params.yaml "
        "of the project the model lies in)",
    )
    ev.add_argument("--int8", action="store_true")
    ev.add_argument("--top", type=int, default=10, help="errors to list")
    ev.add_argument("--out", default=None, help="folder for predictions, metrics and rejects")
    ev.set_defaults(func=_cmd_evaluate)

    exp = sub.add_parser(
        "explain",
        help="which words drove a passage's label",
        description="Signed word attributions toward the predicted class (or --target): "
        "coefficient x feature weight for tfidf-logreg and keywords, Integrated Gradients "
        "(captum, the 'explain' extra) for the transformer, leave-one-word-out occlusion "
        "for the others.",
    )
    exp.add_argument("text", help="the passage, or - to read stdin")
    exp.add_argument("--model", default=None, help="model directory (default: the leaderboard's)")
    exp.add_argument("--top", type=int, default=10, help="words to list (largest |weight|)")
    exp.add_argument("--target", default=None, help="explain this class instead of the predicted")
    exp.add_argument(
        "--method",
        default="auto",
        choices=["auto", "linear", "integrated-gradients", "occlusion"],
        help="attribution method (auto: by model kind)",
    )
    exp.add_argument("--steps", type=int, default=32, help="Integrated Gradients steps")
    exp.add_argument("--json", action="store_true", help="every word with span and weight")
    exp.set_defaults(func=_cmd_explain)

    rep = sub.add_parser(
        "report",
        help="the narrative over time: an HTML report over labelling outputs",
        description="Stance shares over time with document-bootstrap intervals, turning "
        "points (ruptures PELT), evidence passages with highlighted words, a filterable "
        "documents table and a how-to-cite block, in a self-contained DIR/index.html; "
        "figures as PNG and SVG, tables as CSV (shares also as LaTeX).",
    )
    rep.add_argument("runs", nargs="+", metavar="RUN", help="outputs of `dprk-stance label`")
    rep.add_argument("--out", required=True, help="report folder (index.html goes there)")
    rep.add_argument(
        "--period",
        choices=["month", "quarter", "year"],
        default=None,
        help="period of the time series (default: from the span of the dates)",
    )
    rep.add_argument(
        "--model",
        default=None,
        help="model directory for word highlighting (default: the one the run report names)",
    )
    rep.add_argument("--evidence", type=int, default=3, help="passages per stance and period")
    rep.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    rep.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    rep.add_argument(
        "--highlight-limit",
        type=int,
        default=None,
        help="confident passages highlighted in the documents table besides the evidence "
        "(default: 3000 for tfidf-logreg and keywords, none for slower models)",
    )
    rep.set_defaults(func=_cmd_report)

    cmp_ = sub.add_parser(
        "compare",
        help="agreement between two labelling outputs",
        description="Compare two `dprk-stance label` outputs over the same "
        "documents: agreement, Cohen's kappa, cross-tabulation, and the "
        "passages where they disagree most.",
    )
    cmp_.add_argument("a")
    cmp_.add_argument("b")
    cmp_.add_argument("--top", type=int, default=10)
    cmp_.add_argument("--out", type=Path, default=None, help="also write the result as JSON")
    cmp_.set_defaults(func=_cmd_compare)

    sug = sub.add_parser(
        "suggest",
        help="pick the passages most worth labelling from labelling outputs",
        description="Pick passages from `dprk-stance label` outputs for analysts to label: "
        "least confident (uncertainty), where two runs over the same passages disagree "
        "(disagreement), the most uncertain per k-means cluster (diverse), or at random. "
        "Writes QUEUE.csv (a spreadsheet: fill in 'label'), QUEUE.tasks.json (Label Studio "
        "tasks with the model's labels as predictions) and QUEUE.label_config.xml.",
    )
    sug.add_argument(
        "runs", nargs="+", metavar="RUN", help="labelling outputs (.csv .jsonl .parquet)"
    )
    sug.add_argument("--n", type=int, required=True, help="passages to suggest")
    sug.add_argument(
        "--strategy",
        choices=("uncertainty", "disagreement", "diverse", "random"),
        default="uncertainty",
    )
    sug.add_argument("--out", required=True, help="queue path without extension (or .csv)")
    sug.add_argument("--seed", type=int, default=0, help="for random and the k-means clusters")
    sug.add_argument(
        "--near-duplicate",
        type=float,
        default=0.8,
        help="skip a passage whose character 3-5-gram TF-IDF cosine similarity to one "
        "already chosen is at least this (default 0.8)",
    )
    sug.add_argument(
        "--annotations",
        default="data/raw/annotations",
        help="skip passages already labelled in this folder ('' to consider all)",
    )
    sug.set_defaults(func=_cmd_suggest)

    imp = sub.add_parser(
        "import-labels",
        help="import analysts' labels (Label Studio export or the queue CSV) into the corpus",
        description="Check labelled rows of Label Studio JSON exports or filled-in queue CSVs "
        "and write the valid ones, with provenance, to OUT_DIR/<file>-<date>.jsonl, where "
        "`dvc repro` picks them up. Rejected rows are written with file, row and reason; "
        "importing a file twice adds nothing. Exit 1 when rows were rejected.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="Label Studio .json exports or .csv")
    imp.add_argument("--annotator", required=True, help="who labelled these rows")
    imp.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="annotation store (default: <paths.raw_dir>/annotations)",
    )
    imp.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/annotations"),
        help="rejects, agreement.json and adjudication.csv (outside the corpus folder)",
    )
    imp.add_argument(
        "--journal", default=None, help="journal for rows whose run had none (e.g. KCNA)"
    )
    imp.add_argument(
        "--no-source-check",
        action="store_true",
        help="do not re-read the source documents to check each passage's span",
    )
    imp.add_argument("--params", default="params.yaml", help="corpus validation settings")
    imp.set_defaults(func=_cmd_import_labels)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except _known_errors() as exc:
        print(f"dprk-stance {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"\ndprk-stance {args.command}: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `dprk-stance compare a b | head`: the reader left early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
