"""The structure scanner reads top-level headings exactly as markdown-it-py (CommonMark) does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from collab.text import structure, windows

LINES = st.sampled_from(
    [
        "", "text", "more text with `code`", "# Title", "## Answers", "## Closed (2026-01-01T00:00Z)",
        "### Answer 1", "### Question 2 from b", "### Notes", "#### deep", "## Questions", "#", "##", "### ###",
        "```", "````", "```python", "~~~", "~~~~", "``` ` ```", "  ```", "   ~~~", "    ```",
        "<pre>", "</pre>", "<!--", "-->", "<div>", "</div>", "<script>", "<?php", "<![CDATA[", "]]>",
        "> quote", ">", "> ## Answers", "- item", "-", "1. item", "* item", "+ item", "---", "===", "- - -",
        "    indented code", "\tTabbed", "  ### Answer 3", "   ## Answers", "[ref]: /url", "[//]: # (hidden)",
        "Foo", "  - nested", "***", "Answer 1", "### Answer 9 ##", "#\tTab heading", "#5 not heading",
        # lines that start a top-level block whatever is open (the parse restarts at them), and near misses
        "<!-- collab: end of entry -->", "<!-- x", "<?x ?>", "<!DOCTYPE html>", "<PRE>x</PRE>", "<script",
        "<details>", "</details>", "<h1>t</h1>", "<col/>", "<detailsx>", "<span>", "<a href='x'>", " <!-- x -->",
        "1. ```", "- ~~~", "> ```", "1. <!-- open", "   more", "1. a", "   <div>", "2) b",
    ]
)  # fmt: skip


def reference(text: str) -> list[tuple[int, str, int]]:
    """(level, text, first line) of every top-level heading, by markdown-it-py on the whole text."""
    tokens = MarkdownIt("commonmark").parse(text)
    return [
        (int(t.tag[1]), tokens[i + 1].content.strip(), t.map[0])
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0 and t.map is not None
    ]


def scanned(text: str, start: int = 0) -> list[tuple[int, str, int]]:
    return [(h.level, h.text, text.count("\n", 0, h.start)) for h in structure.top_headings(text, start)]


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, max_size=40), st.sampled_from([windows.WINDOW, 8, 40]))
def test_scanner_agrees_with_commonmark(lines: list[str], window: int) -> None:
    """Every top-level heading, and nothing else, for any mix of blocks; small windows included."""
    text = "\n".join(lines) + "\n"
    old, windows.WINDOW = windows.WINDOW, window
    try:
        assert scanned(text) == reference(text)
    finally:
        windows.WINDOW = old


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=30), st.lists(LINES, max_size=30))
def test_parsing_may_restart_at_any_top_level_heading(before: list[str], after: list[str]) -> None:
    """A checkpoint (a top-level heading's start) gives the same headings as reading from the top."""
    text = "\n".join(before + after) + "\n"
    full = list(structure.top_headings(text))
    for i, heading in enumerate(full):
        assert list(structure.top_headings(text, heading.start)) == full[i:]


def test_unclosed_fence_hides_every_later_heading() -> None:
    """An unclosed fence runs to the end of the document (CommonMark 4.5)."""
    text = "### Answer 1\n```python\nprint(1)\n\n### Answer 2\n"
    assert [h.text for h in structure.top_headings(text)] == ["Answer 1"]


#: Lines for setext-heavy channels: underlines of every kind next to paragraph text, and every line
#: that could start a block or make the text above an underline part of one.
SETEXT_LINES = st.sampled_from(
    [
        "", "", "text", "Text  ", "more text", "Title", "2.5 million", "1234567890. not a list", "x\u00a0",
        "a\x00b", "é ü", "'quoted", "!image", "(aside)", "| a |", "|---|", "[ref]: /url", "[link](x)",
        "===", "---", "=", "-", "--", "=== ", "---\t", "  ===", "   ---", "    ===", "\t---", "==", "= =",
        "- - -", "* * *", "***", "___", "_under_", "*em*", "+ b", "- a", "-a", "* a", "1. a", "12) b", "2. c",
        "1.", "> q", ">", "> ===", "    code", "    more", "  indented", "\tcode", "\fform", "```", "~~~",
        "- ```", "* ```", "> ```", "1. ~~~", "<div>", "</div>", "<pre>", "</pre>", "<!--", "-->", "<span>",
        "## h", "#", "# a #", "#no", "\f", "- a\n\n   ---", "1. a\n\n   b", "- a\n  b", "> q\n>",
        "[a]: /url", "[b]:", "/url", "'ti", "tle'", '"t', "(t", "t)", "- [a]: /url", "> [a]: /url", "1. [a]: /u",
        "<!-- x -->", "<?p ?>", "<details>", "<ul>",
    ]
)  # fmt: skip


def reference_headings(text: str) -> list[tuple[int, str, int, int, str]]:
    """(level, text, start, body start, style) of every top-level heading, by markdown-it-py: the
    offsets of its first line and of the line after it."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    tokens = MarkdownIt("commonmark").parse(text)
    return [
        (int(t.tag[1]), tokens[i + 1].content.strip(), starts[t.map[0]], starts[t.map[1]] if t.map[1] < len(starts)
         else len(text), "setext" if t.markup in "=-" else "atx")
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0 and t.map is not None
    ]  # fmt: skip


def scanned_headings(text: str, start: int = 0) -> list[tuple[int, str, int, int, str]]:
    return [(h.level, h.text, h.start, h.body_start, h.style) for h in structure.top_headings(text, start)]


@settings(max_examples=600, deadline=None)
@given(st.lists(SETEXT_LINES, max_size=40), st.sampled_from([windows.WINDOW, 8, 40]), st.booleans())
def test_setext_headings_are_read_as_commonmark_reads_them(lines: list[str], window: int, newline: bool) -> None:
    """Setext headings and underline-like lines: every top-level heading, its extent and its style."""
    text = "\n".join(lines) + ("\n" if newline else "")
    old, windows.WINDOW = windows.WINDOW, window
    try:
        assert scanned_headings(text) == reference_headings(text)
    finally:
        windows.WINDOW = old


@settings(max_examples=200, deadline=None)
@given(st.lists(SETEXT_LINES, max_size=30), st.sampled_from([windows.WINDOW, 8]))
def test_setext_heavy_channels_may_restart_at_any_top_level_heading(lines: list[str], window: int) -> None:
    """A checkpoint gives the same headings as reading from the top, setext headings included."""
    text = "\n".join(lines) + "\n"
    old, windows.WINDOW = windows.WINDOW, window
    try:
        full = list(structure.top_headings(text))
        for i, heading in enumerate(full):
            assert list(structure.top_headings(text, heading.start)) == full[i:]
    finally:
        windows.WINDOW = old


def test_simple_setext_headings_and_rules_are_read_without_a_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand-written setext headings, thematic breaks and fences never wait for markdown-it-py."""

    def refuse(*_: object) -> None:
        raise AssertionError("the fast path handed this text to markdown-it-py")

    monkeypatch.setattr(windows, "_slow_headings", refuse)
    text = (
        "Title\n=====\nbody text\n\n---\n\nTwo line\nheading  \n  ---\n```\n===\n```\nSection 2\n-\n"
        "## Answers\n---\n12.5 percent\n==\n"
    )
    assert [(h.level, h.text, h.style) for h in structure.top_headings(text)] == [
        (1, "Title", "setext"), (2, "Two line\nheading", "setext"), (2, "Section 2", "setext"),
        (2, "Answers", "atx"), (1, "12.5 percent", "setext"),
    ]  # fmt: skip
    assert scanned_headings(text) == reference_headings(text)


def test_text_that_could_belong_to_a_list_or_quote_is_left_to_the_parser() -> None:
    """Above an underline, a list item, a quote or a lazy line makes the block CommonMark's to decide."""
    for text, expected in [
        ("> q\n===\n", []),
        ("- a\n---\n", []),
        ("1. a\n===\n", []),
        ("text\n- a\n---\n", []),
        ("*em*\n---\n", [(2, "*em*", 0, 9, "setext")]),
        ("[ref]: /url\n===\n", []),
        ("- a\n\ntext\n===\n", [(1, "text", 5, 14, "setext")]),
        ("    code\n===\n", []),
        ("<div>\ntext\n===\n", []),
        ("===\n===\n", [(1, "===", 0, 8, "setext")]),
        ("- a\n\n   ---\n  b\n  ===\n", []),
        ("- a\n\n---\n  b\n  ===\n", [(1, "b", 9, 19, "setext")]),
        ("text\n    ===\n", []),
        ("text\n\t---\n", []),
        ("text\n   ---\n", [(2, "text", 0, 12, "setext")]),
        ("text\n\f\n---\n", [(2, "text", 0, 11, "setext")]),
    ]:
        assert scanned_headings(text) == reference_headings(text) == expected, text


def test_atx_heading_text_is_markdown_it_pys() -> None:
    """NUL reads as U+FFFD and white space CommonMark trims is trimmed, as markdown-it-py does."""
    for text in ["# a\u00a0\n", "# \x00a\n", "## b \u3000#\n", "# c #\u00a0\n"]:
        assert scanned_headings(text) == reference_headings(text), text


@pytest.mark.parametrize(
    "unit",
    [
        "- a\n---\n",
        "text\n===\n    code\n\n",
        "<div>\n\ntext\n===\n",
        "1. a\n  b\n\np\n\n",
        "  x\n" + "p\n\n" * 300 + "## h\n",
    ],
)
def test_markdown_it_py_parses_each_part_of_the_text_about_once(unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The windows handed to markdown-it-py add up to little more than the text, headings or none."""
    parsed = []

    def counting(text: str, start: int, end: int, settled: int) -> tuple[list[structure.TopHeading], int]:
        parsed.append(end - start)
        return slow_headings(text, start, end, settled)

    slow_headings = windows._slow_headings
    monkeypatch.setattr(windows, "_slow_headings", counting)
    monkeypatch.setattr(windows, "WINDOW", 1024)
    text = unit * (20_000 // len(unit))
    assert scanned_headings(text) == reference_headings(text)
    assert sum(parsed) <= 1.25 * len(text)


@pytest.mark.parametrize(
    "text",
    [
        "  x\n\n[a]: /url\n'ti\n===\ntle'\n    y\n",
        "  x\np\n\n[a]: /url\n'ti\nmore\ntle'\n===\n",
        "  x\n- [a]: /url\n'ti\ntle'\n===\n",
        "  x\n> [a]: /url\n'ti\ntle'\n===\n",
        "  x\n1. [a]: /url\n(ti\ntle)\n---\n",
    ],
)
def test_a_window_never_ends_a_reference_definition_early(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A window cut inside a definition's title (CommonMark 4.7) reads nothing the whole text does not."""
    for window in range(1, len(text) + 1):
        monkeypatch.setattr(windows, "WINDOW", window)
        assert scanned_headings(text) == reference_headings(text), window


_INDENTS = st.sampled_from(["", " ", "  ", "   ", "    ", "\t", " \t", "  \t", "      "])
_INDENTED_BODIES = st.sampled_from(
    [
        "## h",
        "# h",
        "```",
        "~~~",
        "<div>",
        "<pre>",
        "</pre>",
        "- a",
        "* b",
        "1. c",
        "> q",
        "text",
        "===",
        "---",
        "- - -",
        "[a]: /u",
        "'t",
        "",
        "```js",
        "-->",
        "<!--",
        "x",
        "`code` span",
        "``two``",
        "~x",
        "~~",
        "``",
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.builds(lambda i, b: i + b, _INDENTS, _INDENTED_BODIES), max_size=40),
    st.one_of(st.just(windows.WINDOW), st.integers(1, 60)),
)
def test_indented_lines_are_read_as_commonmark_reads_them(lines: list[str], window: int) -> None:
    """Indented lines (code, list continuations) stay on the fast path unless they could open a
    block a later column-0 line depends on: markdown-it-py must agree, with any window size."""
    text = "\n".join(lines) + "\n"
    old, windows.WINDOW = windows.WINDOW, window
    try:
        assert scanned_headings(text) == reference_headings(text), text
    finally:
        windows.WINDOW = old
