"""Reading the pipeline's training data: the split tables (the one place that knows where
they live and how labels become class ids) and the real-text training rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.errors import DprkStanceError
from dprk_stance.realtext import LABELLED_COLUMNS, read_labelled
from dprk_stance.stances import LABEL2ID
from dprk_stance.text import NEAR_DUPLICATE_ACROSS_SPLITS, char_jaccard


def read_split(cfg: Config, name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(cfg.paths.splits_dir) / f"{name}.parquet")


def encode_labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["label"].map(LABEL2ID).to_numpy(dtype=np.int64)


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
