"""Agreement between two labelling runs over the same documents (``dprk-stance compare``).

"Two models on a new issue" is a question of agreement, not accuracy: there is no gold
label. Passages are matched on (doc_id, passage, start, end), so two runs match only when
they segmented identically; unmatched rows are counted, never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from dprk_stance.labels import LABELS, PROB_COLUMNS

KEY = ["doc_id", "passage", "start", "end"]


def read_labelled(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix == ".jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"{path}: expected a .csv, .jsonl or .parquet labelling output")
    missing = [c for c in (*KEY, "label", "text", *PROB_COLUMNS) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a dprk-stance labelling output (missing {missing})")
    return frame


def compare_runs(a: pd.DataFrame, b: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """Agreement, Cohen's kappa, cross-tabulation and the most confident disagreements."""
    merged = a.merge(b, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    both = merged[merged["_merge"] == "both"].copy()
    agree = both["label_a"] == both["label_b"]
    crosstab = pd.crosstab(
        pd.Categorical(both["label_a"], LABELS),
        pd.Categorical(both["label_b"], LABELS),
        dropna=False,
    )

    # how strongly the two runs disagree: each run's probability for its own label, summed
    # minus each run's probability for the other's label
    def p(row: pd.Series, run: str, label: str) -> float:
        return float(row[f"p_{label.replace('-', '_')}_{run}"])

    both["disagreement"] = [
        0.0
        if r["label_a"] == r["label_b"]
        else p(r, "a", r["label_a"])
        + p(r, "b", r["label_b"])
        - p(r, "a", r["label_b"])
        - p(r, "b", r["label_a"])
        for _, r in both.iterrows()
    ]
    worst = both[~agree].sort_values("disagreement", ascending=False).head(top)
    kappa = (
        float(cohen_kappa_score(both["label_a"], both["label_b"], labels=list(LABELS)))
        if len(both) and (both["label_a"].nunique() > 1 or both["label_b"].nunique() > 1)
        else float("nan")
    )
    return {
        "matched_passages": len(both),
        "only_in_a": int((merged["_merge"] == "left_only").sum()),
        "only_in_b": int((merged["_merge"] == "right_only").sum()),
        "agreement": float(agree.mean()) if len(both) else float("nan"),
        "cohen_kappa": kappa,
        "crosstab": {la: {lb: int(crosstab.loc[la, lb]) for lb in LABELS} for la in LABELS},
        "disagreements": [
            {
                "doc_id": r["doc_id"],
                "passage": int(r["passage"]),
                "label_a": r["label_a"],
                "label_b": r["label_b"],
                "confidence_a": float(r["confidence_a"]),
                "confidence_b": float(r["confidence_b"]),
                "text": str(r["text_a"])[:400],
            }
            for _, r in worst.iterrows()
        ],
    }


def render_text(result: dict[str, Any], name_a: str, name_b: str) -> str:
    lines = [
        f"A = {name_a}",
        f"B = {name_b}",
        f"matched passages: {result['matched_passages']} (only in A: {result['only_in_a']},"
        f" only in B: {result['only_in_b']})",
        f"agreement: {result['agreement']:.3f}   Cohen's kappa: {result['cohen_kappa']:.3f}",
        "",
        "cross-tabulation (rows A, columns B):",
    ]
    width = max(len(x) for x in LABELS) + 2
    lines.append(" " * width + "".join(f"{lb[:14]:>16}" for lb in LABELS))
    for la in LABELS:
        lines.append(
            f"{la:<{width}}" + "".join(f"{result['crosstab'][la][lb]:>16}" for lb in LABELS)
        )
    if result["disagreements"]:
        lines += ["", "strongest disagreements:"]
        for d in result["disagreements"]:
            lines.append(
                f"- {d['doc_id']} #{d['passage']}: A {d['label_a']} "
                f"({d['confidence_a']:.2f}) vs B {d['label_b']} ({d['confidence_b']:.2f})"
                f"\n    {d['text'][:200]}"
            )
    return "\n".join(lines)
