"""Rendering a big channel: ``show`` on a terminal, piped, and as an HTML page.

    python bench/render_big.py [--entries 6000] [--runs 3]

Writes a channel of ``--entries`` hand-written answers of about 5 KB each (prose with inline
markup and links, a fenced code block, a list, a quote: 30 MB for 6,000), reads it once with
``show --json`` so the ledger exists (that first read is reported on its own), then runs each
command ``--runs`` times under ``/usr/bin/time -v`` and reports the median wall time and the
median peak resident set size. ``show`` on a terminal gets a pseudo-terminal as stdout; the
benchmark reads and discards what it prints, so no terminal emulator's cost is counted.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table

from collab.channel import Channel
from collab.render import render_html, render_term

COLLAB = str(Path(sys.executable).parent / "collab")
TIME = "/usr/bin/time"

_PROSE = (
    "The handshake signs the headers *only*; the body is covered by the `Digest` header. Both sides "
    "must agree on the **order** of the signed header names, so list them [explicitly](https://example.com/spec).\n"
)
_CODE = "```python\n" + "sign(headers=['X-Site-Signature', 'X-Site-Time'], key=KEY)\n" * 6 + "```\n"
_LIST = "".join(f"- item {n}: check `X-Site-{n}` and *retry* once\n" for n in range(8))
_QUOTE = "> quoted from the spec: " + _PROSE


def body(size: int = 5000) -> str:
    """One answer of about ``size`` characters: prose, code, a list and a quote, in turn."""
    parts = [_PROSE * 3, _CODE, _LIST, _QUOTE]
    out: list[str] = []
    while sum(map(len, out)) < size:
        out.append(parts[len(out) % len(parts)] + "\n")
    return "".join(out)


def make_channel(directory: Path, entries: int) -> Channel:
    """A channel with ``entries`` answers of :func:`body`, appended in one write as a hand writer would."""
    channel = Channel.create("big channel", author="site-a", requests=["one"], directory=directory)
    text = body()
    fd = os.open(channel.path, os.O_WRONLY | os.O_APPEND)
    try:
        for start in range(1, entries + 1, 500):
            numbers = range(start, min(start + 500, entries + 1))
            chunk = "".join(f"\n### Answer {n} (2026-06-22T14:00:00Z) from site-b\n{text}" for n in numbers)
            os.write(fd, chunk.encode())
    finally:
        os.close(fd)
    return channel


def _measure(args: list[str], env: dict[str, str], *, on_terminal: bool) -> tuple[float, float]:
    """Run ``collab ARGS`` once under ``/usr/bin/time -v``; return (wall seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        command = [TIME, "-v", "-o", report.name, COLLAB, *args]
        started = time.perf_counter()
        if on_terminal:
            _run_on_pty(command, env)
        else:
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        kilobytes = next(int(line.split(":")[1]) for line in report if "Maximum resident set size" in line)
    return wall, kilobytes / 1024


def _run_on_pty(command: list[str], env: dict[str, str]) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(command, env=env, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    try:
        while True:  # drain the terminal, or the command blocks once its buffer is full
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    if not os.read(master, 1 << 16):
                        break
                except OSError:  # EIO: every writer has closed the terminal
                    break
            elif process.poll() is not None:
                break
    finally:
        os.close(master)
    if process.wait() != 0:
        raise RuntimeError(f"{command} exited {process.returncode}")


def _median(args: list[str], env: dict[str, str], runs: int, on_terminal: bool) -> tuple[float, float]:
    samples = [_measure(args, env, on_terminal=on_terminal) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def run(entries: int = 6000, runs: int = 3) -> Report:
    """Time ``show`` (terminal, pipe) and ``show --html`` (stdout, ``-o``) on one big channel.

    Then the slowest case of each view that still renders markdown: a channel whose bodies are
    just under the view's limit (:data:`collab.render.render_term.RENDER_LIMIT`,
    :data:`collab.render.render_html.RENDER_LIMIT`), above which the view shows markdown source.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    env.update(COLUMNS="120", LINES="40", TERM="xterm-256color")
    rows: list[list[object]] = []
    targets = []
    with tempfile.TemporaryDirectory(prefix="collab-render-") as tmp:
        env["COLLAB_STATE_DIR"] = str(Path(tmp) / "state")
        big = make_channel(Path(tmp), entries)
        size = f"{big.path.stat().st_size / 1e6:.0f} MB"
        page = str(Path(tmp) / "page.html")
        first = _measure(["show", str(big.path), "--json"], env, on_terminal=False)
        rows.append([f"show --json, first read (starts the ledger), {size}", *first])
        for label, args, on_terminal in (
            ("show, on a terminal", [], True),
            ("show, piped", [], False),
            ("show --html, to stdout", ["--html"], False),
            ("show --html -o FILE", ["--html", "-o", page], False),
        ):
            wall, rss = _median(["show", str(big.path), *args], env, runs, on_terminal)
            rows.append([f"{label}, {size}", wall, rss])
            if label in ("show, on a terminal", "show --html -o FILE"):
                verdict = f"{wall:.1f} s, {rss:.0f} MB"
                targets.append(Target(f"{label}, {size}: <= 10 s, <= 300 MB", verdict, wall <= 10 and rss <= 300))
        for label, limit, args, on_terminal in (
            ("show, on a terminal, rendered", render_term.RENDER_LIMIT, [], True),
            ("show --html -o FILE, rendered", render_html.RENDER_LIMIT, ["--html", "-o", page], False),
        ):
            under = make_channel(Path(tmp), limit // len(body()))
            _measure(["show", str(under.path), "--json"], env, on_terminal=False)
            wall, rss = _median(["show", str(under.path), *args], env, runs, on_terminal)
            rows.append([f"{label}, {under.path.stat().st_size / 1e6:.1f} MB (just under its limit)", wall, rss])
    text = f"Machine: {machine()}\n\n{entries:,} entries of about 5 KB, median of {runs} runs\n\n" + table(
        ["command", "wall s", "peak RSS MB"], rows
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=6000, help="answers of about 5 KB each (default 6000: 30 MB)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command; the median is reported")
    options = parser.parse_args()
    print(run(options.entries, options.runs).full())


if __name__ == "__main__":
    main()
