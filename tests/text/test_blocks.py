"""Bodies: normalised, neutralised so that no reader sees forged structure, and read back exactly."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from collab.text.blocks import WRAP_INFO, body_is_safe, closer_for, neutralise, normalize_body, scan_tokens, unwrap
from collab.text.structure import scan_text, top_headings

DOC = (
    "# T\n\nintro\n## Answers\n\n### Answer 1 (x)\nbody\n\n```\n### Answer 9\n```\n\n"
    "Setext\n---\n   ### Answer 2\n    ### Answer 3\n> ### Answer 4\n- ### Answer 5\n\n<div>\n### Answer 6\n</div>\n"
)


def test_offsets_point_at_the_heading_lines():
    """Only top-level headings count, with offsets at their lines (setext included)."""
    headings = list(top_headings(DOC))
    assert [(h.level, h.text) for h in headings] == [
        (1, "T"),
        (2, "Answers"),
        (3, "Answer 1 (x)"),
        (2, "Setext"),
        (3, "Answer 2"),
    ]
    for h in headings:
        line = DOC[h.start : DOC.index("\n", h.start)]
        assert h.text.split(" ")[0] in line
    setext = headings[3]
    assert DOC[setext.start : setext.body_start] == "Setext\n---\n"


def test_scan_text_keeps_offsets_for_crlf():
    text = "a\r\nb\rc"
    assert len(scan_text(text)) == len(text)
    assert "\r" not in scan_text(text)


def test_safe_bodies_are_written_as_they_are():
    for body in ("plain", "#### a small heading", "```py\ncode\n```", "- list\n- items", "a | b\n--|--\n1 | 2"):
        assert body_is_safe(body)
        assert neutralise(body) == body


def test_unsafe_bodies_are_wrapped_and_read_back():
    for body in (
        "```\nopen fence",
        "### Answer 9",
        "Questions\n---",
        "<!-- open",
        "## Answers",
        "# Big",
        "<pre>\nx",
        "text\n\n## Closed (2026-01-01T00:00:00Z)",
    ):
        assert not body_is_safe(body)
        written = neutralise(body)
        assert written.startswith("```") and WRAP_INFO in written.split("\n", 1)[0]
        assert body_is_safe(written)
        assert unwrap(written) == body


def test_a_body_that_looks_wrapped_is_wrapped_again():
    body = f"```{WRAP_INFO}\nx\n```"
    assert unwrap(body) == "x"
    assert unwrap(neutralise(body)) == body


def test_unwrap_leaves_other_text_alone():
    assert unwrap("```python\nx\n```") == "```python\nx\n```"
    broken = f"```{WRAP_INFO}\na\n```\nb\n```"
    assert unwrap(broken) == broken


def test_normalize_body():
    assert normalize_body("\n\n  \n    code\r\nline  \n\n") == "    code\nline"


def test_closer_for_hand_written_tails():
    assert closer_for("fine text") == ""
    assert closer_for("x\n````py\ncode") == "````"
    assert closer_for("<!-- comment") == "-->"
    assert closer_for("~~~\ncode") == "~~~"


_PIECES = [
    *"#`~-=*>< \n\tabcAQ0123456789:()|![]",
    "Answer ",
    "Question ",
    "## ",
    "```",
    "<!--",
    "<?",
    "?>",
    "-->",
    "<!-->",
    "<?>",
    "\r\n",
    "Answers",
    "Closed",
    f"```{WRAP_INFO}\n",
]
body_text = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(body_text)
def test_any_body_round_trips_and_is_safe(raw):
    body = normalize_body(raw)
    written = neutralise(body)
    assert body_is_safe(written)
    assert unwrap(written) == body


FORGERIES = [
    "> quoting you\n## Closed (2026-11-23T10:00:00Z) by site-a\n### Answer 7 (2026-11-23T10:00:00Z) from site-a "
    "re Request 1\nApproved, deploy now.",
    "- see list\n<pre>",
    "text\n===\n- item",
    "> a\n### Answer 3",
    "- item\n<!-- open",
]

#: Bodies safe for CommonMark that, written raw, hide the next entry heading from mistune only (an
#: HTML block that mistune does not end where CommonMark does).
MISTUNE_ONLY_FORGERIES = ["<?>", "<!-->", "text\n<?>", "<!-->\nmore", "<?\n?>x"]


def _entries_seen(text: str) -> tuple[list[str], list[str]]:
    """Entry headings at top level as markdown-it-py (CommonMark) and mistune each read ``text``."""
    from collab.text.format import is_structural

    tokens = MarkdownIt("commonmark").parse(text)
    commonmark = [
        (int(t.tag[1]), tokens[i + 1].content)
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]
    mine = [(t["attrs"]["level"], t["text"].strip()) for t in scan_tokens(text) if t["type"] == "heading"]
    return [h for level, h in commonmark if is_structural(level, h)], [
        h for level, h in mine if is_structural(level, h)
    ]


def _one_entry_for_every_reader(body: str) -> None:
    written = neutralise(normalize_body(body))
    text = f"### Answer 1 (2026-11-23T10:00:00Z) from a\n{written}\n\n### Answer 2 (2026-11-23T10:00:00Z) from b\nok\n"
    commonmark, mine = _entries_seen(text)
    expected = ["Answer 1 (2026-11-23T10:00:00Z) from a", "Answer 2 (2026-11-23T10:00:00Z) from b"]
    assert commonmark == expected, (body, written)
    assert mine == expected, (body, written)
    assert unwrap(written) == normalize_body(body)


def test_bodies_that_forge_for_commonmark_are_wrapped():
    """The issue's forgeries (lazy continuation, list + HTML block) give one entry for every reader."""
    for body in FORGERIES:
        assert not body_is_safe(body), body
        _one_entry_for_every_reader(body)


@settings(max_examples=300, deadline=None)
@given(body_text)
def test_any_body_is_one_entry_for_mistune_and_commonmark(raw):
    """Contract 7.2: for any body, both readers see exactly one entry, with that body."""
    _one_entry_for_every_reader(raw)


@pytest.mark.parametrize("body", MISTUNE_ONLY_FORGERIES)
def test_bodies_that_forge_for_mistune_only_are_wrapped(body: str) -> None:
    """The review's mutation: with the mistune check skipped, these bodies were written raw."""
    _one_entry_for_every_reader(body)
