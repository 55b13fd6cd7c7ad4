"""Split a document's text into passages that each fit the classifier's token window.

Why this exists: the classifier sees one passage at a time, and a passage that is silently
truncated by the tokenizer would be labelled on text nobody chose. So every passage is
measured with the caller's own ``count_tokens`` (special tokens included) and nothing is ever
cut off: long paragraphs are split at sentence boundaries, over-long sentences at whitespace,
over-long words at characters. Page numbers and similar debris are dropped but counted, and
every other character of the input lands in exactly one passage, so coverage can be audited.

Document furniture is not stance: bylines, footnotes and references, headings, captions and
tables of contents are recognised by ``furniture_kind`` in every format and skipped like page
numbers, with counts by kind in ``Segmentation.furniture`` (readers of structured formats drop
the furniture they can see in the markup before this, and count it themselves).

Passages keep exact character spans (``text[start:end]``) so labels can be traced back to the
source; whitespace inside a span (soft wraps, the blank lines between a merged header and its
paragraph) is left for the model side to normalise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Passage", "Segmentation", "furniture_kind", "segment", "sentence_spans"]


@dataclass(frozen=True)
class Passage:
    """One classifier input: a trimmed span of the document text."""

    index: int  # 0-based position within the document
    start: int  # character span in the document text: text[start:end]
    end: int
    text: str  # == document_text[start:end]


@dataclass(frozen=True)
class Segmentation:
    """Passages plus counters that account for everything that is not in a passage."""

    passages: list[Passage]
    skipped_chars: int  # non-whitespace characters not in any passage
    skipped_fragments: int  # fragments dropped (page numbers, lone symbols, ...)
    merged_fragments: int  # short fragments (headers) merged into a neighbouring passage
    split_paragraphs: int  # paragraphs too long for the window, split at sentence boundaries
    # Skipped paragraphs by kind: "page-number", "symbols", "heading", "byline", "footnote",
    # "toc", "debris" (a stray fragment without a word); they sum to skipped_fragments.
    furniture: dict[str, int] = field(default_factory=dict)


# Words that may stand around a page number ("Page 3 of 17", "p. 12") without making it text.
_PAGE_WORDS = re.compile(r"\b(?:pages?|pg|pp?|of)\b", re.IGNORECASE)
# A word of three or more letters: what a short line needs to be worth a passage of its own.
_WORD3 = re.compile(r"[^\W\d_]{3,}")
# Sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace.
_SENT_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]}\u300d\u300f]*(?=\s)")
_CLOSERS = "\"'\u201d\u2019\u00bb)]}\u300d\u300f"
_OPENERS = "\"'\u201c\u2018\u00ab(["
_NON_SPACE = re.compile(r"\S")
_WORD = re.compile(r"\S+")
# Initials and dotted acronyms ("J.", "U.S.", "e.g.", "i.e."): a period inside them ends nothing.
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+")
_ABBREVIATIONS = frozenset(
    f"{word}."
    for word in (  # noqa: SIM905 (a word list reads better than 58 quoted lines)
        "mr mrs ms dr prof st jr sr rev hon gen col lt capt gov sen rep "
        "no nos vol vols pp p fig figs art arts ch sec para "
        "etc cf vs viz al approx ca est esp dept inc ltd co corp "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)
# How far back to look for the word before a period; no abbreviation is longer.
_ABBREV_LOOKBACK = 24

_JUNK, _FURNITURE, _FRAGMENT, _BODY = range(4)

# -- furniture --------------------------------------------------------------------------------
# A note or reference: a note mark ("1)", "[2]", "3.", "*") or "Ibid.", and a citation cue.
_NOTE_MARK = re.compile(r"^(?:\(?\d{1,3}[).]|\[\d{1,3}\]|\d{1,3}\s|\*{1,3}|[\u2020\u2021])\s*\S")
_CITATION = re.compile(
    r"\bVols?\.\s*\d|\bpp?\.\s*\d|\bIbid\b|\bop\.\s*cit\b|\bloc\.\s*cit\b"
    r"|\b(?:Selected |Collected )?Works\b|\bPublishing House\b|\bPress\b|\bed(?:s|ition)?\."
)
_SOURCE = re.compile(
    r"\bNos?\.\s*\d|\bJournal\b|\bHakpo\b|\bKy[o\u014f]ngje Y[o\u014f]n'?gu\b|\bRodong Sinmun\b"
    r"|\b(?:19|20)\d\d\b"
)
_NAME = r"(?:[A-Z][\w'\u2019-]*\.?\s+){1,3}[A-Z][\w'\u2019-]*"
_BYLINE_BY = re.compile(rf"^(?:By|BY|Written by|Author:|Authors:)\s+{_NAME}\b")
_BYLINE_ROLE = re.compile(rf"^{_NAME},\s+\S")
_AFFILIATION = re.compile(
    r"\b(?:researcher|professor|lecturer|doctor|candidate|academician|institute|academy|"
    r"university|faculty|department|college|editor|reporter|correspondent|scholar|fellow|"
    r"section chief|chair|associate)\b",
    re.IGNORECASE,
)
_TOC_LINE = re.compile(r"^.{2,}?(?:\s*\.{3,}\s*|\s*\u2026+\s*|\s{2,}|\t+)\d{1,4}$")
_TOC_TITLE = re.compile(r"^(?:table of )?contents:?$", re.IGNORECASE)
_CAPTION = re.compile(
    r"^(?:Box|Table|Figure|Fig\.|Chart|Map|Appendix|Annex|Chapter|Part|Section)\s+"
    r"[\dIVXivx]+[.:]?$"
)
_SENTENCE_END = re.compile(r"[.!?\u2026:;,]['\")\]\u2019\u201d]*$")
_HEADING_WORDS = 15


def furniture_kind(paragraph: str, lone: bool = False) -> str | None:
    """The kind of document furniture a paragraph is, or None for reading text.

    "byline" ("Kim Chol Nam, Researcher, Institute of Economics", "By Ri Chol"), "footnote"
    (a note mark or "Ibid." with a citation cue: "1) Kim Jong Un, Works, Vol. 3, p. 47"; or a
    short paragraph with two or more cues: a reference-list entry), "toc" (lines ending in
    page numbers after dot leaders or wide gaps; "Contents"), "heading" (a short line that
    is not a sentence: no final punctuation, e.g. "ON ECONOMIC MANAGEMENT", "Chapter Two",
    "Box 1."). A ``lone`` paragraph — all a document holds — is never a heading: a heading
    heads something, and one short line given alone is the text.
    """
    lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
    if not lines:
        return None
    flat = " ".join(" ".join(lines).split())
    words = flat.split()
    if _TOC_TITLE.match(lines[0]) or sum(bool(_TOC_LINE.match(x)) for x in lines) * 2 >= len(lines):
        return "toc"
    cues = len(_CITATION.findall(flat))
    if len(flat) <= 400 and (
        (cues and (_NOTE_MARK.match(flat) or flat.startswith(("Ibid", "See ", "Cf. "))))
        or (len(words) <= 40 and cues + min(1, len(_SOURCE.findall(flat))) >= 2)
    ):
        return "footnote"
    if len(words) <= 25 and (
        _BYLINE_BY.match(flat) or (_BYLINE_ROLE.match(flat) and _AFFILIATION.search(flat))
    ):
        return "byline"
    if lone or len(words) > _HEADING_WORDS or len(flat) > 120:
        return None
    if flat.startswith("#") or _CAPTION.match(flat):
        return "heading"
    first_alpha = next((ch for ch in flat if ch.isalpha()), "")
    starts_like_heading = first_alpha.isupper() or not first_alpha.isascii()
    if starts_like_heading and not _SENTENCE_END.search(flat) and flat[:1] not in "-*\u2022(":
        return "heading"
    return None


@dataclass(frozen=True)
class _Unit:
    """A trimmed span with its exact token count; the atoms that windows are packed from."""

    start: int
    end: int
    tokens: int


def segment(
    text: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    min_chars: int = 40,
    furniture: bool = True,
) -> Segmentation:
    """Cut ``text`` into passages of at most ``max_tokens`` tokens each.

    ``count_tokens`` must count exactly what the model will see, special tokens included.
    Paragraphs that are document furniture (``furniture_kind``) are skipped and counted
    unless ``furniture`` is False (``predict``: the user chose the text). Paragraphs shorter
    than ``min_chars`` non-space characters that are not furniture (short sentences) are
    merged into a neighbouring passage. Raises ``ValueError`` when ``max_tokens`` cannot
    hold even a single character.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    return _Segmenter(text, count_tokens, max_tokens, min_chars, furniture).run()


def _non_space_count(s: str) -> int:
    return sum(len(part) for part in s.split())


def _is_junk(paragraph: str) -> bool:
    """Page numbers, numerals, rules and lone symbols: nothing a reader would call text."""
    return not any(ch.isalpha() for ch in _PAGE_WORDS.sub(" ", paragraph))


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Trimmed spans of runs of non-blank lines (a whitespace-only line is blank)."""
    spans: list[tuple[int, int]] = []
    start = -1
    last_end = 0
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            if start < 0:
                start = pos
            last_end = end
        elif start >= 0:
            spans.append(_trim(text, start, last_end))
            start = -1
        pos = end + 1
    if start >= 0:
        spans.append(_trim(text, start, last_end))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Segmenter:
    """State for one document; passages are built left to right as mutable spans."""

    def __init__(
        self,
        text: str,
        count_tokens: Callable[[str], int],
        max_tokens: int,
        min_chars: int,
        furniture: bool = True,
    ) -> None:
        self.text = text
        self.count_tokens = count_tokens
        self.max = max_tokens
        self.min_chars = min_chars
        # Special tokens are counted once per call; the cheap estimate of a window built from
        # separately counted pieces must not count them once per piece.
        try:
            self.overhead = max(0, int(count_tokens("")))
        except Exception:  # a tokenizer that rejects "" just gets no allowance
            self.overhead = 0
        # Sums of counts this far over the limit are not worth checking with a real count.
        self.slack = max(1, max_tokens // 32)
        self.spans: list[list[int]] = []  # [start, end, tokens], tokens always exact
        self.adjacent = False  # whether spans[-1] may be extended (nothing skipped since)
        self.skipped_chars = 0
        self.skipped_fragments = 0
        self.merged_fragments = 0
        self.split_paragraphs = 0
        self.furniture = furniture
        self.kinds: Counter[str] = Counter()

    # -- driver ---------------------------------------------------------------------------

    def run(self) -> Segmentation:
        text = self.text
        spans = _paragraph_spans(text)
        # A document that is nothing but one short line must not vanish.
        lone = sum(1 for s, e in spans if not _is_junk(text[s:e])) == 1
        paragraphs = []
        for start, end in spans:
            body = text[start:end]
            non_space = _non_space_count(body)
            label = None
            if _is_junk(body):
                kind = _JUNK
                label = "page-number" if any(ch.isdigit() for ch in body) else "symbols"
            elif self.furniture and (label := furniture_kind(body, lone)) is not None:
                kind = _FURNITURE
            elif non_space < self.min_chars:
                kind = _FRAGMENT
            else:
                kind = _BODY
            paragraphs.append((start, end, kind, non_space, label))

        pending: list[_Unit] = []  # fragments waiting to be merged into what follows
        for start, end, kind, non_space, label in paragraphs:
            if kind in (_JUNK, _FURNITURE):
                self._resolve(pending, lone)
                pending = []
                self._skip(non_space, label)
            elif kind == _FRAGMENT:
                pending.append(self._unit(start, end))
            else:
                self._body(start, end, pending)
                pending = []
        self._resolve(pending, lone)

        passages = [
            Passage(index, start, end, text[start:end])
            for index, (start, end, _) in enumerate(self.spans)
        ]
        return Segmentation(
            passages=passages,
            skipped_chars=self.skipped_chars,
            skipped_fragments=self.skipped_fragments,
            merged_fragments=self.merged_fragments,
            split_paragraphs=self.split_paragraphs,
            furniture=dict(self.kinds),
        )

    # -- paragraphs and fragments ---------------------------------------------------------

    def _body(self, start: int, end: int, pending: list[_Unit]) -> None:
        """Emit a full-length paragraph, gluing as many pending fragments to its front as fit."""
        tokens = self.count_tokens(self.text[start:end])
        if tokens <= self.max:
            k, merged_tokens = self._forward_whole(pending, end, tokens)
            self._resolve(pending[:k], lone=False)
            if k < len(pending):
                self.merged_fragments += len(pending) - k
                self._append(pending[k].start, end, merged_tokens)
            else:
                self._append(start, end, tokens)
            return

        self.split_paragraphs += 1
        units = self._sentence_units(_Unit(start, end, tokens))
        k, window = self._forward_split(pending, units)
        self._resolve(pending[:k], lone=False)
        if window is None:
            self._pack(units, 0)
            return
        prefix = len(pending) - k
        self.merged_fragments += prefix
        # window counts units of pending[k:] + units; continue with the body units after it.
        first_start, used, window_tokens = window
        self._append(first_start, units[used - prefix - 1].end, window_tokens)
        self._pack(units, used - prefix)

    def _forward_whole(self, pending: list[_Unit], end: int, tokens: int) -> tuple[int, int]:
        """Smallest k such that pending[k:] + the paragraph fits; len(pending) if none does."""
        n = len(pending)
        if n == 0:
            return 0, tokens
        suffix = self._suffix_estimates(pending)
        lo = next((k for k in range(n) if tokens + suffix[k] <= self.max + self.slack), n)
        results: dict[int, int] = {}

        def fits(k: int) -> bool:
            count = self.count_tokens(self.text[pending[k].start : end])
            results[k] = count
            return count <= self.max

        k = _smallest_true(lo, n, fits)
        return k, results.get(k, tokens)

    def _forward_split(
        self, pending: list[_Unit], units: list[_Unit]
    ) -> tuple[int, tuple[int, int, int] | None]:
        """Like ``_forward_whole`` for a paragraph that is split: the header leads window one.

        Returns k and (start, units used from pending[k:] + units, tokens) of the first window,
        or (len(pending), None) when no fragment can lead it alongside some of the paragraph.
        """
        n = len(pending)
        if n == 0:
            return 0, None
        suffix = self._suffix_estimates(pending)
        first_body = max(0, units[0].tokens - self.overhead)
        # A window may only start with a fragment if every fragment in it fits on its own.
        oversized = max((k for k, u in enumerate(pending) if u.tokens > self.max), default=-1)
        lo = next(
            (k for k in range(oversized + 1, n) if suffix[k] + first_body <= self.max + self.slack),
            n,
        )
        results: dict[int, tuple[int, int, int]] = {}

        def fits(k: int) -> bool:
            seq = pending[k:] + units
            used, tokens = self._next_window(seq[0], seq, 1)
            results[k] = (seq[0].start, used, tokens)
            return used > n - k  # at least one unit of the paragraph came along

        k = _smallest_true(lo, n, fits)
        return k, results.get(k)

    def _suffix_estimates(self, units: list[_Unit]) -> list[int]:
        """suffix[k]: estimated token cost of units[k:] inside a longer window."""
        suffix = [0] * (len(units) + 1)
        for i in range(len(units) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + max(0, units[i].tokens - self.overhead)
        return suffix

    def _resolve(self, fragments: list[_Unit], lone: bool) -> None:
        """Place fragments that found no following paragraph: behind the previous passage if
        that fits, else as their own passage if they contain a real word, else skip them."""
        i = 0
        while i < len(fragments):
            if self.adjacent and self.spans:
                prev = self.spans[-1]
                head = _Unit(prev[0], prev[1], prev[2])
                used, tokens = self._next_window(head, fragments, i)
                if used > i:
                    prev[1] = fragments[used - 1].end
                    prev[2] = tokens
                    self.merged_fragments += used - i
                    i = used
                    continue
            fragment = fragments[i]
            if lone or _WORD3.search(self.text, fragment.start, fragment.end):
                self._emit(fragment)
            else:
                self._skip(_non_space_count(self.text[fragment.start : fragment.end]), "debris")
            i += 1

    def _emit(self, unit: _Unit) -> None:
        """Emit a span as one passage, or as several windows if it is too long."""
        if unit.tokens <= self.max:
            self._append(unit.start, unit.end, unit.tokens)
            return
        self.split_paragraphs += 1
        self._pack(self._sentence_units(unit), 0)

    def _append(self, start: int, end: int, tokens: int) -> None:
        self.spans.append([start, end, tokens])
        self.adjacent = True

    def _skip(self, non_space: int, kind: str) -> None:
        self.kinds[kind] += 1
        self.skipped_fragments += 1
        self.skipped_chars += non_space
        self.adjacent = False

    def _unit(self, start: int, end: int) -> _Unit:
        return _Unit(start, end, self.count_tokens(self.text[start:end]))

    # -- windows ----------------------------------------------------------------------------

    def _pack(self, units: Sequence[_Unit], i: int) -> None:
        """Greedily pack units[i:] into consecutive windows and emit them."""
        while i < len(units):
            used, tokens = self._next_window(units[i], units, i + 1)
            self._append(units[i].start, units[used - 1].end, tokens)
            i = used

    def _next_window(self, head: _Unit, rest: Sequence[_Unit], i: int) -> tuple[int, int]:
        """Extend ``head`` (which fits) with rest[i:j] for the largest j that fits.

        Returns (j, exact token count). Units are counted once each; a window is first sized by
        summing those counts (special tokens taken once) and then counted for real, usually
        once, so packing costs a small constant number of tokenizer passes over the text.
        """
        limit, overhead = self.max, self.overhead
        start = head.start
        good_j, good_tokens = i, head.tokens  # the largest extent known to fit, exactly counted
        estimate = summed = float(head.tokens)  # estimate = summed * scale after the last count
        scale = 1.0
        j = i
        allowance = 0  # a pessimistic sum earns a real count when just over the limit
        while True:
            while j < len(rest):
                cost = max(0, rest[j].tokens - overhead)
                if estimate + cost * scale > limit + allowance:
                    break
                estimate += cost * scale
                summed += cost
                j += 1
            if j == good_j or good_tokens == limit:
                return good_j, good_tokens
            tokens = self.count_tokens(self.text[start : rest[j - 1].end])
            if tokens <= limit:
                # The sum was exact or pessimistic (pieces counted apart cost more than
                # together): learn the ratio on the content and try to go further.
                if tokens < estimate and summed > overhead:
                    scale = min(1.0, max(tokens - overhead, 0) / (summed - overhead))
                    allowance = self.slack
                good_j, good_tokens, estimate = j, tokens, float(tokens)
                continue
            # The sum was optimistic (the tokenizer is not additive here): search in between.
            ends = [unit.end for unit in rest[good_j : j - 1]]
            share = (limit - good_tokens) / max(tokens - good_tokens, 1)
            guess = int(len(ends) * share)
            used, fit_tokens = self._longest_fit(
                start, ends, 0, len(ends), guess, good_tokens, (tokens, len(ends) + 1)
            )
            return (good_j + used, fit_tokens) if used > 0 else (good_j, good_tokens)

    def _sentence_units(self, whole: _Unit) -> list[_Unit]:
        """Sentences of a span, each counted once; over-long ones broken into smaller pieces."""
        units: list[_Unit] = []
        spans = sentence_spans(self.text, whole.start, whole.end)
        for s, e in spans:
            unit = whole if len(spans) == 1 else self._unit(s, e)
            if unit.tokens <= self.max:
                units.append(unit)
            else:
                units.extend(self._word_pieces(unit))
        return units

    def _word_pieces(self, unit: _Unit) -> list[_Unit]:
        """Split an over-long sentence at whitespace into as few runs of words as fit, of
        even length: filling each window greedily would leave a short tail ("with Foreign
        Countries.") to be labelled on its own."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(self.text, unit.start, unit.end)]
        greedy = self._runs_of_words(unit, words, len(words))
        if len(greedy) < 2:
            return greedy
        even = self._runs_of_words(unit, words, -(-len(words) // len(greedy)))
        return even if len(even) == len(greedy) else greedy

    def _runs_of_words(
        self, unit: _Unit, words: Sequence[tuple[int, int]], cap: int
    ) -> list[_Unit]:
        """The longest runs of at most ``cap`` words that fit, in order."""
        ends = [e for _, e in words]
        # First guess from the sentence's own density; later ones reuse the last window's size.
        size = min(self._units_per_window(unit.tokens, len(words)), cap)
        pieces: list[_Unit] = []
        i = 0
        while i < len(words):
            hi = min(len(words), i + cap)
            used, tokens = self._longest_fit(words[i][0], ends, i, hi, i + size)
            if used == i:  # one word alone is too long
                pieces.extend(self._char_pieces(self._unit(*words[i])))
                i += 1
            else:
                pieces.append(_Unit(words[i][0], ends[used - 1], tokens))
                size = used - i
                i = used
        return pieces

    def _char_pieces(self, word: _Unit) -> list[_Unit]:
        """Split one over-long word into the longest runs of characters that fit."""
        start, end = word.start, word.end
        ends = range(start + 1, end + 1)
        size = self._units_per_window(word.tokens, end - start)
        pieces: list[_Unit] = []
        pos = start
        while pos < end:
            lo = pos - start
            used, tokens = self._longest_fit(pos, ends, lo, len(ends), lo + size)
            if used == lo:
                raise ValueError(
                    f"max_tokens={self.max} cannot hold even the single character "
                    f"{self.text[pos]!r} ({self.count_tokens(self.text[pos])} tokens)"
                )
            pieces.append(_Unit(pos, ends[used - 1], tokens))
            size = used - lo
            pos = ends[used - 1]
        return pieces

    def _units_per_window(self, tokens: int, units: int) -> int:
        """How many of ``units`` pieces sharing ``tokens`` tokens should fill one window."""
        per_unit = max(tokens - self.overhead, 1) / max(units, 1)
        return max(1, int((self.max - self.overhead) / per_unit))

    def _longest_fit(
        self,
        start: int,
        ends: Sequence[int],
        lo: int,
        hi: int,
        guess: int,
        lo_tokens: int | None = None,
        known_bad: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """Largest j in (lo, hi] with text[start:ends[j-1]] fitting; (lo, -1) if none does.

        Probes start at ``guess`` and move by inter- or extrapolating the token counts seen so
        far (a few tokenizer calls per window on ordinary text); bisection takes over whenever
        a probe fails to halve the bracket, so the worst case stays logarithmic.
        """
        limit, overhead = self.max, self.overhead
        if hi <= lo:
            return lo, -1
        # lo_tokens: the count at lo if known ("no units" costs about the special tokens);
        # known_bad: (tokens, j) of an extent beyond hi already known not to fit.
        good, good_tokens = lo, overhead if lo_tokens is None else lo_tokens
        bad_tokens, bad = known_bad if known_bad is not None else (-1, hi + 1)
        probe = min(max(guess, lo + 1), hi)
        step = 0  # the last extrapolation's step; repeated ones at least double it
        while True:
            width = bad - good
            tokens = self.count_tokens(self.text[start : ends[probe - 1]])
            if tokens <= limit:
                good, good_tokens = probe, tokens
            else:
                bad, bad_tokens = probe, tokens
            # A window counted at exactly the limit is full: no piece of text costs nothing.
            if bad - good <= 1 or good_tokens == limit:
                break
            if bad_tokens < 0:  # only fits so far: extrapolate
                per_unit = max(good_tokens - overhead, 1) / (good - lo)
                step = max(int((limit - good_tokens) / per_unit), 2 * step, 1)
                probe = min(good + step, hi)
            elif 2 * (bad - good) > width or bad_tokens <= good_tokens:
                probe = (good + bad) // 2
            else:
                share = (limit - good_tokens) / (bad_tokens - good_tokens)
                probe = min(max(good + int((bad - good) * share), good + 1), bad - 1)
        return (good, good_tokens) if good > lo else (lo, -1)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Trimmed (start, end) spans of the sentences in text[start:end], which must be trimmed.

    A sentence ends at ., !, ?, or an ellipsis, with any closing quotes or brackets, before
    whitespace; not after an abbreviation ("Mr.", "No.", "etc."), an initial or dotted acronym
    ("J.", "e.g.", "U.S."), nor when the next word starts in lower case. Decimals ("3.5") have
    no whitespace after the point and so never end one.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    current = start
    for match in _SENT_END.finditer(text, start, end):
        next_char = _NON_SPACE.search(text, match.end(), end)
        if next_char is None or not _is_boundary(text, start, match, next_char.group()):
            continue
        spans.append((current, match.end()))
        current = next_char.start()
    spans.append((current, end))
    return spans


def _is_boundary(text: str, start: int, match: re.Match[str], next_char: str) -> bool:
    if next_char.islower():  # "etc. and", "approx. five", "'Hurrah!' cried the crowd"
        return False
    if match.group().rstrip(_CLOSERS) != ".":
        return True
    dot = match.start()
    before = text[max(start, dot - _ABBREV_LOOKBACK) : dot + 1].split()
    word = before[-1].lstrip(_OPENERS).lower() if before else ""
    return word not in _ABBREVIATIONS and _DOTTED.fullmatch(word) is None


def _smallest_true(lo: int, hi: int, predicate: Callable[[int], bool]) -> int:
    """Smallest k in [lo, hi) with predicate(k), assuming it is monotone; hi if none.

    Whatever is returned below hi was checked, so a non-monotone predicate costs optimality,
    never correctness.
    """
    if lo >= hi:
        return hi
    if predicate(lo):
        return lo
    bad, good = lo, hi
    while good - bad > 1:
        mid = (bad + good) // 2
        if predicate(mid):
            good = mid
        else:
            bad = mid
    return good
