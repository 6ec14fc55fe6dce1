"""``watch`` of a channel on another host: the host streams JSON lines, this side renders them.

The host runs ``watch PATH --json`` (with ``--after K`` on a retry), which prints one JSON object
per look that found something, flushed as it is written::

    {"entries": [ENTRY, ...], "seen": N, "closed": false, "notices": [...], "revised": [ENTRY, ...]}

``seen`` is how many entries, from the top, the host has delivered so far; the last line, once the
channel is closed, is ``{"ended": true, "closing": {...} or null}``. When the connection drops
(the ``ssh`` client killed, the network gone) before that line, the watch is run again with
``--after`` the ``seen`` of the last line that arrived, with backoff, until the host answers
again: the entries delivered here are not delivered again, and those that were in flight are
delivered by the retry. The host's process ends with its SSH session
(:func:`collab.remote.serve.end_with_session`).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from collab.remote import ssh
from collab.remote.channel import RemoteChannel, entry
from collab.remote.waiting import FIRST_BACKOFF, MAX_BACKOFF

if TYPE_CHECKING:
    from collab.text.exchange import Closing
    from collab.text.format import Entry


class Look(NamedTuple):
    """One thing to show: the host's ``first`` look (of the whole watch, not of a retry), a later
    ``update``, a ``dropped`` connection (its notice), or the ``end`` with the channel's closing."""

    kind: Literal["first", "update", "dropped", "end"]
    entries: tuple[Entry, ...] = ()
    notices: tuple[str, ...] = ()
    closed: bool = False
    revised: tuple[Entry, ...] = ()
    seen: int = 0
    closing: Closing | None = None


def arguments(remote: RemoteChannel, from_start: bool, after: int | None) -> list[str]:
    """collab's arguments on the host for a watch from ``after`` (else from the start or the end)."""
    words = [remote.path, *(["--after", str(after)] if after is not None else ["--from-start"] if from_start else [])]
    return remote.argv("watch", *words, seat=False)


def look(found: dict[str, Any], kind: Literal["first", "update"]) -> Look:
    """The :class:`Look` one of the host's lines describes."""
    from collab.remote.results import closing

    if found.get("ended"):
        return Look("end", closed=True, closing=closing(found.get("closing")))
    return Look(
        kind,
        tuple(entry(e) for e in found.get("entries", [])),
        tuple(str(n) for n in found.get("notices", [])),
        bool(found.get("closed")),
        tuple(entry(e) for e in found.get("revised", [])),
        int(found["seen"]),
    )


class _Session:
    """One ``ssh`` session of the host's watch; its lines as they come, then what it gave."""

    def __init__(self, remote: RemoteChannel, argv: list[str]) -> None:
        words = ssh.command(remote.address, argv)
        try:
            self.process = subprocess.Popen(
                words, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except FileNotFoundError:
            where = remote.address.destination
            raise ssh.HostUnreachable(f"cannot reach {where}: {words[0]!r} is not installed here") from None
        self.said: list[bytes] = []
        self.reader = threading.Thread(target=lambda: self.said.append(self._errors()), daemon=True)
        self.reader.start()

    def _errors(self) -> bytes:
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def lines(self) -> Iterator[bytes]:
        """The host's lines (stdin stays open meanwhile: the host's watch ends when it closes)."""
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            if line.strip():
                yield line

    def end(self) -> ssh.Ran:
        """Stop the session (if it still runs) and say what it gave."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        if self.process.poll() is None and self.process.stdout is not None:
            self.process.stdout.read()
        self.process.wait()
        self.reader.join()
        return ssh.Ran(self.process.returncode, b"", self.said[0] if self.said else b"")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def stream(remote: RemoteChannel, *, from_start: bool, sleep: Callable[[float], None] = time.sleep) -> Iterator[Look]:
    """The looks of the host's watch, retried across dropped connections, until the channel is closed.

    Raises:
        HostUnreachable: the first connection failed (a later one that fails is tried again).
        CollabMissing, VersionMismatch, RemoteError: as :meth:`RemoteChannel.call`.
    """
    after: int | None = None
    backoff, connected = FIRST_BACKOFF, False
    while True:
        session = _Session(remote, arguments(remote, from_start, after))
        try:
            for line in session.lines():
                found = _parsed(line)
                if found is None:
                    continue
                shown = look(found, "update" if connected else "first")
                yield shown
                if shown.kind == "end":
                    return
                after, connected, backoff = shown.seen, True, FIRST_BACKOFF
        except BaseException:
            session.kill()
            raise
        ran = session.end()
        if not connected or not (ran.code < 0 or ran.code == ssh.SSH_FAILED):
            ssh.check(remote.address, ran)
            remote.read(ran)  # the host's error, if it said one
            raise ssh.HostUnreachable(f"{remote.address.destination}: the watch there ended: {ssh.reason(ran.stderr)}")
        yield Look("dropped", notices=(f"the connection to {remote.address.destination} dropped; reconnecting",))
        sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


def _parsed(line: bytes) -> dict[str, Any] | None:
    try:
        found = json.loads(line)
    except ValueError:
        return None
    return found if isinstance(found, dict) and ("seen" in found or found.get("ended")) else None
