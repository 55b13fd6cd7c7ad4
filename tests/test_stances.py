"""The label set's definitions are the annotation guidelines' own sentences."""

import re

from conftest import REPO

from dprk_stance.stances import DEFINITIONS, GUIDELINES, LABELS


def guideline_definitions(text: str) -> dict[str, str]:
    """label -> the "**Definition.**" paragraph under its ``### `label` `` heading."""
    found = {}
    for match in re.finditer(
        r"^### `([^`]+)`.*?^\*\*Definition\.\*\* (.+?)\n\n", text, re.MULTILINE | re.DOTALL
    ):
        found[match.group(1)] = " ".join(match.group(2).split())
    return found


def test_definitions_match_the_guidelines():
    from_guidelines = guideline_definitions((REPO / GUIDELINES).read_text(encoding="utf-8"))
    assert set(from_guidelines) == set(LABELS)
    assert from_guidelines == DEFINITIONS


def test_the_check_sees_a_changed_definition():
    text = "### `none` (no stance)\n\n**Definition.** Says\nnothing.\n\n**Typical kinds.** x\n"
    assert guideline_definitions(text) == {"none": "Says nothing."}
