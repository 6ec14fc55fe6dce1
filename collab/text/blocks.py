"""Entry bodies: normalise them, and neutralise them so that no body can forge structure.

A body may hold anything (a line ``### Answer 9``, ``## Closed``, an unclosed fence, ``<pre>``, a
quote followed by a heading). Contract section 7, point 2: for any body, mistune and CommonMark
readers both see exactly one new entry, with that body. So a body is written as it is only when
both readers agree that it holds no structural heading at top level and leaves nothing open that
would swallow the heading after it; otherwise it is written inside a fence whose info string is
:data:`WRAP_INFO`, which nothing in the body can close, and unwrapped on reading.

CommonMark is read by :mod:`collab.text.structure` (markdown-it-py where it matters); mistune by its
block parser, with a small state class that records where each top-level token starts (mistune
gives no source positions; ``pyproject.toml`` pins its range and ``tests/text/test_blocks.py`` checks it).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from collab.text import structure, windows
from collab.text.grammar import is_entry_heading

#: Info string of the fence that carries a body which could not be written as plain markdown.
WRAP_INFO = "collab-body"

_SENTINEL = "### collab-sentinel"
_BACKTICK_RUN = re.compile(r"`+")
_BLANK_LINES_AT_START = re.compile(r"\A(?:[ \t]*\n)+")


def _structural(level: int, text: str) -> bool:
    return level <= 2 or (level == 3 and is_entry_heading(text))


@functools.cache
def _mistune() -> tuple[Any, type[Any]]:
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
    """mistune's top-level block tokens for ``text`` (``\\n`` line ends), each with ``_start``, its offset."""
    block, state_class = _mistune()
    state = state_class()
    state.process(text if text.endswith("\n") else text + "\n")
    block.parse(state)
    tokens: list[dict[str, Any]] = state.tokens
    return tokens


#: Bodies larger than this (characters) are not given to mistune: its list and quote patterns
#: backtrack on long lines (such as one long run of ``- ``), taking time out of all proportion to
#: their length. Such a body is written as it is only when it is plain text for every reader
#: (:func:`collab.text.structure.is_plain_text`), and wrapped otherwise.
MISTUNE_LIMIT = 256 * 1024


def _mistune_headings(text: str) -> list[tuple[int, str, int]]:
    return [(t["attrs"]["level"], t["text"].strip(), t["_start"]) for t in scan_tokens(text) if t["type"] == "heading"]


def _commonmark_safe(text: str) -> bool:
    """:func:`_stays_one_entry` for CommonMark, stopping at the first structural heading."""
    probe = text.rstrip("\n") + "\n\n" + _SENTINEL + "\n"
    expected = len(text.rstrip("\n")) + 2
    for heading in structure.top_headings(probe, 0, lambda level, words: _structural(level, words) or level == 3):
        if heading.start == expected:
            return heading.text == _SENTINEL[4:]
        if _structural(heading.level, heading.text):
            return False
    return False


def _stays_one_entry(text: str, reader: Any) -> bool:
    """True when, for ``reader``, ``text`` holds no structural heading and a heading after it is read."""
    probe = text.rstrip("\n") + "\n\n" + _SENTINEL + "\n"
    headings = reader(probe)
    if not headings or headings[-1] != (3, _SENTINEL[4:], len(text.rstrip("\n")) + 2):
        return False
    return not any(_structural(level, heading) for level, heading, _ in headings[:-1])


def body_is_safe(body: str) -> bool:
    """True when ``body`` can be written as it is: for mistune and CommonMark alike, it holds no
    structural heading and leaves no block open.

    A body with no line that could start a heading, a fence, indentation, HTML or an underline
    (:func:`collab.text.structure.is_plain_text`) is safe for both at once, with neither parser loaded.
    """
    if structure.is_plain_text(body):
        return True
    if not _commonmark_safe(body):
        return False
    if len(body) > MISTUNE_LIMIT:
        return structure.is_plain_text(body)
    return _stays_one_entry(body, _mistune_headings)


def normalize_body(text: str) -> str:
    """The canonical form of a body: LF line ends, no leading blank lines, no trailing white space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES_AT_START.sub("", text).rstrip()


def wrap(body: str) -> str:
    """Put ``body`` inside a backtick fence longer than any backtick run in it, marked :data:`WRAP_INFO`."""
    fence = "`" * max(3, max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0) + 1)
    return f"{fence}{WRAP_INFO}\n{body}\n{fence}"


def unwrap(body: str) -> str:
    """Undo :func:`wrap`; any other text is returned unchanged."""
    if not body.startswith("```"):  # most bodies: no pattern to build or run
        return body
    first, _, rest = body.partition("\n")
    fence = first[: len(first) - len(first.lstrip("`"))]
    if first != fence + WRAP_INFO or not rest.endswith("\n" + fence):
        return body
    inner = rest[: -len(fence) - 1]
    if re.search(rf"^ {{0,3}}`{{{len(fence)},}}[ \t]*$", inner, re.MULTILINE):
        return body
    return inner


#: The line collab writes after a body whose last block a later line could still join across a
#: blank line (a list, indented code: CommonMark 0.31, sections 5.2 and 4.4). It is an HTML comment
#: (section 4.6, kind 2), so every reader ends the block there and shows nothing; collab drops it.
END_MARK = "<!-- collab: end of entry -->"
_MAY_CONTINUE = re.compile(r"^(?: {0,3}(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t]|$)| {4}|\t)", re.MULTILINE)


def ends_open(body: str) -> bool:
    """True when ``body`` (as written) ends in a list or indented code, which a line appended after
    it and a blank line would join, so collab writes :data:`END_MARK` after it."""
    if _MAY_CONTINUE.search(body) is None:
        return False
    tokens = windows.block_tokens(body)
    last = next((t for t in reversed(tokens) if t.level == 0), None)
    return last is not None and last.type in ("bullet_list_close", "ordered_list_close", "code_block")


def read_body(text: str) -> str:
    """A body as its author meant it, from the text under its heading: normalised, unwrapped
    (:func:`unwrap`), and without collab's :data:`END_MARK` line."""
    body = normalize_body(text)
    unwrapped = unwrap(body)
    if unwrapped != body or END_MARK not in body:
        return unwrapped
    return re.sub(rf"(?:\A|\n\n){re.escape(END_MARK)}(?=\n\n|\Z)", "", body).lstrip("\n")


def neutralise(body: str) -> str:
    """Return the markdown to write for a normalised ``body`` so that it stays one entry.

    ``unwrap(neutralise(b)) == b`` for every normalised body ``b``.

    Raises:
        ValueError: not even the wrapped body stays one entry (never seen; a reader's bug).
    """
    if body_is_safe(body) and unwrap(body) == body and END_MARK not in body:
        return body
    wrapped = wrap(body)
    # A fence longer than every backtick run inside closes only at its end, for every reader; above
    # MISTUNE_LIMIT that construction stands in for mistune's check.
    mistune_ok = len(wrapped) > MISTUNE_LIMIT or _stays_one_entry(wrapped, _mistune_headings)
    if not (_commonmark_safe(wrapped) and mistune_ok):
        raise ValueError("this body cannot be written so that every markdown reader sees one entry")
    return wrapped


_CLOSERS = ("-->", "?>", "]]>", ">", "</pre>", "</script>", "</style>", "</textarea>")


def closer_for(tail: str) -> str | None:
    """Text to append after ``tail`` so that a heading written next is read as a heading.

    ``tail`` is the end of a channel from its last structural heading (say, an entry written by
    hand). Returns ``""`` when nothing is needed, the closing line of an unclosed code fence or
    HTML block when one works, or None.
    """
    scan = structure.scan_text(tail)
    if _sentinel_read(scan):
        return ""
    # A closing fence as long as the longest run of its character closes any fence it opened.
    fences = [char * max(3, max((len(run) for run in re.findall(f"{char}+", scan)), default=0)) for char in "`~"]
    for closer in (*_CLOSERS, *fences):
        if _sentinel_read(scan.rstrip("\n") + "\n" + closer + "\n"):
            return closer
    return None


def _sentinel_read(text: str) -> bool:
    """True when a heading appended after ``text`` (a blank line between) is a top-level heading."""
    probe = text.rstrip("\n") + "\n\n" + _SENTINEL + "\n"
    expected = len(text.rstrip("\n")) + 2
    for heading in structure.top_headings(probe):
        if heading.start >= expected:
            return heading.start == expected
    return False
