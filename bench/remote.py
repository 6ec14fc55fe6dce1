"""How fast a channel on another host delivers, over loopback SSH: ``python bench/remote.py [--runs N]``.

The host is the tests' real ``sshd`` (``tests/sshd.py``) on 127.0.0.1, with its own ``HOME``, channel
and state directories; this side reaches it with ``COLLAB_SSH_COMMAND='ssh -F <its ssh_config>'`` and
a control directory of its own, as a user's collab does. Each delivery run starts a ``wait --settle 0``
of site-b, waits until site-b's presence is held on the host (the wait is blocked there), then
site-a appends an answer on the host through the library; latency is from that append returning to
the wait's process exiting with the entry:

- **collab here -> ssh -> collab wait there**: ``collab wait ssh://HOST/PATH``, the remote wait, with
  the ControlMaster warm (the target: median <= 50 ms);
- **ssh -> collab wait there**: the same wait run with ``ssh HOST collab wait PATH`` (no collab here):
  what the connection and the host's process cost;
- **collab wait on the host itself**: no ssh at all: what a local wait costs.

Then ``collab answer ssh://...`` here to the remote wait returning (the whole round, from the
answer's start), and the first command that opens the connection (``collab status ssh://...``, its
ControlMaster stopped with ``ssh -O exit`` before each run; target <= 2 s) beside a warm one.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Report, Target, machine, summary, table

from tests.sshd import HOST, Server, running, short_dir, stop_masters, unavailable

COLLAB = str(Path(sys.executable).parent / "collab")


class Sides:
    """This side's environment (its own directories, ssh pointed at the test sshd) and the channel on the host."""

    def __init__(self, server: Server, root: Path, control: Path) -> None:
        self.server, self.control = server, control
        base = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
        (root / "here").mkdir()
        self.here = base | {
            "COLLAB_DIR": str(root / "here"),
            "COLLAB_STATE_DIR": str(root / "here-state"),
            "COLLAB_SESSION": "bench-here",
            "COLLAB_SSH_COMMAND": f"ssh -F {shlex.quote(str(server.ssh_config))}",
            "COLLAB_SSH_CONTROL_DIR": str(control),
        }
        self.host = server.env | {"COLLAB_SESSION": "bench-host"}
        made = self.collab("start", "bench", "--request", "One?", "--on", HOST, "--as", "site-a", "--json")
        found = json.loads(made.stdout)
        self.url, self.path = found["path"], found["host_path"]
        # this process appends on the host through the library: it takes the host's state directory
        os.environ.update(COLLAB_DIR=str(server.channels), COLLAB_STATE_DIR=str(server.state))

    def collab(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COLLAB, *args], env=env or self.here, capture_output=True, text=True, check=True, timeout=120
        )

    def ssh(self, *words: str) -> list[str]:
        """The ssh command (through this side's warm master) that runs ``words`` on the host."""
        options = ["-o", "ControlMaster=auto", "-o", "ControlPersist=600", "-o", f"ControlPath={self.control}/%C"]
        return ["ssh", "-F", str(self.server.ssh_config), *options, "-o", "BatchMode=yes", HOST, shlex.join(words)]


def _blocked(path: str, name: str, limit: float = 60.0) -> None:
    """Until ``name``'s presence is held on the channel: its wait is blocked there."""
    from collab.live import presence

    deadline = time.monotonic() + limit
    while not presence.is_waiting(Path(path), name):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}'s wait never blocked")
        time.sleep(0.005)


def delivery(
    sides: Sides, waiter: list[str], env: dict[str, str], n: int, write: Callable[[int], object], from_start: bool
) -> float:
    """Seconds from ``write(n)`` returning (``from_start``: starting) to ``waiter``'s exit with the entry."""
    process = subprocess.Popen(waiter, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _blocked(sides.path, "site-b")
        time.sleep(0.02)  # past the presence lock: the wait is asleep on the file, as one is between turns
        started = time.monotonic()
        write(n)
        written = time.monotonic()
        out, err = process.communicate(timeout=60)
        done = time.monotonic()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    if process.returncode != 0 or f"bench {n}" not in out:
        raise RuntimeError(f"the wait gave exit {process.returncode}: {err.strip()}")
    return done - (started if from_start else written)


def rounds(sides: Sides, runs: int) -> dict[str, list[float]]:
    """Each delivery case, ``runs`` times, in milliseconds."""
    from collab.channel import Channel

    writer = Channel(Path(sides.path)).seat("site-a")

    def append(n: int) -> None:
        writer.answer(f"bench {n}")

    def answer_here(n: int) -> None:
        sides.collab("answer", sides.url, f"bench {n}", "--as", "site-a")

    wait = ["wait", "--as", "site-b", "--settle", "0", "--timeout", "60", "--json"]
    remote_wait = [COLLAB, wait[0], sides.url, *wait[1:]]
    cases: dict[str, tuple[list[str], dict[str, str], Callable[[int], object], bool]] = {
        "collab here -> ssh -> collab wait there": (remote_wait, sides.here, append, False),
        "ssh -> collab wait there": (sides.ssh("collab", wait[0], sides.path, *wait[1:]), sides.here, append, False),
        "collab wait on the host itself": ([COLLAB, wait[0], sides.path, *wait[1:]], sides.host, append, False),
        "collab answer here (from its start) -> remote wait returns": (remote_wait, sides.here, answer_here, True),
    }
    figures: dict[str, list[float]] = {}
    count = 0
    for what, (waiter, env, write, from_start) in cases.items():
        figures[what] = []
        for _ in range(runs):
            count += 1
            figures[what].append(delivery(sides, waiter, env, count, write, from_start) * 1000)
    return figures


def first_commands(sides: Sides, runs: int) -> tuple[list[float], list[float]]:
    """``collab status ssh://...`` with no master (it opens the connection), and with a warm one, in ms."""
    cold, warm = [], []
    for _ in range(runs):
        stop_masters(sides.control, sides.server.ssh_config)
        started = time.monotonic()
        sides.collab("status", sides.url, "--json")
        cold.append((time.monotonic() - started) * 1000)
        started = time.monotonic()
        sides.collab("status", sides.url, "--json")
        warm.append((time.monotonic() - started) * 1000)
    return cold, warm


def parts(sides: Sides, runs: int) -> list[list[object]]:
    """What a warm round trip is made of: ssh over the master alone, and collab's start-up on either side."""
    rows = []
    for what, command in (
        ("ssh HOST true (over the warm master)", sides.ssh("true")),
        ("ssh HOST collab --version", sides.ssh("collab", "--version")),
        ("collab --version here", [COLLAB, "--version"]),
    ):
        values = []
        for _ in range(runs):
            started = time.monotonic()
            subprocess.run(command, capture_output=True, check=True, env=sides.here, timeout=60)
            values.append((time.monotonic() - started) * 1000)
        figures = summary(values)
        rows.append([what, len(values), figures["median"], figures["p99"], figures["max"]])
    return rows


def run(runs: int = 30) -> Report:
    reason = unavailable()
    if reason:
        return Report(f"Machine: {machine()}\n\nSkipped: {reason}.", [])
    saved = {name: os.environ.get(name) for name in ("COLLAB_DIR", "COLLAB_STATE_DIR")}
    root, control = short_dir("bssh"), short_dir("bctl")
    control.chmod(0o700)
    try:
        with running(root) as server:
            try:
                sides = Sides(server, root, control)
                cold, warm = first_commands(sides, max(3, runs // 6))
                delivered = rounds(sides, runs)
                pieces = parts(sides, max(5, runs // 3))
            finally:
                stop_masters(control, server.ssh_config)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(control, ignore_errors=True)
    return _report(delivered, cold, warm, pieces)


def _report(
    delivered: dict[str, list[float]], cold: list[float], warm: list[float], pieces: list[list[object]]
) -> Report:
    rows = []
    for what, values in delivered.items():
        figures = summary(values)
        rows.append([what, len(values), figures["median"], figures["p99"], figures["max"]])
    starts = []
    for what, values in (("first command, opening the connection", cold), ("the same command, master warm", warm)):
        figures = summary(values)
        starts.append([what, len(values), figures["median"], figures["max"]])
    text = "\n".join([
        f"Machine: {machine()}", "",
        "Append on the host -> a blocked `wait --settle 0` exits with the entry, over loopback SSH, ms:", "",
        table(["case", "n", "median", "p99", "max"], rows), "",
        "`collab status ssh://...`, from start to exit, ms:", "",
        table(["case", "n", "median", "max"], starts), "",
        "What a round trip is made of, from start to exit, ms:", "",
        table(["command", "n", "median", "p99", "max"], pieces),
    ])  # fmt: skip
    remote = summary(next(iter(delivered.values())))
    first = summary(cold)["median"]
    return Report(text, [
        Target("remote wait, warm master: append -> delivered, median <= 50 ms",
               f"{remote['median']:.0f} ms (p99 {remote['p99']:.0f} ms)", remote["median"] <= 50),
        Target("remote: cold first command (opens the connection) <= 2 s", f"median {first:.0f} ms", first <= 2000),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    print(run(parser.parse_args().runs).full())


if __name__ == "__main__":
    main()
