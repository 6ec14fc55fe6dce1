"""A long-lived stand-in for an agent CLI's process, for tests of sessions: it runs each shell command
it is given as its own child, as Claude Code, Codex or Gemini do.

It reads one JSON request per line on stdin and answers one JSON line on stdout:

- ``{"run": "CMD"}``: run ``sh -c CMD`` to its end (``"setsid": true``: in a new session, through
  ``setsid``; ``"shell": "bash"``: through ``bash -c``); answer ``{"rc", "out", "err"}``.
- ``{"run": "CMD", "background": "KEY"}``: start it and answer ``{"started": "KEY"}`` at once.
- ``{"collect": "KEY"}``: wait for the background command ``KEY``; answer as for a run.

At the end of stdin it kills what it started in the background, and what that started, and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys


def _start(request: dict[str, object]) -> subprocess.Popen[str]:
    shell = str(request.get("shell", "sh"))
    argv = [shell, "-c", str(request["run"])]
    if request.get("setsid"):
        argv = ["setsid", *argv]
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=str(request.get("cwd") or os.getcwd()),
    )  # fmt: skip


def _finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate()
    return {"rc": process.returncode, "out": out, "err": err}


def _family(pid: int) -> list[int]:
    """``pid`` and every process under it (Linux ``/proc/PID/task/TID/children``, proc(5))."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += _family(int(child))
    return found


def main() -> None:
    background: dict[str, subprocess.Popen[str]] = {}
    try:
        for line in sys.stdin:
            request = json.loads(line)
            if "collect" in request:
                answer = _finish(background.pop(request["collect"]))
            elif request.get("background"):
                background[str(request["background"])] = _start(request)
                answer = {"started": request["background"]}
            else:
                answer = _finish(_start(request))
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        for process in background.values():
            if process.poll() is None:  # the command and what it started: `sh -c` may not exec its last
                for pid in _family(process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    main()
