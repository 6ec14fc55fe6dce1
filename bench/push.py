"""How fast the wake hook wakes a session, and how fast it lets go: ``python bench/push.py [--runs N]``.

Every hook runs as Claude Code runs it: the Stop command of ``plugin/hooks/hooks.json`` with
``${CLAUDE_PLUGIN_ROOT}`` substituted, through ``sh -c``, with the hook input on stdin. Session A
started the channel from its own project directory with the ``COLLAB_SESSION`` its SessionStart hook
exported. Each run starts A's Stop hook and waits until it watches the channel's directory (its
inotify watch, from ``/proc/PID/fdinfo``), then:

- **writer already waiting**: B holds its presence (as a blocked ``collab wait`` does) and appends an
  answer through the library; latency is from that ``write()`` returning to the hook's exit 2;
- **answer, then wait**: B runs ``collab answer`` and then starts ``collab wait`` (its turn is over),
  as an agent does; latency is from starting ``collab answer`` to the hook's exit 2 (the acceptance
  test's "within 1 s of the answer").

It also times the hook's whole run (process start to exit) when it has nothing to wait on (a
session with no seat, and one whose only channel is closed), and the CPU a sleeping hook uses.
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

from collab.channel import Channel
from collab.live import presence

COLLAB = str(Path(sys.executable).parent / "collab")
PLUGIN = Path(__file__).resolve().parent.parent / "plugin"


def hook_command(event: str) -> str:
    """The command hooks.json gives ``event``, with ``${CLAUDE_PLUGIN_ROOT}`` substituted."""
    config = json.loads((PLUGIN / "hooks" / "hooks.json").read_text())
    return config["hooks"][event][0]["hooks"][0]["command"].replace("${CLAUDE_PLUGIN_ROOT}", str(PLUGIN))


def _watching(pid: int, inode: int) -> bool:
    marker = f" ino:{inode:x} "
    try:
        for name in os.listdir(f"/proc/{pid}/fdinfo"):
            with open(f"/proc/{pid}/fdinfo/{name}", encoding="ascii", errors="replace") as info:
                if any(line.startswith("inotify wd:") and marker in line for line in info):
                    return True
    except OSError:
        return False
    return False


def _family(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    children.setdefault(int(stat.read().rpartition(")")[2].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        found.append(pid)
        frontier += children.get(pid, [])
    return found


class Setup:
    """A channel directory, a private state directory, session A's project with its channel, B's project."""

    def __init__(self, root: Path) -> None:
        # This process appends and holds presence through the library: it must share the state directory.
        os.environ.update(COLLAB_DIR=str(root / "channels"), COLLAB_STATE_DIR=str(root / "state"))
        self.env = dict(os.environ, CLAUDE_PLUGIN_ROOT=str(PLUGIN), PATH=f"{Path(COLLAB).parent}:{os.environ['PATH']}")
        (root / "channels").mkdir()
        self.a, self.b = root / "site-a", root / "site-b"
        for folder in (self.a, self.b):
            (folder / ".git").mkdir(parents=True)
        self.a_env = dict(self.env, COLLAB_SESSION="session-a")
        self.b_env = dict(self.env, COLLAB_SESSION="session-b")
        env_file = root / "a.env"
        self.hook("SessionStart", "session-a", self.a, {"CLAUDE_ENV_FILE": str(env_file)})
        made = subprocess.run(
            [COLLAB, "start", "bench", "--request", "One?", "--json"],
            env=self.a_env,
            cwd=self.a,
            capture_output=True,
            text=True,
            check=True,
        )
        self.path = json.loads(made.stdout)["path"]
        self.inode = os.stat(Path(self.path).parent).st_ino

    def hook(self, event: str, session: str, cwd: Path, extra: dict[str, str] | None = None) -> float:
        payload = json.dumps({"session_id": session, "cwd": str(cwd), "hook_event_name": event})
        started = time.monotonic()
        subprocess.run(
            ["sh", "-c", hook_command(event)],
            input=payload,
            env=dict(self.env, **(extra or {})),
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
        )
        return time.monotonic() - started

    def sleep(self) -> subprocess.Popen[str]:
        hook = subprocess.Popen(
            ["sh", "-c", hook_command("Stop")],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=self.a,
            text=True,
        )
        assert hook.stdin is not None
        hook.stdin.write(json.dumps({"session_id": "session-a", "cwd": str(self.a), "hook_event_name": "Stop"}))
        hook.stdin.close()
        hook.stdin = None
        deadline = time.monotonic() + 20
        while not any(_watching(pid, self.inode) for pid in _family(hook.pid)):
            if hook.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the hook never slept: {hook.communicate()[1]}")
            time.sleep(0.005)
        return hook


def _woken(hook: subprocess.Popen[str]) -> float:
    _out, err = hook.communicate(timeout=30)
    ended = time.monotonic()
    if hook.returncode != 2:
        raise RuntimeError(f"the hook exited {hook.returncode}: {err}")
    return ended


def writer_waiting(setup: Setup, n: int) -> float:
    """ms from B's library append (B already waiting) to the hook's exit 2."""
    hook = setup.sleep()
    writer = Channel(Path(setup.path)).seat("site-b")
    with presence.waiting(Path(setup.path), "site-b"):
        writer.answer(f"answer {n}")  # a seated writer, waiting: its turn is over at once
        written = time.monotonic()
        ended = _woken(hook)
    return (ended - written) * 1000


def answer_then_wait(setup: Setup, n: int) -> float:
    """ms from starting B's `collab answer` to the hook's exit 2, B starting `collab wait` after it."""
    hook = setup.sleep()
    started = time.monotonic()
    subprocess.run(
        [COLLAB, "answer", setup.path, f"answer {n}"], env=setup.b_env, cwd=setup.b, check=True, capture_output=True
    )
    waiter = subprocess.Popen(
        [COLLAB, "wait", setup.path, "--timeout", "30"],
        env=setup.b_env,
        cwd=setup.b,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ended = _woken(hook)
    finally:
        waiter.kill()
        waiter.wait()
    return (ended - started) * 1000


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(setup: Setup, seconds: float) -> float:
    """Percent of one core the sleeping hook (every process of it) uses over ``seconds`` with nothing landing."""
    hook = setup.sleep()
    try:
        family = _family(hook.pid)
        before = sum(_cpu_seconds(pid) for pid in family)
        time.sleep(seconds)  # the quiet window being measured
        return 100 * (sum(_cpu_seconds(pid) for pid in family) - before) / seconds
    finally:
        hook.kill()
        hook.wait()


def run(runs: int = 15, idle_s: float = 30.0) -> Report:
    saved = {name: os.environ.get(name) for name in ("COLLAB_DIR", "COLLAB_STATE_DIR")}
    try:
        return _run(runs, idle_s)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run(runs: int, idle_s: float) -> Report:
    with tempfile.TemporaryDirectory() as directory:
        setup = Setup(Path(directory))
        # B's own answers first: the library's answers below are not B's seat's, and would end B's waits at once.
        turn = [answer_then_wait(setup, n) for n in range(runs)]
        waiting = [writer_waiting(setup, n) for n in range(runs)]
        cpu = idle_cpu(setup, idle_s)
        (Path(directory) / "lone" / ".git").mkdir(parents=True)
        no_seat = [setup.hook("Stop", "session-lone", Path(directory) / "lone") * 1000 for _ in range(runs)]
        subprocess.run(
            [COLLAB, "close", setup.path, "--force"], env=setup.a_env, cwd=setup.a, check=True, capture_output=True
        )
        closed = [setup.hook("Stop", "session-a", setup.a) * 1000 for _ in range(runs)]
    rows = []
    for what, values in (
        ("writer already waiting: write() -> exit 2", waiting),
        ("collab answer, then collab wait: answer started -> exit 2", turn),
    ):
        figures = summary(values)
        rows.append([what, len(values), figures["median"], figures["p99"], figures["max"]])
    idle = []
    for what, values in (("no seat in any channel", no_seat), ("its only channel closed", closed)):
        figures = summary(values)
        idle.append([what, len(values), figures["median"], figures["max"]])
    text = "\n".join([
        f"Machine: {machine()}", "",
        "Wake latency of the Stop hook (hooks.json's command via sh -c), ms:", "",
        table(["case", "n", "median", "p99", "max"], rows), "",
        "The Stop hook's whole run when there is nothing to wait on (process start to exit 0), ms:", "",
        table(["case", "n", "median", "max"], idle), "",
        f"A sleeping hook over {idle_s:g} s with nothing landing: {cpu:.2f}% of one core.",
    ])  # fmt: skip
    turn_median, idle_max = statistics.median(turn), max(no_seat + closed)
    return Report(text, [
        Target("wake hook: answer then wait -> exit 2, median <= 1 s", f"{turn_median:.0f} ms", turn_median <= 1000),
        Target("wake hook: nothing to wait on -> exit 0, every run <= 0.5 s", f"max {idle_max:.0f} ms",
               idle_max <= 500),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of the idle CPU window")
    arguments = parser.parse_args()
    print(run(arguments.runs, arguments.idle).full())


if __name__ == "__main__":
    main()
