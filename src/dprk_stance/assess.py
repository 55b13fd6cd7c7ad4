"""Documents in, assessed passage rows out: the one path from text to a labelled passage.

Why one module: ``label`` (both engines) and ``predict`` must never disagree about a
passage. Each segments a document with the model's own token count, normalises every
passage the same way, and asks the model for its assessment here; the rows and per-document
summaries they write are built here too. The labelling engines differ only in how they
move documents and rows around (one process, or Ray tasks and actors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dprk_stance.fsutil import json_number
from dprk_stance.models import StanceModel
from dprk_stance.readers import META_FIELDS, META_SOURCE_FIELDS, Document
from dprk_stance.segment import Segmentation, segment
from dprk_stance.stances import LABELS, PROB_COLUMNS, STANCES
from dprk_stance.text import normalize_text

__all__ = [
    "AssessedDocument",
    "assess_documents",
    "document_summary",
    "segment_document",
]


def segment_document(
    text: str, model: StanceModel, *, min_chars: int, furniture: bool = True
) -> Segmentation:
    """Passages of ``text`` that each fit ``model``'s window (counted on normalised text).

    ``min_chars``: shorter paragraphs are fragments (merged or skipped); ``furniture``:
    skip and count document furniture (False for text a user chose, as ``predict`` does).
    """
    return segment(
        text,
        lambda s: model.count_tokens(normalize_text(s)),
        model.max_tokens,
        min_chars=min_chars,
        furniture=furniture,
    )


@dataclass(frozen=True)
class AssessedDocument:
    """One document's passage rows (``rows[i]`` for passage i, keys as in the label output)
    and its summary row (see ``document_summary``)."""

    document: Document
    segmentation: Segmentation
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    uncertain: int  # passages flagged uncertain


def assess_documents(
    batch: Sequence[tuple[Document, Segmentation]],
    model: StanceModel,
    threshold: float,
    identity: dict[str, str],
) -> list[AssessedDocument]:
    """Score the passages of several segmented documents in one call to ``model.assess``.

    Returns one ``AssessedDocument`` per input, in order. Each passage row holds document id,
    source, passage index, character span, ``row_ids`` (the input rows it overlaps, for
    rows grouped by doc_id), metadata, normalised text, ``label`` (LABELS),
    ``stance`` (STANCES), one probability per class (floats, summing to 1), confidence,
    relevance (None without a gate), the no-stance/off-topic/uncertain flags and
    ``identity`` (model path and content hash). Scoring many documents together is what
    makes labelling fast; a passage's row does not depend on its batch.
    """
    texts = [normalize_text(p.text) for _, seg in batch for p in seg.passages]
    scored = model.assess(texts, threshold)
    probs, uncertain = scored.probs, scored.uncertain
    out: list[AssessedDocument] = []
    row = 0
    for document, seg in batch:
        n = len(seg.passages)
        doc_probs, doc_unc = probs[row : row + n], uncertain[row : row + n]
        meta = {k: document.meta.get(k) for k in META_FIELDS}
        rows = [
            {
                "doc_id": document.doc_id,
                "source": document.source,
                "passage": passage.index,
                "start": passage.start,
                "end": passage.end,
                "row_ids": _row_ids(document.row_spans, passage.start, passage.end),
                **meta,
                "text": texts[row + i],
                "label": LABELS[int(doc_probs[i].argmax())],
                "stance": STANCES[int(scored.stance[row + i])],
                **{c: float(v) for c, v in zip(PROB_COLUMNS, doc_probs[i], strict=True)},
                "confidence": float(scored.confidence[row + i]),
                "relevance": json_number(scored.relevance[row + i]),
                "no_stance": bool(scored.no_stance[row + i]),
                "off_topic": bool(scored.off_topic[row + i]),
                "uncertain": bool(doc_unc[i]),
                **identity,
            }
            for i, passage in enumerate(seg.passages)
        ]
        summary = document_summary(
            document,
            seg,
            texts[row : row + n],
            doc_probs,
            doc_unc,
            scored.off_topic[row : row + n],
            scored.no_stance[row : row + n],
        )
        out.append(AssessedDocument(document, seg, rows, summary, int(doc_unc.sum())))
        row += n
    return out


def _row_ids(row_spans: Sequence[Sequence[Any]], start: int, end: int) -> str | None:
    """The ``id`` of every input row whose text overlaps the passage ``[start, end)``,
    joined by ";" in row order; None for documents not read from rows with ids."""
    ids = [str(row) for row, a, b in row_spans if a < end and start < b]
    return ";".join(ids) if ids else None


def document_summary(
    document: Document,
    seg: Segmentation,
    texts: Sequence[str],
    probs: np.ndarray,
    uncertain: np.ndarray,
    off_topic: np.ndarray,
    no_stance: np.ndarray,
) -> dict[str, Any]:
    """Counts and shares per stance, no-stance and uncertain counts, and the most probable
    passage per stance. A stance's count, share and top passage use its confident passages
    only (labelled with it and not uncertain), so they agree with each other; the passage
    rows also carry the stance of uncertain passages. Arrays have one entry per passage;
    ``probs`` is (n, 4) in LABELS order."""
    n = len(texts)
    pred = probs.argmax(axis=1) if n else np.zeros(0, dtype=int)
    summary: dict[str, Any] = {
        "doc_id": document.doc_id,
        "source": document.source,
        **{k: document.meta.get(k) for k in (*META_FIELDS, *META_SOURCE_FIELDS)},
        "passages": n,
        "uncertain": int(uncertain.sum()),
        "no_stance": int(no_stance.sum()),
        "off_topic": int(off_topic.sum()),
        "share_uncertain": float(uncertain.mean()) if n else 0.0,
        "mean_confidence": float(probs.max(axis=1).mean()) if n else None,
        "skipped_fragments": seg.skipped_fragments + sum(document.skipped.values()),
    }
    for j, label in enumerate(STANCES):
        confident = (pred == j) & ~uncertain
        key = label.replace("-", "_")
        summary[f"n_{key}"] = int(confident.sum())
        summary[f"share_{key}"] = float(confident.mean()) if n else 0.0
        if confident.any():
            best = int(np.argmax(np.where(confident, probs[:, j], -1)))
            summary[f"top_{key}_passage"] = best
            summary[f"top_{key}_p"] = float(probs[best, j])
            summary[f"top_{key}_text"] = texts[best][:300]
        else:
            summary[f"top_{key}_passage"] = None
            summary[f"top_{key}_p"] = None
            summary[f"top_{key}_text"] = None
    return summary
