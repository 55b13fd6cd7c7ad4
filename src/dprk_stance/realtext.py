"""Real-text evaluation on the KCNA archive beside the project, without real text in the repo.

The repository keeps only labels keyed by story id and paragraph index (and a short hash of
the paragraph, so a changed archive is detected rather than silently mis-aligned); the
paragraphs themselves are read from ``../shared/data/kcna/`` at evaluation time. When the
archive is absent every caller gets ``None`` and skips cleanly.

The sample was drawn by :func:`sample_paragraphs` (seeded, stratified: stories that talk about
external economic relations or economic management are oversampled, because the archive is
mostly ceremonial and diplomatic prose with no stance at all).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

KCNA_ARCHIVE = Path("../shared/data/kcna/kcna-en-2011-2012.jsonl.gz")

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# Strata for sampling. Stance-bearing talk about trade, zones and management is rare in the
# archive, so those stories are drawn first; the rest keeps the no-stance side realistic.
_POLICY = re.compile(
    r"foreign trade|joint venture|economic management|self-supporting|economic zone|"
    r"rason|investment|external economic|trade fair|tourism|economic cooperation|"
    r"self-reliance|independent accounting|economic development|hwanggumphyong|"
    r"special economic|trade and economic|economic and trade|\bimports?\b|\bexports?\b",
    re.IGNORECASE,
)
_ECONOMY = re.compile(
    r"factory|enterprise|cooperative farm|production|plan |coal|steel|harvest|"
    r"light industry|economic construction|power station|fertilizer|mill\b",
    re.IGNORECASE,
)


def paragraphs(text: str) -> list[str]:
    """A story's paragraphs, as the archive separates them (blank lines), stripped, non-empty.

    The index into this list is the ``paragraph`` key of the real-text labels.
    """
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


_ENGLISH_WORDS = re.compile(r"\b(?:the|of|and|to|in|is|was|for|with)\b", re.IGNORECASE)


def is_english(text: str) -> bool:
    """Whether a paragraph reads as English: the archive holds a few Spanish stories too."""
    words = len(text.split())
    return words > 0 and len(_ENGLISH_WORDS.findall(text)) / words >= 0.12


def paragraph_hash(text: str) -> str:
    """First 12 hex digits of the SHA-256 of a whitespace-normalised paragraph."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def iter_stories(path: str | Path = KCNA_ARCHIVE) -> Iterator[dict]:
    """Yield the archive's stories (``id``, ``date``, ``title``, ``text``) in file order."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


# Round 2 of the sample: paragraphs that name a policy instrument outright, where the few
# stance-bearing paragraphs of the archive concentrate.
_STRONG = re.compile(
    r"foreign trade|joint venture|economic zone|rason|investment|external economic|"
    r"trade fair|economic management|self-supporting economy|independent accounting|"
    r"hwanggumphyong|special economic|\bimports?\b|\bexports?\b|world market|"
    r"economic cooperation|tourism",
    re.IGNORECASE,
)
ROUND_1 = {"policy": 260, "economy": 120, "other": 80}
ROUND_2 = {"strong": 160}


def stratum(text: str, strata: dict[str, int] | None = None) -> str:
    """The sampling stratum of a paragraph.

    Round 1 (``ROUND_1``): ``policy`` (trade, zones, management talk), ``economy`` (other
    economic news) or ``other``. Round 2 (``ROUND_2``): ``strong`` (names a policy
    instrument) or ``other``.
    """
    if strata is not None and "strong" in strata:
        return "strong" if _STRONG.search(text) else "other"
    if _POLICY.search(text):
        return "policy"
    if _ECONOMY.search(text):
        return "economy"
    return "other"


def sample_paragraphs(
    path: str | Path = KCNA_ARCHIVE,
    *,
    sizes: dict[str, int] | None = None,
    min_chars: int = 80,
    seed: int = 2011,
    exclude: set[tuple[str, int]] | None = None,
) -> list[dict]:
    """Draw a stratified random sample of paragraphs for hand labelling.

    ``exclude``: (story id, paragraph) pairs already drawn in an earlier round. Paragraphs
    shorter than ``min_chars`` or not in English are skipped. Each paragraph is assigned the
    stratum of its own text; at most two paragraphs are drawn from one story so that no
    single story dominates. Returns dicts with ``story_id``,
    ``paragraph`` (index into :func:`paragraphs`), ``stratum``, ``date``, ``title``, ``text``
    and ``sha`` (:func:`paragraph_hash`), ordered by story and paragraph.
    """
    sizes = sizes or ROUND_1
    exclude = exclude or set()
    pools: dict[str, list[dict]] = {name: [] for name in sizes}
    for story in iter_stories(path):
        for index, para in enumerate(paragraphs(story["text"])):
            if len(para) < min_chars or not is_english(para):
                continue
            if (story["id"], index) in exclude:
                continue
            name = stratum(para, sizes)
            if name not in pools:
                continue
            pools[name].append(
                {
                    "story_id": story["id"],
                    "paragraph": index,
                    "stratum": name,
                    "date": story["date"],
                    "title": story["title"],
                    "text": para,
                    "sha": paragraph_hash(para),
                }
            )
    rng = random.Random(seed)
    chosen: list[dict] = []
    per_story: dict[str, int] = {}
    for name, size in sizes.items():
        pool = pools[name]
        rng.shuffle(pool)
        taken = 0
        for item in pool:
            if taken == size:
                break
            if per_story.get(item["story_id"], 0) >= 2:
                continue
            per_story[item["story_id"]] = per_story.get(item["story_id"], 0) + 1
            chosen.append(item)
            taken += 1
    return sorted(chosen, key=lambda d: (d["story_id"], d["paragraph"]))
