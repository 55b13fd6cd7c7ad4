"""Print the datasheet's composition tables from the ingested corpus.

Run after `dvc repro` (or `python -m dprk_stance.ingest`) and paste into data/README.md;
tests/test_corpus.py checks that the datasheet's counts still match what ingest reports.
"""

from __future__ import annotations

import sys

import pandas as pd

from dprk_stance.stances import LABELS


def table(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = [
        "| " + " | ".join([frame.index.name or "", *cols]) + " |",
        "|" + "---|" * (len(cols) + 1),
    ]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([str(idx), *(str(v) for v in row.tolist())]) + " |")
    return "\n".join(lines)


def main(path: str = "data/processed/passages.parquet") -> None:
    t = pd.read_parquet(path)
    print(f"**{len(t):,} passages** in **{t['doc_id'].nunique()} articles**\n")
    counts = t["label"].value_counts().reindex(list(LABELS))
    print("| label | passages | share |\n|---|---|---|")
    for label, n in counts.items():
        print(f"| `{label}` | {n} | {n / len(t):.1%} |")
    print()
    by_year = pd.crosstab(t["year"], t["label"]).reindex(columns=list(LABELS))
    by_year["total"] = by_year.sum(axis=1)
    print(table(by_year), "\n")
    journals = pd.crosstab(t["journal"], t["label"]).reindex(columns=list(LABELS))
    journals["articles"] = t.groupby("journal")["doc_id"].nunique()
    print(table(journals), "\n")
    print(table(pd.crosstab(t["topic"], t["label"]).reindex(columns=list(LABELS))), "\n")
    diff = t["difficulty"].value_counts()
    print("| difficulty | passages |\n|---|---|")
    for name, n in diff.items():
        print(f"| {name} | {n} |")
    print()
    registers = pd.crosstab(t["register"].fillna("journal-article (first edition)"), t["label"])
    registers.index.name = "register"
    print(table(registers.reindex(columns=list(LABELS), fill_value=0)), "\n")
    short = (t["text"].str.split().str.len() <= 25).groupby(t["label"]).mean()
    print("| label | share of passages with at most 25 words |\n|---|---|")
    for label in LABELS:
        print(f"| `{label}` | {short.get(label, 0):.1%} |")
    print()
    # A pair has two passages (one whose partner was dropped is not counted); `negation` in
    # either passage's notes marks a negation pair (docs/annotation-guidelines.md, 7.1).
    groups = t[t["pair_id"].fillna("") != ""].groupby("pair_id")
    pairs = [g for _, g in groups if len(g) == 2]
    negation = sum(g["notes"].fillna("").str.contains("negation").any() for g in pairs)
    print(f"Contrast pairs: {len(pairs)} ({negation} negation pairs).\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
