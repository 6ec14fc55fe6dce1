"""The append protocol: a write-ahead log for appends to a file that people also append to by hand.

In write-ahead-log terms (as in a database's redo log): before a writer appends, it logs an
*intent* record (offset, length, digest and first bytes of the append) to the journal
(:mod:`collab.ledger.journal`); then it appends; then it *commits* by logging an ``accept`` record for
everything now complete in the channel, its own entry and any hand-written ones, and copies
those bytes into the ledger's copy. *Recovery* happens in the next writer, under the channel's
``flock``, once the accepted history checks out: an intent whose bytes are all in the channel is
kept (the writer died before committing); an append that stopped part-way, at the end of the file,
is rolled back, its bytes saved beside the channel; anything else is left as it is.

Hand writers do not log intents. They may append between a writer's read and its write, so a
writer never assumes where its bytes landed: :func:`locate` finds them, at or after the offset it
read, and everything before them is accepted like any hand append.

All of this runs under the channel's lock; readers that cannot take it (a writer holds it) check
without accepting (:mod:`collab.ledger.checks`).

Costs: :func:`intend` hashes the append; :func:`plan` and :func:`accept` parse and hash from the
checkpoint on, and extend the digest state the check left (:func:`journal.prefix_hash`), so they
cost what is new, given only the bytes from the checkpoint (``base``); :func:`settle` searches from
the intended offset on; :func:`build` parses and hashes the whole channel (once, for a new ledger).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from collab.ledger import journal
from collab.ledger.journal import Accept, Intent, Ledger, LedgerTrouble, Span, sha
from collab.store import files
from collab.text import format


class LedgerWarning(UserWarning):
    """The ledger was started, or its copy rewritten, or a torn append was rolled back."""


def header_end(document: format.Document, data: bytes) -> int:
    """The byte offset just after the answers line."""
    return document.body_start if document.body_start <= len(data) else len(data)


def build(channel_path: Path, data: bytes, damage: format.Damage | None = None) -> Ledger:
    """Start a ledger that accepts ``data`` (a readable channel) as it is; replaces any old one.

    Raises:
        ChannelFormatError: ``data`` is not a channel. OSError: the state directory refuses the write.
    """
    document = format.parse(data, damage)
    end = header_end(document, data)
    ledger = journal.write_new(channel_path, end, sha(data[:end]), [])
    files.replace_atomic(journal.copy_path(channel_path), data[:end])
    accept(ledger, data if document.damage is None else data[: document.damage.offset])
    return ledger


def open_ledger(
    channel_path: Path, data: bytes, *, may_write: bool, damage: format.Damage | None = None
) -> Ledger | LedgerTrouble | None:
    """The channel's ledger; a trouble when it is missing, damaged or foreign; None when there is
    none and ``may_write`` is false (a channel collab has not seen yet, read without the lock).

    With ``may_write``, a channel that never had a ledger gets one (with a warning). A ledger whose
    copy of the accepted bytes remains did exist: its absence is a standing problem, not a new start.
    """
    found = journal.load(channel_path)
    if found is not None:
        return found
    if os.path.lexists(journal.copy_path(channel_path)):
        return LedgerTrouble("missing", "is missing")
    if not may_write:
        return None
    ledger = build(channel_path, data, damage)
    warnings.warn(
        f"{channel_path} had no ledger: one was started from the channel as it is now "
        "(edits made before now cannot be detected)",
        LedgerWarning,
        stacklevel=3,
    )
    return ledger


def intend(ledger: Ledger, offset: int, payload: bytes) -> None:
    """Log that ``payload`` is about to be appended at ``offset`` (or later, after hand appends).

    Raises:
        OSError: the journal cannot be written; nothing has been appended.
    """
    journal.append(ledger, Intent(offset, len(payload), sha(payload), payload[:64]).to_json())


def locate(data: bytes, offset: int, payload: bytes) -> int | None:
    """Where ``payload`` landed in ``data`` (the channel after the write), at ``offset`` or later."""
    found = data.find(payload, offset)
    return None if found < 0 else found


def settle(ledger: Ledger, fd: int, data: bytes, base: int = 0) -> bytes:
    """Recover from a writer that died after logging its intent; return the channel's bytes now.

    Call under the lock, only when the accepted history is intact. The intended bytes found whole
    are kept (the next :func:`accept` takes them). Bytes at the end of the file that are a proper
    prefix of the intended append are rolled back (saved beside the channel first); anything else
    is someone else's and stays. ``data`` are the file's bytes from offset ``base`` (at most the
    accepted end) on; the result too.
    """
    if ledger.intent is None:
        return data
    intent = ledger.intent._replace(offset=ledger.intent.offset - base)  # offsets into ``data``
    whole = data.find(intent.head, intent.offset)
    while whole >= 0 and sha(data[whole : whole + intent.length]) != intent.sha:
        whole = data.find(intent.head, whole + 1)
    if whole < 0:
        torn = _torn_start(data, intent)
        if torn is not None:
            from collab.store.paths import kept_path

            saved = kept_path(ledger.channel_path, "torn")
            files.create_exclusive(saved, data[torn:])
            os.ftruncate(fd, base + torn)
            data = data[:torn]
            warnings.warn(
                f"a writer died part-way through an append at byte {base + torn}: the partial entry was rolled back "
                f"(its bytes are kept in {saved})",
                LedgerWarning,
                stacklevel=3,
            )
    journal.append(ledger, {"t": "abandon", "offset": intent.offset + base})
    return data


def _torn_start(data: bytes, intent: Intent) -> int | None:
    """Where a torn copy of the intended append starts, if the file ends with one.

    A torn copy is a tail of ``data``, shorter than the append, that begins as the append began:
    at the intended offset, or later (after hand appends) when at least its first 16 bytes are
    there, so that a hand entry's last few bytes are never taken for it.
    """
    rest = data[intent.offset :]
    if rest and len(rest) < intent.length and intent.head.startswith(rest[: len(intent.head)]):
        return intent.offset
    start = data.find(intent.head[:16], max(intent.offset, len(data) - intent.length + 1))
    while start >= 0:
        if intent.head.startswith(data[start : start + len(intent.head)]):
            return start
        start = data.find(intent.head[:16], start + 1)
    return None


def restore_copy(ledger: Ledger, data: bytes | Callable[[], bytes]) -> None:
    """Rewrite a missing or short copy from ``data``, whose accepted part matches the ledger's digest
    (or from what ``data()`` returns: called only when the copy must be rewritten)."""
    path = ledger.copy_file
    try:
        size = os.stat(path, follow_symlinks=False).st_size
    except FileNotFoundError:
        size = -1
    if size >= ledger.accepted_end:
        return
    files.replace_atomic(path, (data if isinstance(data, bytes) else data())[: ledger.accepted_end])
    warnings.warn(
        f"the ledger's copy {path} was {'missing' if size < 0 else 'short'}: rewritten from the channel, "
        "which matches the ledger",
        LedgerWarning,
        stacklevel=3,
    )


class Plan(NamedTuple):
    """An accept worked out ahead (:func:`plan`): the ``record`` to log (also as ``json`` and as the
    ``encoded`` journal line), the digest state after it (``hasher``), and the journal size of the
    ledger it was worked out from."""

    record: Accept
    hasher: Any
    journal_size: int
    json: dict[str, Any]
    encoded: bytes


def plan(ledger: Ledger, data: bytes, own: tuple[int, int] | None = None, base: int = 0) -> Plan | None:
    """Work out what :func:`accept` would log for ``data``, without writing: the parse, which may be
    long, can run without the lock. None when there is nothing complete to accept.

    ``data`` holds the channel's bytes from offset ``base`` on (0: the whole file); a ``base`` past
    0, at most the checkpoint, needs the digest state of the accepted bytes (``ledger.hasher``, left
    by the check, :mod:`collab.ledger.checks`). Cost: the bytes from the checkpoint on, parsed and hashed.
    """
    end = data.rfind(b"\n") + 1
    begin = ledger.accepted_end - base
    if end <= begin:
        return None
    if base and (ledger.hasher is None or not 0 < base <= ledger.checkpoint):
        raise ValueError("a plan from part of the channel needs the checked digest of the accepted bytes")
    tail = format.parse_tail(data[ledger.checkpoint - base : end].decode("utf-8"), ledger.checkpoint, ledger.counters)
    prefix = journal.prefix_hash(ledger, data)
    prefix.update(data[begin:end])
    final = [(offset, sentence) for offset, sentence in tail.warnings if offset < tail.checkpoint]
    record = Accept(
        begin + base,
        end + base,
        sha(data[begin:end]),
        prefix.hexdigest(),
        tuple(Span.of(e) for e in tail.entries if e.start < tail.checkpoint),
        tail.checkpoint,
        tail.at_checkpoint,
        tuple(final[: format.MAX_WARNINGS]),
        own,
        max(0, len(final) - format.MAX_WARNINGS),
    )
    as_json = record.to_json()
    return Plan(record, prefix, ledger.journal_size, as_json, journal.encode(as_json))


def accept(
    ledger: Ledger, data: bytes, own: tuple[int, int] | None = None, planned: Plan | None = None, base: int = 0
) -> None:
    """Commit what is complete in ``data`` (readable bytes, just checked) after the accepted end.

    ``own`` is the byte span of the append the caller just made, so readers know it is complete.
    ``planned`` is this accept worked out ahead from the same ledger state (:func:`plan`), for
    ``data`` or a prefix of it: then only the writes happen here, under the lock. ``data`` may hold
    only the bytes from ``base`` on, as for :func:`plan`; the caller then restores a short copy first
    (:func:`restore_copy`), from the whole file.

    Complete means whole lines. Entries become final in the index once a structural heading
    follows them; the last one is read again from the checkpoint next time, as :func:`parse` would.

    Raises:
        OSError: the copy or the journal cannot be written (the accepted end then stays where it was).
    """
    if not base:
        restore_copy(ledger, data)
    if planned is None or planned.journal_size != ledger.journal_size:
        planned = plan(ledger, data, own, base)
    if planned is None:
        return
    record = planned.record
    files.append_checked(ledger.copy_file, ledger.accepted_end, data[record.start - base : record.end - base])
    journal.append(ledger, planned.json, encoded=planned.encoded)
    ledger.hasher = planned.hasher
