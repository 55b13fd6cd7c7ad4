"""Does learning from some of a model's false claims carry over to others? (datasheet, t3)

Splits round t3 of the real-text training labels (the previous default's confident claims)
in two halves by story. For each half, tf-idf is trained on the corpus train split plus the
real-text rows of rounds t1–t2, once without and once with the other half of t3, and its
confident claims (passages it does not flag uncertain) on the held-out half are counted with
how many carry the labelled stance. Calibration is on the corpus dev split, as in the
pipeline when the datasheet's figures were measured (the pipeline now adds the shifted dev
set, ``data.read_dev``). Needs the KCNA archive (``real_text.archive``); about 30 s on 2 CPU cores::

    python scripts/kcna_claims_twofold.py
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.data import read_split, real_text_training
from dprk_stance.fit import fit_model
from dprk_stance.stances import LABELS

MODEL = "tfidf-logreg"


def main(params: str = "params.yaml", seed: int = 0) -> dict[str, tuple[int, int, int]]:
    """Print and return, per training set, (held-out paragraphs, claims, claims right)."""
    logging.disable(logging.WARNING)
    cfg = Config.load(params)
    train, dev = read_split(cfg, "train"), read_split(cfg, "dev")
    real, _ = real_text_training(cfg, MODEL)
    labels = pd.read_csv(cfg.real_text.train, dtype=str)
    t3_rows = labels[labels["stratum"].str.startswith("t3-")]
    t3_ids = {f"{s}#{p}" for s, p in zip(t3_rows["story_id"], t3_rows["paragraph"], strict=True)}
    in_t3 = real["id"].isin(t3_ids)
    earlier, t3 = real[~in_t3], real[in_t3]
    stories = sorted(t3["doc_id"].unique())
    np.random.default_rng(seed).shuffle(stories)
    fold = t3["doc_id"].map({s: i % 2 for i, s in enumerate(stories)})
    totals = {"t1-t2": [0, 0, 0], "t1-t2 + other half of t3": [0, 0, 0]}
    for k in (0, 1):
        held, other = t3[fold == k], t3[fold != k]
        y = np.array([LABELS.index(label) for label in held["label"]])
        for name, extra in zip(totals, (earlier, pd.concat([earlier, other])), strict=True):
            model, _ = fit_model(cfg, MODEL, pd.concat([train, extra], ignore_index=True), dev)
            assessment = model.assess(held["text"].tolist())
            claimed = ~assessment.uncertain
            right = claimed & (assessment.predicted == y)
            for i, value in enumerate((len(held), int(claimed.sum()), int(right.sum()))):
                totals[name][i] += value
    for name, (n, claims, right) in totals.items():
        print(
            f"{MODEL} trained on corpus + {name}: {n} held-out t3 paragraphs, {claims} claims, "
            f"{right} right"
        )
    return {name: tuple(v) for name, v in totals.items()}


if __name__ == "__main__":
    main()
