"""The structure scanner reads top-level headings exactly as markdown-it-py (CommonMark) does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from collab import structure

LINES = st.sampled_from(
    [
        "", "text", "more text with `code`", "# Title", "## Answers", "## Closed (2026-01-01T00:00Z)",
        "### Answer 1", "### Question 2 from b", "### Notes", "#### deep", "## Questions", "#", "##", "### ###",
        "```", "````", "```python", "~~~", "~~~~", "``` ` ```", "  ```", "   ~~~", "    ```",
        "<pre>", "</pre>", "<!--", "-->", "<div>", "</div>", "<script>", "<?php", "<![CDATA[", "]]>",
        "> quote", ">", "> ## Answers", "- item", "-", "1. item", "* item", "+ item", "---", "===", "- - -",
        "    indented code", "\tTabbed", "  ### Answer 3", "   ## Answers", "[ref]: /url", "[//]: # (hidden)",
        "Foo", "  - nested", "***", "Answer 1", "### Answer 9 ##", "#\tTab heading", "#5 not heading",
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
@given(st.lists(LINES, max_size=40), st.sampled_from([structure.WINDOW, 8, 40]))
def test_scanner_agrees_with_commonmark(lines: list[str], window: int) -> None:
    """Every top-level heading, and nothing else, for any mix of blocks; small windows included."""
    text = "\n".join(lines) + "\n"
    old, structure.WINDOW = structure.WINDOW, window
    try:
        assert scanned(text) == reference(text)
    finally:
        structure.WINDOW = old


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
