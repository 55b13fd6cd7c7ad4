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
  its tf-idf member as the speed prefilter). Beside the labels, ``data/real`` keeps every
  claim of that draw with its stance, confidence and, if dropped, the paragraph it nearly
  copies (``kcna_t3_claims.csv``), and the pool sizes, model hashes and the check of the
  prefilter (``kcna_t3_draw.json``). To draw it again, rebuild those models in a separate
  worktree, on 2 CPU cores with ``params.yaml``'s ``threads: 0`` (the neural models' sums
  depend on the thread count; the same seed, data and thread count give the same content
  hash), then::

    git worktree add ../v0359b0d 0359b0d
    (cd ../v0359b0d && bash scripts/setup.sh && . .venv/bin/activate && dvc repro train-ensemble)
    python scripts/kcna_sample.py --claims t3 ../v0359b0d/models/ensemble \
        ../v0359b0d/models/tfidf-logreg /tmp/kcna_t3.jsonl

  It writes ``/tmp/kcna_t3.jsonl`` (text, for the annotators) and, beside it,
  ``kcna_t3.jsonl.claims.csv`` and ``kcna_t3.jsonl.draw.json``. A later round passes its
  own name (``--claims t4 models/ensemble models/tfidf-logreg OUT``): every labelled
  paragraph of another round is excluded and avoided.

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
    read_labelled,
    sample_paragraphs,
    story_paragraph_keys,
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


CHECK_SKIPPED = 6000  # prefilter-skipped paragraphs the ensemble scores anyway (seed 0)


def claims(
    round_name: str,
    model_dir: str,
    prefilter_dir: str,
    out: str,
    archive: str = str(KCNA_ARCHIVE),
) -> None:
    """Draw round ``round_name``: ``out`` (JSON Lines with text, for the annotators), and
    beside it ``<out>.claims.csv`` (every claim: stance, confidence, kept or the paragraph
    it nearly copies) and ``<out>.draw.json`` (pool sizes, models, the prefilter check)."""
    from dprk_stance.models import load_model

    gold, gold_rejects = read_labelled(GOLD, archive)
    training, training_rejects = read_labelled(TRAINING, archive)
    if gold_rejects or training_rejects:  # every label row must be read: none may be drawn again
        first = (gold_rejects + training_rejects)[0]
        sys.exit(f"{first['file']}, line {first['line']}: {first['reason']}")
    other = training[~training["stratum"].str.startswith(f"{round_name}-")]
    exclude = {
        (story, int(key.rsplit("#", 1)[1]))
        for story, key in zip(other["doc_id"], other["id"], strict=True)
    }
    exclude |= story_paragraph_keys(archive, set(gold["doc_id"]))
    model, prefilter = load_model(model_dir), load_model(prefilter_dir)
    avoid_ids = [*gold["id"], *other["id"]]
    draw = claims_sample(
        archive,
        model,
        round_name=round_name,
        exclude=exclude,
        avoid=[*gold["text"], *other["text"]],
        prefilter=prefilter,
        check_skipped=CHECK_SKIPPED,
    )
    _write(draw.kept, out, f"round {round_name} claimed")
    rows = [{**item, "kept": "yes", "near_copy_of": ""} for item in draw.kept] + [
        {**item, "kept": "no"} for item in draw.dropped
    ]
    with open(f"{out}.claims.csv", "w", encoding="utf-8", newline="") as fh:
        fields = ["story_id", "paragraph", "claimed", "confidence", "kept", "near_copy_of"]
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r["story_id"], r["paragraph"])):
            copy = row["near_copy_of"]
            if copy.startswith("avoid["):
                copy = avoid_ids[int(copy[6:-1])]
            writer.writerow({**row, "confidence": f"{row['confidence']:.3f}", "near_copy_of": copy})
    summary = {
        "round": round_name,
        "model": {"path": model_dir, "content_sha256": model.content_sha256},
        "prefilter": {"path": prefilter_dir, "content_sha256": prefilter.content_sha256},
        "abstain_threshold": model.abstain_threshold,
        "pool": draw.pool,
        "scored": draw.scored,
        "claimed": len(draw.kept) + len(draw.dropped),
        "kept": len(draw.kept),
        "skipped_checked": draw.skipped_checked,
        "skipped_claimed": draw.skipped_claimed,
        "skipped_max_stance_probability": draw.skipped_max_stance,
    }
    Path(f"{out}.draw.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


USAGE = """usage:
  python scripts/kcna_sample.py OUT                      the evaluation set
  python scripts/kcna_sample.py --training OUT           rounds t1, t2
  python scripts/kcna_sample.py --claims ROUND MODEL PREFILTER OUT   a claims round"""


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--training"] and len(args) in (2, 3):
        training(*args[1:])
    elif args[:1] == ["--claims"] and len(args) in (5, 6):
        claims(*args[1:])
    elif len(args) in (1, 2) and not args[0].startswith("--"):
        evaluation(*args)
    else:
        sys.exit(USAGE)
