"""First-read cost of :func:`collab.text.structure.top_headings` on heading-heavy channels.

    python bench/headings.py [--runs 3] [--only NAME ...] [--linear]

Each pattern is repeated to about 3 MB (the four named in the performance issue keep their exact
repetition counts) and the median of ``--runs`` cold scans is reported, with how many top-level
headings the scan found. ``--linear`` also scans the setext and ATX patterns at 30 MB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, table

from collab.text import structure

#: name -> (repeated unit, repetitions); repetitions None means "about 3 MB".
PATTERNS: dict[str, tuple[str, int | None]] = {
    "setext =": ("text\n===\n", 300_000),
    "atx ##": ("## x\n", 600_000),
    "setext -": ("a\n---\n", 300_000),
    "setext, 2-line paragraph, blank": ("text\nmore\n===\n\n", 200_000),
    "fence then setext": ("```\ncode\n```\ntext\n===\n", None),
    "quote then '===' paragraph": ("> q\n===\n", None),
    "list item then '---'": ("- a\n---\n", None),
    "ordered item then '==='": ("1. a\n===\n", None),
    "setext then indented code": ("text\n===\n    code\n\n", None),
    "html block then setext": ("<div>\n\ntext\n===\n", None),
    "table then setext": ("| a | b |\n|---|---|\n| 1 | 2 |\n\nText\n---\n", None),
    "setext, body, rule": ("Title\n=====\nbody text\n\n---\n\n", None),
    "atx, body, rule": ("### Answer 1\nbody text\n\n---\n\n", None),
    "atx, nested list": ("### Answer 1\n- point\n  - detail\n\n", None),
}


def channel(unit: str, repetitions: int | None, megabytes: float = 3.0) -> str:
    return unit * (repetitions or int(megabytes * 1e6) // len(unit))


def scan_seconds(text: str) -> tuple[float, int]:
    started = time.perf_counter()
    found = sum(1 for _ in structure.top_headings(text))
    return time.perf_counter() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="pattern names to run (all when omitted)")
    parser.add_argument("--linear", action="store_true", help="also scan 30 MB of the fast patterns")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for name, (unit, repetitions) in PATTERNS.items():
        if args.only and name not in args.only:
            continue
        text = channel(unit, repetitions)
        runs = [scan_seconds(text) for _ in range(args.runs)]
        rows.append([name, f"{len(text) / 1e6:.1f}", runs[0][1], statistics.median(r[0] for r in runs)])
    if args.linear:
        for name in ("setext =", "atx ##", "setext, 2-line paragraph, blank"):
            unit, repetitions = PATTERNS[name]
            text = channel(unit, 10 * repetitions if repetitions else None, 30.0)
            seconds, found = scan_seconds(text)
            rows.append([f"{name} (x10)", f"{len(text) / 1e6:.1f}", found, seconds])
    print(machine())
    print(table(["pattern", "MB", "headings", "seconds (median)"], rows))


if __name__ == "__main__":
    main()
