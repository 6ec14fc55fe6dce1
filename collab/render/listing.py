"""The table ``collab ls`` prints: one line a channel, or two on a narrow terminal.

The wide layout is id, last activity, state, entry count and task on one line, the task cut at a
word to fit. When that shows fewer than :data:`TASK_MIN` cells of a task on a terminal, each task
goes on a line of its own under its channel, where it has the whole width, and the time is given
as an age ("5m ago"). Piped output keeps the one-line layout at any width, so scripts read the
same columns. Widths are terminal cells (:func:`rich.cells.cell_len`), not characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.cells import cell_len

from collab.text.sanitize import for_terminal

#: One channel: id, last activity (UTC ``YYYY-MM-DDTHH:MM:SSZ``), state, entry count, task or problem.
Row = tuple[str, str, str, int, str]

HEADER = ("ID", "LAST ACTIVITY", "STATE", "ENTRIES", "TASK")
#: Cells a task keeps on its channel's line before a terminal gives it a line of its own.
TASK_MIN = 30
_GAP = "  "
_INDENT = "  "
#: Ages: below each bound (seconds), the age is counted in that unit (seconds in it, suffix).
_UNITS = ((3600, 60, "m"), (86400, 3600, "h"), (60 * 86400, 86400, "d"), (365 * 86400, 30 * 86400, "mo"))


def _shown(text: object) -> str:
    return for_terminal(str(text), one_line=True)


def shorten(text: str, budget: int) -> str:
    """``text`` cut to ``budget`` terminal cells, at a word boundary where one is in reach, with "…"."""
    if cell_len(text) <= budget:
        return text
    if budget < 2:
        return ""
    cut, used = 0, 1  # the ellipsis takes one cell
    while cut < len(text) and used + cell_len(text[cut]) <= budget:
        used += cell_len(text[cut])
        cut += 1
    head = text[:cut]
    if text[cut] != " " and " " in head.strip():
        head = head[: head.rstrip().rfind(" ")]  # never end on part of a word when a whole one fits
    return head.rstrip() + "…"


def age(stamp: str, now: datetime) -> str:
    """How long before ``now`` the UTC time ``stamp`` was, in one unit: ``now``, ``5m ago``, ``3h ago``,
    ``12d ago``, ``4mo ago``, ``2y ago`` (``in 5m`` for a time ahead of ``now``).

    Minutes are whole (rounded down), as are the other units; a month is 30 days and a year 365.
    A ``stamp`` that is not an ISO 8601 time comes back as it is.
    """
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "now"
    amount = next((f"{int(span // size)}{unit}" for bound, size, unit in _UNITS if span < bound), None)
    amount = amount or f"{int(span // (365 * 86400))}y"
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


def table(
    rows: Sequence[Row], width: int | None, terminal: bool, bold: bool = False, now: datetime | None = None
) -> list[str]:
    """The lines of ``collab ls`` for ``rows``, none wider than ``width`` cells (None: no limit).

    On a terminal a header comes first (in bold when ``bold``), and if a task cut at a word to fit
    beside the other columns would show fewer than :data:`TASK_MIN` cells (and less than all of
    it), every task gets a line of its own (see the module's docstring), with ages measured from
    ``now`` (default: the current time). Without ``terminal`` there is no header and the layout is
    always the one-line one.
    """
    cells = [(_shown(i), _shown(when), _shown(state), str(count), _shown(task)) for i, when, state, count, task in rows]
    wide = _columns(cells, [cell_len(h) for h in HEADER])
    budget = None if width is None else width - sum(wide) - len(_GAP) * 4
    tasks = [row[4] if budget is None else shorten(row[4], budget) for row in cells]
    cramped = any(cell_len(cut) < min(TASK_MIN, cell_len(row[4])) for cut, row in zip(tasks, cells, strict=True))
    if not (terminal and cramped):
        lines = [_line(row, wide, task) for row, task in zip(cells, tasks, strict=True)]
        return [_title(_line(HEADER, wide, HEADER[4]), bold), *lines] if terminal else lines
    moment = now or datetime.now(UTC)
    cells = [(row[0], age(row[1], moment), *row[2:]) for row in cells]
    narrow = _columns(cells, [cell_len(h) for h in HEADER])
    out = [_title(_line(HEADER, narrow, ""), bold), _title(_INDENT + HEADER[4], bold)]
    for row in cells:
        out.append(_line(row, narrow, ""))
        if row[4]:
            out.append(_INDENT + shorten(row[4], (width or 0) - len(_INDENT)))
    return out


def _columns(cells: Sequence[tuple[str, ...]], least: list[int]) -> list[int]:
    """The widths of the first four columns: their widest cell, and at least ``least`` (the header)."""
    return [max([least[n], *(cell_len(row[n]) for row in cells)]) for n in range(4)]


def _line(row: Sequence[str], widths: list[int], task: str) -> str:
    """Id, activity and state left-aligned, the count right-aligned, then ``task``."""
    cells = [row[n] + " " * (widths[n] - cell_len(row[n])) for n in range(3)]
    cells.append(" " * (widths[3] - cell_len(row[3])) + row[3])
    return (_GAP.join(cells) + _GAP + task).rstrip()


def _title(text: str, bold: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if bold else text
