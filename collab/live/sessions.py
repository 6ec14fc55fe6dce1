"""Which session a command runs in, told from the process tree (contract section 6.1).

An agent CLI (Claude Code, Codex, Gemini CLI, opencode, Cursor, Copilot) runs each shell command
as a child: a fresh ``bash -c`` or ``sh -c``, perhaps in a new process group or session
(``setsid``), perhaps through wrappers such as ``env`` or ``timeout``. A person at a terminal runs
commands from an interactive shell. So the *session* of a command is its nearest ancestor that is
neither a shell running a command string or a script, nor a known wrapper: the agent's process,
or the person's interactive shell. Two agents, or two terminals, are two sessions, in one
directory or not; every command of one session finds the same one.

A session is named by its process id and start time (``/proc/PID/stat`` field 22, in clock ticks
since boot, see proc(5)), so a later process that reuses the id is another session, and
:func:`alive` can tell whether it has ended. ``COLLAB_SESSION``, where set, names the session
instead (the plugin sets it to Claude Code's session id); the process is still recorded, for
:func:`alive`.

Linux only: where ``/proc`` cannot be read, the parent process stands for the session.
"""

from __future__ import annotations

import os
from typing import NamedTuple

#: Shells (``/proc/PID/cmdline`` argument 0, without a login shell's ``-``): such a process is the
#: session only when it is interactive (no command string, no script).
SHELLS = frozenset(
    {"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "ksh93", "yash", "fish", "tcsh", "csh", "busybox", "nu"}
)
#: Programs that run one command on someone else's behalf, never a session.
WRAPPERS = frozenset(
    {"env", "setsid", "nohup", "timeout", "stdbuf", "nice", "ionice", "chrt", "taskset", "time", "xargs", "flock",
     "unbuffer", "uv", "uvx", "pipx", "npx", "pnpx", "bunx", "direnv", "strace", "ltrace"}
)  # fmt: skip
#: Ancestors looked at, at most, before giving up and taking the parent.
_MAX_DEPTH = 32


class Process(NamedTuple):
    """A process as ``/proc`` shows it: ``pid``, parent ``ppid``, ``start`` time (clock ticks since
    boot), command line ``argv`` and ``state`` (``Z`` for a zombie: it has ended)."""

    pid: int
    ppid: int
    start: int
    argv: tuple[str, ...]
    state: str = "R"

    @property
    def ident(self) -> str:
        """``PID@START``: the process, never a later one that reuses its id."""
        return f"{self.pid}@{self.start}"


def process(pid: int) -> Process | None:
    """Process ``pid`` as ``/proc/PID/stat`` and ``/proc/PID/cmdline`` show it; None when unreadable or gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            line = stat.read()
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = tuple(a.decode("utf-8", "replace") for a in cmdline.read().split(b"\0") if a)
    except OSError:
        return None
    fields = line.rpartition(b")")[2].split()  # the name, in parentheses, may hold spaces and ")"
    try:
        return Process(pid, int(fields[1]), int(fields[19]), argv, fields[0].decode("ascii", "replace"))
    except (IndexError, ValueError):
        return None


def _program(argv: tuple[str, ...]) -> str:
    return os.path.basename(argv[0]).lstrip("-") if argv else ""


def transient(proc: Process) -> bool:
    """True when ``proc`` only runs a command for another process: a shell given a command string
    (``-c``, ``-lc``, ``--command``) or a script, or one of :data:`WRAPPERS`."""
    program = _program(proc.argv)
    if program in WRAPPERS:
        return True
    if program not in SHELLS:
        return False
    for arg in proc.argv[1:]:
        if arg in ("-c", "--command") or (arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]):
            return True
        if not arg.startswith("-"):
            return True  # a script (or busybox's applet): it ends when the script does
    return False


def _subshell(proc: Process) -> bool:
    """True when ``proc`` is a shell forked from a shell of the same command line: a subshell
    (``( ... )``, a pipeline's part) of the interactive shell above it, not a session of its own."""
    if _program(proc.argv) not in SHELLS:
        return False
    parent = process(proc.ppid)
    return parent is not None and parent.argv == proc.argv


def lineage(start_pid: int | None = None) -> list[Process]:
    """The processes from ``start_pid`` (default this process's parent) up to and including the
    session's process: the nearest that is not :func:`transient`. Empty where ``/proc`` cannot be
    read; when only transient processes lead up to init (the session's process was re-parented),
    just the first of them."""
    pid = os.getppid() if start_pid is None else start_pid
    chain: list[Process] = []
    for _depth in range(_MAX_DEPTH):
        proc = process(pid)
        if proc is None:
            break
        chain.append(proc)
        if not transient(proc) and not _subshell(proc):
            return chain
        if proc.ppid <= 1:
            break
        pid = proc.ppid
    return chain[:1]


def session_process(start_pid: int | None = None) -> Process | None:
    """The session's process (the last of :func:`lineage`); None where ``/proc`` cannot be read."""
    chain = lineage(start_pid)
    return chain[-1] if chain else None


def current() -> str:
    """This command's session process, as ``PID@START``; ``PID`` alone where ``/proc`` is missing."""
    proc = session_process()
    return proc.ident if proc is not None else str(os.getppid())


def alive(ident: str) -> bool:
    """True unless the session process ``ident`` (as :func:`current` gives it) has surely ended.

    A process of another start time under the same id is a later process: the session ended.
    """
    pid_text, _, start_text = ident.partition("@")
    if not (pid_text.isascii() and pid_text.isdigit()):
        return True
    pid = int(pid_text)
    if not start_text:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True
    proc = process(pid)
    if proc is None:
        return not os.path.isdir("/proc/self")  # gone; or no /proc at all, and then it cannot be told
    return str(proc.start) == start_text and proc.state not in ("Z", "X")
