"""Draw the KCNA paragraphs that were hand-labelled for the real-text evaluation.

Round 1 (460 paragraphs, seed 2011) and round 2 (160 paragraphs naming a policy instrument,
seed 2012, excluding round 1) are reproduced exactly and written, with their text, to a
JSON Lines file for annotators OUTSIDE the repository (real text never enters the repo):

    python scripts/kcna_sample.py /tmp/kcna_sample.jsonl

``data/eval/kcna_labels.csv`` keys each label by story id and paragraph index and stores the
paragraph's hash; ``dprk_stance.evaluate.load_real_text`` re-reads the text from the archive.
"""

from __future__ import annotations

import json
import sys

from dprk_stance.realtext import KCNA_ARCHIVE, ROUND_2, sample_paragraphs


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


if __name__ == "__main__":
    main(*sys.argv[1:])
