"""Every benchmark, one after the other, as one report: ``python bench/run.py [--quick]``.

Takes about three minutes on a 2-core machine (``--quick``: under one), plus the adversarial inputs,
whose every run is stopped at a cap (10 s; ``--quick``: 3 s, one run each). Never part of the tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adversarial
import append
import fuzz_bodies
import hooks
import live
import push
import reading
import remote
import rounds
import startup
from common import Target, machine, targets_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke run, not figures to quote")
    quick = parser.parse_args().quick
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(startup.__file__).parent.parent / "collab")], check=False
    )
    began = time.monotonic()
    parts = [
        ("Cold start", lambda: startup.run(7 if quick else 21)),
        ("Append", lambda: append.run(5 if quick else 15, 30 if quick else 100)),
        ("Reading", lambda: reading.run(3 if quick else 7, 50 if quick else 200)),
        ("Live", lambda: live.run(40, 10) if quick else live.run()),
        ("Sleeping hooks", lambda: hooks.run(20, 10.0 if quick else 60.0)),
        ("Rounds at an agent's pace", lambda: rounds.run(rounds.Pace(1 if quick else 2, 3, 1.0, 1))),
        ("Push: the wake hook", lambda: push.run(5, 5.0) if quick else push.run()),
        ("Two machines, over SSH", lambda: remote.run(8 if quick else 30)),
        ("Bodies, differential fuzz", lambda: fuzz_bodies.run(2_000 if quick else 20_000)),
        ("Adversarial inputs", lambda: adversarial.run(1, 3.0) if quick else adversarial.run()),
    ]
    print(f"# collab benchmarks\n\nMachine: {machine()}\n")
    targets: list[Target] = []
    for title, part in parts:
        started = time.monotonic()
        report = part()
        targets += report.targets
        body = "\n".join(line for line in report.text.split("\n") if not line.startswith("Machine:")).strip()
        print(f"## {title} ({time.monotonic() - started:.0f} s)\n\n{body}\n", flush=True)
    print(f"## Targets\n\n{targets_table(targets)}\n")
    print(f"All benchmarks took {time.monotonic() - began:.0f} s.")


if __name__ == "__main__":
    main()
