"""Draw the KCNA paragraphs that were hand-labelled for the real-text evaluation.

Round 1 (460 paragraphs, seed 2011) and round 2 (160 paragraphs naming a policy instrument,
seed 2012, excluding round 1) are reproduced exactly and written, with their text, to a
JSON Lines file for annotators OUTSIDE the repository (real text never enters the repo):

    python scripts/kcna_sample.py /tmp/kcna_sample.jsonl

With ``--diagnostic``, it instead draws the unlabelled diagnostic sample used to choose the
kinds of corpus batch 13: 460 paragraphs (round-1 strata, seed 2026) from stories that have
no paragraph in the labelled set, so that looking at them never touches the gold set:

    python scripts/kcna_sample.py --diagnostic /tmp/kcna_diagnostic.jsonl

``data/eval/kcna_labels.csv`` keys each label by story id and paragraph index and stores the
paragraph's hash; ``dprk_stance.evaluate.load_real_text`` re-reads the text from the archive.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from dprk_stance.realtext import (
    KCNA_ARCHIVE,
    ROUND_1,
    ROUND_2,
    iter_stories,
    paragraphs,
    sample_paragraphs,
)

GOLD = Path(__file__).resolve().parents[1] / "data" / "eval" / "kcna_labels.csv"


def main(out: str, archive: str = str(KCNA_ARCHIVE)) -> None:
    round_1 = sample_paragraphs(archive)
    taken = {(d["story_id"], d["paragraph"]) for d in round_1}
    round_2 = sample_paragraphs(archive, sizes=ROUND_2, seed=2012, exclude=taken)
    with open(out, "w", encoding="utf-8") as fh:
        for n, item in enumerate(round_1, start=1):
            fh.write(json.dumps({"n": n, "round": 1, **item}, ensure_ascii=False) + "\n")
        for n, item in enumerate(round_2, start=1001):
            fh.write(json.dumps({"n": n, "round": 2, **item}, ensure_ascii=False) + "\n")
    print(f"{len(round_1)} + {len(round_2)} paragraphs written to {out}")


def diagnostic(out: str, archive: str = str(KCNA_ARCHIVE)) -> None:
    with GOLD.open(encoding="utf-8") as fh:
        gold_stories = {row["story_id"] for row in csv.DictReader(fh)}
    exclude = {
        (story["id"], index)
        for story in iter_stories(archive)
        if story["id"] in gold_stories
        for index, _ in enumerate(paragraphs(story["text"]))
    }
    sample = sample_paragraphs(archive, sizes=ROUND_1, seed=2026, exclude=exclude)
    with open(out, "w", encoding="utf-8") as fh:
        for item in sample:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(sample)} diagnostic paragraphs written to {out}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--diagnostic"]:
        diagnostic(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
