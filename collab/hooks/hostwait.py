"""The host's side of the wake hook of a session on another machine (contract sections 8 and 10).

The hook of a session that sits in channels on this host runs, over one ``ssh`` session,
``collab --remote-client DOC hook --host-wait PATH ... --timeout S [--settle S]``. The client's
place travels in DOC (:mod:`collab.remote.serve`), so :func:`collab.live.seats.here` is that
session's place here. This side then does what the hook does on its own machine:

- finds the seats of that session (its host, any directory, its session key) in the channels named
  (:func:`held`), so the client need not know which name it sits under;
- prints ``{"started": {"channels": N}}``, then waits on them turn-aware and claims what it
  delivers (:func:`collab.hooks.claiming.wait_news`): the seat's cursor moves here, under the lock
  a ``collab wait`` takes too, so the two never deliver the same entry twice;
- prints the news (:func:`document`), or none once the timeout passes or the SSH session ends:
  its standard input, which the client holds open, closes then (:func:`halt_on_hangup`), and the
  wait ends within :data:`collab.live.turns.HALT_CHECK_S` with nothing claimed, its presence gone.
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


def halt_on_hangup() -> threading.Event:
    """An event set once standard input closes: the SSH session that ran this process ended."""
    halt = threading.Event()

    def watch() -> None:
        try:  # the descriptor itself: a buffered reader held by this thread would stall the exit
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        halt.set()

    threading.Thread(target=watch, name="collab-session", daemon=True).start()
    return halt


def wait(
    holdings: Sequence[seats.Holding], *, timeout: float | None, settle: float | None, halt: threading.Event
) -> list[wake.News]:
    """Wait on ``holdings`` for ``timeout`` seconds (None: until ``halt``), turn-aware with ``settle``
    (None: this host's ``COLLAB_SETTLE``, else the defaults); the news claimed, or []."""
    deadline = None if timeout is None else time.monotonic() + timeout
    return claiming.wait_news(holdings, rule=TurnRule.given(settle), deadline=deadline, halt=halt)


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
) -> None:
    """The whole host side (see the module docstring): ``emit`` is given each JSON line to print.

    Raises:
        CollabError: the state directory or a channel's private files cannot be used safely.
    """
    holdings = held(channel_paths)
    emit({"started": {"channels": len(holdings)}})
    halt = halt_on_hangup()
    found = wait(holdings, timeout=timeout, settle=settle, halt=halt) if holdings else []
    emit(document(found))
