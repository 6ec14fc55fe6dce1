"""How many ``wait`` calls A needs to read one turn of B: ``python bench/rounds.py [--runs N]``.

A scripted exchange, through the installed ``collab``: A's channel has 4 requests; B answers each
and asks 1 question, with a random gap of 0.5-5 s between its commands, then waits (its turn is
over). A loops on ``collab wait --json`` (default ``--settle``, ``--timeout 60``) until it has read
all 5 entries. Issue 13's goal: A's calls are no more than B's turns (here 1) plus A's timeouts.
Before turn-aware ``wait`` (``--settle 0``), every entry cost A a call of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table

COLLAB = str(Path(sys.executable).parent / "collab")


def _b_side(path: str, env: dict[str, str], rng: random.Random, done: threading.Event) -> None:
    """B's turn: 4 answers and 1 question with gaps of 0.5-5 s, then a wait that ends its turn."""
    steps = [["answer", path, f"answer {n}", "--re", f"request:{n}"] for n in range(1, 5)]
    steps.append(["ask", path, "one question back"])
    for step in steps:
        time.sleep(rng.uniform(0.5, 5.0))  # the scripted agent's thinking time, not a readiness wait
        subprocess.run([COLLAB, *step, "--as", "site-b"], env=env, capture_output=True, check=True)
    waiting = subprocess.Popen([COLLAB, "wait", path, "--as", "site-b", "--timeout", "60"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    done.wait(120)
    waiting.kill()
    waiting.wait()


def one_exchange(settle: str | None, seed: int) -> tuple[int, int, float]:
    """``(A's wait calls, A's timeouts, seconds)`` for one scripted exchange."""
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, COLLAB_DIR=directory, COLLAB_STATE_DIR=str(Path(directory) / ".state"))
        made = subprocess.run([COLLAB, "start", "rounds", "--json", "--as", "site-a",
                               *[arg for n in range(1, 5) for arg in ("--request", f"request {n}")]],
                              env=env, capture_output=True, text=True, check=True)  # fmt: skip
        path = json.loads(made.stdout)["path"]
        done = threading.Event()
        b_side = threading.Thread(target=_b_side, args=(path, env, random.Random(seed), done))
        began = time.monotonic()
        b_side.start()
        calls = timeouts = seen = 0
        extra = [] if settle is None else ["--settle", settle]
        while seen < 5:
            calls += 1
            result = subprocess.run([COLLAB, "wait", path, "--as", "site-a", "--timeout", "60", "--json", *extra],
                                    env=env, capture_output=True, text=True)  # fmt: skip
            timeouts += result.returncode == 3
            seen += len(json.loads(result.stdout)["entries"])
        elapsed = time.monotonic() - began
        done.set()
        b_side.join()
        return calls, timeouts, elapsed


def run(runs: int = 3) -> Report:
    rows = []
    turn_aware: list[tuple[int, int]] = []
    for settle in (None, "0"):
        for seed in range(runs):
            calls, timeouts, elapsed = one_exchange(settle, seed)
            rows.append(["default (5 s)" if settle is None else "0", seed, calls, timeouts, f"{elapsed:.1f}"])
            if settle is None:
                turn_aware.append((calls, timeouts))
    text = "\n".join([f"Machine: {machine()}", "", "B: 4 answers and 1 question, 0.5-5 s apart, then waits.", "",
                      table(["--settle", "seed", "A's wait calls", "timeouts", "seconds"], rows)])  # fmt: skip
    worst = max(calls - timeouts for calls, timeouts in turn_aware)
    return Report(text, [Target("A's waits per B turn (scripted exchange), default --settle", f"{worst} (goal 1)",
                                worst <= 1)])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    print(run(parser.parse_args().runs).full())


if __name__ == "__main__":
    main()
