"""Append cost against channel size, and throughput of concurrent writers.

    python bench/append.py [--runs 15] [--appends 100]

- ``collab answer`` wall and CPU time on a 10 KB and on a 10 MB channel (fresh processes,
  interleaved; each channel is read once first, as any earlier command would have). The seat that
  answers has read the channel (its cursor is at the end, as after its ``collab wait``): this is the
  append itself, the figure of the target.
- The same on a seat that answers again and again without reading in between, and on a seat that
  never read the channel: ``answer`` then also names the entries it crossed (contract 6.3), so its
  cost follows the number of entries after the seat's cursor, not the append.
- 8 processes appending through the library API at once: appends per second in total, and a check
  that the numbers come out contiguous (none lost, none shared).
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.synchronize
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from channels import make_channel
from common import Report, Target, machine, summary, table

from collab.channel import Channel
from collab.ledger import reading
from collab.live import cursors

COLLAB = str(Path(sys.executable).parent / "collab")

#: The targets of issue 22.
SIZE_RATIO = 1.3
RATE = 1000

#: The seats that answer: (what the row says, the seat's name, when it reads the channel).
CASES = (
    ("has read the channel", "bench", "before every answer"),
    ("answers again without reading", "again", "before its first answer"),
    ("never read the channel", "never", "never"),
)


def _answer_time(channel: Channel, env: dict[str, str], seat: str) -> tuple[float, float]:
    """Wall and CPU (user + system, from wait4(2)) milliseconds of one ``collab answer``."""
    started = time.perf_counter()
    argv = [COLLAB, "answer", str(channel.path), "a short answer", "--as", seat]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed")
    return (time.perf_counter() - started) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def _has_read(channel: Channel, seat: str) -> None:
    """Move ``seat``'s cursor to the end of the channel, as its ``collab wait`` would (not timed)."""
    cursors.advance(channel.path, seat, reading.summary(channel.path).counters.index)


def size_rows(directory: Path, runs: int) -> tuple[list[list[object]], float]:
    """The table rows, and the 10 MB median over the 10 KB median (wall) for the seat that has read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    channels = {"10 KB": make_channel(directory, 10), "10 MB": make_channel(directory, 10_000)}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for channel in channels.values():
        _answer_time(channel, env, "warm")  # the first read of a never-seen file accepts it, once
    for run in range(runs):
        for name, channel in channels.items():
            for case, seat, reads in CASES:
                if reads == "before every answer" or (reads == "before its first answer" and run == 0):
                    _has_read(channel, seat)
                times.setdefault((name, case), []).append(_answer_time(channel, env, seat))
    rows: list[list[object]] = []
    for case, _seat, _reads in CASES:
        base = summary([wall for wall, _ in times[("10 KB", case)]])["median"]
        base_cpu = summary([cpu for _, cpu in times[("10 KB", case)]])["median"]
        for name, channel in channels.items():
            wall = summary([w for w, _ in times[(name, case)]])
            cpu = summary([c for _, c in times[(name, case)]])["median"]
            size = channel.path.stat().st_size
            rows.append(
                [
                    f"collab answer, {name} channel ({size / 1e6:.2f} MB), seat {case}",
                    wall["median"],
                    wall["max"],
                    f"{wall['median'] / base:.2f}",
                    cpu,
                    f"{cpu / base_cpu:.2f}",
                ]
            )
    ratio = (
        summary([w for w, _ in times[("10 MB", CASES[0][0])]])["median"]
        / summary([w for w, _ in times[("10 KB", CASES[0][0])]])["median"]
    )
    return rows, ratio


def _writer(path: str, appends: int, start: multiprocessing.synchronize.Event) -> None:
    channel = Channel(Path(path))
    start.wait()
    for n in range(appends):
        channel.answer(f"concurrent {os.getpid()} {n}", author=f"w{os.getpid()}")


def throughput(directory: Path, processes: int = 8, appends: int = 100) -> tuple[float, str]:
    channel = Channel.create("throughput bench", author="bench", directory=directory)
    start = multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=_writer, args=(str(channel.path), appends, start)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    numbers = [e.number for e in channel.read().entries]
    total = processes * appends
    check = "contiguous, none lost" if numbers == list(range(1, total + 1)) else f"BROKEN: {len(numbers)} entries"
    return total / elapsed, check


def run(runs: int = 15, appends: int = 100) -> Report:
    with tempfile.TemporaryDirectory(prefix="collab-append-") as tmp:
        rows, ratio = size_rows(Path(tmp), runs)
        rate, check = throughput(Path(tmp), 8, appends)
    targets = [
        Target(
            f"collab answer on 10 MB <= {SIZE_RATIO}x on 10 KB (a seat that has read)",
            f"{ratio:.2f}x",
            ratio <= SIZE_RATIO,
        ),
        Target(
            f"8 processes through the library >= {RATE:,} appends/s, none lost or duplicated",
            f"{rate:.0f}/s, {check}",
            rate >= RATE and check.startswith("contiguous"),
        ),
    ]
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Append cost against channel size, ms (wall median and max, CPU median), {runs} runs each:",
            table(["command", "median", "max", "vs 10 KB", "CPU", "CPU vs 10 KB"], rows),
            f"8 processes x {appends} appends through the library: {rate:.0f} appends/s in total; numbers {check}.",
        ]
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--appends", type=int, default=100, help="appends per writer process")
    args = parser.parse_args()
    print(run(args.runs, args.appends).full())


if __name__ == "__main__":
    main()
