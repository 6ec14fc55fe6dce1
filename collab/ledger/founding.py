"""Founding a channel: its file and its ledger, both or neither (contract sections 1 and 7).

Cost: one exclusive create, one write of the header, and the ledger's first record.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from collab import config
from collab.errors import ChannelRefused, CollabError, UsageError
from collab.ledger import wal
from collab.store import files
from collab.text import blocks, bodies
from collab.text.grammar import format_timestamp

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_LENGTH = 8


def new_id() -> str:
    """A channel id: 8 characters from ``[a-z0-9]`` drawn with :mod:`secrets` (about 41 bits)."""
    import secrets  # only a new channel needs it

    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def _texts(task: object, context: object, requests: object) -> tuple[str, str, list[str]]:
    """The task, context and requests checked as entry bodies are (:func:`collab.text.bodies.checked_body`).

    Raises:
        UsageError: the task is empty, or one of them is not text (or holds a NUL).
        EntryTooLarge: one of them is over the entry limit.
    """
    if not isinstance(task, str) or not blocks.normalize_body(task):
        raise UsageError("the task is empty: give the task as an argument or on stdin")
    if not isinstance(context, str):
        raise UsageError(f"the context must be text, not {type(context).__name__}")
    listed = [] if requests is None else requests
    if not isinstance(listed, list | tuple) or not all(isinstance(r, str) for r in listed):
        raise UsageError("the requests must be a list of texts")
    checked = [
        bodies.checked_body(f"request {number}", text)
        for number, text in enumerate((r for r in listed if r.strip()), 1)
    ]
    return (
        bodies.checked_body("task", task),
        bodies.checked_body("context", context) if context.strip() else "",
        checked,
    )


def found(
    task: object,
    *,
    author: str,
    context: object,
    requests: object,
    directory: str | os.PathLike[str] | None,
    moment: datetime,
    channel_id: str,
) -> Path:
    """Create the channel ``collab-<channel_id>.md`` in the channel directory, and its ledger; its path.

    A failure at any step leaves no channel file behind: the file is created with ``O_EXCL``, so
    the one taken back is the one this call made.

    Raises:
        UsageError, EntryTooLarge: see :func:`_texts`; or ``channel_id`` is not a channel id.
        ChannelRefused, ChannelNotFound: the path is taken or the directory is missing; or the
            ledger could not be started (nothing was created).
        OSError: the file system failed writing the header (nothing was left behind).
    """
    from collab.integrations import templates  # only creating and joining need the templates
    from collab.text import naming

    task, context, listed = _texts(task, context, requests)
    if not isinstance(channel_id, str) or not naming.is_channel_name(naming.file_name(channel_id)):
        raise UsageError(f"{channel_id!r} is not a channel id: 8 characters from a-z and 0-9")
    path = config.channel_path(channel_id, directory)
    text = templates.render(
        "channel.md",
        title=bodies.title(task),
        id=channel_id,
        created=format_timestamp(moment),
        author=author,
        task=blocks.neutralise(task),
        context=blocks.neutralise(context) if context else "",
        requests=bodies.request_items(listed),
        path=templates.shell_word(path),
    )
    bodies.check_header(text, task, listed)
    data = text.encode("utf-8")
    try:
        files.create_exclusive(path, data)
    except OSError:
        os.unlink(path)  # created with O_EXCL, so it is ours; the write or its fsync failed
        raise
    try:
        wal.build(path, data)
    except (OSError, CollabError) as exc:  # no channel without its ledger: take the file back
        os.unlink(path)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ChannelRefused(f"cannot start the channel's ledger ({reason}); nothing was created") from None
    return path
