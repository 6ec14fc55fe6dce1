"""``wait`` on a channel on another host: one long ``ssh`` session, retried when it drops.

The host's ``wait --started`` first prints where it starts (``{"started": {"after": K}}``, the
seat's cursor), then blocks. When the connection drops (the ``ssh`` client killed, the network
gone) the wait is run again with ``--after K``, with backoff, within what is left of
``--timeout``. The cursor lives on the host and moves only when a wait returns there, so a retry
from K loses nothing; and entries a dropped wait had delivered but that never arrived here are
delivered again by the retry, not lost. The host's process ends with its SSH session (``sshd``
closes the standard input this side holds open, and the host's wait ends when it sees that:
:func:`collab.remote.serve.end_with_session`), so a wait killed here leaves no presence behind there.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from collab.remote import ssh
from collab.remote.channel import Called, RemoteChannel, entry

if TYPE_CHECKING:
    from collab.seat import Waited

#: Seconds before the first retry, and the most between two; each retry doubles the wait.
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0


def _words(
    remote: RemoteChannel, left: float | None, settle: float | None, after: int | None, include_own: bool
) -> list[str]:
    words = [remote.path, "--started"]
    if left is not None:
        words += ["--timeout", f"{left:.3f}"]
    if settle is not None:
        words += ["--settle", f"{settle:g}"]
    if after is not None:
        words += ["--after", str(after)]
    return words + (["--all"] if include_own else [])


def _started(line: bytes) -> int | None:
    try:
        found = json.loads(line)
        return int(found["started"]["after"])
    except (ValueError, KeyError, TypeError):
        return None


def _whole(out: bytes) -> bool:
    """Whether the host's whole answer arrived: its last line is the wait's document."""
    try:
        return "entries" in json.loads(out.splitlines()[-1])
    except (ValueError, IndexError, TypeError):
        return False


def attempt(remote: RemoteChannel, argv: list[str]) -> tuple[int | None, ssh.Ran]:
    """One ``ssh`` session of the host's ``wait``: where it started (None if it never said) and what it gave."""
    words = ssh.command(remote.address, argv)
    try:
        process = subprocess.Popen(words, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        where = remote.address.destination
        raise ssh.HostUnreachable(f"cannot reach {where}: {words[0]!r} is not installed here") from None
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        # stdin stays open while the wait runs: the host's wait ends when it sees it close
        first = process.stdout.readline()
        rest = process.stdout.read()
        process.wait()
        reader.join()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        process.stdin.close()
    errors = said[0] if said else b""
    return _started(first), ssh.Ran(process.returncode, first + rest, errors)


def wait(
    remote: RemoteChannel,
    *,
    timeout: float | None,
    settle: float | None,
    after: int | None,
    include_own: bool,
    name: str | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Waited, tuple[str, ...]]:
    """The host's ``wait``, retried across dropped connections; see the module's docstring.

    ``settle`` None means this side's ``COLLAB_SETTLE`` (:func:`collab.config.settle`), which the
    host's wait is given as ``--settle``; without it too, the host's own turn rule.

    Returns:
        The :class:`collab.Waited` and the host's lines for the person.

    Raises:
        HostUnreachable: the first connection failed (a retry that cannot connect tries again
            until the timeout).
        CollabMissing, VersionMismatch, RemoteError: as :meth:`RemoteChannel.call`.
        UsageError: ``COLLAB_SETTLE`` is malformed.
    """
    if settle is None:
        from collab import config

        settle = config.settle()  # set where the person runs collab, not on the host
    remote.note_seat()  # the host's wait seats this session there
    deadline = None if timeout is None else clock() + timeout
    backoff, connected = FIRST_BACKOFF, False
    while True:
        left = None if deadline is None else max(0.0, deadline - clock())
        argv = remote.argv("wait", *_words(remote, left, settle, after, include_own), name=name)
        started, ran = attempt(remote, argv)
        if started is not None:
            after, connected = started, True  # a retry starts where this wait started: nothing lost
        dropped = (ran.code < 0 or (ran.code == ssh.SSH_FAILED and connected)) and not _whole(ran.stdout)
        if not dropped:
            ssh.check(remote.address, ran)
            return waited(remote.read(ran, ok=(0, 3)))
        if deadline is not None and clock() >= deadline:
            return _nothing(), (f"the connection to {remote.address.destination} dropped; timed out retrying",)
        sleep(backoff if deadline is None else min(backoff, max(0.0, deadline - clock())))
        backoff = min(backoff * 2, MAX_BACKOFF)


def waited(called: Called) -> tuple[Waited, tuple[str, ...]]:
    """The :class:`collab.Waited` that the host's ``wait --json`` printed, and its notices."""
    from collab.seat import Read, Waited
    from collab.text.exchange import Closing

    found = called.document
    closing = found.get("closing")
    return Waited(
        entries=tuple(entry(e) for e in found.get("entries", [])),
        closed=bool(found.get("closed")),
        timed_out=bool(found.get("timed_out")),
        waiting=tuple(found.get("waiting", [])),
        closing=Closing(closing["timestamp"], closing["author"], closing["summary"]) if closing else None,
        claims=tuple(e["index"] for e in found.get("entries", []) if e.get("claims_reader")),
        read=tuple(Read(r["index"], r["label"], tuple(r["read_by"])) for r in found.get("read", [])),
    ), tuple(n.removeprefix("warning: ") for n in called.notices)


def _nothing() -> Waited:
    from collab.seat import Waited

    return Waited(entries=(), closed=False, timed_out=True, waiting=())
