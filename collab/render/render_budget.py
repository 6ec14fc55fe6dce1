"""What rendering one body as markdown may cost, and when it is shown as plain text instead.

Both views parse untrusted markdown with a library (mistune for the page, markdown-it-py and rich
for a terminal) whose cost per character depends on the markup: a body of nothing but ``[`` makes a
token of every character, many times what ordinary text costs in time and memory, a line made of
list items or headings is a block of its own, and a long line of ``-`` or ``*`` costs mistune's
block patterns hundreds of bytes of backtracking memory a character. Neither library bounds this,
so each body is checked twice (``bench/adversarial.py --only render`` measures what it saves):

- **Before parsing**, by its structure (:func:`too_dense`): more than :data:`MAX_MARKS` markup
  characters (:data:`MARKS`), more than :data:`MAX_LINES` lines, or a run of :data:`MAX_RUN`
  characters of the kind that a thematic break, a setext underline or a list marker repeats.
  Ordinary text has a few markup characters in a hundred and lines of tens of characters, so
  this catches only bodies that are mostly markup, at once and for nothing.
- **While rendering**, by the clock (:class:`Clock`): each body may take a time that grows with
  its length, a few times what ordinary text of that length takes, and no more than what is left
  of its page's (or transcript's) :class:`Budget`. The parsers look at the clock as they go
  (:meth:`Clock.tick`), so a body that runs out stops within a few milliseconds.

A body that fails either is shown as escaped plain text under :data:`NOTICE`: every character of it
is still on the screen, only not laid out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: What a view says above a body it shows as plain text for one of the reasons above.
NOTICE = "shown as plain text: too costly to render as markdown"

#: Characters that may open or close an inline construct (a link, an image, emphasis, a code span,
#: raw HTML, an entity, an escape), a table cell or a block quote. The ``://`` of a bare address,
#: which the page makes a link, counts as one more.
MARKS = "!&*<>[\\]_`|~"
#: Markup characters one body may hold and still be rendered as markdown. Ordinary text holds 2-6
#: in a hundred, so only a body of more than 3 MB reaches it, and rendering that takes longer than
#: a body may take anyway (:data:`PAGE`).
MAX_MARKS = 200_000
#: Lines one body may hold and still be rendered (each may be a block of its own); the 4 MiB a body
#: may hold make about 140,000 lines of code.
MAX_LINES = 200_000
#: The longest run of ``-*_=+``, spaces and tabs one body may hold and still be rendered.
MAX_RUN = 10_000
# Tried only where a run begins (the look-behind), so the search stays linear in the body.
_RUN = re.compile(rf"(?<![-*_=+ \t])[-*_=+ \t]{{{MAX_RUN}}}")


def too_dense(text: str) -> bool:
    """Whether ``text`` holds so much markup that rendering it as markdown would cost far more
    than ordinary text of its length: more than :data:`MAX_MARKS` characters of :data:`MARKS`,
    more than :data:`MAX_LINES` lines, or a run of :data:`MAX_RUN` characters of ``-*_=+`` and
    blanks. Linear in ``len(text)``: a dozen counts and one search, each in C."""
    if len(text) <= min(MAX_MARKS, MAX_LINES, MAX_RUN):
        return False
    return (
        sum(map(text.count, MARKS)) + text.count("://") > MAX_MARKS
        or text.count("\n") >= MAX_LINES
        or _RUN.search(text) is not None
    )


class TooCostly(Exception):
    """A body's rendering ran out of its time (:class:`Clock`)."""


#: Parser steps between two looks at the clock.
_TICKS = 256


class Clock:
    """The time one body may still spend being rendered, in seconds.

    The renderer runs inside :meth:`running`; the parsers call :meth:`tick` at every step, which
    raises :class:`TooCostly` once the time is up. What each run uses is taken from the budget
    the clock came from.
    """

    def __init__(self, seconds: float, budget: Budget | None = None) -> None:
        self.left = seconds
        self._budget = budget
        self._deadline = float("inf")
        self._count = _TICKS

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count the time spent inside; :meth:`tick` raises once it exceeds :attr:`left`."""
        started = time.monotonic()
        self._deadline, self._count = started + self.left, 1  # the first tick looks at the clock
        try:
            yield
        finally:
            used = time.monotonic() - started
            self.left -= used
            self._deadline = float("inf")
            if self._budget is not None:
                self._budget.seconds -= used

    def tick(self) -> None:
        """One step of a parser: raise :class:`TooCostly` when the time is up (looked at every
        :data:`_TICKS` steps, so a step costs a counter)."""
        self._count -= 1
        if self._count <= 0:
            self._count = _TICKS
            if time.monotonic() > self._deadline:
                raise TooCostly


class Budget:
    """What one page or transcript may spend rendering markdown, and how it is shared among bodies.

    Args:
        seconds: the time all bodies together may take, in seconds.
        per_char: the time one body may take for each of its characters, in seconds.
        base: the time any body may take on top of that, in seconds.
        body_seconds: the most any one body may take, in seconds.
    """

    def __init__(self, seconds: float, per_char: float, base: float, body_seconds: float) -> None:
        self.seconds = seconds
        self.per_char = per_char
        self.base = base
        self.body_seconds = body_seconds

    def clock(self, text: str) -> Clock:
        """The clock for rendering ``text``: :attr:`base` plus :attr:`per_char` for each character,
        at most :attr:`body_seconds` and what is left of the budget (which may be nothing)."""
        allowed = min(self.base + self.per_char * len(text), self.body_seconds, self.seconds)
        return Clock(max(allowed, 0.0), self)


#: The HTML page (mistune): a body may take 1 s plus 5 µs for each of its characters (about three
#: times what ordinary text takes), up to 6 s. All bodies together may take 8 s, which an ordinary
#: page at the most the page renders (4 MB, :data:`collab.render.render_html.RENDER_LIMIT`) stays within
#: on a 2-core machine.
PAGE = {"seconds": 8.0, "per_char": 5e-6, "base": 1.0, "body_seconds": 6.0}
#: A terminal (markdown-it-py and rich), where laying out costs more than parsing, and a table cell
#: far more than a character of prose: a body may take 2 s plus 12 µs for each of its characters,
#: up to 6 s; all bodies together, 6 s, which an ordinary transcript at the most a terminal renders
#: (1 MB, :data:`collab.render.render_term.RENDER_LIMIT`) stays within.
TERMINAL = {"seconds": 6.0, "per_char": 12e-6, "base": 2.0, "body_seconds": 6.0}


def page_budget() -> Budget:
    """A fresh :class:`Budget` for one HTML page (:data:`PAGE`)."""
    return Budget(**PAGE)


def terminal_budget() -> Budget:
    """A fresh :class:`Budget` for one terminal transcript or entry (:data:`TERMINAL`)."""
    return Budget(**TERMINAL)
