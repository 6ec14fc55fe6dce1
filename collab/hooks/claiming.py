"""The wake hook's wait on the seats it holds, and the claim of what it delivers (contract section 8).

Used by the hook on this machine (:mod:`collab.hooks.push`) and by the host's side of a hook on
another machine (:mod:`collab.hooks.hostwait`), so the two wait and claim alike: turn-aware
(:func:`collab.hooks.waitany.wait_any`), then the seat's cursor moved past what is delivered under
one lock (:func:`collab.live.cursors.take`), so a ``collab wait`` and the hook never deliver the same
entry twice. The host's side waits (:func:`wait_ready`) and offers (:func:`offer`) first, and claims
only once its client has the news (:mod:`collab.hooks.hostwait`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from collab.errors import CollabError
from collab.hooks import waitany, wake
from collab.live import cursors, receipts, seats
from collab.live.turns import TurnRule
from collab.live.watch import WatchSettings


def wait_news(
    held: Sequence[seats.Holding],
    *,
    rule: TurnRule,
    deadline: float | None,
    halt: threading.Event | None,
    extra: Sequence[Path] = (),
    superseded: Callable[[], bool] = lambda: False,
    settings: WatchSettings | None = None,
) -> list[wake.News]:
    """Wait on the channels of ``held`` until some hold news, claim it and return it; [] when the
    wait ends without any (``deadline``, ``halt``, ``superseded``, or nothing left to wait on).

    Arguments are those of :func:`collab.hooks.waitany.wait_any`.
    """
    by_path = {h.channel: h for h in held}
    while True:
        found = wait_ready(
            held, rule=rule, deadline=deadline, halt=halt, extra=extra, superseded=superseded, settings=settings
        )
        if not found:
            return []
        news = [item for item in (claim(r, by_path[r.path]) for r in found) if item is not None]
        if news:
            return news


def wait_ready(
    held: Sequence[seats.Holding],
    *,
    rule: TurnRule,
    deadline: float | None,
    halt: threading.Event | None,
    extra: Sequence[Path] = (),
    superseded: Callable[[], bool] = lambda: False,
    settings: WatchSettings | None = None,
) -> list[waitany.Ready]:
    """One wait of :func:`wait_news`, from the seats' cursors as they are now: what is ready, claimed
    by no one yet (:func:`claim`, or :func:`offer` then :func:`claim`), or [] as :func:`wait_news`."""
    watches = []
    for h in held:
        seen, _warning = cursors.load(h.channel, h.name)
        watches.append(waitany.Watch(h.channel, h.name, seen, own(h)))
    return waitany.wait_any(
        watches,
        rule=rule,
        deadline=deadline,
        halt=halt,
        extra=extra,
        superseded=superseded,
        closed_by_self=closed_by_self,
        settings=settings,
    )


def own(holding: seats.Holding) -> Callable[[], frozenset[int]]:
    """The indexes the seat of ``holding`` wrote, asked afresh at each call (none when unreadable)."""

    def written() -> frozenset[int]:
        try:
            return seats.written_by(holding.channel, holding.key, holding.name)
        except CollabError:
            return frozenset()

    return written


def closed_by_self(path: Path, name: str) -> bool:
    """Whether the channel at ``path`` was closed by ``name``."""
    from collab.channel import Channel

    try:
        closing = Channel(path).closing()
    except CollabError:
        return False
    return closing is not None and closing.author == name


def claim(ready: waitany.Ready, holding: seats.Holding) -> wake.News | None:
    """Move the seat's cursor past ``ready``; the news it holds that nobody else delivered first, if any."""
    before = cursors.take(ready.path, ready.name, ready.seen, ceiling=ready.seen)
    return _news(ready, holding, before, told=True)


def offer(ready: waitany.Ready, holding: seats.Holding) -> wake.News | None:
    """The news :func:`claim` would return now, claiming nothing: the cursor stays, and the read
    receipts, which are told once, are left for the claim (``read`` is empty)."""
    seen, _warning = cursors.load(ready.path, ready.name)
    return _news(ready, holding, min(seen, ready.seen), told=False)


def _news(ready: waitany.Ready, holding: seats.Holding, before: int, *, told: bool) -> wake.News | None:
    """The news of ``ready`` after the cursor ``before``, if any; with its read receipts if ``told``."""
    from collab.channel import Channel

    entries = tuple(e for e in ready.entries if e.index > before)
    if not (entries or ready.newly_closed or ready.notices):
        return None  # another reader (a `collab wait`) took these first
    channel = Channel(ready.path)
    read: tuple[str, ...] = ()
    try:
        document = channel.read()
        title, closing = document.header.title or channel.id, channel.closing(document)
        if told:
            found = receipts.news(ready.path, holding.name, own(holding)())
            read = tuple(receipts.sentences(found, {e.index: e.label for e in document.entries}))
    except CollabError:
        title, closing, read = channel.id, None, ()
    claims = frozenset(e.index for e in entries if e.author == holding.name)
    return wake.News(ready.path, title, holding.name, holding.explicit, entries, closing, claims, ready.notices, read)
