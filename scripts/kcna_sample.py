"""Draw the KCNA paragraphs that were hand-labelled, for annotators and auditors.

Real text never enters the repo: each command writes the paragraphs, with their text, to a
JSON Lines file OUTSIDE the repository.

* The real-text evaluation set, ``data/eval/kcna_labels.csv``: round 1 (460 paragraphs,
  seed 2011) and round 2 (160 paragraphs naming a policy instrument, seed 2012, excluding
  round 1)::

    python scripts/kcna_sample.py /tmp/kcna_sample.jsonl

* The real-text training set, ``data/real/kcna_train_labels.csv``: rounds t1 (460
  paragraphs, seed 2026; drawn earlier, unlabelled, as the diagnostic sample that chose the
  kinds of corpus batch 13) and t2 (1,171 paragraphs, seed 2027), from stories that have no
  paragraph in the evaluation set::

    python scripts/kcna_sample.py --training /tmp/kcna_training.jsonl

  and round t3: every paragraph outside the gold stories and the other rounds that a
  trained model labels with a confident stance, with near-copies of each other and of any
  labelled paragraph dropped (``realtext.claims_sample``). Round t3 was drawn with the
  default model of commit 0359b0d (``models/ensemble``, content_sha256 ``901a209c5e7b…``;
  its tf-idf member as the speed prefilter); the claims, with the stance and confidence,
  are in ``data/real/kcna_t3_claims.csv``. To draw it again, rebuild those models in a
  separate worktree (same seed, data and thread count give the same content hash), then::

    git worktree add ../v0359b0d 0359b0d
    (cd ../v0359b0d && bash scripts/setup.sh && . .venv/bin/activate && dvc repro train-ensemble)
    python scripts/kcna_sample.py --claims t3 ../v0359b0d/models/ensemble \
        ../v0359b0d/models/tfidf-logreg /tmp/kcna_t3.jsonl

  A later round passes its own name (``--claims t4 models/ensemble models/tfidf-logreg
  OUT``): every labelled paragraph of another round is excluded and avoided.

The label files key each label by story id and paragraph index and store the paragraph's
hash; ``dprk_stance.realtext.read_labelled`` re-reads the text from the archive.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from dprk_stance.realtext import (
    KCNA_ARCHIVE,
    ROUND_2,
    claims_sample,
    iter_stories,
    paragraphs,
    read_labelled,
    sample_paragraphs,
    training_sample,
)

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "data" / "eval" / "kcna_labels.csv"
TRAINING = REPO / "data" / "real" / "kcna_train_labels.csv"


def _write(sample: list[dict], out: str, what: str) -> None:
    with open(out, "w", encoding="utf-8") as fh:
        for n, item in enumerate(sample, start=1):
            fh.write(json.dumps({"n": n, **item}, ensure_ascii=False) + "\n")
    print(f"{len(sample)} {what} paragraphs written to {out}")


def evaluation(out: str, archive: str = str(KCNA_ARCHIVE)) -> None:
    round_1 = sample_paragraphs(archive)
    taken = {(d["story_id"], d["paragraph"]) for d in round_1}
    round_2 = sample_paragraphs(archive, sizes=ROUND_2, seed=2012, exclude=taken)
    sample = [{"round": 1, **d} for d in round_1] + [{"round": 2, **d} for d in round_2]
    _write(sample, out, "evaluation")


def training(out: str, archive: str = str(KCNA_ARCHIVE)) -> None:
    with GOLD.open(encoding="utf-8") as fh:
        gold_stories = {row["story_id"] for row in csv.DictReader(fh)}
    _write(training_sample(archive, gold_stories), out, "training")


def claims(
    round_name: str,
    model_dir: str,
    prefilter_dir: str,
    out: str,
    archive: str = str(KCNA_ARCHIVE),
) -> None:
    from dprk_stance.models import load_model

    with GOLD.open(encoding="utf-8") as fh:
        gold_stories = {row["story_id"] for row in csv.DictReader(fh)}
    gold, _ = read_labelled(GOLD, archive)
    training, _ = read_labelled(TRAINING, archive)
    other = training[~training["stratum"].str.startswith(f"{round_name}-")]
    with TRAINING.open(encoding="utf-8") as fh:
        exclude = {
            (row["story_id"], int(row["paragraph"]))
            for row in csv.DictReader(fh)
            if not row["stratum"].startswith(f"{round_name}-")
        }
    exclude |= {
        (story["id"], index)
        for story in iter_stories(archive)
        if story["id"] in gold_stories
        for index, _ in enumerate(paragraphs(story["text"]))
    }
    model, prefilter = load_model(model_dir), load_model(prefilter_dir)
    sample = claims_sample(
        archive,
        model,
        round_name=round_name,
        exclude=exclude,
        avoid=[*gold["text"], *other["text"]],
        prefilter=prefilter,
    )
    _write(sample, out, f"round {round_name} claimed")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--training"]:
        training(*sys.argv[2:])
    elif sys.argv[1:2] == ["--claims"]:
        claims(*sys.argv[2:])
    else:
        evaluation(*sys.argv[1:])
