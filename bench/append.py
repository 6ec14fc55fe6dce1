"""Append cost against channel size, and throughput of concurrent writers.

    python bench/append.py [--runs 15] [--appends 100]

- ``collab answer`` wall time on a 10 KB and on a 10 MB channel (fresh processes, interleaved; the
  10 MB channel is read once first, as any earlier command would have).
- 8 processes appending through the library API at once: appends per second in total, and a check
  that the numbers come out contiguous (none lost, none shared).
"""

from __future__ import annotations

import argparse
import multiprocessing
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

COLLAB = str(Path(sys.executable).parent / "collab")


def _answer_time(channel: Channel, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [COLLAB, "answer", str(channel.path), "a short answer", "--as", "bench"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return (time.perf_counter() - started) * 1000


def size_rows(directory: Path, runs: int) -> tuple[list[list[object]], float]:
    """The table rows, and the 10 MB median over the 10 KB median."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    small = make_channel(directory, 10)
    large = make_channel(directory, 10_000)
    channels = {"10 KB": small, "10 MB": large}
    times: dict[str, list[float]] = {name: [] for name in channels}
    for channel in channels.values():
        _answer_time(channel, env)
    for _ in range(runs):
        for name, channel in channels.items():
            times[name].append(_answer_time(channel, env))
    base = summary(times["10 KB"])["median"]
    rows: list[list[object]] = []
    for name, channel in channels.items():
        stats = summary(times[name])
        size = channel.path.stat().st_size
        rows.append(
            [
                f"collab answer, {name} channel ({size / 1e6:.2f} MB)",
                stats["median"],
                stats["max"],
                f"{stats['median'] / base:.2f}",
            ]
        )
    return rows, summary(times["10 MB"])["median"] / base


def _writer(path: str, appends: int, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
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
        Target("collab answer on 10 MB <= 1.5x on 10 KB", f"{ratio:.2f}x", ratio <= 1.5),
        Target(
            "8 processes through the library >= 500 appends/s, none lost or duplicated",
            f"{rate:.0f}/s, {check}",
            rate >= 500 and check.startswith("contiguous"),
        ),
    ]
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Append cost against channel size, wall ms, {runs} runs each:",
            table(["command", "median", "max", "vs 10 KB"], rows),
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
