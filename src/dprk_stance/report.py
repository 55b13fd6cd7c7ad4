"""The narrative over time: a browsable, citable report over labelling outputs.

``dprk-stance report RUN... --out DIR`` reads one or more outputs of ``dprk-stance label``
(CSV, JSONL or Parquet; the run report ``<stem>.run.json`` beside each is read when present)
and writes a self-contained ``DIR/index.html`` — no network fetches; figures beside it in
``DIR/figures/`` (PNG and SVG), tables in ``DIR/tables/`` (CSV; the shares also as LaTeX),
``DIR/report.json`` (what was computed, from what, with which options).

What is measured. Every passage falls in exactly one of five categories: a *confident*
stance (its label is one of the three stances and it is not flagged ``uncertain``), *no
stance* (``no_stance``: the model's most probable class is "none"), or *uncertain* (flagged
for low confidence or as off topic, but with a stance as its label). Two shares per period:

* ``share_of_passages`` — each category among all passages of the period (the five add up to
  1), so that a drop in stance-bearing text shows as a rise of "no stance" or "uncertain",
  not as a shift between stances;
* ``share_of_stance_passages`` — each stance among the period's confident stance passages:
  which line prevails when one is argued.

Time. A document's period comes from its ``date`` (``label`` carries it from the input's
``date`` column, a metadata sidecar, document properties or the file name); a document with
only a ``year`` is placed when the period is a year. Undated documents are counted and left
out of the time series; without any dates the report has one period, ``all``. The period is
a month when the dates span at most two years, a quarter up to eight, else a year (so a
chart has roughly 8 to 40 points), and coarser while the median period holds fewer than 10
confident stance passages; ``--period`` overrides.

Intervals. 95 % percentile intervals from a bootstrap that resamples whole *documents*
within each period (passages of one document are not independent; resampling passages
would give intervals that are too narrow): :func:`dprk_stance.stats.cluster_bootstrap_ratio`.

Turning points. PELT (the ``ruptures`` library, least-squares cost, ``min_size`` periods per
segment) on the overall ``share_of_stance_passages`` series of the three stances, periods
without a confident stance passage left out. Each series is first divided by a robust
estimate of its period-to-period noise, ``sigma = 1.4826 * MAD(diff) / sqrt(2)`` (the
median absolute first difference: insensitive to the few jumps being looked for). On that
scale the penalty is three times the BIC one, ``pen = 3 * (d + 1) * ln(T)`` for ``d``
series of ``T`` periods (a break adds ``d`` means and a position). Plain BIC raised false
alarms in a quarter to a third of simulated series without any change; with the factor 3,
on simulated series of three stances with about 30 stance passages per period, a series
without change gave a false turning point in 9 %, 1 % and 0.3 % of 300 runs of 12, 24 and
48 periods, and a planted shift of 0.45 in the stance mix was placed exactly in 94 %, 99 %
and 98 %; a shift of 0.2 was found in 64 %, 90 % and 100 %. Each detected date is listed
with the pooled shares of the segments before and after it.

Evidence. For each stance and period, the passages with the highest probability of that
stance among the period's confident passages of that stance, one per document — never a
passage flagged uncertain, no-stance or off topic — with the words that drove the label
(:func:`dprk_stance.explain.explain_passages`, when a model is given or the run report names
one that exists; highlighting is skipped, and said so, otherwise).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance import __version__
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import (
    file_sha256,
    json_number,
    read_json,
    write_json,
    write_table,
    write_text,
)
from dprk_stance.stances import LABELS, NO_STANCE, PROB_COLUMNS, STANCES, prob_column

log = logging.getLogger(__name__)

PERIODS = ("month", "quarter", "year")
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
CATEGORIES = (*STANCES, "no stance", "uncertain")
MEASURES = ("share_of_passages", "share_of_stance_passages")
_FLAGS = ("no_stance", "off_topic", "uncertain")
LINEAR_KINDS = ("tfidf-logreg", "keywords")  # explained exactly, all at once
PENALTY_FACTOR = 3.0  # times the BIC penalty; see the module docstring


class ReportError(DprkStanceError):
    """A labelling output the report cannot use (named with the file and, where known, row)."""


@dataclass(frozen=True)
class ReportOptions:
    """Options of ``dprk-stance report`` (a command-line tool: not pipeline settings)."""

    period: str | None = None  # month, quarter, year; None: chosen from the span
    model: str | None = None  # model directory for highlighting; None: the run's own
    evidence_per_cell: int = 3  # passages per stance and period
    bootstrap_samples: int = 1000
    confidence: float = 0.95
    seed: int = 0
    min_segment: int = 2  # periods per segment between turning points
    # confident stance passages highlighted in the documents table besides the evidence;
    # None: 3000 for linear models (exact and fast), none for others (one scoring per word)
    highlight_limit: int | None = None
    table_text_chars: int = 600  # passage text kept per row of the documents table

    def __post_init__(self) -> None:
        if self.period is not None and self.period not in PERIODS:
            raise ValueError(f"--period {self.period!r}: one of {list(PERIODS)}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence {self.confidence}: must be between 0 and 1")
        for name in ("bootstrap_samples", "min_segment", "evidence_per_cell"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass
class ReportResult:
    out: Path
    index: Path
    period: str
    documents: int
    passages: int
    undated_passages: int
    turning_points: list[dict[str, Any]]
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    highlighted: int = 0
    seconds: float = 0.0


# --- reading ------------------------------------------------------------------------------
def run_report_path(output: Path) -> Path:
    """The ``<stem>.run.json`` that ``label`` writes beside an output."""
    from dprk_stance.label import output_paths

    return output_paths(output)["report"]


def load_runs(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Passages of every run in one frame, plus each run's provenance.

    Adds ``run`` (index of the input), ``doc`` (a document key unique across runs),
    ``category`` (one of CATEGORIES), and ``when`` (the parsed date, NaT when missing).
    Raises ReportError naming the file for a missing file, a file that is not a labelling
    output, or a row with an unknown label or a probability outside [0, 1].
    """
    from dprk_stance.agreement import read_labelled

    frames, runs = [], []
    for i, raw in enumerate(paths):
        path = Path(raw)
        if not path.is_file():
            raise ReportError(f"{path}: no such labelling output")
        try:
            frame = read_labelled(path)
        except ValueError as exc:
            raise ReportError(str(exc)) from None
        except Exception as exc:  # unreadable bytes, a truncated Parquet file
            raise ReportError(f"{path}: cannot be read as a labelling output: {exc}") from None
        frame = _validated(frame, path)
        frame["run"] = i
        frame["doc"] = (f"{i}:" if len(paths) > 1 else "") + frame["doc_id"].astype(str)
        frames.append(frame)
        report = run_report_path(path)
        runs.append(
            {
                "output": str(path),
                "output_sha256": file_sha256(path),
                "rows": len(frame),
                "run_report": str(report) if report.is_file() else None,
                **(read_json(report) if report.is_file() else {}),
            }
        )
    passages = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(frames) > 1:
        _refuse_repeated_passages(passages, paths)
    return passages, runs


def _refuse_repeated_passages(passages: pd.DataFrame, paths: Sequence[str | Path]) -> None:
    """Two runs over the same source documents would count each passage twice: refuse,
    naming the runs and one repeated passage (same source, document id and span)."""
    key = [passages[c].astype("string").fillna("") for c in ("source", "doc_id", "start", "end")]
    first_run = passages.groupby(key)["run"].transform("min")
    repeated = passages["run"].ne(first_run)
    if repeated.any():
        row, first = passages[repeated].iloc[0], first_run[repeated].iloc[0]
        raise ReportError(
            f"{paths[int(first)]} and {paths[int(row['run'])]}: both hold passage "
            f"{row['start']}-{row['end']} of document {row['doc_id']!r} ({row['source']}); "
            "a report over two runs of the same documents would count each passage twice. "
            "Report one run at a time, or compare them with `dprk-stance compare`"
        )


def _validated(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame = frame.reset_index(drop=True).copy()
    frame["doc_id"] = frame["doc_id"].astype("string")
    bad = ~frame["label"].isin(LABELS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ReportError(
            f"{path}, row {row + 1}: label {frame['label'].iloc[row]!r} is not one of "
            f"{list(LABELS)}"
        )
    probs = frame[list(PROB_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = ~((probs >= 0) & (probs <= 1)).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ReportError(f"{path}, row {row + 1}: a probability is missing or outside [0, 1]")
    frame[list(PROB_COLUMNS)] = probs.astype(float)
    for flag in _FLAGS:
        if flag in frame:
            frame[flag] = frame[flag].map(_truth).astype(bool)
    if "no_stance" not in frame:
        frame["no_stance"] = frame["label"] == NO_STANCE
    if "off_topic" not in frame:
        frame["off_topic"] = False
    if "uncertain" not in frame:
        raise ReportError(f"{path}: no 'uncertain' column; relabel with `dprk-stance label`")
    frame["uncertain"] = frame["uncertain"] | frame["no_stance"]
    frame["category"] = np.where(
        frame["no_stance"],
        "no stance",
        np.where(frame["uncertain"], "uncertain", frame["label"]),
    )
    for column in ("date", "year", "journal", "title", "source"):
        if column not in frame:
            frame[column] = pd.NA
    # A date that is only a year ("2016") is a year, not 1 January: it places the document
    # in a year period and leaves it out of month and quarter periods (counted as undated).
    dates = frame["date"].astype("string").str.strip()
    year_only_date = dates.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    # utc: one row with an offset ("2017-03-01T12:00:00+09:00") beside plain dates would
    # otherwise raise; periods are read from the date as given, not shifted to another day
    day = dates.str.replace(r"^(\d{4}-\d{2}-\d{2})[T ].*$", r"\1", regex=True)
    frame["when"] = pd.to_datetime(day.mask(year_only_date), errors="coerce", format="mixed")
    years = frame["year"].astype("string").str.slice(0, 4).fillna(dates.where(year_only_date))
    frame["year_only"] = pd.to_numeric(years, errors="coerce")
    return frame


def _truth(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return False
    return bool(value)


# --- periods ------------------------------------------------------------------------------
def choose_period(dates: pd.Series) -> str:
    """month when dated documents span at most two years, quarter up to eight, else year."""
    dates = dates.dropna()
    if dates.empty:
        return "year"
    days = (dates.max() - dates.min()).days
    if days <= 2 * 366:
        return "month"
    if days <= 8 * 366:
        return "quarter"
    return "year"


MIN_STANCE_PASSAGES = 10  # median confident stance passages per period, or coarser periods


def _coarsen_for_sparse_data(passages: pd.DataFrame, period: str, notes: list[str]) -> str:
    """A coarser period while the median period has fewer than MIN_STANCE_PASSAGES
    confident stance passages (a stance mix of 3 passages says nothing)."""
    stance = passages["label"].isin(STANCES) & ~passages["uncertain"]
    chosen = period
    for candidate in PERIODS[PERIODS.index(period) :]:
        chosen = candidate
        labels = assign_periods(passages, candidate)
        per_period = stance.groupby(labels).sum()
        if per_period.empty or per_period.median() >= MIN_STANCE_PASSAGES:
            break
    if chosen != period:
        notes.append(
            f"Periods of a {chosen}, not a {period}: per {period} the median period held "
            f"fewer than {MIN_STANCE_PASSAGES} confident stance passages (--period overrides)."
        )
    return chosen


def assign_periods(passages: pd.DataFrame, period: str) -> pd.Series:
    """Period label per passage (``2011-03``, ``2011Q1``, ``2011``), NA when undated."""
    freq = _FREQ[period]
    labels = passages["when"].dt.to_period(freq).astype("string")
    if period == "year":
        years = passages["year_only"].map(lambda y: pd.NA if pd.isna(y) else str(int(y)))
        labels = labels.fillna(years.astype("string"))
    return labels


def calendar_periods(periods: Sequence[str], period: str) -> list[str]:
    """Every calendar period from the first to the last of ``periods`` (sorted labels as
    made by ``assign_periods``), those without documents included, so that a chart shows a
    gap as a gap. ``["all"]`` (no dates) is returned as it is."""
    if list(periods) in ([], ["all"]):
        return list(periods)
    span = pd.period_range(periods[0], periods[-1], freq=_FREQ[period])
    return [str(p) for p in span]


def _period_start(label: str, period: str) -> pd.Timestamp:
    return pd.Period(label, freq=_FREQ[period]).start_time


# --- shares with intervals ----------------------------------------------------------------
def document_counts(passages: pd.DataFrame) -> pd.DataFrame:
    """One row per (scope-independent) document and period: passages per category."""
    counts = (
        passages.groupby(["doc", "period", "source_group", "category"], dropna=False)
        .size()
        .unstack("category", fill_value=0)
        .reindex(columns=list(CATEGORIES), fill_value=0)
        .reset_index()
    )
    return counts


def share_table(
    passages: pd.DataFrame,
    periods: Sequence[str],
    options: ReportOptions,
    by_source: bool,
) -> pd.DataFrame:
    """Long table: scope, period, measure, category, count, total, share, low, high.

    ``total`` is the denominator (passages, or confident stance passages), ``documents``
    the documents of the scope in the period; intervals resample whole documents, so a
    period of a single document has none (``low`` and ``high`` empty).
    """
    docs = document_counts(passages)
    scopes: list[tuple[str, pd.DataFrame]] = [("all sources", docs)]
    if by_source:
        scopes += [(str(s), d) for s, d in docs.groupby("source_group", sort=True)]
    rows = []
    for scope, frame in scopes:
        for k, period in enumerate(periods):
            part = frame[frame["period"] == period]
            single = part["doc"].nunique() < 2
            num = part[list(CATEGORIES)].to_numpy(dtype=float)
            stance = num[:, : len(STANCES)]
            seed = options.seed + k
            both = (
                (num, num.sum(axis=1), "share_of_passages", CATEGORIES),
                (stance, stance.sum(axis=1), "share_of_stance_passages", STANCES),
            )
            for values, den, measure, names in both:
                if len(part):
                    ci = _bootstrap(values, den, options, seed)
                else:
                    ci = {key: np.full(len(names), np.nan) for key in ("estimate", "low", "high")}
                for j, name in enumerate(names):
                    rows.append(
                        {
                            "scope": scope,
                            "period": period,
                            "measure": measure,
                            "category": name,
                            "count": int(values[:, j].sum()) if len(part) else 0,
                            "total": int(den.sum()) if len(part) else 0,
                            "documents": int(part["doc"].nunique()),
                            "share": json_number(ci["estimate"][j], 6),
                            # one document: resampling it gives no interval, not a
                            # zero-width one
                            "low": None if single else json_number(ci["low"][j], 6),
                            "high": None if single else json_number(ci["high"][j], 6),
                        }
                    )
    return pd.DataFrame(rows)


def _bootstrap(num: np.ndarray, den: np.ndarray, options: ReportOptions, seed: int) -> dict:
    from dprk_stance.stats import cluster_bootstrap_ratio

    return cluster_bootstrap_ratio(
        num,
        den,
        n_samples=options.bootstrap_samples,
        confidence=options.confidence,
        seed=seed,
    )


# --- turning points -----------------------------------------------------------------------
def detect_turning_points(signal: np.ndarray, min_size: int = 2) -> tuple[list[int], dict]:
    """Indices where a new segment starts in ``signal`` (T, d), by PELT; see the module doc.

    Returns the break indices (0 < k < T) and the rule's facts (sigma per series, penalty).
    Fewer than ``2 * min_size`` periods, or series without any variation, give no breaks.
    """
    import ruptures as rpt

    signal = np.asarray(signal, dtype=float)
    if signal.ndim == 1:
        signal = signal[:, None]
    t, d = signal.shape
    facts: dict[str, Any] = {"periods": t, "series": d, "min_size": min_size}
    if t < 2 * min_size:
        facts["skipped"] = f"{t} periods: fewer than two segments of {min_size}"
        return [], facts
    diffs = np.diff(signal, axis=0)
    sigma = 1.4826 * np.median(np.abs(diffs - np.median(diffs, axis=0)), axis=0) / np.sqrt(2)
    fallback = signal.std(axis=0, ddof=1)
    sigma = np.where(sigma > 1e-9, sigma, fallback)
    keep = sigma > 1e-9
    if not keep.any():
        facts["skipped"] = "the series do not vary"
        return [], facts
    scaled = (signal[:, keep] - signal[:, keep].mean(axis=0)) / sigma[keep]
    penalty = PENALTY_FACTOR * (keep.sum() + 1) * math.log(t)
    breaks = rpt.Pelt(model="l2", min_size=min_size, jump=1).fit(scaled).predict(pen=penalty)
    facts.update(sigma=[float(s) for s in sigma], penalty=float(penalty))
    return [int(b) for b in breaks if b < t], facts


def turning_point_table(shares: pd.DataFrame, periods: Sequence[str], options: ReportOptions):
    """Turning points of the overall stance mix with pooled shares before and after.

    Returns (rows, facts): one dict per turning point (``period`` where the new segment
    starts, its start date, the segments' ranges, and for each stance and for no stance
    the pooled share before and after), and the detection facts.
    """
    overall = shares[shares["scope"] == "all sources"]
    mix = overall[overall["measure"] == "share_of_stance_passages"].pivot(
        index="period", columns="category", values="share"
    )
    mix = mix.reindex(index=list(periods), columns=list(STANCES))
    usable = [p for p in periods if mix.loc[p].notna().all()]
    breaks, facts = detect_turning_points(
        mix.loc[usable].to_numpy(dtype=float), options.min_segment
    )
    facts["periods_used"] = len(usable)
    facts["periods_left_out"] = [p for p in periods if p not in usable]
    counts = overall.pivot_table(
        index="period", columns=["measure", "category"], values="count", aggfunc="sum"
    ).reindex(index=list(periods))
    bounds = [0, *breaks, len(usable)]
    rows = []
    for n, k in enumerate(breaks):
        before = usable[bounds[n] : k]
        after = usable[k : bounds[n + 2]]
        row: dict[str, Any] = {
            "period": usable[k],
            "date": str(
                _period_start(usable[k], options.period or "month").date()
                if usable[k] != "all"
                else ""
            ),
            "before": f"{before[0]} – {before[-1]}",
            "after": f"{after[0]} – {after[-1]}",
        }
        for label, segment in (("before", before), ("after", after)):
            c = counts.loc[segment]
            stance_counts = c["share_of_stance_passages"][list(STANCES)].sum()
            all_counts = c["share_of_passages"][list(CATEGORIES)].sum()
            for stance in STANCES:
                row[f"{stance} {label}"] = json_number(
                    stance_counts[stance] / stance_counts.sum(), 6
                )
            row[f"no stance {label}"] = json_number(all_counts["no stance"] / all_counts.sum(), 6)
        rows.append(row)
    return rows, facts


# --- evidence and highlighting --------------------------------------------------------------
def confident(passages: pd.DataFrame) -> pd.Series:
    """Passages that may be shown as evidence: a stance label, no flag of any kind."""
    return (
        passages["label"].isin(STANCES)
        & ~passages["uncertain"]
        & ~passages["no_stance"]
        & ~passages["off_topic"]
    )


def pick_evidence(passages: pd.DataFrame, per_cell: int) -> pd.DataFrame:
    """Per stance and period, the most probable confident passages of it, one per document."""
    pool = passages[confident(passages) & passages["period"].notna()].copy()
    if pool.empty:
        return pool.assign(p=pd.Series(dtype=float))
    columns = [PROB_COLUMNS.index(prob_column(label)) for label in pool["label"]]
    pool["p"] = pool[list(PROB_COLUMNS)].to_numpy(dtype=float)[np.arange(len(pool)), columns]
    pool = pool.sort_values(["label", "period", "p"], ascending=[True, True, False], kind="stable")
    pool = pool.drop_duplicates(["label", "period", "doc"])
    return pool.groupby(["label", "period"], sort=False).head(per_cell)


def _recorded(passages: pd.DataFrame, runs: list[dict[str, Any]], key: str) -> list[str]:
    """Distinct values of ``key`` (model, model_sha256) in the run reports and the rows."""
    values = {r.get("run", {}).get(key) for r in runs}
    if key in passages:
        values |= set(passages[key].dropna().astype(str).unique())
    return sorted(v for v in values if v)


def _load_explainer(
    options: ReportOptions,
    runs: list[dict[str, Any]],
    passages: pd.DataFrame,
    notes: list[str],
):
    from dprk_stance.models import load_model

    recorded = _recorded(passages, runs, "model")
    source = options.model or (recorded[0] if len(recorded) == 1 else None)
    if source is None:
        notes.append(
            "No word highlighting: give --model DIR"
            + (" (the runs used different models)" if len(recorded) > 1 else "")
            + "."
        )
        return None
    if not Path(source).is_dir():
        notes.append(f"No word highlighting: the model directory {source} does not exist here.")
        return None
    model = load_model(source)
    hashes = _recorded(passages, runs, "model_sha256")
    if hashes and model.content_sha256 not in hashes:
        notes.append(
            f"Highlighting uses {source} (sha256 {str(model.content_sha256)[:12]}), not the "
            f"model that labelled the runs ({', '.join(h[:12] for h in hashes)}): the words "
            "shown are what that model would weigh."
        )
    return model


def explain_rows(model: Any, frame: pd.DataFrame, notes: list[str]) -> dict[int, list]:
    """Row index -> [[start, end, weight], ...] toward each row's label (nonzero words)."""
    from dprk_stance.explain import explain_passages

    if model is None or frame.empty:
        return {}
    out: dict[int, list] = {}
    explanations = explain_passages(
        model, frame["text"].astype(str).tolist(), target=frame["label"].tolist()
    )
    for index, explanation in zip(frame.index, explanations, strict=True):
        out[int(index)] = [
            [t.start, t.end, round(t.weight, 4)] for t in explanation.tokens if t.weight != 0
        ]
    if explanations:
        first = explanations[0]
        note = f"Highlighting: {first.method} ({first.unit})."
        if first.note:
            note += f" {first.note}"
        notes.append(note)
    return out


def highlighted_html_pieces(text: str, spans: list | None) -> list[dict[str, Any]]:
    """Text cut into pieces with a CSS background for weighted words (for the template)."""
    if not spans:
        return [{"text": text, "style": ""}]
    top = max(abs(w) for _, _, w in spans) or 1.0
    pieces, at = [], 0
    for start, end, weight in sorted(spans):
        if start > at:
            pieces.append({"text": text[at:start], "style": ""})
        pieces.append(
            {"text": text[start:end], "style": _background(weight / top), "weight": weight}
        )
        at = end
    if at < len(text):
        pieces.append({"text": text[at:], "style": ""})
    return pieces


def _background(relative: float) -> str:
    """A word's colour: weight relative to the passage's largest; below a fifth, none."""
    if abs(relative) < 0.2:
        return ""
    alpha = min(0.85, abs(relative) * 0.85)
    rgb = "46,160,67" if relative > 0 else "207,34,46"
    return f"background: rgba({rgb},{alpha:.2f})"


# --- the report -----------------------------------------------------------------------------
def build_report(
    runs_in: Sequence[str | Path], out: str | Path, options: ReportOptions | None = None
) -> ReportResult:
    """Read labelling outputs and write the report folder; see the module docstring.

    Raises ReportError (one line, naming the file and row) for unusable inputs and
    ValueError for bad options. Every file is written atomically; a rerun with the same
    inputs and options writes the same tables and figures.
    """
    started = time.perf_counter()
    opts = options or ReportOptions()
    out = Path(out)
    passages, runs = load_runs(runs_in)
    if passages.empty:
        raise ReportError(f"{', '.join(map(str, runs_in))}: no passages to report on")
    notes: list[str] = []
    period = opts.period or choose_period(passages["when"])
    if opts.period is None:
        period = _coarsen_for_sparse_data(passages, period, notes)
    opts = ReportOptions(**{**asdict(opts), "period": period})
    passages["period"] = assign_periods(passages, period)
    undated = int(passages["period"].isna().sum())
    if undated == len(passages):
        passages["period"] = period = "all"
        notes.append(
            "No passage carries a date: the report has one period, 'all'. Give `label` "
            "documents with dates (a date column, a metadata.csv sidecar or dated file "
            "names) for the narrative over time."
        )
        undated = 0
    elif undated:
        notes.append(
            f"{undated} passages of {passages.loc[passages['period'].isna(), 'doc'].nunique()} "
            f"documents carry no date usable per {period}: left out of the time series and "
            "the evidence, kept in the documents table."
        )
    journals = passages["journal"].astype("string")
    if journals.notna().any():
        passages["source_group"] = journals.fillna("(no journal)")
    elif len(runs) > 1:
        passages["source_group"] = passages["run"].map(lambda i: Path(runs[i]["output"]).stem)
    else:
        passages["source_group"] = "(one source)"
    sources = sorted(passages["source_group"].unique())
    by_source = len(sources) > 1
    dated = passages[passages["period"].notna()]
    periods = sorted(dated["period"].unique(), key=lambda p: (len(p), p))
    periods = sorted(periods, key=lambda p: _period_start(p, period) if p != "all" else 0)

    shares = share_table(dated, periods, opts, by_source)
    lone = shares[(shares["scope"] == "all sources") & (shares["documents"] == 1)]
    if len(lone):
        notes.append(
            f"{lone['period'].nunique()} of {len(periods)} periods hold a single document: "
            "their shares carry no interval ([–, –]); a document-bootstrap needs two or more."
        )
    turning, facts = turning_point_table(shares, periods, opts)

    figures_dir, tables_dir = out / "figures", out / "tables"
    tables = _write_tables(shares, turning, tables_dir, opts)
    model = _load_explainer(opts, runs, passages, notes)
    evidence = pick_evidence(dated, opts.evidence_per_cell)
    explain_pool = evidence
    rest = passages[confident(passages) & ~passages.index.isin(evidence.index)]
    limit = opts.highlight_limit
    if limit is None and model is not None:
        limit = 3000 if model.kind in LINEAR_KINDS else 0
    if model is not None and limit and len(rest):
        explain_pool = pd.concat([evidence, rest.head(limit)])
    if model is not None and len(rest) > (limit or 0):
        notes.append(
            f"Words highlighted in the documents table for {min(limit or 0, len(rest))} of "
            f"{len(rest)} confident stance passages besides the evidence"
            + ("" if limit else f" (`{model.kind}` is slow to explain: seconds a passage)")
            + "; --highlight-limit N for more."
        )
    highlights = explain_rows(model, explain_pool, notes)
    evidence_table = _evidence_table(evidence, highlights)
    write_table(tables_dir / "evidence.csv", evidence_table)
    tables.append(tables_dir / "evidence.csv")

    figures = _write_figures(shares, turning, periods, period, sources, by_source, figures_dir)
    provenance = _provenance(runs, opts)
    manifest = {
        "dprk_stance_version": __version__,
        "built": provenance["built"],
        "options": asdict(opts),
        "inputs": provenance["runs"],
        "period": period,
        "documents": int(passages["doc"].nunique()),
        "passages": len(passages),
        "undated_passages": undated,
        "turning_points": turning,
        "turning_point_rule": facts,
        "notes": notes,
    }
    write_json(out / "report.json", manifest)
    html = _render(
        passages=passages,
        periods=periods,
        period=period,
        sources=sources,
        shares=shares,
        turning=turning,
        facts=facts,
        evidence=evidence,
        highlights=highlights,
        figures=figures,
        tables=tables,
        provenance=provenance,
        notes=notes,
        options=opts,
        out=out,
    )
    index = out / "index.html"
    write_text(index, html)
    return ReportResult(
        out=out,
        index=index,
        period=period,
        documents=int(passages["doc"].nunique()),
        passages=len(passages),
        undated_passages=undated,
        turning_points=turning,
        figures=figures,
        tables=tables,
        notes=notes,
        highlighted=len(highlights),
        seconds=time.perf_counter() - started,
    )


def _write_tables(
    shares: pd.DataFrame, turning: list[dict], folder: Path, opts: ReportOptions
) -> list[Path]:
    write_table(folder / "shares.csv", shares)
    columns = ["period", "date", "before", "after"] + [
        f"{name} {side}" for side in ("before", "after") for name in (*STANCES, "no stance")
    ]
    write_table(folder / "turning_points.csv", pd.DataFrame(turning, columns=columns))
    write_text(folder / "shares.tex", shares_latex(shares, opts.confidence))
    return [folder / "shares.csv", folder / "turning_points.csv", folder / "shares.tex"]


def shares_latex(shares: pd.DataFrame, confidence: float) -> str:
    """A booktabs table: per period, each category's share of passages with its interval."""
    overall = shares[(shares["scope"] == "all sources") & (shares["measure"] == MEASURES[0])]

    def cell(row: pd.Series) -> str:
        if row["share"] is None or pd.isna(row["share"]):
            return "--"
        if row["low"] is None or pd.isna(row["low"]):  # a single document: no interval
            return f"{100 * row['share']:.1f} [--]"
        return f"{100 * row['share']:.1f} [{100 * row['low']:.1f}, {100 * row['high']:.1f}]"

    periods = list(dict.fromkeys(overall["period"]))
    lines = [
        "% dprk-stance report: share of passages (%) per period, "
        f"{round(100 * confidence)}% document-bootstrap intervals",
        "\\begin{tabular}{l" + "r" * (len(CATEGORIES) + 1) + "}",
        "\\toprule",
        "period & " + " & ".join(_latex_escape(c) for c in CATEGORIES) + " & passages \\\\",
        "\\midrule",
    ]
    for period in periods:
        rows = overall[overall["period"] == period].set_index("category")
        cells = [cell(rows.loc[c]) for c in CATEGORIES]
        total = int(rows["total"].iloc[0])
        lines.append(f"{_latex_escape(period)} & " + " & ".join(cells) + f" & {total} \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)


def _latex_escape(text: str) -> str:
    for a, b in (("\\", "\\textbackslash{}"), ("&", "\\&"), ("%", "\\%"), ("_", "\\_")):
        text = text.replace(a, b)
    return text


def _evidence_table(evidence: pd.DataFrame, highlights: dict[int, list]) -> pd.DataFrame:
    rows = []
    for index, row in evidence.iterrows():
        spans = highlights.get(int(index)) or []
        top = sorted((s for s in spans if s[2] > 0), key=lambda s: -s[2])[:6]
        rows.append(
            {
                "stance": row["label"],
                "period": row["period"],
                "doc_id": row["doc_id"],
                "date": _text(row["date"]),
                "source": row["source_group"],
                "title": _text(row["title"]),
                "passage": row.get("passage"),
                "probability": round(float(row["p"]), 4),
                "top_words": "; ".join(str(row["text"])[s:e] for s, e, _ in top),
                "text": row["text"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "stance",
            "period",
            "doc_id",
            "date",
            "source",
            "title",
            "passage",
            "probability",
            "top_words",
            "text",
        ],
    )


def _text(value: Any) -> str:
    return (
        ""
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )


def _write_figures(
    shares: pd.DataFrame,
    turning: list[dict],
    periods: list[str],
    period: str,
    sources: list[str],
    by_source: bool,
    folder: Path,
) -> list[Path]:
    from dprk_stance.plotting import counts_bars, series_panels

    timeline = calendar_periods(periods, period)
    x = ["all"] if timeline == ["all"] else [_period_start(p, period) for p in timeline]
    breaks = [_period_start(t["period"], period) for t in turning] if periods != ["all"] else []

    def panel(scope: str, measure: str, names: Sequence[str]) -> dict[str, Any]:
        part = shares[(shares["scope"] == scope) & (shares["measure"] == measure)]
        series = {}
        for name in names:
            # a period without documents is NaN, so the line breaks there instead of
            # joining the periods on either side as if the gap had been measured
            rows = part[part["category"] == name].set_index("period").reindex(timeline)
            series[name] = tuple(rows[c].astype(float).to_numpy() for c in ("share", "low", "high"))
        return {"x": x, "series": series}

    figures: list[Path] = []
    figures += series_panels(
        {"all sources": panel("all sources", MEASURES[1], STANCES)},
        ylabel="share of confident stance passages",
        title=f"Which stance prevails, per {period} (95% document-bootstrap intervals; "
        "dotted: turning points)",
        stem=folder / "stance_mix",
        breaks=breaks,
    )
    figures += series_panels(
        {"all sources": panel("all sources", MEASURES[0], CATEGORIES)},
        ylabel="share of all passages",
        title=f"Stance, no stance and uncertain passages, per {period}",
        stem=folder / "shares",
        breaks=breaks,
    )
    overall = shares[(shares["scope"] == "all sources") & (shares["measure"] == MEASURES[0])]
    totals = overall.drop_duplicates("period").set_index("period").reindex(timeline)
    figures += counts_bars(
        timeline,
        {
            "passages": totals["total"].fillna(0).astype(int).tolist(),
            "documents": totals["documents"].fillna(0).astype(int).tolist(),
        },
        f"Passages and documents per {period}",
        folder / "counts",
    )
    for stale in folder.glob("stance_mix_by_source.*"):  # from an earlier run with sources
        stale.unlink()
    if by_source:
        figures += series_panels(
            {s: panel(s, MEASURES[1], STANCES) for s in sources},
            ylabel="share of confident stance passages",
            title=f"Which stance prevails, per source and {period}",
            stem=folder / "stance_mix_by_source",
            breaks=breaks,
        )
    return figures


def _provenance(runs: list[dict[str, Any]], opts: ReportOptions) -> dict[str, Any]:
    """What a citation needs: per run its file hash and whatever its run report records,
    nested records (the run's citation, its model) flattened to dotted keys for the table."""
    skip = {"failures", "ignored", "outputs", "skipped_by_kind"}

    def flat(prefix: str, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, inner in value.items():
                out.update(flat(f"{prefix}.{key}" if prefix else key, inner))
            return out
        return {prefix: value}

    return {
        "runs": [flat("", {k: v for k, v in run.items() if k not in skip}) for run in runs],
        "built": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "options": asdict(opts),
    }


def _citation(provenance: dict[str, Any]) -> str:
    """One sentence to paste under a figure: tool version, models (kind, content hash, the
    commit and corpus version they were trained from), labelling outputs and dates."""
    runs = provenance["runs"]
    models = sorted(
        {
            " ".join(
                part
                for part in (
                    str(r.get("citation.model.kind") or "model"),
                    f"sha256 {str(r.get('run.model_sha256'))[:12]}",
                    f"(trained at commit {str(r['citation.model.commit'])[:10]}"
                    + (" with uncommitted changes" if r.get("citation.model.dirty") else "")
                    + f", corpus {r.get('citation.model.corpus_version')})"
                    if r.get("citation.model.commit")
                    else "",
                )
                if part
            )
            for r in runs
            if r.get("run.model_sha256")
        }
    )
    versions = sorted(
        {str(r[k]) for r in runs for k in r if k.endswith("version") and "model" not in k}
        | {provenance["version"]}
    )
    labelled = sorted(
        {str(r["citation.labelled_at"])[:10] for r in runs if r.get("citation.labelled_at")}
    )
    return (
        f"Stance shares measured with dprk-stance {', '.join(versions)}"
        + (f"; {'; '.join(models)}" if models else "")
        + f"; labelling output(s) sha256 {', '.join(r['output_sha256'][:12] for r in runs)}"
        + (f", labelled {', '.join(labelled)}" if labelled else "")
        + f"; report built {provenance['built']}."
    )


def _render(**context: Any) -> str:
    from importlib.resources import files

    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        files("dprk_stance").joinpath("resources/report.html.j2").read_text(encoding="utf-8")
    )
    out: Path = context["out"]
    passages: pd.DataFrame = context["passages"]
    opts: ReportOptions = context["options"]
    highlights: dict[int, list] = context["highlights"]
    shares: pd.DataFrame = context["shares"]

    evidence_cells: dict[str, dict[str, list]] = {s: {} for s in STANCES}
    for index, row in context["evidence"].iterrows():
        evidence_cells[row["label"]].setdefault(row["period"], []).append(
            {
                "doc_id": row["doc_id"],
                "date": _text(row["date"]),
                "source": row["source_group"],
                "title": _text(row["title"]),
                "p": row["p"],
                "pieces": highlighted_html_pieces(str(row["text"]), highlights.get(int(index))),
            }
        )
    overall = shares[(shares["scope"] == "all sources")]
    share_rows = []
    for period in context["periods"]:
        part = overall[overall["period"] == period]
        cells = {}
        for measure in MEASURES:
            for _, r in part[part["measure"] == measure].iterrows():
                cells[(measure, r["category"])] = r
        first = part.iloc[0] if len(part) else None
        share_rows.append(
            {
                "period": period,
                "documents": int(first["documents"]) if first is not None else 0,
                "passages": int(
                    part[part["measure"] == MEASURES[0]]["total"].iloc[0] if len(part) else 0
                ),
                "cells": cells,
            }
        )
    rows = _table_rows(passages, highlights, opts)
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return template.render(
        **context,
        version=__version__,
        stances=STANCES,
        categories=CATEGORIES,
        measures=MEASURES,
        share_rows=share_rows,
        evidence_cells=evidence_cells,
        figure_names=list(dict.fromkeys(p.stem for p in context["figures"])),
        figure_rel=lambda p: p.relative_to(out).as_posix(),
        table_rel=[p.relative_to(out).as_posix() for p in context["tables"]],
        data=data,
        citation=_citation(context["provenance"]),
        pct=lambda v: "–" if v is None or pd.isna(v) else f"{100 * v:.1f}",
        labels=LABELS,
    )


def _table_rows(
    passages: pd.DataFrame, highlights: dict[int, list], opts: ReportOptions
) -> list[list]:
    """Compact rows for the documents table's JavaScript (field order in the template)."""
    probs = passages[list(PROB_COLUMNS)].to_numpy(dtype=float).round(3).tolist()
    limit = opts.table_text_chars
    numbers = (
        pd.to_numeric(passages["passage"], errors="coerce").fillna(-1).astype(int).tolist()
        if "passage" in passages
        else [-1] * len(passages)
    )
    columns = zip(
        passages.index.tolist(),
        passages["doc_id"].astype(str).tolist(),
        passages["date"].map(_text).tolist(),
        passages["period"].map(_text).tolist(),
        passages["source_group"].astype(str).tolist(),
        passages["title"].map(_text).tolist(),
        numbers,
        passages["label"].astype(str).tolist(),
        probs,
        passages["no_stance"].astype(bool).tolist(),
        passages["off_topic"].astype(bool).tolist(),
        passages["uncertain"].astype(bool).tolist(),
        passages["text"].astype(str).tolist(),
        strict=True,
    )
    out = []
    for index, doc, date, period, source, title, number, label, p, no, off, unc, text in columns:
        cut = text[:limit]
        spans = [s for s in (highlights.get(int(index)) or []) if s[1] <= len(cut)]
        more = "…" if len(text) > len(cut) else ""
        out.append(
            [doc, date, period, source, title, number, label, p, no, off, unc, cut + more, spans]
        )
    return out
