"""How often A is woken per turn of B, at an agent's pace: ``python bench/rounds.py [--turns 2] [--entries 3]``.

A scripted exchange through the installed ``collab``, with the default turn rule. B plays
``--turns`` turns; in each it writes ``--entries`` entries (answers, the last one a question), one
per "tool call", with 8 to 20 s of "thought" between them, as the agents of issue 19 did; then its
turn ends. A reads each wake, and once it has B's whole turn it replies with one answer and ends its
own turn. Three kinds run side by side, each on its own channel:

- ``collab``: B writes with ``collab answer``/``ask`` and ends its turn with ``collab wait``; A loops
  on ``collab wait --json --timeout 120``.
- ``hook``: as ``collab``, but A is a Claude Code session with collab's plugin: its Stop hook runs
  as ``plugin/hooks/hooks.json`` says, and each exit 2 is a wake.
- ``hand``: B appends each entry by hand (under ``flock``, as the join message says) and cannot
  say that it waits; A loops on ``collab wait``.

The goal (issue 19): A's wakes are at most B's turns plus A's timeouts, in every kind.
``--scale`` shrinks B's thinking time for a quick look (the turn rule keeps its defaults, so a
hand writer still costs 30 s a turn).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, Target, machine, table

COLLAB = str(Path(sys.executable).parent / "collab")
PLUGIN = Path(__file__).resolve().parent.parent / "plugin"
HOOK_TIMEOUT = 300


class Result(NamedTuple):
    """One kind's exchange: B's ``turns``, A's ``wakes`` (returns with news) and ``timeouts``, ``seconds``."""

    kind: str
    turns: int
    wakes: int
    timeouts: int
    seconds: float


class Pace(NamedTuple):
    turns: int
    entries: int
    scale: float
    seed: int


def _env(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    return env | {"COLLAB_DIR": str(directory), "COLLAB_STATE_DIR": str(directory / ".state")}


def _collab(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLAB, *args], env=env, cwd=cwd, capture_output=True, text=True)


def _hand_append(path: str, kind: str, number: int, body: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    heading = f"### {kind.capitalize()} {number} ({stamp}) from bob"
    text = "\n## Questions\n" if kind == "question" and "## Questions" not in Path(path).read_text() else ""
    text += f"\n{heading}\n{body}\n"
    subprocess.run(["flock", path, "sh", "-c", f"cat >> {shlex.quote(path)}"], input=text, text=True, check=True)


def _b_turns(kind: str, path: str, env: dict[str, str], pace: Pace, replies: threading.Semaphore) -> None:
    """B's side: each turn, ``pace.entries`` entries 8-20 s apart, then the end of its turn."""
    rng = random.Random(pace.seed)
    answers = questions = 0
    for _turn in range(pace.turns):
        for n in range(pace.entries):
            if n:
                time.sleep(rng.uniform(8, 20) * pace.scale)  # the agent's thinking time between tool calls
            is_question = n == pace.entries - 1
            if kind == "hand":
                questions, answers = questions + is_question, answers + (not is_question)
                _hand_append(
                    path,
                    "question" if is_question else "answer",
                    questions if is_question else answers,
                    f"entry {n + 1} by hand",
                )
            else:
                _collab(env, "ask" if is_question else "answer", path, f"entry {n + 1}", "--as", "site-b")
        if kind == "hand":
            replies.acquire(timeout=600)  # B reads the file by hand until A's reply is there
        else:
            _collab(env, "wait", path, "--as", "site-b", "--timeout", "600")  # its turn ends: it waits


def _wait_kind(kind: str, directory: Path, pace: Pace) -> Result:
    env = _env(directory)
    made = _collab(env, "start", f"rounds: {kind}", "--request", "One?", "--json", "--as", "site-a")
    path = json.loads(made.stdout)["path"]
    replies = threading.Semaphore(0)
    b = threading.Thread(target=_b_turns, args=(kind, path, env, pace, replies), daemon=True)
    began = time.monotonic()
    b.start()
    wakes = timeouts = got = 0
    for _turn in range(pace.turns):
        want = got + pace.entries
        while got < want:
            done = _collab(env, "wait", path, "--as", "site-a", "--timeout", "120", "--json")
            if done.returncode == 3:
                timeouts += 1
                continue
            wakes += 1
            got += len(json.loads(done.stdout)["entries"])
        _collab(env, "answer", path, "A's reply to the whole turn", "--as", "site-a")
        replies.release()
    seconds = time.monotonic() - began
    b.join(60)
    return Result(kind, pace.turns, wakes, timeouts, seconds)


def _hook_kind(directory: Path, pace: Pace) -> Result:
    """A is a Claude Code session with the plugin: SessionStart exports its key, each Stop hook sleeps."""
    env = _env(directory) | {"CLAUDE_PLUGIN_ROOT": str(PLUGIN), "PATH": f"{Path(COLLAB).parent}:{os.environ['PATH']}"}
    home = directory / "site-a"
    (home / ".git").mkdir(parents=True)
    session = "b0b0b0b0-0000-4000-8000-00000000000a"
    hooks = json.loads((PLUGIN / "hooks" / "hooks.json").read_text())["hooks"]

    def hook(event: str, **extra: object) -> subprocess.Popen[str]:
        command = hooks[event][0]["hooks"][0]["command"].replace("${CLAUDE_PLUGIN_ROOT}", str(PLUGIN))
        command = command.replace("--timeout 86340", f"--timeout {HOOK_TIMEOUT}")
        payload = {
            "session_id": session,
            "transcript_path": "/nowhere.jsonl",
            "cwd": str(home),
            "hook_event_name": event,
            **extra,
        }
        process = subprocess.Popen(
            ["sh", "-c", command],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=home,
            env=env,
        )
        assert process.stdin is not None
        process.stdin.write(json.dumps(payload))
        process.stdin.close()
        process.stdin = None  # written and closed, as Claude Code does: communicate() must not flush it
        return process

    env_file = directory / "a.env"
    env["CLAUDE_ENV_FILE"] = str(env_file)  # where SessionStart exports the session's key
    started = hook("SessionStart", source="startup")
    if started.wait(30) != 0:
        raise RuntimeError(f"SessionStart failed: {started.stderr.read() if started.stderr else ''}")
    del env["CLAUDE_ENV_FILE"]
    key = subprocess.run(
        ["sh", "-c", '. "$1" && printf %s "$COLLAB_SESSION"', "sh", str(env_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    a_env = dict(env, COLLAB_SESSION=key)
    made = _collab(a_env, "start", "rounds: hook", "--request", "One?", "--json", cwd=home)
    path = json.loads(made.stdout)["path"]
    b = threading.Thread(
        target=_b_turns, args=("hook", path, _env(directory), pace, threading.Semaphore(0)), daemon=True
    )
    began = time.monotonic()
    b.start()
    wakes = timeouts = got = 0
    for _turn in range(pace.turns):
        want = got + pace.entries
        while got < want:
            sleeper = hook("Stop", stop_hook_active=False, last_assistant_message="Done.")
            _out, err = sleeper.communicate(timeout=HOOK_TIMEOUT + 60)
            if sleeper.returncode != 2:
                timeouts += 1
                continue
            wakes += 1
            got += sum(f"entry {n + 1}" in err for n in range(pace.entries))
        _collab(a_env, "answer", path, "A's reply to the whole turn", cwd=home)
    seconds = time.monotonic() - began
    b.join(60)
    return Result("hook", pace.turns, wakes, timeouts, seconds)


def run(pace: Pace) -> Report:
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as base:
        jobs = {
            "collab": lambda: _wait_kind("collab", Path(base) / "collab", pace),
            "hook": lambda: _hook_kind(Path(base) / "hook", pace),
            "hand": lambda: _wait_kind("hand", Path(base) / "hand", pace),
        }
        for name in jobs:
            (Path(base) / name).mkdir()
        threads = [threading.Thread(target=lambda n=n, j=j: results.__setitem__(n, j())) for n, j in jobs.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    rows = [[r.kind, r.turns, r.wakes, r.timeouts, f"{r.seconds:.0f}"] for r in results.values()]
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"B: {pace.turns} turns of {pace.entries} entries, 8-20 s apart (x{pace.scale:g}), then waits.",
            "",
            table(["kind", "B's turns", "A's wakes", "A's timeouts", "seconds"], rows),
        ]
    )
    targets = [
        Target(
            f"A's wakes <= B's turns + timeouts ({r.kind})",
            f"{r.wakes} for {r.turns} turns",
            r.wakes <= r.turns + r.timeouts,
        )
        for r in results.values()
    ]
    return Report(text, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--entries", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply B's thinking time (8-20 s) by this")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(run(Pace(args.turns, args.entries, args.scale, args.seed)).full())


if __name__ == "__main__":
    main()
