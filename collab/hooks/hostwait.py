"""The host's side of the wake hook of a session on another machine (contract sections 8 and 10).

The hook of a session that sits in channels on this host runs, over one ``ssh`` session,
``collab --remote-client DOC hook --host-wait PATH ... --timeout S [--settle S]``. The client's
place travels in DOC (:mod:`collab.remote.serve`), so :func:`collab.live.seats.here` is that
session's place here. This side then does what the hook does on its own machine:

- finds the seats of that session (its host, any directory, its session key) in the channels named
  (:func:`held`), so the client need not know which name it sits under;
- prints ``{"started": {"channels": N}}``, then waits on them turn-aware
  (:func:`collab.hooks.claiming.wait_ready`);
- offers what it found, claiming nothing yet: ``{"offer": [...]}`` (the items of :func:`document`);
- once the client has the whole offer it answers ``ack`` on this process's standard input; only
  then are the cursors moved (:func:`collab.hooks.claiming.claim`, under the lock a ``collab wait``
  takes too), and the news claimed printed: ``{"news": [...]}``. A ``collab wait`` of the same seat
  that took some of the offer meanwhile keeps them: the news holds only what comes after what it
  took, so the two never deliver the same entry twice. If it took it all, ``{"withdrawn": true}``
  says so and the wait goes on;
- prints ``{"news": []}`` once the timeout passes or the SSH session ends: its standard input,
  which the client holds open, closes then (:class:`Session`), and the wait ends within
  :data:`collab.live.turns.HALT_CHECK_S`, its presence gone. Standard input closed before the ack
  (or no ack within :data:`ACK_SECONDS`) means: stop, take nothing.

So a connection that drops before the ack loses nothing: nothing was taken, and the client's retry
finds the same news. The client delivers the offer itself if the connection drops after it sent the
ack (:mod:`collab.hooks.remotes`): delivery is at least once, and a repeat is possible only in that
narrow window (an ack sent but never read here, whose news a later wait delivers again).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collab.hooks import claiming, wake
from collab.live import seats
from collab.live.turns import TurnRule

#: The client's answer once it has the whole offer, one line on this process's standard input.
ACK = b"ack"
#: Seconds the client has to answer an offer before this side stops, having taken nothing.
ACK_SECONDS = 60.0


def _real(path: str) -> Path:
    """``path`` with its directory's real path, as the seats registry names a channel."""
    return Path(os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)))


def held(channel_paths: Sequence[str]) -> list[seats.Holding]:
    """The seats of the session served here (host and session of its place) in ``channel_paths``, one per channel.

    Raises:
        ChannelRefused: the state directory is not private.
    """
    place = seats.here()
    head, tail = f"{place.host}:", f":{place.session}"
    wanted = {_real(p) for p in channel_paths}
    found = seats.holdings(lambda key: key.startswith(head) and key.endswith(tail))
    return list({h.channel: h for h in found if h.channel in wanted}.values())


class Session:
    """This process's standard input, which the client holds open: its ``ack`` lines, and its end
    (``closed`` is set then: the SSH session that ran this process ended)."""

    def __init__(self, fd: int = 0) -> None:
        self.closed = threading.Event()
        self._acks = 0
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(fd,), name="collab-session", daemon=True).start()

    def _read(self, fd: int) -> None:
        pending = b""
        try:  # the descriptor itself: a buffered reader held by this thread would stall the exit
            while chunk := os.read(fd, 65536):
                *lines, pending = (pending + chunk).split(b"\n")
                with self._changed:
                    self._acks += sum(1 for line in lines if line.strip() == ACK)
                    self._changed.notify_all()
        except OSError:
            pass
        with self._changed:
            self.closed.set()
            self._changed.notify_all()

    def acked(self, count: int, timeout: float) -> bool:
        """Whether ``count`` acks have come, waiting for them at most ``timeout`` seconds or until the end."""
        with self._changed:
            self._changed.wait_for(lambda: self._acks >= count or self.closed.is_set(), timeout)
            return self._acks >= count


def document(news: Sequence[wake.News]) -> dict[str, Any]:
    """The JSON the client reads back with :func:`collab.hooks.remotes.news`."""
    return {
        "news": [
            {
                "path": str(item.path),
                "title": item.title,
                "name": item.name,
                "explicit": item.explicit,
                "entries": [e.to_json() for e in item.entries],
                "closing": item.closing.to_json() if item.closing else None,
                "claims": sorted(item.claims),
                "notices": list(item.notices),
                "read": list(item.read),
            }
            for item in news
        ]
    }


def serve(
    channel_paths: Sequence[str],
    *,
    timeout: float | None,
    settle: float | None,
    emit: Callable[[dict[str, Any]], None],
    stdin: int = 0,
) -> None:
    """The whole host side (see the module docstring): ``emit`` is given each JSON line to print,
    the client's answers are read from the descriptor ``stdin``.

    Raises:
        CollabError: the state directory or a channel's private files cannot be used safely.
    """
    holdings = held(channel_paths)
    emit({"started": {"channels": len(holdings)}})
    session = Session(stdin)
    by_path = {h.channel: h for h in holdings}
    deadline = None if timeout is None else time.monotonic() + timeout
    rule, offers = TurnRule.given(settle), 0
    news: list[wake.News] = []
    while holdings and not news:
        found = claiming.wait_ready(holdings, rule=rule, deadline=deadline, halt=session.closed)
        if not found:
            break
        offered = [(r, item) for r in found if (item := claiming.offer(r, by_path[r.path])) is not None]
        if not offered:
            continue  # a `collab wait` took it all first: wait on from the cursors it left
        emit({"offer": document([item for _r, item in offered])["news"]})
        offers += 1
        if not session.acked(offers, ACK_SECONDS):
            break  # the client is gone, or never got the whole offer: nothing is taken
        claimed = (claiming.claim(r, by_path[r.path]) for r, _item in offered)
        news = [item for item in claimed if item is not None]
        if not news:
            emit({"withdrawn": True})
    emit(document(news))
