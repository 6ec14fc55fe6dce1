"""Reading cost: ``show --json`` on a large channel, and the cost of one new entry for a follower.

    python bench/reading.py [--runs 7]

- ``collab show --json`` on a 10 MB / 10,000-entry channel written by hand: the first read of a
  never-seen file, then repeated reads; and ``collab wait`` returning at once on the same channel.
- What ``watch``/``wait`` spend on one appended entry (``Follower.refresh``, in process) when the
  channel holds 10 KB against 10 MB: the work should follow the new bytes, not the file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from channels import entry_text, make_channel
from common import Report, Target, machine, summary, table

from collab.live.watch import Follower

COLLAB = str(Path(sys.executable).parent / "collab")


def _command_time(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([COLLAB, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def show_rows(directory: Path, runs: int) -> list[list[object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    channel = make_channel(directory, 10_000)
    show = ["show", str(channel.path), "--json"]
    first = _command_time(show, env)
    again = summary([_command_time(show, env) for _ in range(runs)])
    wait = ["wait", str(channel.path), "--after", "9999", "--timeout", "0", "--as", "bench", "--json"]
    waits = summary([_command_time(wait, env) for _ in range(runs)])
    size = channel.path.stat().st_size / 1e6
    return [
        [f"show --json, {size:.1f} MB / 10,000 entries, first read", first, first],
        [f"show --json, {size:.1f} MB / 10,000 entries, later reads", again["median"], again["max"]],
        [f"wait --json returning the last entry, {size:.1f} MB / 10,000 entries", waits["median"], waits["max"]],
    ]


def refresh_rows(directory: Path, appends: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, entries in (("10 KB", 10), ("10 MB", 10_000)):
        channel = make_channel(directory, entries)
        follower = Follower(channel.path)
        follower.start()
        follower.refresh(settled=True)  # the last entry, written by hand just now, was held back at start
        costs = []
        for n in range(entries + 1, entries + 1 + appends):
            fd = os.open(channel.path, os.O_WRONLY | os.O_APPEND)
            os.write(fd, entry_text(n).encode())
            os.close(fd)
            started = time.perf_counter()
            # settled: the file is quiet after this one append, as the watcher finds it once its
            # debounce passes; a hand entry is held back while events still arrive (by design).
            update = follower.refresh(settled=True)
            costs.append((time.perf_counter() - started) * 1000)
            assert [e.number for e in update.entries] == [n]
        stats = summary(costs)
        rows.append([f"one new 1 KB entry, {label} channel", stats["median"], stats["max"]])
    return rows


def run(runs: int = 7, appends: int = 200) -> Report:
    with tempfile.TemporaryDirectory(prefix="collab-reading-") as tmp:
        rows = show_rows(Path(tmp), runs)
        follow = refresh_rows(Path(tmp), appends)
    first, warm = float(rows[0][1]), float(rows[1][1])  # type: ignore[arg-type]
    small, large = float(follow[0][1]), float(follow[1][1])  # type: ignore[arg-type]
    targets = [
        Target("show --json, 10 MB / 10,000 entries, ledger warm <= 0.5 s", f"{warm / 1000:.2f} s", warm <= 500),
        Target("show --json, first read of a never-seen 10 MB file <= 3 s", f"{first / 1000:.2f} s", first <= 3000),
        Target(
            "follower cost per new entry flat in channel size (10 MB <= 2x 10 KB)",
            f"{small:.2f} ms at 10 KB, {large:.2f} ms at 10 MB",
            large <= 2 * small,
        ),
    ]
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            "Reading a large channel, wall ms:",
            table(["what", "median", "max"], rows),
            f"Follower cost per event ({appends} appends each), ms:",
            table(["what", "median", "max"], follow),
        ]
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    print(run(parser.parse_args().runs).full())


if __name__ == "__main__":
    main()
