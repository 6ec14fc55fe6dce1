"""How long a first read of a heading-heavy hand-written channel keeps others from the lock (attack N2).

    python bench/lock_hold.py [--big]

For each channel (created with ``collab start``, then a hand-written tail of setext or ATX
headings appended without collab), ``collab show --json`` reads it for the first time, which
accepts the tail into the ledger. Meanwhile this process takes the channel's ``flock`` over and
over, as a writer would, and records how long each take waited. Contract 7.5: no reader holds the
lock for longer than a writer's own append (target: 100 ms). ``--big`` adds the 27-30 MB channels.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, table

CASES = [("setext", "text\n===\n", 300_000), ("atx", "## x\n", 600_000)]
BIG = [("setext", "text\n===\n", 3_000_000), ("atx", "## x\n", 6_000_000)]


def _collab() -> str:
    return str(Path(sys.executable).with_name("collab"))


def measure(unit: str, count: int, directory: Path) -> tuple[float, float, float]:
    """Seconds of the first ``show``, the longest wait for the lock meanwhile (ms), and the file's MB."""
    env = os.environ | {"COLLAB_DIR": str(directory), "COLLAB_STATE_DIR": str(directory / "state")}
    started = subprocess.run(
        [_collab(), "start", "bench", "--json"], env=env, capture_output=True, text=True, check=True
    )
    import json

    path = Path(json.loads(started.stdout)["path"])
    with open(path, "a", encoding="utf-8") as out:
        out.write(unit * count)
    longest = 0.0
    begun = time.monotonic()
    reader = subprocess.Popen([_collab(), "show", str(path), "--json"], env=env, stdout=subprocess.DEVNULL)
    while reader.poll() is None:
        fd = os.open(path, os.O_RDWR)
        try:
            asked = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            longest = max(longest, time.monotonic() - asked)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        time.sleep(0.002)
    elapsed = time.monotonic() - begun
    size = path.stat().st_size / 1e6
    path.unlink()
    return elapsed, longest * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", action="store_true", help="also the 27-30 MB channels")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, unit, count in CASES + (BIG if args.big else []):
            seconds, longest_ms, size = measure(unit, count, Path(scratch))
            verdict = "met" if longest_ms <= 100 else "missed"
            rows.append((name, f"{size:.1f}", f"{seconds:.2f}", f"{longest_ms:.1f}", verdict))
    print(machine())
    print()
    print(table(["tail", "MB", "first show (s)", "longest lock wait (ms)", "<= 100 ms"], rows))


if __name__ == "__main__":
    main()
