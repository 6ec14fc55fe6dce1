from hypothesis import given, settings
from hypothesis import strategies as st

from collab.blocks import (
    WRAP_INFO,
    body_is_safe,
    closer_for,
    neutralise,
    normalize_body,
    scan_headings,
    scan_text,
    unwrap,
)

DOC = (
    "# T\n\nintro\n## Answers\n\n### Answer 1 (x)\nbody\n\n```\n### Answer 9\n```\n\n"
    "Setext\n---\n   ### Answer 2\n    ### Answer 3\n> ### Answer 4\n- ### Answer 5\n\n<div>\n### Answer 6\n</div>\n"
)


def test_offsets_point_at_the_heading_lines():
    headings = scan_headings(DOC)
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


plain_line = st.sampled_from(
    [
        "",
        "text",
        "# Title",
        "## Answers",
        "### Answer 1 (2026-06-22T14:02Z)",
        "### Answer 2 from b re Request 1 ###",
        "### Foo#",
        "### #",
        "###",
        "##\t tabbed  ##  ",
        "####### seven",
        "#hashtag",
        "\\### escaped",
        "- item",
        "1. item",
        "* * *",
        "___",
        "| a | b |",
        "[x]: /url",
        "## Closed (2026-06-22T15:00Z) by a",
        "text with `code` and <b>inline html</b>",
        "###### six",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(plain_line, max_size=12))
def test_plain_text_headings_agree_with_mistune(lines):
    from collab.blocks import _mistune_headings, is_plain

    text = "\n".join(lines)
    assert is_plain(text)
    assert scan_headings(text) == _mistune_headings(text)


def test_text_that_is_not_plain_goes_to_mistune():
    from collab.blocks import is_plain

    for text in ("```\n### Answer 9\n```", "    ### Answer 9", "Title\n---", "> ### Answer 9", "<div>\n\n### X"):
        assert not is_plain(text), text
    assert [h.text for h in scan_headings("```\n### Answer 9\n```\n### Answer 1\n")] == ["Answer 1"]
