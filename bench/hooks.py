"""Many sleeping wake hooks at once: their CPU and memory. ``python bench/hooks.py [--hooks 20] [--idle 60]``.

A Stop hook sleeps in every Claude Code session that holds a seat, so many sleep at once on one
machine. This starts ``--hooks`` sessions, each in its own project directory with its own channel
(made with ``collab start``, so the session holds a seat there; every channel in one directory, as
with the default ``/tmp``), and runs each session's Stop hook as Claude Code does (the command of
``plugin/hooks/hooks.json`` through ``sh -c``, the hook input on stdin). Once every hook watches the
channels' directory (its inotify watch), nothing is written for ``--idle`` seconds, and the CPU
time of every process of every hook (``sh`` and ``collab``: user plus system, ``/proc/PID/stat``) is
summed over that window. Memory is each hook's resident set (``VmRSS``) and its proportional share
(``Pss``, shared pages divided among the processes that map them, ``/proc/PID/smaps_rollup``),
summed over its processes. Then every hook is ended (SIGTERM to its process group).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table
from push import COLLAB, PLUGIN, _family, _watching, hook_command

#: The issue's bound for one sleeping hook, in percent of one core.
IDLE_TARGET = 0.2


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, Pss) of ``pid`` in KiB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            pss = next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        pass
    return rss, pss


class Sleepers:
    """``count`` sessions, each with a seat in a channel of its own, and their sleeping Stop hooks."""

    def __init__(self, root: Path, count: int) -> None:
        channels = root / "channels"
        channels.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
        self.env.update(
            COLLAB_DIR=str(channels),
            COLLAB_STATE_DIR=str(root / "state"),
            CLAUDE_PLUGIN_ROOT=str(PLUGIN),
            PATH=f"{Path(COLLAB).parent}:{os.environ['PATH']}",
        )
        self.inode = os.stat(channels).st_ino
        self.hooks: list[subprocess.Popen[bytes]] = []
        self.sessions = []
        for n in range(count):
            project = root / f"site-{n}"
            (project / ".git").mkdir(parents=True)
            session = f"session-{n}"
            started = json.dumps({"session_id": session, "cwd": str(project), "hook_event_name": "SessionStart"})
            subprocess.run(  # as Claude Code starts a session: the hook exports the session's key
                ["sh", "-c", hook_command("SessionStart")],
                input=started.encode(),
                env=dict(self.env, CLAUDE_ENV_FILE=str(root / f"{session}.env")),
                cwd=project,
                capture_output=True,
                check=True,
            )
            subprocess.run(
                [COLLAB, "start", f"bench {n}", "--request", "One?", "--json"],
                env=dict(self.env, COLLAB_SESSION=session),
                cwd=project,
                capture_output=True,
                check=True,
            )
            self.sessions.append((session, project))

    def start(self) -> None:
        """Start every session's Stop hook and wait until each one watches the channels' directory."""
        for session, project in self.sessions:
            hook = subprocess.Popen(
                ["sh", "-c", hook_command("Stop")],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=self.env,
                cwd=project,
                start_new_session=True,  # its own process group, ended whole by stop()
            )
            assert hook.stdin is not None
            hook.stdin.write(
                json.dumps({"session_id": session, "cwd": str(project), "hook_event_name": "Stop"}).encode()
            )
            hook.stdin.close()
            hook.stdin = None
            self.hooks.append(hook)
        deadline = time.monotonic() + 60
        for hook in self.hooks:
            while not any(_watching(pid, self.inode) for pid in _family(hook.pid)):
                if hook.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a hook never slept: {hook.communicate()[1]!r}")
                time.sleep(0.01)

    def families(self) -> list[list[int]]:
        return [_family(hook.pid) for hook in self.hooks]

    def stop(self) -> None:
        for hook in self.hooks:
            if hook.poll() is None:
                os.killpg(hook.pid, signal.SIGTERM)
        for hook in self.hooks:
            try:
                hook.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(hook.pid, signal.SIGKILL)
                hook.wait()


def run(count: int = 20, idle_s: float = 60.0) -> Report:
    """Start ``count`` sleeping hooks, measure them over ``idle_s`` seconds, end them; the report."""
    with tempfile.TemporaryDirectory(prefix="collab-bench-hooks-") as directory:
        sleepers = Sleepers(Path(directory), count)
        try:
            sleepers.start()
            families = sleepers.families()
            before = [sum(_cpu_seconds(pid) for pid in family) for family in families]
            time.sleep(idle_s)  # the quiet window being measured
            used = [sum(_cpu_seconds(pid) for pid in f) - b for f, b in zip(families, before, strict=True)]
            memory = [[_memory_kib(pid) for pid in family] for family in families]
            alive = sum(hook.poll() is None for hook in sleepers.hooks)
        finally:
            sleepers.stop()
    rss = [sum(r for r, _ in family) for family in memory]
    pss = [sum(p for _, p in family) for family in memory]
    total_cpu = sum(used)
    per_hook = 100 * total_cpu / idle_s / count
    rows = [
        ["hooks asleep at the end of the window", f"{alive} of {count}"],
        [f"CPU of all hooks over {idle_s:g} s", f"{total_cpu:.2f} s ({100 * total_cpu / idle_s:.2f}% of one core)"],
        ["CPU per hook", f"{per_hook:.3f}% of one core"],
        ["memory, all hooks (RSS / PSS)", f"{sum(rss) / 1024:.0f} MiB / {sum(pss) / 1024:.0f} MiB"],
        ["memory per hook (RSS / PSS), median",
         f"{sorted(rss)[count // 2] / 1024:.1f} / {sorted(pss)[count // 2] / 1024:.1f} MiB"],
    ]  # fmt: skip
    text = "\n".join([
        f"Machine: {machine()}", "",
        f"{count} sleeping Stop hooks (sh + collab hook each), one channel each, nothing written:", "",
        table(["figure", "value"], rows),
    ])  # fmt: skip
    return Report(
        text,
        [
            Target(
                f"{count} sleeping hooks: idle CPU <= {IDLE_TARGET}% of one core each",
                f"{per_hook:.3f}% each, {100 * total_cpu / idle_s:.2f}% together",
                per_hook <= IDLE_TARGET and alive == count,
            )
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hooks", type=int, default=20, help="how many sleeping hooks (default 20)")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of the quiet window (default 60)")
    arguments = parser.parse_args()
    print(run(arguments.hooks, arguments.idle).full())


if __name__ == "__main__":
    main()
