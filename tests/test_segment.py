"""Tests for passage segmentation: coverage invariant, window limits, fragments, splitting."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dprk_stance.segment import Segmentation, furniture_kind, segment, sentence_spans


def count_tokens(s: str) -> int:
    """Whitespace words plus two special tokens, like [CLS] ... [SEP]."""
    return len(s.split()) + 2


def count_chars(s: str) -> int:
    """A deliberately non-additive counter: joining two pieces costs extra (the space)."""
    return (len(s) + 3) // 4 + 2


def count_pairs(s: str) -> int:
    """A counter that summing overestimates: two words per token, so pieces round up."""
    return (len(s.split()) + 1) // 2 + 2


def non_space(s: str) -> int:
    return sum(1 for ch in s if not ch.isspace())


def check_invariants(
    text: str, seg: Segmentation, counter: Callable[[str], int], max_tokens: int
) -> None:
    previous_end = 0
    covered = 0
    for i, passage in enumerate(seg.passages):
        assert passage.index == i
        assert previous_end <= passage.start < passage.end <= len(text)
        assert passage.text == text[passage.start : passage.end]
        assert passage.text == passage.text.strip()
        assert counter(passage.text) <= max_tokens
        covered += non_space(passage.text)
        previous_end = passage.end
    # Together with ordered, non-overlapping spans: each non-space character is in exactly one
    # passage or counted as skipped.
    assert covered + seg.skipped_chars == non_space(text)
    assert min(seg.skipped_chars, seg.skipped_fragments, seg.merged_fragments) >= 0


def sentences(n: int, start: int = 0) -> str:
    return " ".join(
        f"Sentence {i} says the plan for light industry was fulfilled." for i in range(start, n)
    )


# -- property tests -------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "word",
        "Kim",
        "economy",
        "plan.",
        "Plan",
        "Mr.",
        "Dr.",
        "No.",
        "e.g.",
        "i.e.",
        "etc.",
        "U.S.",
        "3.5",
        "12",
        "- 12 -",
        "Page",
        "3/17",
        "!",
        "?",
        "\u2026",
        '."',
        ".)",
        "\u00ab",
        "\u2014",
        "a",
        "I",
        "\uc870\uc120",
        "x" * 37,
        "Self-reliance",
    ]
)
SEPARATORS = st.sampled_from(
    [" ", " ", " ", " ", "\n", "\n\n", " \n\t\n", "\r\n\r\n", "\t", "\u00a0", "\n \n\n", ""]
)
DOCUMENTS = st.lists(st.tuples(PIECES, SEPARATORS), max_size=250).map(
    lambda parts: "".join(a + b for a, b in parts)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCUMENTS, max_tokens=st.integers(3, 40), min_chars=st.integers(0, 60))
def test_invariant_word_counter(text: str, max_tokens: int, min_chars: int) -> None:
    seg = segment(text, count_tokens, max_tokens, min_chars)
    check_invariants(text, seg, count_tokens, max_tokens)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCUMENTS, max_tokens=st.integers(3, 30), min_chars=st.integers(0, 60))
def test_invariant_non_additive_counter(text: str, max_tokens: int, min_chars: int) -> None:
    seg = segment(text, count_chars, max_tokens, min_chars)
    check_invariants(text, seg, count_chars, max_tokens)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCUMENTS, max_tokens=st.integers(3, 30), min_chars=st.integers(0, 60))
def test_invariant_pessimistic_counter(text: str, max_tokens: int, min_chars: int) -> None:
    seg = segment(text, count_pairs, max_tokens, min_chars)
    check_invariants(text, seg, count_pairs, max_tokens)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), max_tokens=st.integers(3, 20), min_chars=st.integers(0, 50))
def test_invariant_arbitrary_unicode(text: str, max_tokens: int, min_chars: int) -> None:
    seg = segment(text, count_tokens, max_tokens, min_chars)
    check_invariants(text, seg, count_tokens, max_tokens)


# -- paragraphs -----------------------------------------------------------------------------


def test_paragraphs_split_on_blank_lines_and_keep_soft_wraps() -> None:
    first = "The cabinet set out the tasks of the year\nfor the metal industry in detail."
    second = "Farmers in South Hwanghae Province finished\nrice transplanting ahead of time."
    text = f"  {first}\n \t \n\n{second}\r\n"
    seg = segment(text, count_tokens, 100, min_chars=10)
    assert [p.text for p in seg.passages] == [first, second]
    assert seg.passages[0].start == 2
    assert (seg.skipped_chars, seg.skipped_fragments, seg.merged_fragments) == (0, 0, 0)


def test_empty_and_whitespace_text_yield_nothing() -> None:
    for text in ("", "   \n\n\t "):
        seg = segment(text, count_tokens, 10)
        assert seg.passages == []
        assert seg.skipped_chars == 0


def test_long_paragraph_split_at_sentence_boundaries() -> None:
    text = sentences(30)
    seg = segment(text, count_tokens, 50)
    check_invariants(text, seg, count_tokens, 50)
    assert seg.split_paragraphs == 1
    assert len(seg.passages) > 3
    for passage in seg.passages:
        assert passage.text.startswith("Sentence ")
        assert passage.text.endswith("fulfilled.")
    # Greedy: each window but the last cannot take the next sentence as well.
    for current, following in zip(seg.passages, seg.passages[1:], strict=False):
        next_sentence_end = text.index("fulfilled.", following.start) + len("fulfilled.")
        assert count_tokens(text[current.start : next_sentence_end]) > 50


@pytest.mark.parametrize("counter", [count_tokens, count_chars, count_pairs])
def test_windows_are_filled_greedily(counter: Callable[[str], int]) -> None:
    """Whether summed sentence counts are exact, optimistic or pessimistic, no window could
    have taken the next sentence too."""
    text = " ".join(f"Output rose {i}." for i in range(200))  # three words each
    seg = segment(text, counter, 20)
    check_invariants(text, seg, counter, 20)
    for current, following in zip(seg.passages, seg.passages[1:], strict=False):
        next_end = text.index(".", following.start) + 1
        assert counter(text[current.start : next_end]) > 20


def test_paragraph_that_fits_is_not_split() -> None:
    text = sentences(3)
    seg = segment(text, count_tokens, count_tokens(text))
    assert [p.text for p in seg.passages] == [text]
    assert seg.split_paragraphs == 0


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = (
        'He said: "The plan was fulfilled ahead of time." (This is what the report says.) '
        "Output rose again? Yes! It rose\u2026 Then the meeting closed."
    )
    seg = segment(text, count_tokens, 11, min_chars=5)
    check_invariants(text, seg, count_tokens, 11)
    assert [p.text for p in seg.passages] == [
        'He said: "The plan was fulfilled ahead of time."',
        "(This is what the report says.) Output rose again?",
        "Yes! It rose\u2026 Then the meeting closed.",
    ]


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    sentence = (
        "Mr. Kim told Dr. Ri that No. 3 plant, e.g. the new one, i.e. the largest, "
        "raised output 3.5 times with coal, steel etc. And the Prof. Pak group approved."
    )
    text = " ".join([sentence] * 6)
    # One sentence plus a few words fits, two sentences do not: a false break after "Mr."
    # would let "Mr." (or more) join the previous window.
    limit = count_tokens(sentence) + 3
    seg = segment(text, count_tokens, limit)
    check_invariants(text, seg, count_tokens, limit)
    assert [p.text for p in seg.passages] == [sentence] * 6


def test_lowercase_after_terminal_punctuation_is_not_a_boundary() -> None:
    sentence = '"Hurrah!" shouted the crowd at the rally in the square.'
    text = " ".join([sentence] * 5)
    limit = count_tokens(sentence) + 2
    seg = segment(text, count_tokens, limit)
    assert [p.text for p in seg.passages] == [sentence] * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Kim met Dr. Ri. They talked.", ["Mr. Kim met Dr. Ri.", "They talked."]),
        ("Output rose 3.5 times. Good.", ["Output rose 3.5 times.", "Good."]),
        (
            "See No. 3, e.g. this, i.e. that, etc. Then stop.",
            ["See No. 3, e.g. this, i.e. that, etc. Then stop."],
        ),
        ("The U.S. Army left. J. Smith stayed.", ["The U.S. Army left.", "J. Smith stayed."]),
        ('He said "Go!" Then he left.', ['He said "Go!"', "Then he left."]),
        (
            "It ended (finally.) Next came… More? Yes!",
            ["It ended (finally.)", "Next came…", "More?", "Yes!"],
        ),
        ("approx. five tons. Done", ["approx. five tons.", "Done"]),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_giant_single_sentence_split_at_whitespace() -> None:
    words = [f"w{i}" for i in range(1000)]
    text = " ".join(words)  # no sentence boundary at all
    seg = segment(text, count_tokens, 64)
    check_invariants(text, seg, count_tokens, 64)
    assert seg.split_paragraphs == 1
    assert [w for p in seg.passages for w in p.text.split()] == words
    # as few pieces as greedy filling (1000 words, 62 per window: 17), but of even length,
    # so no short tail is left to be labelled on its own
    lengths = [len(p.text.split()) for p in seg.passages]
    assert len(lengths) == 17 and max(lengths) - min(lengths) <= 3


def test_a_sentence_just_over_the_window_splits_in_halves_not_window_and_tail() -> None:
    """Bug: a 600-character guest list was cut into one full window and the tail "with
    Foreign Countries.", which was then labelled with confidence on its own."""
    words = [f"w{i}" for i in range(70)]
    text = " ".join(words) + "."
    seg = segment(text, count_tokens, 64)
    check_invariants(text, seg, count_tokens, 64)
    assert [len(p.text.split()) for p in seg.passages] == [35, 35]


def test_giant_word_split_at_characters() -> None:
    text = "Intro words here. " + "x" * 500 + " and the end."
    seg = segment(text, count_chars, 20)
    check_invariants(text, seg, count_chars, 20)
    assert "".join(p.text for p in seg.passages if set(p.text) == {"x"}) != ""
    assert "".join(p.text.replace(" ", "") for p in seg.passages) == text.replace(" ", "")


def test_max_tokens_below_one_character_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        segment("Some words in a paragraph that is long enough to matter.", count_tokens, 2)
    with pytest.raises(ValueError):
        segment("text", count_tokens, 0)


# -- fragments ------------------------------------------------------------------------------


@pytest.mark.parametrize("junk", ["- 12 -", "Page 3", "3/17", "12", "* * *", "\u2022", "p. 7"])
def test_page_numbers_and_symbols_are_skipped(junk: str) -> None:
    body1 = "The first paragraph talks about the people's economy at length."
    body2 = "The second paragraph continues the argument about the plan."
    text = f"{body1}\n\n{junk}\n\n{body2}"
    seg = segment(text, count_tokens, 100)
    assert [p.text for p in seg.passages] == [body1, body2]
    assert seg.skipped_fragments == 1
    assert seg.skipped_chars == non_space(junk)
    check_invariants(text, seg, count_tokens, 100)


def test_short_sentences_merged_into_following_paragraph() -> None:
    body = "The people's economy must be managed in a unified way by the state."
    text = f"Trade grew.\n\nIt grew again.\n\n{body}"
    seg = segment(text, count_tokens, 100)
    assert len(seg.passages) == 1
    assert seg.passages[0].start == 0
    assert seg.passages[0].text == text
    assert seg.merged_fragments == 2


def test_header_leads_the_first_window_of_a_split_paragraph() -> None:
    body = sentences(20)
    text = f"Two points.\n\n{body}"
    seg = segment(text, count_tokens, 40)
    check_invariants(text, seg, count_tokens, 40)
    assert seg.split_paragraphs == 1
    assert seg.merged_fragments == 1
    assert seg.passages[0].text.startswith("Two points.\n\nSentence 0 ")


def test_header_merged_backwards_when_following_paragraph_is_full() -> None:
    before = "A short opening paragraph of enough characters to count."
    after = sentences(2)  # exactly fills the window
    limit = count_tokens(after)
    text = f"{before}\n\nAn aside line.\n\n{after}"
    seg = segment(text, count_tokens, limit)
    check_invariants(text, seg, count_tokens, limit)
    assert [p.text for p in seg.passages] == [f"{before}\n\nAn aside line.", after]
    assert seg.merged_fragments == 1


def test_trailing_fragment_merged_into_preceding_passage() -> None:
    body = "The conference discussed measures for improving economic management."
    text = f"{body}\n\n(KCNA, Pyongyang)"
    seg = segment(text, count_tokens, 100)
    assert [p.text for p in seg.passages] == [text]
    assert seg.merged_fragments == 1


def test_fragment_without_neighbours_kept_if_it_has_a_word() -> None:
    body = "The conference discussed measures for improving economic management."
    # Junk on both sides: the fragment cannot merge anywhere.
    text = f"{body}\n\n- 1 -\n\nA real sentence.\n\n- 2 -\n\n(b)\n\n- 3 -\n\n{body}"
    seg = segment(text, count_tokens, 100)
    assert [p.text for p in seg.passages] == [body, "A real sentence.", body]
    assert seg.skipped_fragments == 4  # three page numbers and "(b)"
    check_invariants(text, seg, count_tokens, 100)


def test_page_number_is_a_barrier_for_merging() -> None:
    """A merged span never swallows a skipped page number, so the header goes backwards."""
    before = "The closing paragraph of the previous article ends here."
    body = "The people's economy must be managed in a unified way by the state."
    text = f"{before}\n\n- 7 -\n\nNew line here.\n\n- 8 -\n\n{body}\n\nTail note."
    seg = segment(text, count_tokens, 100)
    assert [p.text for p in seg.passages] == [before, "New line here.", f"{body}\n\nTail note."]
    assert (seg.skipped_fragments, seg.merged_fragments) == (2, 1)


def test_one_line_document_is_kept() -> None:
    for line in ("Economic review", "Hi", "  Juche  \n"):
        seg = segment(line, count_tokens, 512)
        assert [p.text for p in seg.passages] == [line.strip()]
        assert seg.skipped_chars == 0
    assert segment("12", count_tokens, 512).passages == []


def test_many_fragments_pack_greedily() -> None:
    lines = [f"Item {i} done." for i in range(200)]
    text = "\n\n".join(lines)
    seg = segment(text, count_tokens, 30)
    check_invariants(text, seg, count_tokens, 30)
    assert seg.skipped_chars == 0
    assert len(seg.passages) < 40


# -- efficiency -----------------------------------------------------------------------------


class CountingCounter:
    def __init__(self, inner: Callable[[str], int]) -> None:
        self.inner = inner
        self.chars = 0
        self.calls = 0

    def __call__(self, s: str) -> int:
        self.chars += len(s)
        self.calls += 1
        return self.inner(s)


@pytest.mark.parametrize(
    "text",
    [
        sentences(700),  # one 40,000-character paragraph of sentences
        " ".join(f"w{i}" for i in range(8000)),  # one 40,000-character sentence
        "\n\n".join(sentences(i + 6, i) for i in range(0, 700, 6)),  # many paragraphs
        "\n\n".join(f"Item {i} of the list." for i in range(2000)),  # many fragments
    ],
)
@pytest.mark.parametrize("inner", [count_tokens, count_chars])
def test_tokenisation_work_is_linear(text: str, inner: Callable[[str], int]) -> None:
    counter = CountingCounter(inner)
    seg = segment(text, counter, 128)
    check_invariants(text, seg, inner, 128)
    assert counter.chars <= 6 * len(text)


# -- furniture (issue 10, kind 4) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "kind"),
    [
        ("Kim Chol Nam, Researcher, Institute of Economics", "byline"),
        ("By Ri Chol", "byline"),
        ("1) Kim Jong Un, Works, Vol. 3, p. 47", "footnote"),
        ("[2] Ibid., p. 12.", "footnote"),
        (
            "Kim Il Sung, Works, Vol. 12 (Pyongyang: Foreign Languages Publishing House), p. 3.",
            "footnote",
        ),
        ("Contents\nIntroduction ........ 3\nTrade ........ 7", "toc"),
        ("ON ECONOMIC MANAGEMENT", "heading"),
        ("2. Improving the System of Prices", "heading"),
        ("Box 1.", "heading"),
        ("Trade grew.", None),
        ("(KCNA, Pyongyang)", None),
        ("1) Enterprises should set their own prices in 2016.", None),
        ("In Kyongje Yongu (2016, No. 2) economists argued that enterprises set prices.", None),
    ],
)
def test_furniture_kind(paragraph: str, kind: str | None) -> None:
    assert furniture_kind(paragraph) == kind


def test_furniture_is_skipped_and_counted_by_kind() -> None:
    body = "The people's economy must be managed in a unified way by the state."
    text = (
        f"ON ECONOMIC MANAGEMENT\n\nBy Ri Chol\n\n{body}\n\n- 2 -\n\n"
        "1) Kim Jong Un, Works, Vol. 3, p. 47"
    )
    seg = segment(text, count_tokens, 100)
    assert [p.text for p in seg.passages] == [body]
    assert seg.furniture == {"heading": 1, "byline": 1, "page-number": 1, "footnote": 1}
    assert seg.skipped_fragments == 4
    check_invariants(text, seg, count_tokens, 100)
    # A heading alone is the whole text (a one-line document), and predict opts out.
    assert [p.text for p in segment("ON ECONOMIC MANAGEMENT", count_tokens, 100).passages] == [
        "ON ECONOMIC MANAGEMENT"
    ]
    assert len(segment(text, count_tokens, 100, furniture=False).passages) == 2
