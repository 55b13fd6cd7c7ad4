"""Which passages are worth an analyst's time: a labelling queue from labelling outputs.

``dprk-stance suggest`` reads one or more ``dprk-stance label`` outputs and picks ``n``
passages by a strategy:

- ``uncertainty``: least confident first (lowest calibrated top-class probability);
- ``disagreement``: two runs over the same passages (same documents, same segmentation,
  e.g. two models), passages whose labels differ first, then by total-variation distance
  between the two probability vectors;
- ``diverse``: k-means (k = n) over word TF-IDF vectors of the passages, the most uncertain
  passage of each cluster, so one topic cannot fill the queue;
- ``random``: a uniform sample (the baseline every other strategy must beat).

Never two near-duplicates: a passage whose character 3-5-gram TF-IDF cosine similarity to
one already chosen is at or above ``near_duplicate`` (default 0.8: the same wire story
reprinted with a changed dateline or a sentence added) is skipped and the next one taken.

The queue is written as a CSV for a spreadsheet (fill in ``label``) and as Label Studio
tasks (``*.tasks.json``) with the model's labels as pre-annotations (``predictions``), next
to the Label Studio labelling config (``*.label_config.xml``). Each row carries what
``import-labels`` needs to check the label back in: document id and source file, passage
index and character span, the text and its SHA-256, the run and the model hash.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.agreement import KEY, align, read_labelled
from dprk_stance.fsutil import write_json, write_table, write_text
from dprk_stance.stances import LABELS, NO_STANCE, PROB_COLUMNS

log = logging.getLogger(__name__)

STRATEGIES = ("uncertainty", "disagreement", "diverse", "random")
NEAR_DUPLICATE = 0.8
FROM_NAME, TO_NAME = "stance", "text"
NO_STANCE_DISPLAY = "no stance"

# Label Studio's text-classification template with the three stances and "no stance"
# (stored as "none", the project's label name, through the choice's alias).
LABEL_CONFIG = f"""<View>
  <Header value="Which stance does this passage argue?"/>
  <Text name="{TO_NAME}" value="$text"/>
  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single-radio" showInLine="true" \
required="true">
    <Choice value="pro-decentralization"/>
    <Choice value="pro-diversification"/>
    <Choice value="conservative"/>
    <Choice value="{NO_STANCE_DISPLAY}" alias="{NO_STANCE}"/>
  </Choices>
  <Header value="$queue_id" size="6"/>
</View>
"""

# Columns of the spreadsheet queue, in order; annotators fill in ``label`` (and ``notes``).
QUEUE_COLUMNS = (
    "queue_id",
    "doc_id",
    "passage",
    "start",
    "end",
    "title",
    "date",
    "year",
    "journal",
    "text",
    "label",
    "notes",
    "model_label",
    "model_confidence",
    *PROB_COLUMNS,
    "other_model_label",
    "strategy",
    "score",
    "source_document",
    "source_run",
    "model",
    "model_sha256",
    "text_sha256",
)


class SuggestError(ValueError):
    """The runs cannot serve the strategy (e.g. ``disagreement`` without two aligned runs)."""


@dataclass(frozen=True)
class Queue:
    csv: Path
    tasks: Path
    config: Path
    rows: int


def text_sha256(text: str) -> str:
    """Hex SHA-256 of a passage's text as the labelling run wrote it (already normalised)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passage_key(doc_id: Any, start: Any, end: Any) -> tuple[str, int, int]:
    """A passage's identity across files: (document id as a string, start, end)."""
    if isinstance(doc_id, float) and doc_id.is_integer():
        doc_id = int(doc_id)
    return str(doc_id), int(start), int(end)


def load_runs(paths: Sequence[str | Path]) -> list[pd.DataFrame]:
    """Each labelling output as a frame with ``source_run`` (its path) added."""
    frames = []
    for path in paths:
        frame = read_labelled(path).reset_index(drop=True)
        frame["doc_id"] = [passage_key(d, 0, 0)[0] for d in frame["doc_id"]]
        frame["source_run"] = str(path)
        frames.append(frame)
    return frames


def uncertainty_scores(probs: np.ndarray) -> np.ndarray:
    """Least confidence, 1 - max probability; ``probs`` is (n, 4); higher = more uncertain."""
    return 1.0 - np.asarray(probs, dtype=float).max(axis=1)


def disagreement_frame(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows of run ``a`` that have an identical passage in ``b``, with ``score`` and
    ``other_model_label``: labels that differ score 1 + total-variation distance, labels that
    agree the distance alone (in [0, 1]). Raises ``SuggestError`` when nothing aligns."""
    pairs = align(a, b)
    pairs = pairs[pairs["exact"]]
    if pairs.empty:
        raise SuggestError(
            "disagreement: the two runs share no passage (same documents, same spans); "
            "label the same inputs with both models"
        )
    left = a.iloc[pairs["ia"].to_numpy()].reset_index(drop=True)
    right = b.iloc[pairs["ib"].to_numpy()].reset_index(drop=True)
    pa = left[list(PROB_COLUMNS)].to_numpy(dtype=float)
    pb = right[list(PROB_COLUMNS)].to_numpy(dtype=float)
    distance = 0.5 * np.abs(pa - pb).sum(axis=1)
    differ = (left["label"].to_numpy() != right["label"].to_numpy()).astype(float)
    out = left.copy()
    out["score"] = differ + distance
    out["other_model_label"] = right["label"].to_numpy()
    out["other_model_sha256"] = right["model_sha256"].to_numpy()
    for column in PROB_COLUMNS:
        out[f"other_{column}"] = right[column].to_numpy()
    return out


def near_duplicate_filter(
    texts: Sequence[str], order: Sequence[int], n: int, threshold: float = NEAR_DUPLICATE
) -> list[int]:
    """The first ``n`` indices of ``order`` of which no two texts are near-duplicates.

    Similarity: cosine of character 3-5-gram TF-IDF vectors (word-boundary aware), fitted on
    ``texts``; a candidate at or above ``threshold`` against any chosen text is skipped.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    order = [int(i) for i in order]
    if not order or n <= 0:
        return []
    # Only the head of the order is ever looked at, so vectorise a window of it (4n, at least
    # 200 passages) and widen the window only when too many were duplicates: a queue of 20
    # from a run of 100,000 passages costs no more than one from 200.
    window = max(4 * n, 200)
    while True:
        head = order[:window]
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        matrix = vectors.fit_transform([texts[i] for i in head])  # rows are L2-normalised
        chosen: list[int] = []  # positions in head
        for pos in range(len(head)):
            if chosen and (matrix[chosen] @ matrix[pos].T).max() >= threshold:
                continue
            chosen.append(pos)
            if len(chosen) == n:
                break
        if len(chosen) == n or window >= len(order):
            return [head[pos] for pos in chosen]
        window *= 4


def diverse_order(texts: Sequence[str], uncertainty: np.ndarray, k: int, seed: int) -> list[int]:
    """Candidate order for ``diverse``: k-means (word TF-IDF) clusters, the most uncertain
    passage of each cluster first (clusters by their best passage's uncertainty), then every
    other passage by uncertainty."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    k = max(1, min(k, len(texts)))
    matrix = TfidfVectorizer(sublinear_tf=True, min_df=1).fit_transform(list(texts))
    clusters = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(matrix)
    by_uncertainty = np.argsort(-uncertainty, kind="stable")
    firsts: list[int] = []
    seen: set[int] = set()
    for i in by_uncertainty:
        if clusters[i] not in seen:
            seen.add(int(clusters[i]))
            firsts.append(int(i))
    first_set = set(firsts)
    return firsts + [int(i) for i in by_uncertainty if int(i) not in first_set]


def select(
    runs: Sequence[pd.DataFrame],
    n: int,
    strategy: str,
    seed: int = 0,
    near_duplicate: float = NEAR_DUPLICATE,
    exclude: set[tuple[str, int, int]] | None = None,
) -> pd.DataFrame:
    """Up to ``n`` passages from ``runs`` by ``strategy`` (see the module docstring), best
    first, with a ``score`` column (higher = more worth labelling; random: the draw order).

    ``exclude`` holds passage keys (:func:`passage_key`) already labelled. Raises
    ``SuggestError`` for an unknown strategy or runs that cannot serve it.
    """
    if strategy not in STRATEGIES:
        raise SuggestError(f"unknown strategy {strategy!r}; one of {list(STRATEGIES)}")
    if n < 1:
        raise SuggestError(f"--n {n}: ask for at least one passage")
    if strategy == "disagreement":
        if len(runs) != 2:
            raise SuggestError(
                f"disagreement needs exactly two runs over the same passages, got {len(runs)}"
            )
        pool = disagreement_frame(runs[0], runs[1])
    else:
        pool = pd.concat(runs, ignore_index=True)
        pool["other_model_label"] = None
        pool = pool.drop_duplicates(subset=KEY, keep="first").reset_index(drop=True)
        pool["score"] = uncertainty_scores(pool[list(PROB_COLUMNS)].to_numpy(dtype=float))
    if exclude:
        keys = [
            passage_key(d, s, e)
            for d, s, e in zip(pool["doc_id"], pool["start"], pool["end"], strict=True)
        ]
        pool = pool[[k not in exclude for k in keys]].reset_index(drop=True)
    if pool.empty:
        return pool
    texts = pool["text"].astype(str).tolist()
    if strategy == "random":
        order = np.random.default_rng(seed).permutation(len(pool))
        pool["score"] = 0.0
    elif strategy == "diverse":
        order = diverse_order(texts, pool["score"].to_numpy(dtype=float), n, seed)
    else:
        order = np.argsort(-pool["score"].to_numpy(dtype=float), kind="stable")
    chosen = near_duplicate_filter(texts, order, n, near_duplicate)
    picked = pool.iloc[chosen].reset_index(drop=True)
    if strategy == "random":
        picked["score"] = np.arange(len(picked), 0, -1, dtype=float) / max(len(picked), 1)
    picked["strategy"] = strategy
    return picked


def queue_rows(picked: pd.DataFrame) -> pd.DataFrame:
    """The spreadsheet queue (``QUEUE_COLUMNS``) for selected passages."""
    rows = pd.DataFrame(index=picked.index)
    for column in QUEUE_COLUMNS:
        rows[column] = picked.get(column, None)
    rows["source_document"] = picked["source"]
    rows["model_label"] = picked["label"]
    rows["model_confidence"] = picked[list(PROB_COLUMNS)].to_numpy(dtype=float).max(axis=1)
    rows["text_sha256"] = [text_sha256(str(t)) for t in picked["text"]]
    rows["queue_id"] = [
        f"{d}:{int(p)}:{int(s)}-{int(e)}"
        for d, p, s, e in zip(
            picked["doc_id"], picked["passage"], picked["start"], picked["end"], strict=True
        )
    ]
    rows["label"] = ""
    rows["notes"] = ""
    return rows


def _choice(label: str) -> str:
    return NO_STANCE if label == NO_STANCE else label


def label_studio_tasks(picked: pd.DataFrame, rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Label Studio import tasks: ``data`` (the queue row without the label to fill in) and
    the model's label as a ``predictions`` pre-annotation (two, for ``disagreement``)."""
    tasks = []
    for i in range(len(rows)):
        data = {
            k: _plain(v)
            for k, v in rows.iloc[i].items()
            if k not in ("label", "notes") and _plain(v) is not None
        }
        predictions = [
            _prediction(
                picked.iloc[i]["label"], data["model_confidence"], picked.iloc[i]["model_sha256"]
            )
        ]
        if "other_model_sha256" in picked and picked.iloc[i]["other_model_label"] is not None:
            other = picked.iloc[i]
            predictions.append(
                _prediction(
                    other["other_model_label"],
                    float(max(other[f"other_{c}"] for c in PROB_COLUMNS)),
                    other["other_model_sha256"],
                )
            )
        tasks.append({"data": data, "predictions": predictions})
    return tasks


def _prediction(label: str, score: float, model_sha256: str) -> dict[str, Any]:
    return {
        "model_version": str(model_sha256)[:12],
        "score": float(score),
        "result": [
            {
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "type": "choices",
                "value": {"choices": [_choice(str(label))]},
            }
        ],
    }


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy/pandas scalars to Python, missing values to None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def queue_paths(out: str | Path) -> dict[str, Path]:
    """``--out queue/round-1`` (or ``round-1.csv``) -> the CSV, the tasks and the config."""
    out = Path(out)
    stem = out.with_suffix("") if out.suffix.lower() in (".csv", ".json") else out
    return {
        "csv": Path(f"{stem}.csv"),
        "tasks": Path(f"{stem}.tasks.json"),
        "config": Path(f"{stem}.label_config.xml"),
    }


def suggest(
    runs: Sequence[str | Path],
    n: int,
    strategy: str,
    out: str | Path,
    seed: int = 0,
    near_duplicate: float = NEAR_DUPLICATE,
    exclude: set[tuple[str, int, int]] | None = None,
) -> Queue:
    """Select passages from the labelling outputs ``runs`` and write the queue atomically.

    Raises ``ValueError`` (a ``SuggestError``) naming the problem when a run is not a
    labelling output or cannot serve the strategy.
    """
    if not 0 < near_duplicate <= 1:
        raise SuggestError(f"--near-duplicate {near_duplicate}: a cosine similarity in (0, 1]")
    picked = select(load_runs(runs), n, strategy, seed, near_duplicate, exclude)
    if len(picked) < n:
        log.warning("only %d passages to suggest (asked for %d)", len(picked), n)
    rows = queue_rows(picked)
    paths = queue_paths(out)
    write_table(paths["csv"], rows)
    write_json(paths["tasks"], label_studio_tasks(picked, rows))
    write_text(paths["config"], LABEL_CONFIG)
    return Queue(csv=paths["csv"], tasks=paths["tasks"], config=paths["config"], rows=len(rows))


def labels_for_spreadsheet() -> str:
    """The values the ``label`` column accepts (for help texts)."""
    return ", ".join([*LABELS[:-1], f"{NO_STANCE} (or '{NO_STANCE_DISPLAY}')"])
