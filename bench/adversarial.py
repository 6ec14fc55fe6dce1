"""Hostile inputs at about 1 MB each: how long ``show``, ``status``, ``ls`` and ``answer`` take on them.

    python bench/adversarial.py [--runs 3] [--cap 10] [--size 1000000]

The inputs are the ones issues 11 and 12 found slow or crashing: long runs of spaces, tabs and digits
in entry headings and in the header's ``- Created:`` line (the patterns once named ``_RE``,
``_NUMBER``, ``_ATX_CLOSING`` and ``_META``), a task of ``## Answers`` lines inside a fence, many
blank lines, and bodies of nothing but ``>``, list markers or backticks. Each is written into a
channel of its own directory the way a hand writer or an agent would, then every command runs on it
through the installed ``collab`` as a fresh process, ``--runs`` times. The target is a median of at
most 1 s per command (issue 12). A run still going after ``--cap`` seconds is stopped and counted as
the cap: quadratic work at 1 MB would take hours. The exit column lists the exit codes seen: an
input may rightly be refused (exit 1 or 2), but a run that ends in "internal error" misses the
target whatever its time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table

from collab.channel import Channel

COLLAB = str(Path(sys.executable).parent / "collab")
TARGET_SECONDS = 1.0
COMMANDS = ("show", "status", "ls", "answer")
SPACE_TAB = " \t"  # kept out of the f-strings below: Python 3.11 allows no backslash inside their braces


class Case(NamedTuple):
    """One hostile input: ``where`` it goes and ``make(size)``, its text of about ``size`` bytes.

    ``where`` is ``tail`` (appended by hand below the answers line), ``header`` (the header's text
    between ``- Channel:`` and ``## Answers``, in a channel written wholly by hand) or ``body`` (the
    body of an answer given to ``collab answer`` on stdin).
    """

    name: str
    where: str
    make: Callable[[int], str]


def _repeat(unit: Callable[[int], str], size: int) -> str:
    """``unit(1) + unit(2) + ...`` until the text is at least ``size`` characters long."""
    parts, total, n = [], 0, 0
    while total < size:
        n += 1
        parts.append(unit(n))
        total += len(parts[-1])
    return "".join(parts)


CASES = [
    Case("heading `### Answer 1 re` + spaces + `x`", "tail", lambda n: f"\n### Answer 1 re{' ' * n}x\nbody\n"),
    Case("heading `### Answer` + spaces + `x`", "tail", lambda n: f"\n### Answer{' ' * n}x\nbody\n"),
    Case("heading `### Answer 1` + spaces and tabs + `x`", "tail",
         lambda n: f"\n### Answer 1{SPACE_TAB * (n // 2)}x\nbody\n"),
    Case("heading `### Answer 1 #` + spaces + `x`", "tail", lambda n: f"\n### Answer 1 #{' ' * n}x\nbody\n"),
    Case("heading `### Answer 1 (` + digits", "tail", lambda n: f"\n### Answer 1 ({'1' * n}\nbody\n"),
    Case("heading `### Answer ` + digits", "tail", lambda n: f"\n### Answer {'9' * n}\nbody\n"),
    Case("blank lines, then an entry", "tail", lambda n: "\n" * n + "### Answer 1\nbody\n"),
    Case("`### Answer 999999999`, repeated", "tail", lambda n: _repeat(lambda _: "\n### Answer 999999999\nx\n", n)),
    Case("`(0001-01-01T00:00:00+01:00)` timestamps", "tail",
         lambda n: _repeat(lambda i: f"\n### Answer {i} (0001-01-01T00:00:00+01:00) from hand\nx\n", n)),
    Case("`- Created:` line + spaces + `x`", "header",
         lambda n: f"- Created: 2026-06-22T13:58:04Z by site-a{' ' * n}x\n"),
    Case("`- Created:` line + spaces and tabs + `x`", "header",
         lambda n: f"-{SPACE_TAB * (n // 4)}Created{SPACE_TAB * (n // 4)}: x\n"),
    Case("header of lines holding only spaces", "header",
         lambda n: "- Created: 2026-06-22T13:58:04Z\n" + " \n" * (n // 2)),
    Case("task of `## Answers` lines in a fence", "header",
         lambda n: "\n## Task\n```\n" + "## Answers\n" * (n // 11) + "```\n"),
    Case("body of `>`", "body", lambda n: ">" * n),
    Case("body of nested `- ` list markers", "body", lambda n: "- " * (n // 2) + "x"),
    Case("body of backticks", "body", lambda n: "`" * n),
    Case("body `text\\n===\\n- item`, repeated", "body", lambda n: _repeat(lambda _: "text\n===\n- item\n\n", n)),
]  # fmt: skip


def _hand_written(directory: Path, header_text: str) -> Path:
    """A channel written wholly by hand, with ``header_text`` in its header; no ledger."""
    path = directory / "collab-adversary.md"
    text = (
        f"# Collab: adversarial bench\n\n- Channel: adversary\n{header_text}\n## Requests\n1. one\n\n"
        "## Answers\n\n### Answer 1 (2026-06-22T14:02:11Z) from site-b re Request 1\nAn ordinary answer.\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return path


def _append(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _timed(args: list[str], env: dict[str, str], cap: float, stdin: str | None = None) -> tuple[float, str]:
    """Wall seconds of one ``collab`` run (the cap when stopped there) and its exit code as text."""
    started = time.perf_counter()
    try:
        done = subprocess.run([COLLAB, *args], env=env, input=stdin, text=True, capture_output=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return cap, "stopped"
    code = str(done.returncode)
    return time.perf_counter() - started, code + (" internal error" if "internal error" in done.stderr else "")


class Cell(NamedTuple):
    """One command on one input: the median wall time in seconds and the exit codes seen."""

    command: str
    median: float
    codes: frozenset[str]

    @property
    def stopped(self) -> bool:
        return "stopped" in self.codes

    @property
    def met(self) -> bool:
        """Within the target, and no run ended in "internal error" (a refusal, exit 1 or 2, is fine)."""
        crashed = any(code.endswith("internal error") for code in self.codes)
        return not self.stopped and not crashed and self.median <= TARGET_SECONDS


def _channel(case: Case, text: str, directory: Path, env: dict[str, str], cap: float) -> Path:
    """The channel holding ``text`` where ``case`` puts it, in ``directory``."""
    if case.where == "header":
        return _hand_written(directory, text)
    path = Channel.create("adversarial bench", author="site-a", requests=["one"], directory=directory).path
    if case.where == "tail":
        _append(path, text)
    else:
        _timed(["answer", str(path), "-", "--as", "site-b"], env, cap, stdin=text)
    return path


def _measure(case: Case, root: Path, size: int, runs: int, cap: float, env: dict[str, str]) -> tuple[float, list[Cell]]:
    """The channel's size in MB, and one cell per command, each over ``runs`` runs."""
    directory = Path(tempfile.mkdtemp(dir=root))
    env = dict(env, COLLAB_DIR=str(directory))
    text = case.make(size)
    path = _channel(case, text, directory, env, cap)
    megabytes = path.stat().st_size / 1e6
    cells = []
    for command in COMMANDS:
        times, codes = [], set()
        for _ in range(runs):
            target, stdin = path, "an ordinary answer"
            if case.where == "body" and command == "answer":
                # A fresh channel each run, so that every run appends the body to a channel of one size.
                target = Channel.create(
                    "adversarial bench", author="site-a", requests=["one"], directory=tempfile.mkdtemp(dir=root)
                ).path
                stdin = text
            argv = {
                "show": ["show", str(target)],
                "status": ["status", str(target)],
                "ls": ["ls", "--dir", str(target.parent)],
                "answer": ["answer", str(target), "-", "--as", "bench"],
            }[command]
            seconds, code = _timed(argv, env, cap, stdin=stdin)
            times.append(seconds)
            codes.add(code)
            if code == "stopped":
                break
        cells.append(Cell(command, statistics.median(times), frozenset(codes)))
    return megabytes, cells


def run(runs: int = 3, cap: float = 10.0, size: int = 1_000_000) -> Report:
    """Time every command on every input ``runs`` times (each run at most ``cap`` seconds)."""
    # A user's Python caches bytecode; without the cache every run would compile collab from source.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_") and k != "PYTHONDONTWRITEBYTECODE"}
    rows: list[list[object]] = []
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="collab-adversarial-") as tmp:
        root = Path(tmp)
        env["COLLAB_STATE_DIR"] = str(root / "state")
        for case in CASES:
            megabytes, cells = _measure(case, root, size, runs, cap, env)
            for cell in cells:
                median = f"> {cap:g} (stopped)" if cell.stopped else f"{cell.median:.2f}"
                rows.append(
                    [
                        case.name,
                        f"{megabytes:.2f}",
                        cell.command,
                        median,
                        ", ".join(sorted(cell.codes)),
                        f"<= {TARGET_SECONDS:g} s",
                        "met" if cell.met else "MISSED",
                    ]
                )
            worst = max(cells, key=lambda cell: cell.median)
            slowest = f"> {cap:g} s" if worst.stopped else f"{worst.median:.2f} s"
            targets.append(
                Target(
                    f"{case.name}: every command <= {TARGET_SECONDS:g} s (median)",
                    f"slowest: {worst.command}, {slowest}",
                    all(cell.met for cell in cells),
                )
            )
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Hostile inputs of about {size / 1e6:g} MB, wall seconds, median of {runs} runs "
            f"(a run is stopped after {cap:g} s); MB is the channel's size before the timed runs:",
            table(["input", "MB", "command", "median s", "exit", "target", "verdict"], rows),
        ]
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per input and command (default 3)")
    parser.add_argument("--cap", type=float, default=10.0, help="stop a run after this many seconds (default 10)")
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes of hostile text per input (default 1 MB)")
    arguments = parser.parse_args()
    print(run(arguments.runs, arguments.cap, arguments.size).full())


if __name__ == "__main__":
    main()
