"""Agreement between two labelling runs over the same documents (``dprk-stance compare``).

"Two models on a new issue" is a question of agreement, not accuracy: there is no gold
label. Two runs need not segment a document alike (a transformer cuts a long paragraph into
token windows, a TF-IDF model keeps it whole), so passages are aligned by their character
spans within a document: passages with identical spans pair up first; every other pair of
passages whose spans overlap is a pair too, weighted by the characters they share.
Agreement and Cohen's kappa are given twice: per passage, each aligned pair counted once as
in the cross-tabulation, and weighted by each pair's shared characters (for identically
segmented runs every pair has its own length), which a long passage dominates. Passages
that overlap nothing in the other run are counted, never silently dropped. Document ids are
compared as strings, whatever type a file stored them as.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from dprk_stance.fsutil import json_number
from dprk_stance.stances import LABELS, PROB_COLUMNS

KEY = ["doc_id", "passage", "start", "end"]


def read_labelled(path: str | Path) -> pd.DataFrame:
    """A labelling output (.csv, .jsonl, .parquet) with ``doc_id`` as strings.

    Raises ``ValueError`` naming the file when the format is unknown or columns are missing.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype={"doc_id": "string", "text": "string"})
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


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True).copy()
    frame["doc_id"] = frame["doc_id"].map(_id_string)
    for column in ("passage", "start", "end"):
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    return frame


def _id_string(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def align(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Pairs of row positions (``ia``, ``ib``) with shared ``chars`` and whether ``exact``.

    Identical (doc_id, passage, start, end) pair first; the remaining passages of a
    document pair with every passage of the other run whose span overlaps theirs.
    """
    a, b = _normalised(a), _normalised(b)
    a["ia"], b["ib"] = np.arange(len(a)), np.arange(len(b))
    exact = a[[*KEY, "ia"]].merge(b[[*KEY, "ib"]], on=KEY)
    exact = exact.drop_duplicates("ia").drop_duplicates("ib")
    exact["chars"] = (exact["end"] - exact["start"]).clip(lower=1)
    exact["exact"] = True
    rest_a = a[~a["ia"].isin(exact["ia"])][["doc_id", "start", "end", "ia"]]
    rest_b = b[~b["ib"].isin(exact["ib"])][["doc_id", "start", "end", "ib"]]
    pairs = rest_a.merge(rest_b, on="doc_id", suffixes=("_a", "_b"))
    shared = np.minimum(pairs["end_a"], pairs["end_b"]) - np.maximum(
        pairs["start_a"], pairs["start_b"]
    )
    pairs = pairs.assign(chars=shared, exact=False)[shared > 0]
    columns = ["ia", "ib", "chars", "exact"]
    return pd.concat([exact[columns], pairs[columns]], ignore_index=True)


def compare_runs(a: pd.DataFrame, b: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """Agreement, Cohen's kappa, cross-tabulation and the most confident disagreements.

    See the module docstring for how passages are aligned; ``alignment`` in the result says
    how many pairs were exact and how many came from overlapping spans. ``agreement`` and
    ``cohen_kappa`` weight each pair by its shared characters; ``passage_agreement`` and
    ``passage_cohen_kappa`` count each pair once, as ``crosstab`` does. All four are NaN
    only when nothing aligns at all (kappa also when a single label occurs).
    """
    pairs = align(a, b)
    a, b = _normalised(a), _normalised(b)
    left = a.iloc[pairs["ia"].to_numpy()].reset_index(drop=True).add_suffix("_a")
    right = b.iloc[pairs["ib"].to_numpy()].reset_index(drop=True).add_suffix("_b")
    both = pd.concat([left, right], axis=1)
    weights = pairs["chars"].to_numpy(dtype=float)
    agree = (both["label_a"] == both["label_b"]).to_numpy()
    crosstab = {
        la: {lb: int(((both["label_a"] == la) & (both["label_b"] == lb)).sum()) for lb in LABELS}
        for la in LABELS
    }

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
    worst = both[~agree].sort_values("disagreement", ascending=False, kind="stable").head(top)
    labels_seen = set(both["label_a"]) | set(both["label_b"])
    kappa = (
        cohen_kappa(both["label_a"], both["label_b"], weights)
        if len(both) and len(labels_seen) > 1
        else float("nan")
    )
    n_exact = int(pairs["exact"].sum())
    method = (
        "no passages aligned"
        if pairs.empty
        else "identical spans"
        if n_exact == len(pairs)
        else "character-span overlap"
    )
    return {
        "matched_passages": len(both),
        "only_in_a": int(len(a) - pairs["ia"].nunique()),
        "only_in_b": int(len(b) - pairs["ib"].nunique()),
        "alignment": {
            "method": method,
            "identical_span_pairs": n_exact,
            "overlap_pairs": len(pairs) - n_exact,
            "weighted_by": "shared characters",
            "aligned_chars": int(weights.sum()),
        },
        "agreement": float(np.average(agree, weights=weights)) if len(both) else float("nan"),
        "cohen_kappa": kappa,
        # every aligned pair counted once, as in the cross-tabulation: a short passage
        # weighs as much as a long one
        "passage_agreement": float(agree.mean()) if len(both) else float("nan"),
        "passage_cohen_kappa": (
            cohen_kappa(both["label_a"], both["label_b"])
            if len(both) and len(labels_seen) > 1
            else float("nan")
        ),
        "crosstab": crosstab,
        "disagreements": [
            {
                "doc_id": r["doc_id_a"],
                "passage": int(r["passage_a"]),
                "passage_b": int(r["passage_b"]),
                "label_a": r["label_a"],
                "label_b": r["label_b"],
                "confidence_a": float(r["confidence_a"]),
                "confidence_b": float(r["confidence_b"]),
                "text": str(r["text_a"])[:400],
            }
            for _, r in worst.iterrows()
        ],
    }


def cohen_kappa(a: Any, b: Any, weights: Any = None) -> float:
    """Cohen's kappa of two label sequences over LABELS (scikit-learn), optionally weighted;
    NaN when it is undefined (both raters used one and the same label throughout)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa: NaN, said in the docstring
        value = cohen_kappa_score(list(a), list(b), labels=list(LABELS), sample_weight=weights)
    return float(value)


def annotator_agreement(labels: pd.DataFrame) -> dict[str, Any]:
    """Agreement among analysts over the passages two or more of them labelled.

    ``labels`` has one row per (``item``, ``annotator``) with a ``label``. Returns Cohen's
    kappa and raw agreement per pair of annotators (over the items both labelled),
    Krippendorff's alpha (nominal, ``krippendorff`` package) over all annotators and the
    items labelled at least twice, and ``disagreements``: the items whose labels differ,
    with every annotator's label. Undefined statistics (one label only, no shared items)
    are ``None``.
    """
    import itertools

    import krippendorff

    counts = labels.groupby("item")["annotator"].nunique()
    shared = labels[labels["item"].isin(counts[counts >= 2].index)]
    table = shared.pivot(index="item", columns="annotator", values="label")
    pairs = []
    for a, b in itertools.combinations(sorted(table.columns), 2):
        both = table[[a, b]].dropna()
        kappa = cohen_kappa(both[a], both[b]) if len(both) else float("nan")
        pairs.append(
            {
                "a": a,
                "b": b,
                "items": len(both),
                "agreement": float((both[a] == both[b]).mean()) if len(both) else None,
                "cohen_kappa": json_number(kappa),
            }
        )
    alpha = None
    if len(table) and len(set(shared["label"])) > 1:
        codes = table.apply(lambda column: column.map(LABELS.index)).to_numpy(dtype=float).T
        alpha = float(krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"))
    disagreements = [
        {"item": item, "labels": {k: v for k, v in row.items() if isinstance(v, str)}}
        for item, row in table.iterrows()
        if row.dropna().nunique() > 1
    ]
    return {
        "annotators": sorted(labels["annotator"].unique().tolist()),
        "items": int(labels["item"].nunique()),
        "items_labelled_twice_or_more": len(table),
        "pairs": pairs,
        "krippendorff_alpha": alpha,
        "disagreements": disagreements,
    }


def no_alignment_message(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """Why two runs share no passage, with a few document ids of each, for the error that
    ``compare`` gives instead of an agreement of NaN."""

    def sample(run: pd.DataFrame) -> str:
        ids = list(dict.fromkeys(run["doc_id"].astype(str)))
        return ", ".join(repr(i) for i in ids[:3]) + (
            f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        )

    shared = set(a["doc_id"].astype(str)) & set(b["doc_id"].astype(str))
    if shared:
        return (
            f"no passage of A overlaps a passage of B, though {len(shared)} document ids are "
            "shared: the runs read different texts under the same ids"
        )
    return (
        f"the runs share no document id (A: {sample(a)}; B: {sample(b)}). A document's id "
        "is its path as given on the command line (a folder's files: relative to the "
        "folder), or the id column of a CSV/JSONL input: label both runs from the same inputs"
    )


def render_text(result: dict[str, Any], name_a: str, name_b: str) -> str:
    lines = [
        f"A = {name_a}",
        f"B = {name_b}",
        f"matched passages: {result['matched_passages']} (only in A: {result['only_in_a']},"
        f" only in B: {result['only_in_b']})",
        f"aligned by: {result['alignment']['method']} "
        f"({result['alignment']['identical_span_pairs']} identical, "
        f"{result['alignment']['overlap_pairs']} overlapping; weighted by shared characters)",
        f"agreement by passage: {result['passage_agreement']:.3f}   Cohen's kappa: "
        f"{result['passage_cohen_kappa']:.3f}   (each pair once, as in the table below)",
        f"agreement by character: {result['agreement']:.3f}   Cohen's kappa: "
        f"{result['cohen_kappa']:.3f}   (each pair weighted by its shared characters)",
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
            where = (
                f"#{d['passage']}"
                if d["passage"] == d["passage_b"]
                else f"A #{d['passage']} / B #{d['passage_b']}"
            )
            lines.append(
                f"- {d['doc_id']} {where}: A {d['label_a']} "
                f"({d['confidence_a']:.2f}) vs B {d['label_b']} ({d['confidence_b']:.2f})"
                f"\n    {d['text'][:200]}"
            )
    return "\n".join(lines)
