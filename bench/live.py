"""Delivery latency and idle CPU of ``collab watch`` and ``collab wait``, against polling readers.

    python bench/live.py [--appends 200] [--idle 60] [--quick]

Latency is measured from the writer's ``write()`` returning (an append by hand with ``os.write``, or
the library's append, which is what ``collab answer`` runs) to the entry's line arriving on the
reader's stdout, read by this process through a pipe. Readers:

- ``collab watch`` (one process for the whole run, plain output on a pipe);
- ``collab wait`` (a new process per entry, started and armed before the append);
- polling readers modelled by ``bench/poller.py``: 5 s and 3 s mtime polling (the original /collab
  command, the session-bridge plugin) and 50 ms tail polling (the fastest peer we know).

All stream readers follow the same appends, paced 50 to 150 ms apart. Idle CPU is read from
``/proc/<pid>/stat`` (user + system time) over a quiet window, for ``watch`` and ``wait`` (inotify)
and for ``watch`` on watchfiles' polling fallback (``COLLAB_WATCH_POLLING=1``, what a network file
system gets). The targets hold for each kind of writer on its own: by hand and through collab.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, summary, table

from collab.channel import Channel

COLLAB = str(Path(sys.executable).parent / "collab")
POLLER = str(Path(__file__).resolve().parent / "poller.py")
LABEL = re.compile(r"^((?:Answer|Question) \d+)\b")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Reader:
    """A reader process whose stdout lines naming an entry are time-stamped on arrival."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.arrivals: dict[str, float] = {}
        self.lines: list[str] = []
        self._buffer = b""

    def feed(self, now: float) -> bool:
        """Read what is ready; record arrival times. False at end of stream."""
        assert self.process.stdout is not None
        chunk = os.read(self.process.stdout.fileno(), 65536)
        if not chunk:
            return False
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            match = LABEL.match(line)
            if match:
                self.arrivals.setdefault(match.group(1), now)
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)


class Collector(threading.Thread):
    """Reads every reader's stdout with select(2), stamping lines with the monotonic clock."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.readers: dict[int, Reader] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()

    def add(self, reader: Reader) -> Reader:
        assert reader.process.stdout is not None
        with self.lock:
            self.readers[reader.process.stdout.fileno()] = reader
        return reader

    def run(self) -> None:
        while not self.done.is_set():
            with self.lock:
                fds = list(self.readers)
            ready, _, _ = select.select(fds, [], [], 0.05) if fds else ([], [], [])
            now = time.monotonic()
            for fd in ready:
                if not self.readers[fd].feed(now):
                    with self.lock:
                        del self.readers[fd]


def armed(pid: int) -> bool:
    """True once process ``pid`` holds an inotify descriptor with a watch on it (watchfiles is armed)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            if link == "anon_inode:inotify" and "inotify wd:" in Path(f"/proc/{pid}/fdinfo/{fd}").read_text():
                return True
    except OSError:
        return False
    return False


def watchfiles_loaded(pid: int) -> bool:
    """True once process ``pid`` has loaded watchfiles' Rust extension (the polling watcher starts)."""
    try:
        return "_rust_notify" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far (proc(5), fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Writer:
    """Appends entries alternately by hand (one ``os.write``) and through the library."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.count = 0
        self.written: dict[str, tuple[str, float]] = {}

    def append(self) -> str:
        self.count += 1
        label = f"Answer {self.count}"
        if self.count % 2:
            text = f"\n### Answer {self.count} (2026-06-22T14:00:00Z) from bench\nby hand {self.count}\n"
            fd = os.open(self.channel.path, os.O_WRONLY | os.O_APPEND)
            os.write(fd, text.encode())
            self.written[label] = ("by hand", time.monotonic())
            os.close(fd)
        else:
            self.channel.answer(f"via the library {self.count}", author="bench")
            self.written[label] = ("collab answer", time.monotonic())
        return label


def env_with(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    env.update(values)
    return env


def latencies(reader: Reader, writer: Writer, method: str | None = None) -> list[float]:
    return [
        (reader.arrivals[label] - at) * 1000
        for label, (how, at) in writer.written.items()
        if label in reader.arrivals and (method is None or how == method)
    ]


def stream_run(directory: Path, appends: int) -> tuple[list[list[object]], dict[str, float]]:
    """watch and the pollers on one channel; returns table rows and the medians by reader."""
    channel = Channel.create("latency bench", author="bench", directory=directory)
    collector = Collector()
    collector.start()
    env = env_with(COLLAB_DIR=str(directory))
    readers = [
        collector.add(Reader("collab watch", [COLLAB, "watch", str(channel.path)], env)),
        collector.add(Reader("poll 50 ms", [sys.executable, POLLER, str(channel.path), "0.05"], env)),
        collector.add(Reader("poll 3 s", [sys.executable, POLLER, str(channel.path), "3"], env)),
        collector.add(Reader("poll 5 s", [sys.executable, POLLER, str(channel.path), "5"], env)),
    ]
    assert until(lambda: armed(readers[0].process.pid), 20), "collab watch never armed"
    assert until(lambda: all(r.lines for r in readers[1:]), 20), "a poller never started"
    writer = Writer(channel)
    for _ in range(appends):
        time.sleep(random.uniform(0.05, 0.15))
        writer.append()
    until(lambda: all(len(r.arrivals) >= appends for r in readers), 15)
    collector.done.set()
    for reader in readers:
        reader.stop()
    rows: list[list[object]] = []
    medians: dict[str, float] = {}
    for reader in readers:
        for method in ("by hand", "collab answer", None):
            values = latencies(reader, writer, method)
            if not values:
                continue
            stats = summary(values)
            if method is None:
                medians[reader.name] = stats["median"]
            rows.append([reader.name, method or "all", len(values), stats["median"], stats["p99"], stats["max"]])
    return rows, medians


def wait_run(directory: Path, rounds: int) -> list[list[object]]:
    """A fresh ``collab wait`` per entry, armed before the append."""
    channel = Channel.create("wait bench", author="bench", directory=directory)
    writer = Writer(channel)
    env = env_with(COLLAB_DIR=str(directory))
    collector = Collector()
    collector.start()
    found: list[Reader] = []
    for _ in range(rounds):
        reader = collector.add(
            Reader(
                "collab wait",
                [COLLAB, "wait", str(channel.path), "--as", "reader", "--timeout", "30", "--settle", "0"],
                env,
            )
        )
        assert until(lambda r=reader: armed(r.process.pid), 20), "collab wait never armed"  # type: ignore[misc]
        label = writer.append()
        until(lambda r=reader, x=label: x in r.arrivals, 30)  # type: ignore[misc]
        reader.process.wait(30)
        found.append(reader)
    collector.done.set()
    rows: list[list[object]] = []
    for method in ("by hand", "collab answer", None):
        values = [v for r in found for v in latencies(r, writer, method)]
        stats = summary(values)
        rows.append(["collab wait", method or "all", len(values), stats["median"], stats["p99"], stats["max"]])
    return rows


def idle_run(directory: Path, seconds: float) -> list[list[object]]:
    """CPU used over ``seconds`` by idle readers: watch, wait, and watch on the polling fallback."""
    channel = Channel.create("idle bench", author="bench", directory=directory)
    base = env_with(COLLAB_DIR=str(directory))
    commands = {
        "collab watch": ([COLLAB, "watch", str(channel.path)], base),
        "collab wait": ([COLLAB, "wait", str(channel.path), "--timeout", str(seconds + 30)], base),
        "collab watch, polling fallback": ([COLLAB, "watch", str(channel.path)], dict(base, COLLAB_WATCH_POLLING="1")),
    }
    processes = {
        name: subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, (argv, env) in commands.items()
    }
    for name, process in processes.items():
        ready = watchfiles_loaded if "polling" in name else armed
        assert until(lambda p=process, r=ready: r(p.pid), 30), f"{name} never armed"  # type: ignore[misc]
    time.sleep(1)  # past the settled look after arming, and the polling watcher's first scan
    before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
    time.sleep(seconds)
    used = {name: cpu_seconds(p.pid) - before[name] for name, p in processes.items()}
    for process in processes.values():
        process.terminate()
        process.wait(10)
    return [[name, f"{used[name]:.2f}", f"{100 * used[name] / seconds:.3f}"] for name in processes]


def run(appends: int = 200, idle: float = 60) -> Report:
    """Run every part and return the report (tables in markdown pipe syntax)."""
    with tempfile.TemporaryDirectory(prefix="collab-bench-") as tmp:
        directory = Path(tmp)
        stream_rows, medians = stream_run(directory, appends)
        wait_rows = wait_run(directory, appends)
        idle_rows = idle_run(directory, idle)
    reference = medians["collab watch"]
    rows = [[*row, f"{row[3] / reference:.0f}x" if row[1] == "all" else ""] for row in stream_rows + wait_rows]
    targets = []
    for row in stream_rows + wait_rows:
        if row[1] != "all" and str(row[0]).startswith("collab"):
            median, p99 = float(row[3]), float(row[4])
            targets.append(
                Target(
                    f"{row[0]}, {row[1]}: delivery median <= 15 ms, p99 <= 60 ms",
                    f"{median:.1f} ms, p99 {p99:.1f} ms",
                    median <= 15 and p99 <= 60,
                )
            )
    for name, _seconds, percent in idle_rows:
        if "fallback" not in str(name):
            targets.append(Target(f"{name}: idle CPU <= 0.2% of one core", f"{percent}%", float(percent) <= 0.2))
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Delivery latency, ms (write() returned -> line on the reader's stdout; {appends} appends):",
            table(["reader", "writer", "n", "median", "p99", "max", "median vs watch"], rows),
            f"Idle CPU over {idle:.0f} s:",
            table(["reader", "CPU s", "% of one core"], idle_rows),
        ]
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=200, help="appends per latency run (default 200)")
    parser.add_argument("--idle", type=float, default=60, help="idle window in seconds (default 60)")
    parser.add_argument("--quick", action="store_true", help="40 appends, a 10 s idle window: a smoke run")
    args = parser.parse_args()
    if args.quick:
        print(run(appends=40, idle=10).full())
    else:
        print(run(appends=args.appends, idle=args.idle).full())


if __name__ == "__main__":
    main()
