"""Reading the pipeline's labelled data: the split tables (the one place that knows where
they live and how labels become class ids), gold files, the dev set that models are
calibrated on, and the real-text training rows."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.errors import DprkStanceError
from dprk_stance.realtext import LABELLED_COLUMNS, read_labelled
from dprk_stance.stances import LABEL2ID, LABELS
from dprk_stance.text import NEAR_DUPLICATE_ACROSS_SPLITS, char_jaccard, normalize_text


def read_split(cfg: Config, name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(cfg.paths.splits_dir) / f"{name}.parquet")


def encode_labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["label"].map(LABEL2ID).to_numpy(dtype=np.int64)


SHIFTED_DEV = "shifted-dev"  # the ``dev_part`` of rows from ``calibration.shifted_dev``


class DevSetError(DprkStanceError, ValueError):
    """The shifted dev set has a row that cannot be used; calibration must not lose rows."""


def read_dev(cfg: Config) -> pd.DataFrame:
    """The dev set models are calibrated on: the corpus dev split plus the shifted dev set.

    The corpus dev split shares the training corpus's writers, so a temperature or threshold
    fitted on it alone does not transfer to other writing (issue 9). ``calibration.shifted_dev``
    (JSONL/CSV, read like any gold file by :func:`load_gold`) holds passages by other writers;
    its rows are appended with ``dev_part`` ``SHIFTED_DEV`` (the corpus rows get ``"corpus"``).
    ``""`` means the corpus dev split alone. Raises :class:`GoldError` when the file is missing
    and :class:`DevSetError` naming the file, line and reason of the first unusable row, and
    naming the rows that share an id with the corpus dev or test split, an ``evaluate.sets``
    file or the kinds, or whose text nearly copies a passage of those evaluation sets
    (character 5-gram Jaccard >= ``NEAR_DUPLICATE_ACROSS_SPLITS``): calibrating on
    evaluation text flatters it.
    """
    corpus = read_split(cfg, "dev").assign(dev_part="corpus")
    path = cfg.calibration.shifted_dev
    if not path:
        return corpus
    gold = load_gold(path, SHIFTED_DEV)
    if gold.rejects:
        first = gold.rejects[0]
        raise DevSetError(
            f"{first['file']}, line {first['line']}: {first['reason']} "
            f"({len(gold.rejects)} unusable rows in the shifted dev set)"
        )
    _check_apart(path, gold.frame, {"corpus dev split": corpus}, cfg)
    shifted = gold.frame.assign(dev_part=SHIFTED_DEV)
    return pd.concat([corpus, shifted], ignore_index=True)


def _check_apart(
    path: str, dev: pd.DataFrame, others: dict[str, pd.DataFrame], cfg: Config
) -> None:
    """Raise DevSetError when ``dev`` shares an id or nearly copies a passage of the corpus
    test split, an ``evaluate.sets`` file or the kinds (``evaluate.kinds``, when present);
    ``others`` (e.g. the dev split) are checked for ids only. A missing ``evaluate.sets``
    file is an error here too (GoldError). The KCNA gold set is not compared: its text is
    real news, which the shifted dev set's writers never saw."""
    evaluation = {"corpus test split": read_split(cfg, "test")}
    evaluation |= {name: load_gold(file, name).frame for name, file in cfg.evaluate.sets.items()}
    if Path(cfg.evaluate.kinds).is_file():
        evaluation["kinds"] = load_gold(cfg.evaluate.kinds, "kinds").frame
    for name, frame in {**others, **evaluation}.items():
        clash = sorted(set(dev["id"]) & set(frame["id"].astype(str)))
        if clash:
            raise DevSetError(f"{path}: ids also in the {name}: {clash[:5]}")
    for name, frame in evaluation.items():
        similarity = char_jaccard(dev["text"].tolist(), frame["text"].tolist())
        rows, cols = np.nonzero(similarity >= NEAR_DUPLICATE_ACROSS_SPLITS)
        if len(rows):
            pairs = [
                f"{dev['id'].iloc[i]} ~ {frame['id'].iloc[j]} ({similarity[i, j]:.2f})"
                for i, j in zip(rows[:5], cols[:5], strict=True)
            ]
            raise DevSetError(
                f"{path}: {len(set(rows))} passage(s) nearly copy the {name} (character "
                f"5-gram Jaccard >= {NEAR_DUPLICATE_ACROSS_SPLITS}): {', '.join(pairs)}"
            )


class RealTextError(DprkStanceError, ValueError):
    """Real-text training labels that would leak into the real-text evaluation set."""


NEAR_DUPLICATE_REJECT = "gold-near-duplicate"  # such a reject's ``kind``: expected, no fault


def real_text_training(cfg: Config, name: str) -> tuple[pd.DataFrame, list[dict]]:
    """The hand-labelled real-text rows that model ``name`` trains on, and the rejected rows.

    Empty when ``name`` is not in ``real_text.models``, ``real_text.train`` is empty or the
    archive is absent (then every model trains on the corpus alone, and the training summary
    says so). Rows have ``realtext.LABELLED_COLUMNS`` minus ``stratum``, plus ``register``
    (``"kcna-news"``). The archive republishes text under new story ids, so a training
    paragraph whose character 5-gram Jaccard with any gold paragraph reaches
    ``NEAR_DUPLICATE_ACROSS_SPLITS`` is rejected too, with the gold paragraph named and ``kind``
    ``NEAR_DUPLICATE_REJECT`` (the archive's reprints make these expected). Raises
    :class:`RealTextError` naming the file and line of the first training row whose story
    also has a label in ``real_text.gold``: the real-text evaluation must stay on unseen
    stories.
    """
    rt = cfg.real_text
    columns = [c for c in LABELLED_COLUMNS if c != "stratum"] + ["register"]
    if name not in rt.models or not rt.train or not Path(rt.archive).is_file():
        return pd.DataFrame(columns=columns), []
    gold_stories = set(pd.read_csv(rt.gold, dtype={"story_id": str})["story_id"])
    train = pd.read_csv(rt.train, dtype={"story_id": str})
    shared = train["story_id"].isin(gold_stories).to_numpy()
    if shared.any():
        line = int(shared.argmax()) + 2
        raise RealTextError(
            f"{rt.train}, line {line}: story {train['story_id'].iloc[line - 2]} also has a "
            f"label in {rt.gold}; training and evaluation stories must not overlap"
        )
    frame, rejects = read_labelled(rt.train, rt.archive)
    gold, _ = read_labelled(rt.gold, rt.archive)
    similarity = char_jaccard(frame["text"].tolist(), gold["text"].tolist())
    closest = similarity.argmax(axis=1) if len(gold) else np.zeros(len(frame), dtype=int)
    best = similarity.max(axis=1) if len(gold) else np.zeros(len(frame))
    copies = best >= NEAR_DUPLICATE_ACROSS_SPLITS
    lines = {f"{r['story_id']}#{r['paragraph']}": i + 2 for i, r in train.iterrows()}
    near = zip(frame[copies].itertuples(), closest[copies], best[copies], strict=True)
    for row, j, value in near:
        rejects.append(
            {
                "file": str(rt.train),
                "line": lines.get(row.id),
                "kind": NEAR_DUPLICATE_REJECT,
                "reason": (
                    f"near-duplicate of gold paragraph {gold['id'].iloc[j]} (character "
                    f"5-gram Jaccard {value:.2f}): the evaluation must stay on unseen text"
                ),
                "row": {"id": row.id, "label": row.label},
            }
        )
    kept = frame[~copies].drop(columns="stratum").assign(register="kcna-news")
    return kept.reset_index(drop=True)[columns], rejects


class GoldError(DprkStanceError, ValueError):
    """A gold file cannot be used at all (missing, unreadable, or no valid row)."""


@dataclass(frozen=True)
class GoldSet:
    """Hand-labelled passages: ``frame`` has id, doc_id, text, label (+ optional columns)."""

    name: str
    frame: pd.DataFrame
    source: str
    rejects: list[dict[str, Any]]


# --- reading gold ----------------------------------------------------------------------------
def load_gold(path: str | Path, name: str | None = None) -> GoldSet:
    """Read a user's gold file (JSONL or CSV) of passages labelled with LABELS.

    Required per row: ``text`` and ``label`` (a stance or ``none``). Optional: ``id``
    (default ``<file>:<line>``), ``doc_id`` (default: the id; passages of one article should
    share it, for honest intervals), ``year``, ``difficulty``, ``kind``. Rows that cannot be
    used are returned in ``rejects`` with file, line and reason, never dropped silently.

    Raises GoldError when the file is missing or no row is usable.
    """
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"{path}: gold file not found")
    rows, rejects = [], []
    seen: set[str] = set()
    for line, values, problem in _read_records(path):
        reason = problem or _gold_problem(values, seen)
        if reason:
            rejects.append({"file": str(path), "line": line, "reason": reason, "row": values})
            continue
        row_id = str(values.get("id") or f"{path.name}:{line}")
        seen.add(row_id)
        rows.append(
            {
                **{k: v for k, v in values.items() if k in ("year", "difficulty", "kind")},
                "id": row_id,
                "doc_id": str(values.get("doc_id") or row_id),
                "text": normalize_text(values["text"]),
                "label": values["label"].strip(),
            }
        )
    if not rows:
        raise GoldError(f"{path}: no usable rows ({len(rejects)} rejected)")
    return GoldSet(name or path.stem, pd.DataFrame(rows), str(path), rejects)


def _read_records(path: Path):
    """Yield (line, values, problem) for every record of a JSONL or CSV file."""
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for record in reader:
                extra = record.pop(None, None)
                problem = "more fields than header columns" if extra else None
                yield reader.line_num, dict(record), problem
        return
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                values = json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_no, {"raw": line.strip()[:200]}, f"not valid JSON ({exc.msg})"
                continue
            if not isinstance(values, dict):
                yield line_no, {"raw": line.strip()[:200]}, "not a JSON object"
                continue
            yield line_no, values, None


def _gold_problem(values: dict[str, Any], seen: set[str]) -> str | None:
    text, label = values.get("text"), values.get("label")
    if not isinstance(text, str) or not text.strip():
        return "text missing or not a string"
    if not isinstance(label, str) or label.strip() not in LABELS:
        return f"label {label!r} is not one of {list(LABELS)}"
    if values.get("id") is not None and str(values["id"]) in seen:
        return f"duplicate id {values['id']!r}"
    return None
