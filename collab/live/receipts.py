"""Read receipts: who has read which entry, as far as collab saw it (contract section 6.4).

A receipt is a reader's cursor (:mod:`collab.live.cursors`): ``seen`` entries from the top, moved by
``collab wait``, by the wake hook, or by ``collab wait --after``. So an entry at index ``i`` has been
read by every reader, other than its author, whose cursor is at ``i`` or beyond. A reader who opens
the file by hand, or reads it with ``show``, leaves no receipt: collab cannot see that read.

So that a writer hears of each receipt once, its cursor record keeps ``told``: each other reader's
cursor as it stood when this writer last heard (:func:`news`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from collab import config
from collab.live import cursors


class Reader(NamedTuple):
    """A reader of a channel: its ``name``, how many entries it has ``seen`` (from the top), and when
    its cursor last moved (``seen_at``, an RFC 3339 UTC timestamp, or None)."""

    name: str
    seen: int
    seen_at: str | None


class Receipt(NamedTuple):
    """That the entry at ``index`` (1-based) was read by each name in ``by`` (sorted).

    A NamedTuple, as :class:`collab.text.format.Entry` is (its ``index`` field hides
    ``tuple.index``): a dataclass would cost ``wait`` the import of :mod:`dataclasses` at start-up.
    """

    index: int  # type: ignore[assignment]  # the field's name; it hides tuple.index
    by: tuple[str, ...]


def readers(channel_path: Path) -> dict[str, Reader]:
    """Every reader of the channel with a cursor, by name.

    Raises:
        ChannelRefused: the cursors file or the state directory cannot be used safely.
    """
    return {
        name: Reader(name, int(record["seen"]), record.get("updated"))
        for name, record in cursors.readers(channel_path).items()
    }


def read_by(index: int, author: str | None, known: Iterable[Reader]) -> tuple[str, ...]:
    """The readers, other than ``author``, whose cursor covers the entry at ``index``, sorted."""
    return tuple(sorted(r.name for r in known if r.seen >= index and r.name != author))


def news(channel_path: Path, reader: str, own: Iterable[int], timeout: float | None = None) -> list[Receipt]:
    """The receipts for ``reader``'s own entries (their indexes, ``own``) that ``reader`` has not been
    told of yet, by entry in file order; records them as told.

    Raises:
        ChannelRefused, CollabError: as :func:`collab.live.cursors.advance`.
    """
    mine = sorted(set(own))
    if not mine:
        return []
    with cursors.locked(channel_path, config.lock_timeout() if timeout is None else timeout):
        records: dict[str, dict[str, Any]] = cursors.readers(channel_path)
        record = records.get(reader, {"seen": 0})
        kept = record.get("told")
        told: dict[str, Any] = kept if isinstance(kept, dict) else {}
        fresh: dict[int, list[str]] = {}
        now_told = dict(told)
        for other, theirs in records.items():
            if other == reader:
                continue
            before = told.get(other, 0) if isinstance(told.get(other), int) else 0
            seen = int(theirs["seen"])
            for index in mine:
                if before < index <= seen:
                    fresh.setdefault(index, []).append(other)
            now_told[other] = max(before, seen)
        if now_told != told:
            records[reader] = record | {"told": now_told}
            cursors.save(channel_path, records)
    return [Receipt(index, tuple(sorted(names))) for index, names in sorted(fresh.items())]


def sentences(found: Iterable[Receipt], labels: Mapping[int, str]) -> list[str]:
    """One sentence per reader for ``found``, e.g. ``site-b has read your Answer 3 and Question 2``;
    ``labels`` names each entry by index (``Answer 3``), as :attr:`collab.text.format.Entry.label` does."""
    by_reader: dict[str, list[str]] = {}
    for receipt in found:
        for name in receipt.by:
            by_reader.setdefault(name, []).append(labels.get(receipt.index, f"entry {receipt.index}"))
    out = []
    for name, read in sorted(by_reader.items()):
        listed = read[0] if len(read) == 1 else ", ".join(read[:-1]) + " and " + read[-1]
        out.append(f"{name} has read your {listed}")
    return out
