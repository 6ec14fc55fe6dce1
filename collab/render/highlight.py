"""Syntax highlighting of fenced code blocks on the HTML page, with Pygments.

A fenced block whose info string names a language Pygments knows (``python``, ``sh``, ``rust``...)
is highlighted into ``<span class="k">``-style tokens, styled by :func:`style_sheet`, which the page
embeds: no script, nothing fetched. Any other block (no language, an unknown one) is left to the
caller to show escaped and plain; collab never guesses a language, since guessing runs every
lexer over the code and is often wrong on short snippets.

Pygments escapes the code it emits (``&``, ``<``, ``>``, quotes), and token class names come from
Pygments' own token table, so nothing in a body reaches the page unescaped.

Lexers are regular expressions run over untrusted text, and some of Pygments' ~600 lexers go
quadratic, or loop forever on empty tokens, on a few thousand crafted characters. So each block
gets a :class:`Budget`: at most :data:`MAX_BLOCK_CHARS` characters, :data:`MAX_BLOCK_SECONDS`
seconds and a bounded number of tokens, out of :data:`MAX_PAGE_CHARS` and :data:`MAX_PAGE_SECONDS`
for the page. A block that runs out is shown plain, as an unknown language is. In the main thread a
timer signal also interrupts a single runaway match (CPython's regular expression engine checks
for signals); elsewhere the time is checked between tokens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

#: The longest code block that is highlighted, in characters.
MAX_BLOCK_CHARS = 100_000
#: Characters of code highlighted on one page at most (the rest is shown plain).
MAX_PAGE_CHARS = 1_000_000
#: Seconds one block may take to highlight, and one page in all.
MAX_BLOCK_SECONDS, MAX_PAGE_SECONDS = 0.5, 3.0
#: The Pygments styles of the page: one for light screens and print, one for dark screens.
LIGHT_STYLE, DARK_STYLE = "default", "github-dark"
#: The CSS class of a highlighted ``<pre>``, which scopes the style sheet.
CSS_CLASS = "highlight"


class Budget:
    """What one page may still spend on highlighting: characters and seconds."""

    def __init__(self, chars: int = MAX_PAGE_CHARS, seconds: float = MAX_PAGE_SECONDS) -> None:
        self.chars = chars
        self.seconds = seconds

    def highlight(self, code: str, name: str) -> str | None:
        """``code`` highlighted as language ``name`` (see :func:`highlight`), or None when the block
        is too long for what is left, or lexing it failed or ran out of time. Spends what it used."""
        if len(code) > min(MAX_BLOCK_CHARS, self.chars) or self.seconds <= 0:
            return None
        self.chars -= len(code)
        started = time.monotonic()
        try:
            return highlight(code, name, min(MAX_BLOCK_SECONDS, self.seconds))
        finally:
            self.seconds -= time.monotonic() - started


@lru_cache(maxsize=64)
def _lexer(name: str) -> Any:
    """The Pygments lexer for a language name or alias, or None when there is none."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        # Keep the code's leading and trailing blank lines: the block shows what its author wrote.
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except (ClassNotFound, ValueError):
        return None


def language(info: str | None) -> str | None:
    """The language a fenced block's info string names (its first word, any case), if Pygments knows it."""
    words = (info or "").split(None, 1)
    if not words or len(words[0]) > 64:
        return None
    name = words[0].lower()
    return name if _lexer(name) is not None else None


class _OutOfTime(Exception):
    """Highlighting a block took longer than it may."""


def _expired(_signum: int, _frame: object) -> None:
    raise _OutOfTime


@contextmanager
def _timer(seconds: float) -> Iterator[None]:
    """Raise :class:`_OutOfTime` in the main thread after ``seconds``, when the process leaves
    ``SIGALRM`` and its timer unused; elsewhere do nothing (the caller checks the clock)."""
    import signal
    import threading

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
        or signal.getitimer(signal.ITIMER_REAL)[0]
    ):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:  # restored even when the timer fires while it is being stopped
        signal.signal(signal.SIGALRM, previous)


def highlight(code: str, name: str, seconds: float = MAX_BLOCK_SECONDS) -> str | None:
    """``code`` as escaped HTML with token ``<span class>`` marks, for ``<pre class="highlight">``;
    None when the lexer fails, loops or takes more than ``seconds``.

    Args:
        code: the block's text, unescaped.
        name: a language :func:`language` returned.
        seconds: the time the lexer may take.
    """
    from pygments.formatters import HtmlFormatter

    lexer = _lexer(name)
    deadline = time.monotonic() + seconds
    most = 2 * len(code) + 64  # more tokens than that: a lexer looping on empty matches
    tokens = []
    try:
        with _timer(seconds):
            for token in lexer.get_tokens(code):
                tokens.append(token)
                if len(tokens) > most or time.monotonic() > deadline:
                    return None
    except Exception:  # _OutOfTime, or a lexer's own bug: the block is still shown, plain
        return None
    out: list[str] = []
    HtmlFormatter(nowrap=True).format(tokens, _Sink(out))
    return "".join(out)


class _Sink:
    """The file-like object Pygments formatters write to, collecting the parts."""

    def __init__(self, parts: list[str]) -> None:
        self.write = parts.append


@lru_cache(maxsize=1)
def style_sheet() -> str:
    """The CSS for highlighted blocks: :data:`LIGHT_STYLE` on light screens and in print,
    :data:`DARK_STYLE` on dark screens. The two sets of rules never apply together, so a token that
    one style leaves unstyled never keeps the other's colour. Backgrounds are the page's own."""
    from pygments.formatters import HtmlFormatter

    scope = f"pre.{CSS_CLASS}"

    def rules(style: str) -> str:
        return "\n".join(HtmlFormatter(style=style).get_token_style_defs(scope))

    return (
        f"@media print, not all and (prefers-color-scheme: dark) {{\n{rules(LIGHT_STYLE)}\n}}\n"
        f"@media screen and (prefers-color-scheme: dark) {{\n{rules(DARK_STYLE)}\n}}\n"
    )
