"""Hostile inputs: how long commands take on them, and what rendering them costs.

    python bench/adversarial.py [--runs 3] [--cap 10] [--size 1000000] [--only commands|render|headings]...
                                [--big] [--render-runs 1] [--render-cap 60]

Three parts, all by default (``--only`` picks some):

- **commands**: the inputs issues 11 and 12 found slow or crashing, at about ``--size`` bytes each:
  long runs of spaces, tabs and digits in entry headings and in the header's ``- Created:`` line
  (the patterns once named ``_RE``, ``_NUMBER``, ``_ATX_CLOSING`` and ``_META``), a task of
  ``## Answers`` lines inside a fence, many blank lines, and bodies of nothing but ``>``, list
  markers or backticks. Each is written into a channel of its own directory the way a hand writer
  or an agent would, then every command runs on it through the installed ``collab`` as a fresh
  process, ``--runs`` times. The target is a median of at most 1 s per command (issue 12). A run
  still going after ``--cap`` seconds is stopped and counted as the cap: quadratic work at 1 MB
  would take hours. The exit column lists the exit codes seen: an input may rightly be refused
  (exit 1 or 2), but a run that ends in "internal error" misses the target whatever its time.
- **render**: one body of markup that costs the renderers most per character (``[``, ``*a_``,
  ``<``, backticks, ``![``, ``>`` and ``- `` nesting, a table, entities, lines of ``*`` and ``_``,
  mixes, and ordinary prose to compare), just under the 4 MB a body may hold, given to ``collab
  answer``; then ``show --html -o FILE`` and ``show`` on a pseudo-terminal, each under
  ``/usr/bin/time -v`` for the peak resident set size, and ``show`` on a terminal once more with
  the body just under the 1 MB a terminal renders, ``--render-runs`` times each. The target is at
  most 10 s and 500 MB each; the "shown as" column says what the view printed: markdown, plain
  text (too costly to render) or source (over the view's limit for all bodies together).
- **headings**: channels whose tail, written by hand, is nothing but setext headings
  (``text`` / ``===``) or ``## x`` lines, at 0.1 and 0.4 MB (and 3 and 30 MB with ``--big``),
  timing the first ``show --json`` of each (the one that starts the ledger) on a fresh copy,
  ``--runs`` times. The target is the reading target (10 MB in at most 3 s), at least 1 s; a run
  is stopped at three times its target (at least ``--cap``).
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table

from collab.channel import Channel
from collab.render.render_budget import NOTICE

COLLAB = str(Path(sys.executable).parent / "collab")
TIME = "/usr/bin/time"
TARGET_SECONDS = 1.0
COMMANDS = ("show", "status", "ls", "answer")
PARTS = ("commands", "render", "headings")
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


def commands_part(runs: int, cap: float, size: int) -> Report:
    """Time every command on every input of :data:`CASES` ``runs`` times (each run at most ``cap`` seconds)."""
    env = _bench_env()
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
    text = (
        f"Hostile inputs of about {size / 1e6:g} MB, wall seconds, median of {runs} runs "
        f"(a run is stopped after {cap:g} s); MB is the channel's size before the timed runs:\n\n"
        + table(["input", "MB", "command", "median s", "exit", "target", "verdict"], rows)
    )
    return Report(text, targets)


def _bench_env() -> dict[str, str]:
    # A user's Python caches bytecode; without the cache every run would compile collab from source.
    return {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_") and k != "PYTHONDONTWRITEBYTECODE"}


# --- render: bodies that cost the renderers most per character ------------------------------------------

#: The most a body may hold (``collab.store.files.MAX_ENTRY_BYTES`` is 4 MiB), and what a terminal renders.
RENDER_SIZE, TERMINAL_SIZE = 4_000_000, 990_000
RENDER_SECONDS, RENDER_MB = 10.0, 500.0
_PROSE = (
    "The handshake signs the headers *only*; the body is covered by the `Digest` header. Both sides "
    "must agree on the **order** of the signed header names, so list them [explicitly](https://example.com/spec).\n\n"
)


def _cut(unit: str) -> Callable[[int], str]:
    """``unit`` repeated to exactly ``size`` characters."""
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def _table(size: int) -> str:
    return ("| a | b |\n|---|---|\n" + "| x | y |\n" * (size // 10 + 1))[:size]


def _half_prose(unit: str) -> Callable[[int], str]:
    """Ordinary prose, then ``unit`` repeated: a body that is not all markup."""
    return lambda size: _cut(_PROSE)(size // 2) + _cut(unit)(size - size // 2)


RENDER_CASES: list[tuple[str, Callable[[int], str]]] = [
    ("`[`", _cut("[")),
    ("`*a_`", _cut("*a_")),
    ("`<`", _cut("<")),
    ("backticks", _cut("`")),
    ("`![`", _cut("![")),
    ("`>` nesting", _cut(">")),
    ("`- ` nesting", _cut("- ")),
    ("`|` table rows", _table),
    ("`&amp;` entities", _cut("&amp;")),
    ("a line of `*`", _cut("*")),
    ("a line of `_`", _cut("_")),
    ("lines of 79 `*`", _cut("*" * 79 + "\n")),
    ("mix `[*_`<![a](&amp;|>`", _cut("[*_`<![a](&amp;|>")),
    ("prose, then `[`", _half_prose("[")),
    ("prose, then `1. a` lines", _half_prose("1. a\n")),
    ("ordinary prose", _cut(_PROSE)),
]


#: What the view printed the body as, by what it says about it.
_SHOWN = ((NOTICE, "plain text"), ("more than collab renders", "source (over the view's limit)"))


class Peak(NamedTuple):
    """One run: wall seconds, peak resident set size in MB (None without ``/usr/bin/time``), the exit
    code as text (``stopped`` at the cap), and what the body was shown as (:data:`_SHOWN`)."""

    seconds: float
    megabytes: float | None
    code: str
    shown: str


def _peak(args: list[str], env: dict[str, str], cap: float, *, on_terminal: bool, output: Path | None) -> Peak:
    """Run ``collab ARGS`` once (on a pseudo-terminal when ``on_terminal``), under ``/usr/bin/time -v``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        timed = [TIME, "-v", "-o", report.name] if shutil.which(TIME) else []
        started = time.perf_counter()
        if on_terminal:
            code, screen = _on_terminal([*timed, COLLAB, *args], env, cap)
        else:
            code, screen = _piped([*timed, COLLAB, *args], env, cap)
        seconds = time.perf_counter() - started
        rss = [int(line.split(":")[1]) / 1024 for line in report if "Maximum resident set size" in line]
    if output is not None and output.exists():
        screen = output.read_text(encoding="utf-8", errors="replace")
        output.unlink()
    shown = next((label for said, label in _SHOWN if said in screen), "markdown" if screen else "-")
    return Peak(seconds, rss[0] if rss else None, code, shown)


def _piped(command: list[str], env: dict[str, str], cap: float) -> tuple[str, str]:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return "stopped", ""
    return _code(done.returncode, done.stderr), done.stdout


def _on_terminal(command: list[str], env: dict[str, str], cap: float) -> tuple[str, str]:
    """Run ``command`` with a pseudo-terminal as stdout and stderr, reading all it prints; stop it at ``cap``."""
    master, slave = pty.openpty()
    process = subprocess.Popen(command, env=env, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    deadline = time.monotonic() + cap
    screen = bytearray()
    try:
        while time.monotonic() < deadline:  # drain the terminal, or the command blocks once its buffer is full
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: every writer has closed the terminal
                    break
                if not chunk:
                    break
                # Keep the start, where a notice is, and a tail to find one that straddles two reads.
                screen += chunk if len(screen) < 1 << 20 else chunk[-4096:]
            elif process.poll() is not None:
                break
    finally:
        os.close(master)
    try:
        returncode = process.wait(timeout=max(0.0, deadline - time.monotonic()) + 1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return "stopped", ""
    text = screen.decode(errors="replace")
    return _code(returncode, text), text


def _code(returncode: int, stderr: str) -> str:
    return str(returncode) + (" internal error" if "internal error" in stderr else "")


def _median_peak(peaks: Sequence[Peak]) -> Peak:
    sizes = [p.megabytes for p in peaks if p.megabytes is not None]
    codes = ", ".join(sorted({p.code for p in peaks}))
    shown = ", ".join(sorted({p.shown for p in peaks}))
    return Peak(statistics.median(p.seconds for p in peaks), statistics.median(sizes) if sizes else None, codes, shown)


def render_part(runs: int, cap: float) -> Report:
    """``show --html -o FILE`` and ``show`` on a terminal of one channel per :data:`RENDER_CASES` body."""
    env = _bench_env() | {"COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    rows: list[list[object]] = []
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="collab-render-") as tmp:
        root = Path(tmp)
        env["COLLAB_STATE_DIR"] = str(root / "state")
        page = root / "page.html"
        for name, make in RENDER_CASES:
            cells = []
            channels = {size: _answered(make(size), root, env, cap) for size in (RENDER_SIZE, TERMINAL_SIZE)}
            for path in channels.values():
                _peak(["show", str(path), "--json"], env, cap, on_terminal=False, output=None)  # starts the ledger
            for view, size in (
                ("show --html -o FILE", RENDER_SIZE),
                ("show, terminal", RENDER_SIZE),
                ("show, terminal", TERMINAL_SIZE),
            ):
                path = channels[size]
                html = view.startswith("show --html")
                args = ["show", str(path), *(["--html", "-o", str(page)] if html else [])]
                got = _median_peak(
                    [_peak(args, env, cap, on_terminal=not html, output=page if html else None) for _ in range(runs)]
                )
                met = "stopped" not in got.code and got.seconds <= RENDER_SECONDS
                met = met and (got.megabytes is None or got.megabytes <= RENDER_MB) and "internal" not in got.code
                cells.append((view, size, got, met))
                rows.append(
                    [
                        name,
                        view,
                        f"{size / 1e6:.2f}",
                        f"> {cap:g} (stopped)" if got.code == "stopped" else f"{got.seconds:.2f}",
                        "-" if got.megabytes is None else f"{got.megabytes:.0f}",
                        got.code,
                        got.shown,
                        f"<= {RENDER_SECONDS:g} s, <= {RENDER_MB:g} MB",
                        "met" if met else "MISSED",
                    ]
                )
            worst = max(cells, key=lambda cell: cell[2].seconds)
            targets.append(
                Target(
                    f"{name}: show --html and show on a terminal <= {RENDER_SECONDS:g} s, <= {RENDER_MB:g} MB",
                    f"slowest: {worst[0]} at {worst[1] / 1e6:.2f} MB, {worst[2].seconds:.2f} s",
                    all(cell[3] for cell in cells),
                )
            )
    text = (
        f"One body of hostile markup per channel, wall seconds and peak RSS, median of {runs} run(s) "
        f"(a run is stopped after {cap:g} s):\n\n"
        + table(["body", "view", "body MB", "wall s", "peak MB", "exit", "shown as", "target", "verdict"], rows)
    )
    return Report(text, targets)


def _answered(body: str, root: Path, env: dict[str, str], cap: float) -> Path:
    """A fresh channel in a directory of its own, with ``body`` as its one answer, given to ``collab answer``."""
    directory = Path(tempfile.mkdtemp(dir=root))
    path = Channel.create("render bench", author="site-a", requests=["one"], directory=directory).path
    answer = [COLLAB, "answer", str(path), "-", "--as", "site-b"]
    env = env | {"COLLAB_DIR": str(directory)}
    done = subprocess.run(answer, input=body, text=True, capture_output=True, env=env, timeout=max(cap, 60))
    if done.returncode != 0:
        raise RuntimeError(f"collab answer refused the body: {done.stderr.strip()}")
    return path


# --- headings: heading-heavy channels, read for the first time ----------------------------------------

HEADING_CASES: list[tuple[str, str]] = [("setext `text` / `===`, repeated", "text\n===\n"), ("`## x` lines", "## x\n")]
#: Sizes of the hand-written tail, in MB; ``--big`` adds :data:`BIG_SIZES`.
HEADING_SIZES, BIG_SIZES = (0.1, 0.4), (3.0, 30.0)


def headings_part(runs: int, cap: float, big: bool) -> Report:
    """The first ``show --json`` of channels whose tail is :data:`HEADING_CASES` lines, by size."""
    env = _bench_env()
    rows: list[list[object]] = []
    targets: list[Target] = []
    sizes = HEADING_SIZES + (BIG_SIZES if big else ())
    with tempfile.TemporaryDirectory(prefix="collab-headings-") as tmp:
        root = Path(tmp)
        for name, unit in HEADING_CASES:
            for megabytes in sizes:
                tail = _cut(unit)(int(megabytes * 1e6))
                original = Channel.create(
                    "headings bench", author="site-a", requests=["one"], directory=Path(tempfile.mkdtemp(dir=root))
                ).path
                _append(original, "\n" + tail)
                target = max(1.0, 0.3 * megabytes)
                stop = max(cap, 3 * target)  # a run stopped at its target would say nothing of how far off it is
                seconds, codes = [], set()
                for run in range(runs):
                    # A fresh copy under a fresh state directory each time: no ledger, so the read is a first one.
                    copy = Path(tempfile.mkdtemp(dir=root)) / original.name
                    shutil.copyfile(original, copy)
                    copy.chmod(0o600)
                    state = {"COLLAB_STATE_DIR": str(root / f"state-{megabytes}-{run}")}
                    spent, code = _timed(["show", str(copy), "--json"], env | state, stop)
                    seconds.append(spent)
                    codes.add(code)
                    copy.unlink()
                    if code == "stopped":
                        break
                median = statistics.median(seconds)
                met = "stopped" not in codes and median <= target and not any("internal" in c for c in codes)
                shown = f"> {stop:g} (stopped)" if "stopped" in codes else f"{median:.2f}"
                rows.append(
                    [
                        name,
                        f"{original.stat().st_size / 1e6:.2f}",
                        shown,
                        ", ".join(sorted(codes)),
                        f"<= {target:g} s",
                        "met" if met else "MISSED",
                    ]
                )
                targets.append(Target(f"{name}, {megabytes:g} MB: first show --json <= {target:g} s", shown, met))
    text = (
        f"Heading-heavy channels, the first show --json (it starts the ledger), wall seconds, median of "
        f"{runs} runs (a run is stopped after three times its target, at least {cap:g} s):\n\n"
        + table(["tail", "MB", "median s", "exit", "target", "verdict"], rows)
    )
    return Report(text, targets)


def run(
    runs: int = 3,
    cap: float = 10.0,
    size: int = 1_000_000,
    parts: Sequence[str] = PARTS,
    *,
    big: bool = False,
    render_runs: int = 1,
    render_cap: float = 60.0,
) -> Report:
    """Run the ``parts`` named (:data:`PARTS`) and join their reports.

    Args:
        runs: runs per input and command (commands, headings).
        cap: seconds after which a run of the commands or headings parts is stopped.
        size: bytes of hostile text per input of the commands part.
        parts: which of :data:`PARTS` to run.
        big: add :data:`BIG_SIZES` to the headings part.
        render_runs: runs per body and view of the render part.
        render_cap: seconds after which a run of the render part is stopped.
    """
    reports = []
    if "commands" in parts:
        reports.append(commands_part(runs, cap, size))
    if "render" in parts:
        reports.append(render_part(render_runs, render_cap))
    if "headings" in parts:
        reports.append(headings_part(runs, cap, big))
    text = "\n\n".join([f"Machine: {machine()}", *(report.text for report in reports)])
    return Report(text, [target for report in reports for target in report.targets])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per input and command (default 3)")
    parser.add_argument("--cap", type=float, default=10.0, help="stop a run after this many seconds (default 10)")
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes of hostile text per input (default 1 MB)")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--big", action="store_true", help="headings: add the 3 MB and 30 MB channels")
    parser.add_argument("--render-runs", type=int, default=1, help="render: runs per body and view (default 1)")
    parser.add_argument("--render-cap", type=float, default=60.0, help="render: stop a run after this many seconds")
    arguments = parser.parse_args()
    report = run(
        arguments.runs,
        arguments.cap,
        arguments.size,
        arguments.only or PARTS,
        big=arguments.big,
        render_runs=arguments.render_runs,
        render_cap=arguments.render_cap,
    )
    print(report.full())


if __name__ == "__main__":
    main()
