"""Shared helpers for the benchmarks: the machine they ran on, robust statistics, a plain table."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from typing import NamedTuple


def machine() -> str:
    """One line naming the CPU model, core count, OS and Python version."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {sys.version.split()[0]}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p99 and max of ``values`` (same unit as given)."""
    return {"median": statistics.median(values), "p99": percentile(values, 0.99), "max": max(values)}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A fixed-width text table (markdown pipe syntax, so it pastes into the README)."""
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


class Target(NamedTuple):
    """One target of the performance issue and what this run measured against it."""

    what: str
    result: str
    met: bool


class Report(NamedTuple):
    """A benchmark's tables (``text``) and its targets."""

    text: str
    targets: list[Target]

    def full(self) -> str:
        """The tables, then the targets as one more table."""
        return f"{self.text}\n\n{targets_table(self.targets)}" if self.targets else self.text


def targets_table(targets: Sequence[Target]) -> str:
    """The targets as one table: what, the measured result, and met or MISSED."""
    return table(["target", "result", "verdict"], [[t.what, t.result, "met" if t.met else "MISSED"] for t in targets])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)
