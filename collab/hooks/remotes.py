"""The wake hook's waits on channels on other hosts: one long ``ssh`` session per host (contract 8, 10).

The channels come from :mod:`collab.remote.joined` (the remote channels this session's commands
sat in). For each host a thread runs the host's side (:mod:`collab.hooks.hostwait`) over ``ssh``,
with this session's place in the client document, and holds the ``ssh``'s standard input open:
closing it ends the host's wait, with nothing claimed, and the host's process with it.

The host offers its news before it claims any (``{"offer": [...]}``); once the whole offer has
arrived this side answers ``ack`` on the ``ssh``'s standard input, and the host moves the cursors
and prints what it claimed (``{"news": [...]}``, which is what is delivered). A connection that
drops before the ack (before or while the offer travels) is run again with backoff, within the
hook's timeout: nothing was taken, so the retry finds the same news, and nothing is lost. One that
drops after the ack delivers the offer itself, as the host may have claimed it: delivery is at
least once, and an entry can be delivered twice only if the connection drops in that narrow
window, the ack sent but never read by the host (a later wait delivers it again).

:meth:`HostWaits.stop` ends every ``ssh`` by closing its standard input, then gathers what the
hosts printed meanwhile: news a host claimed just as the wait was stopped is still delivered; an
offer not acknowledged yet is not acknowledged then, and stays on the host for a later wait.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from collab.errors import CollabError
from collab.hooks import wake
from collab.live.seats import Place
from collab.live.turns import TurnRule
from collab.remote import joined, ssh
from collab.remote.address import Address
from collab.remote.channel import entry
from collab.remote.serve import OPTION, client_document
from collab.text.exchange import Closing

#: Seconds before the first retry of a dropped connection, and the most between two.
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
#: Seconds the host has to answer once its standard input is closed, before its ``ssh`` is killed.
GRACE_SECONDS = 10.0


def news(document: dict[str, Any], address: Address) -> list[wake.News]:
    """The :class:`collab.hooks.wake.News` of the host's answer (:func:`collab.hooks.hostwait.document`),
    each naming its channel by its ``ssh://`` address."""
    found = []
    for item in document.get("news", []):
        closing = item.get("closing")
        found.append(
            wake.News(
                Path(item["path"]),
                str(item["title"]),
                str(item["name"]),
                bool(item["explicit"]),
                tuple(entry(e) for e in item["entries"]),
                Closing(closing["timestamp"], closing["author"], closing["summary"]) if closing else None,
                frozenset(int(i) for i in item.get("claims", [])),
                tuple(str(n) for n in item.get("notices", [])),
                tuple(str(r) for r in item.get("read", [])),
                where=address.url(item["path"]),
            )
        )
    return found


#: The line that tells the host the whole offer arrived (:data:`collab.hooks.hostwait.ACK`).
ACK = b"ack\n"


def _line(raw: bytes) -> dict[str, Any] | None:
    """One whole JSON line of the host's answer as a document, else None (a line cut short)."""
    try:
        found = json.loads(raw) if raw.endswith(b"\n") else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


class _Host(threading.Thread):
    """The wait on one host's channels, retried while the connection drops."""

    def __init__(self, waits: HostWaits, host: Address, channel_paths: list[str]) -> None:
        super().__init__(name=f"collab-ssh-{host.destination}", daemon=True)
        self.waits, self.host, self.channel_paths = waits, host, channel_paths
        self.process: subprocess.Popen[bytes] | None = None
        self.found: list[wake.News] = []

    def _argv(self) -> list[str]:
        waits = self.waits
        left = max(0.0, waits.deadline - time.monotonic())
        document = client_document(waits.name, tuple(waits.place))  # type: ignore[arg-type]
        words = [OPTION, document, "hook", "--timeout", f"{left:.3f}"]
        if waits.rule.settle == waits.rule.quiet:  # given (COLLAB_SETTLE): the host waits by the same rule
            words += ["--settle", f"{waits.rule.settle:g}"]
        for path in self.channel_paths:
            words += ["--host-wait", path]
        return words

    def _attempt(self) -> tuple[int, list[Any] | None]:
        """One ``ssh`` session: its exit code, and the news items to deliver (None: none arrived whole)."""
        with self.waits.lock:
            if self.waits.stopping.is_set():
                return 0, None
            self.process = subprocess.Popen(
                ssh.command(self.host, self._argv()),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        process = self.process
        assert process.stdout is not None and process.stdin is not None
        items: list[Any] | None = None
        offered: list[Any] | None = None  # acknowledged, not confirmed yet
        with process.stdout:  # stdin stays open: the host's wait ends when it closes
            for raw in process.stdout:
                answer = _line(raw) or {}
                if items is not None:
                    continue  # the host's last word is in: read on to its end
                if isinstance(answer.get("news"), list):
                    items = answer["news"]
                elif answer.get("withdrawn"):
                    offered = None  # another reader claimed it all first: the host waits on
                elif isinstance(answer.get("offer"), list) and self._ack():
                    offered = answer["offer"]
        code = process.wait()
        self.hang_up()
        return code, (items if items is not None else offered)

    def _ack(self) -> bool:
        """Tell the host the whole offer arrived, unless the waits are stopping; whether it was told."""
        process = self.process
        with self.waits.lock:
            if self.waits.stopping.is_set() or process is None or process.stdin is None:
                return False
            try:
                process.stdin.write(ACK)
                process.stdin.flush()
            except (OSError, ValueError):  # the connection is gone, or its stdin closed
                return False
            return True

    def run(self) -> None:
        backoff = FIRST_BACKOFF
        try:
            while not self.waits.stopping.is_set():
                code, items = self._attempt()
                if items is not None:
                    self.found = news({"news": items}, self.host)
                    return
                if code not in (ssh.SSH_FAILED,) and code >= 0:
                    return  # the host cannot serve this wait (no collab, another version): nothing to retry
                if time.monotonic() + backoff >= self.waits.deadline or self.waits.stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, MAX_BACKOFF)
        except (CollabError, OSError, ValueError, KeyError, TypeError):
            return
        finally:
            self.waits.done(self)

    def hang_up(self) -> None:
        """Close the ``ssh``'s standard input: the host's wait ends and says what it claimed, if anything."""
        process = self.process
        if process is not None and process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def kill(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()


class HostWaits:
    """The waits on every host of ``seats`` (one thread each), for the session at ``place``.

    ``news_arrived`` is set once a host has news; ``all_done`` once every wait has ended.
    """

    def __init__(
        self, seats: Sequence[joined.Joined], place: Place, name: str, deadline: float, rule: TurnRule
    ) -> None:
        self.place, self.name, self.deadline, self.rule = place, name, deadline, rule
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.news_arrived = threading.Event()
        self.all_done = threading.Event()
        by_host: dict[Address, list[str]] = {}
        for seat in seats:
            by_host.setdefault(seat.address._replace(path=""), []).append(seat.address.path)
        self.hosts = [_Host(self, host, paths) for host, paths in by_host.items()]
        self._running = len(self.hosts)
        if not self.hosts:
            self.all_done.set()

    def start(self) -> None:
        for host in self.hosts:
            host.start()

    def done(self, host: _Host) -> None:
        with self.lock:
            self._running -= 1
            if host.found:
                self.news_arrived.set()
            if self._running <= 0:
                self.all_done.set()

    def stop(self) -> list[wake.News]:
        """End every wait (closing each ``ssh``'s standard input, killing what does not end within
        :data:`GRACE_SECONDS`); the news the hosts claimed."""
        with self.lock:
            self.stopping.set()
        for host in self.hosts:
            host.hang_up()
        limit = time.monotonic() + GRACE_SECONDS
        for host in self.hosts:
            host.join(max(0.0, limit - time.monotonic()))
        for host in self.hosts:
            host.kill()
            host.join(1.0)
        return [item for host in self.hosts for item in host.found]
