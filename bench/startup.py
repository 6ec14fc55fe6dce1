"""Cold start: wall and CPU time of ``collab answer``, ``wait`` and ``--help`` against a minimal typer app.

    python bench/startup.py [--runs 21]

Each command runs as a fresh process, the commands interleaved round by round so that noise on this
shared machine falls on all of them alike. The baseline is a typer app with one no-op command, with
the same typer (and settings) that collab uses; ``python -c pass`` is the floor. A second baseline
starts the same app with the garbage collector paused as collab's console script does, to show what
collab's own code costs apart from that choice.

The channels are made with the ``collab`` command itself (``start``, then an answer from another
name), so that the benchmark depends on nothing but the command line. ``answer`` appends to one
that holds an entry its writer has not read (``collab answer`` reads the channel to say so);
``wait --after 0 --settle 0`` returns at once with the one entry of the other, which no run adds to.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, summary, table

COLLAB = str(Path(sys.executable).parent / "collab")

MINIMAL_APP = """
import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@app.command()
def noop(channel: str, text: str = "") -> None:
    pass


@app.command()
def other() -> None:
    pass


app()
"""

# The same app, started the way collab's console script starts (collab.console): the cyclic garbage
# collector paused until the command runs. Shows what collab's own code costs, the collector aside.
MINIMAL_APP_PAUSED = """
import gc

gc.disable()

import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@app.command()
def noop(channel: str, text: str = "") -> None:
    gc.freeze()
    gc.enable()


@app.command()
def other() -> None:
    pass


app()
"""


def _channel(env: dict[str, str]) -> str:
    """A new channel with one request and one answer from "other", which "bench" has not read; its id."""
    started = subprocess.run(
        [COLLAB, "start", "startup bench", "-r", "one", "--as", "bench", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    channel_id: str = json.loads(started.stdout)["id"]
    subprocess.run(
        [COLLAB, "answer", channel_id, "something to read", "--as", "other"], env=env, check=True, capture_output=True
    )
    return channel_id


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, from wait4(2)) of one run, in milliseconds."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - started) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def run(runs: int = 21) -> Report:
    """Time every command ``runs`` times; return the report."""
    import typer

    with tempfile.TemporaryDirectory(prefix="collab-startup-") as tmp:
        directory = Path(tmp)
        app = directory / "minimal_app.py"
        app.write_text(MINIMAL_APP)
        paused = directory / "minimal_app_paused.py"
        paused.write_text(MINIMAL_APP_PAUSED)
        # A user's Python caches bytecode; a machine that sets PYTHONDONTWRITEBYTECODE (as this one
        # does) would otherwise time collab's modules being compiled from source on every run.
        env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_") and k != "PYTHONDONTWRITEBYTECODE"}
        env["COLLAB_DIR"] = tmp
        # A state directory of its own, as a new user's, gone with the run (not the user's, which
        # every run would leave the benchmark channels' files in, for the next runs to list).
        env["COLLAB_STATE_DIR"] = str(directory / "state")
        # Each answer adds an entry; the wait reads a channel of its own, which stays at one entry.
        answered, waited = _channel(env), _channel(env)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            f"minimal typer {typer.__version__} app, no-op command": [sys.executable, str(app), "noop", "x"],
            "the same, collector paused as collab does": [sys.executable, str(paused), "noop", "x"],
            "collab answer (small channel)": [COLLAB, "answer", answered, "an answer", "--as", "bench"],
            # --settle 0: return on the entries there are, not when their writer's turn is over
            "collab wait (returns at once)": [
                COLLAB,
                "wait",
                waited,
                "--as",
                "reader",
                "--after",
                "0",
                "--timeout",
                "5",
                "--settle",
                "0",
            ],
            "collab --help": [COLLAB, "--help"],
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():
            timed(argv, env)  # warm the page cache and the bytecode cache
        for _ in range(runs):
            for name, argv in commands.items():
                wall, cpu = timed(argv, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    minimal = next(name for name in commands if name.startswith("minimal"))
    baseline, cpu_baseline = statistics.median(walls[minimal]), statistics.median(cpus[minimal])
    rows = []
    for name in commands:
        stats, cpu = summary(walls[name]), statistics.median(cpus[name])
        rows.append(
            [name, stats["median"], stats["p99"], f"{stats['median'] / baseline:.2f}", cpu, f"{cpu / cpu_baseline:.2f}"]
        )
    targets = []
    for name in ("collab answer (small channel)", "collab wait (returns at once)", "collab --help"):
        median, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        targets.append(
            Target(
                f"{name.split(' (')[0]}: cold start <= 1.2x the minimal app and <= 150 ms",
                f"{median / baseline:.2f}x, {median:.0f} ms",
                median <= min(1.2 * baseline, 150),
            )
        )
        targets.append(
            Target(
                f"{name.split(' (')[0]}: CPU <= 1.2x the minimal app's",
                f"{cpu / cpu_baseline:.2f}x, {cpu:.0f} ms",
                cpu <= 1.2 * cpu_baseline,
            )
        )
    text = "\n\n".join(
        [
            f"Machine: {machine()}",
            f"Cold start, ms, {runs} runs each (interleaved); CPU is user + system time of the process:",
            table(
                [
                    "command",
                    "wall median",
                    "wall max" if runs < 100 else "wall p99",
                    "vs minimal app",
                    "CPU median",
                    "CPU vs minimal",
                ],
                rows,
            ),
        ]
    )
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    print(run(parser.parse_args().runs).full())


if __name__ == "__main__":
    main()
