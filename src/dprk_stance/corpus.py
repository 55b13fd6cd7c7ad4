"""The corpus row schema: which fields a labelled passage has and when a row is valid.

Shared by the ingest stage (which reads every file under ``paths.raw_dir``) and by
``import-labels`` (which must only ever write rows that ingest will keep), so the two can
never disagree about what a valid corpus row is.

Two origins of rows: ``authored`` passages (the bundled corpus; the default when a row has
no ``origin``) and ``annotation`` rows, real-text passages labelled by an analyst through
``dprk-stance suggest`` / ``import-labels``. Annotation rows carry their provenance (who,
when, from which labelling run and model, whether the analyst agreed with the model) so
that both kinds can be counted apart in every report.
"""

from __future__ import annotations

from typing import Any

from dprk_stance.config import Config
from dprk_stance.stances import LABELS
from dprk_stance.text import normalize_text

REQUIRED = ("id", "doc_id", "text", "label", "journal", "year")
OPTIONAL = ("issue", "title", "author", "topic", "difficulty", "register", "pair_id", "notes")
DIFFICULTIES = ("standard", "hard")
AUTHORED, ANNOTATION = "authored", "annotation"
ORIGINS = (AUTHORED, ANNOTATION)
# Provenance of annotation rows (empty for authored rows). ``source_document`` is the file
# the labelling run read, ``passage``/``start``/``end`` the passage's index and character
# span in that document's text, ``source_run`` the labelling output the passage came from.
PROVENANCE = (
    "origin",
    "annotator",
    "annotated_at",
    "imported_at",
    "import_file",
    "source_run",
    "source_document",
    "passage",
    "start",
    "end",
    "model_sha256",
    "model_label",
    "agrees_with_model",
)
_ANNOTATION_REQUIRED = ("annotator", "annotated_at", "source_document", "start", "end")
_INT_PROVENANCE = ("passage", "start", "end")
COLUMNS = (*REQUIRED, *OPTIONAL, *PROVENANCE, "journal_raw", "source")

Reason = tuple[str, str]  # (code counted in the report, human-readable detail)


def validate_row(values: dict[str, Any], cfg: Config) -> tuple[dict[str, Any], Reason | None]:
    """Return the normalised row, or why it is rejected.

    A list- or object-valued field is rejected, never stored as its Python repr. Keys not in
    the schema are dropped. ``origin`` defaults to ``authored``; an ``annotation`` row must
    name its annotator, time, source document and span.
    """
    clean: dict[str, Any] = {}
    if "__error__" in values:
        return clean, values["__error__"]
    for key in (*REQUIRED, *OPTIONAL, *PROVENANCE):
        value = values.get(key)
        if isinstance(value, (list, dict)):
            kind = "a list" if isinstance(value, list) else "an object"
            return clean, ("not_a_string", f"field {key!r} is {kind}, not a string")
        if key == "agrees_with_model" and isinstance(value, bool):
            clean[key] = value
            continue
        clean[key] = None if value is None else str(value).strip()
    missing = [k for k in REQUIRED if not clean[k] and k != "text"]
    if missing:
        return clean, ("missing_field", f"missing required field(s): {', '.join(missing)}")
    clean["text"] = normalize_text(clean["text"] or "")
    if not clean["text"]:
        return clean, ("empty_text", "text is empty")
    if len(clean["text"]) < cfg.ingest.min_chars:
        return clean, ("too_short", f"text shorter than {cfg.ingest.min_chars} characters")
    if clean["label"] not in LABELS:
        detail = f"unknown label {clean['label']!r}; expected {list(LABELS)}"
        return clean, ("unknown_label", detail)
    try:
        year = int(str(clean["year"]))
    except ValueError:
        return clean, ("bad_year", f"year {clean['year']!r} is not an integer")
    if not cfg.ingest.min_year <= year <= cfg.ingest.max_year:
        return clean, (
            "bad_year",
            f"year {year} outside {cfg.ingest.min_year}-{cfg.ingest.max_year}",
        )
    clean["year"] = year
    difficulty = clean["difficulty"] or "standard"
    if difficulty not in DIFFICULTIES:
        return clean, (
            "unknown_difficulty",
            f"difficulty {difficulty!r} not in {list(DIFFICULTIES)}",
        )
    clean["difficulty"] = difficulty
    for key in ("title", "author", "notes"):
        if clean[key]:
            clean[key] = normalize_text(clean[key])
    return clean, _check_provenance(clean)


def _check_provenance(clean: dict[str, Any]) -> Reason | None:
    """Normalise the provenance fields in place; the reason an annotation row is invalid."""
    origin = clean["origin"] or AUTHORED
    if origin not in ORIGINS:
        return ("unknown_origin", f"origin {origin!r} not in {list(ORIGINS)}")
    clean["origin"] = origin
    if origin == AUTHORED:
        return None
    missing = [k for k in _ANNOTATION_REQUIRED if clean[k] in (None, "")]
    if missing:
        return ("missing_provenance", f"annotation row without {', '.join(missing)}")
    for key in _INT_PROVENANCE:
        if clean[key] in (None, ""):
            clean[key] = None
            continue
        try:
            clean[key] = int(str(clean[key]))
        except ValueError:
            return ("bad_provenance", f"{key} {clean[key]!r} is not an integer")
    if clean["model_label"] and clean["model_label"] not in LABELS:
        return ("bad_provenance", f"model_label {clean['model_label']!r} is not a label")
    agrees = clean["agrees_with_model"]
    if isinstance(agrees, str):
        if agrees.lower() not in ("true", "false", ""):
            return ("bad_provenance", f"agrees_with_model {agrees!r} is not true/false")
        clean["agrees_with_model"] = None if agrees == "" else agrees.lower() == "true"
    return None
