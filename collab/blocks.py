"""Top-level markdown block structure with source offsets, and body neutralisation.

mistune gives no source positions, so :class:`_PositionedState` records the block parser's cursor
each time a top-level token is started. That is the character offset where the block begins
(CommonMark block structure, as mistune implements it). This leans on mistune's ``BlockState``
internals; ``pyproject.toml`` pins the mistune range and ``tests/test_blocks.py`` checks the offsets.

Most bodies are plain: every line starts at column 0 with something that opens no container and no
multi-line block (no indentation, fence, HTML, blockquote, or setext underline). In such text every
top-level heading is an ATX heading line, so :func:`scan_headings` reads those with one regex and
does not load mistune at all; anything else goes to mistune. ``tests/test_blocks.py`` checks, with
Hypothesis, that both paths agree on plain text.

A *structural* heading is one the channel parser treats as a boundary: any level-1 or level-2
heading (ATX or setext), or a level-3 heading whose text starts with ``Answer`` or ``Question``.
A body may contain none at top level, and must not leave a code fence, HTML block or similar open
so that it would swallow the heading after it. A body that breaks either rule is written inside a
fence whose info string is :data:`WRAP_INFO` and unwrapped on reading, so it reads back exactly.
"""

import functools
import re
from typing import Any, NamedTuple

from collab.grammar import is_entry_heading

#: Info string of the fence that carries a body which could not be written as plain markdown.
WRAP_INFO = "collab-body"

_SENTINEL = "### collab-sentinel"
_BACKTICK_RUN = re.compile(r"`+")
_BLANK_LINES_AT_START = re.compile(r"\A(?:[ \t]*\n)+")

# A line that makes text not plain: indented, a fence, HTML, a blockquote, or a setext underline.
_NOT_PLAIN = re.compile(r"^(?:[ \t\f\v]|`{3}|~{3}|<|>|=+[ \t]*$|-+[ \t]*$)", re.MULTILINE)
# An ATX heading at column 0 (CommonMark 4.2), as mistune reads it: 1-6 '#', then space or the end.
_ATX = re.compile(r"^(#{1,6})(?!#)([ \t]*|[ \t]+.*?)$", re.MULTILINE)
_ATX_CLOSING = re.compile(r"(\s+|^)#+\s*$")


class TopHeading(NamedTuple):
    """A heading that is a top-level block. Offsets are character offsets into the scanned text.

    ``start`` is where the heading's first line begins, ``body_start`` where the text after it begins.
    """

    level: int
    text: str
    start: int
    body_start: int
    style: str


@functools.cache
def _parser() -> tuple[Any, type[Any]]:
    """mistune's block parser and a state class that records offsets (imported on first use)."""
    import mistune
    from mistune.core import BlockState

    class PositionedState(BlockState):
        """A BlockState that stamps each token it starts with the parser's cursor (a character offset)."""

        def append_token(self, token: dict[str, Any]) -> None:
            token["_start"] = self.cursor
            super().append_token(token)

        def add_paragraph(self, text: str) -> None:
            last = self.last_token()
            if not (last and last["type"] == "paragraph"):
                self.tokens.append({"type": "paragraph", "text": "", "_start": self.cursor})
            super().add_paragraph(text)

    return mistune.create_markdown(renderer=None).block, PositionedState


def scan_tokens(text: str) -> list[dict[str, Any]]:
    """Parse ``text`` at block level (no inline parsing) and return mistune's top-level tokens.

    Each token carries ``_start``, its character offset in ``text``. ``text`` should use ``\\n`` line
    endings (see :func:`scan_text`).
    """
    block, state_class = _parser()
    state = state_class()
    state.process(text if text.endswith("\n") else text + "\n")
    block.parse(state)
    tokens: list[dict[str, Any]] = state.tokens
    return tokens


def is_plain(text: str) -> bool:
    """True when no line of ``text`` is indented, opens a fence, HTML or a blockquote, or underlines."""
    return _NOT_PLAIN.search(text) is None


def scan_headings(text: str) -> list[TopHeading]:
    """Return the top-level headings of ``text`` in order, with their character offsets."""
    if is_plain(text):
        return [_atx(m, len(text)) for m in _ATX.finditer(text)]
    return _mistune_headings(text)


def _mistune_headings(text: str) -> list[TopHeading]:
    tokens = scan_tokens(text)
    headings: list[TopHeading] = []
    for i, token in enumerate(tokens):
        if token["type"] != "heading":
            continue
        start = token["_start"]
        if token.get("style") == "setext":
            # The heading ends where the next block starts (or at the end of the text).
            body_start = tokens[i + 1]["_start"] if i + 1 < len(tokens) else len(text)
        else:
            line_end = text.find("\n", start)
            body_start = len(text) if line_end < 0 else line_end + 1
        headings.append(TopHeading(token["attrs"]["level"], token["text"].strip(), start, body_start, token["style"]))
    return headings


def atx_text(line: str) -> str:
    """The text of an ATX heading line (``### Answer 1 ###`` gives ``Answer 1``), as mistune reads it."""
    match = _ATX.match(line.strip(" ").rstrip("\r"))
    return _ATX_CLOSING.sub("", match.group(2)).strip() if match else line.strip()


def _atx(match: re.Match[str], size: int) -> TopHeading:
    end = match.end()
    text = _ATX_CLOSING.sub("", match.group(2)).strip()
    return TopHeading(len(match.group(1)), text, match.start(), min(end + 1, size), "atx")


def scan_text(text: str) -> str:
    """Return ``text`` with CRLF and lone CR line ends turned into LF without moving any offset.

    ``\\r\\n`` becomes `` \\n`` (trailing white space, which no block structure depends on), so a
    character offset in the result is the same offset in ``text``.
    """
    return text.replace("\r\n", " \n").replace("\r", "\n")


def is_structural(level: int, text: str) -> bool:
    """True for headings that delimit the channel: levels 1-2, and level-3 ``Answer``/``Question``."""
    return level <= 2 or (level == 3 and is_entry_heading(text))


def _ends_open(text: str) -> bool:
    """True when something in ``text`` would swallow a heading placed after it (or is structure)."""
    probe = text.rstrip("\n") + "\n\n" + _SENTINEL + "\n"
    expected = len(text.rstrip("\n")) + 2
    headings = scan_headings(probe)
    return not headings or headings[-1].start != expected or headings[-1].text != _SENTINEL[4:]


def body_is_safe(body: str) -> bool:
    """True when ``body`` can be written as plain markdown: no structural heading, nothing left open."""
    if _ends_open(body):
        return False
    return not any(is_structural(h.level, h.text) for h in scan_headings(body))


def normalize_body(text: str) -> str:
    """The canonical form of a body: LF line ends, no leading blank lines, no trailing white space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES_AT_START.sub("", text).rstrip()


def _fence_for(body: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0)
    return "`" * max(3, longest + 1)


def wrap(body: str) -> str:
    """Put ``body`` inside a fence that nothing in it can close, marked with :data:`WRAP_INFO`."""
    fence = _fence_for(body)
    return f"{fence}{WRAP_INFO}\n{body}\n{fence}"


def unwrap(body: str) -> str:
    """Undo :func:`wrap`; any other text is returned unchanged."""
    if not body.startswith("```"):  # most bodies: no pattern to build or run
        return body
    m = re.fullmatch(r"(`{3,})" + re.escape(WRAP_INFO) + r"\n(.*)\n\1", body, re.DOTALL)
    if not m:
        return body
    fence, inner = m.group(1), m.group(2)
    if re.search(rf"^ {{0,3}}`{{{len(fence)},}}[ \t]*$", inner, re.MULTILINE):
        return body
    return inner


def neutralise(body: str) -> str:
    """Return the markdown to write for a normalised ``body`` so that it stays one entry.

    The result never holds a structural heading at top level and never leaves a block open, and
    ``unwrap(neutralise(b)) == b`` for every normalised body ``b``.
    """
    if body_is_safe(body) and unwrap(body) == body:
        return body
    return wrap(body)


_CLOSERS = ("", "-->", "?>", "]]>", ">", "</pre>", "</script>", "</style>", "</textarea>")


def closer_for(tail: str) -> str | None:
    """Text to append after ``tail`` so that a heading written next is read as a heading.

    ``tail`` is the end of a hand-written file (say, its last entry). Returns ``""`` when nothing is
    needed, the closing line (an unclosed code fence's or HTML block's) when one works, or None.
    """
    if not _ends_open(tail):
        return ""
    longest = max((len(run) for run in re.findall(r"[`~]+", tail)), default=3)
    fences = [ch * n for n in range(3, longest + 1) for ch in "`~"]
    for closer in (*_CLOSERS[1:], *fences):
        candidate = tail.rstrip("\n") + "\n" + closer + "\n"
        if not _ends_open(candidate):
            return closer
    return None
