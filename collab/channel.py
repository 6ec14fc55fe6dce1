"""A channel: create it, read it, append entries to it.

This is the library's front door. Appends follow contract section 2: the next number is taken under
``flock(LOCK_EX)`` from the file as it is at that moment, and the whole entry is written with one
``write`` so a reader never sees two entries interleaved. Time and the id source are parameters.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from collab import blocks, config, files, format, integrity
from collab.errors import ChannelClosed, ChannelFormatError, EntryTooLarge, UsageError
from collab.format import Document, Entry
from collab.grammar import Ref, format_timestamp

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_LENGTH = 8


def new_id() -> str:
    """A channel id: 8 characters from ``[a-z0-9]`` drawn with :mod:`secrets` (about 41 bits)."""
    import secrets  # here, not at the top: only a new channel needs it (about 3 ms of start-up)

    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def _now() -> datetime:
    return datetime.now(UTC)


def _title(task: str) -> str:
    first = next((line.strip() for line in task.splitlines() if line.strip()), "")
    first = " ".join(first.lstrip("#").split())
    return first if len(first) <= 80 else first[:79] + "…"


def _request_items(requests: list[str]) -> str:
    items = []
    for number, text in enumerate(requests, 1):
        lines = blocks.normalize_body(text).split("\n")
        items.append(f"{number}. " + "\n".join([lines[0], *("   " + line if line else "" for line in lines[1:])]))
    return "\n".join(items)


class Channel(NamedTuple):
    """A channel file at ``path`` (``collab-<id>.md``)."""

    path: Path

    @property
    def id(self) -> str:
        """The channel id, from the file name (``collab-<id>.md``)."""
        name = self.path.name
        if name.startswith("collab-") and name.endswith(".md"):
            return name[len("collab-") : -len(".md")]
        return self.path.stem

    @classmethod
    def create(
        cls,
        task: str,
        *,
        author: str,
        context: str = "",
        requests: list[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        now: datetime | None = None,
        id_source: Callable[[], str] = new_id,
    ) -> "Channel":
        """Create a new channel file (mode 0600, ``O_EXCL|O_NOFOLLOW``) in the channel directory.

        Raises:
            UsageError: the task is empty, or a request cannot be written as a list item.
            ChannelRefused, ChannelNotFound: the path is taken or the directory is missing.
        """
        task = blocks.normalize_body(task)
        if not task:
            raise UsageError("the task is empty: give the task as an argument or on stdin")
        requests = [r for r in (requests or []) if r.strip()]
        from collab import templates  # only creating and joining need the templates

        channel_id = id_source()
        path = config.channel_path(channel_id, directory)
        text = templates.render(
            "channel.md",
            title=_title(task),
            id=channel_id,
            created=format_timestamp(now or _now()),
            author=author,
            task=blocks.neutralise(task),
            context=blocks.neutralise(blocks.normalize_body(context)) if context.strip() else "",
            requests=_request_items(requests),
            path=str(path),
        )
        _check_header(text, task, requests)
        data = text.encode("utf-8")
        files.create_exclusive(path, data)
        integrity.start(path, data)
        return cls(path)

    @classmethod
    def open(cls, ref: str, directory: str | os.PathLike[str] | None = None) -> "Channel":
        """The channel named by ``ref`` (a path or an id), checked to exist and be safe to open.

        Raises:
            UsageError, ChannelNotFound, ChannelRefused: see :func:`collab.config.resolve` and
                :func:`collab.files.open_checked`.
        """
        path = config.resolve(ref, directory)
        os.close(files.open_checked(path))
        return cls(path)

    def read(self) -> Document:
        """Parse the whole channel.

        Raises:
            ChannelNotFound, ChannelRefused, ChannelFormatError: see :mod:`collab.files` and
                :func:`collab.format.parse`.
        """
        return format.parse(files.read_checked(self.path))

    def join_message(self, document: Document | None = None) -> str:
        """The text a person pastes into the joining session (templates/join.md)."""
        from collab import templates

        document = document or self.read()
        return templates.render("join.md", path=str(self.path), title=document.header.title or self.id)

    def answer(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Answer N``; see :meth:`append`."""
        return self.append("answer", body, author=author, re=re, now=now)

    def ask(self, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None) -> Entry:
        """Append ``### Question N`` (after ``## Questions``, added once); see :meth:`append`."""
        return self.append("question", body, author=author, re=re, now=now)

    def append(
        self, kind: str, body: str, *, author: str | None, re: Ref | None = None, now: datetime | None = None
    ) -> Entry:
        """Append one entry of ``kind`` (``answer`` or ``question``) and return it as read back.

        The number is the highest of that kind in the file plus one, taken under the channel lock.
        ``body`` is markdown; it is normalised and, if it could break the file's structure, wrapped
        (:func:`collab.blocks.neutralise`) so that it reads back exactly.

        Raises:
            UsageError: the body is empty. EntryTooLarge: over :data:`collab.files.MAX_ENTRY_BYTES`.
            ChannelClosed: the channel is closed. ChannelFormatError: the file is not a channel.
            ChannelNotFound, ChannelRefused: see :mod:`collab.files`.
        """
        body = blocks.normalize_body(body)
        if not body:
            raise UsageError(f"the {kind} is empty: give its text as an argument or on stdin")
        size = len(body.encode("utf-8"))
        if size > files.MAX_ENTRY_BYTES:
            raise EntryTooLarge(
                f"the {kind} is {size} bytes, over the {files.MAX_ENTRY_BYTES // 1048576} MiB entry limit; split it"
            )
        with files.locked_for_append(self.path) as fd:
            prepared = integrity.prepare(self.path, fd, files.read_fd(fd, self.path))
            ledger, data = prepared.ledger, prepared.data
            if ledger.closed:
                raise ChannelClosed(f"channel {self.id} is closed: nothing more can be appended")
            counters = ledger.counters
            number = (counters.answers if kind == "answer" else counters.questions) + 1
            prefix = _separator(data, ledger)
            if kind == "question" and not counters.has_questions_line:
                prefix += "\n" + format.QUESTIONS_LINE + "\n"
            text = format.compose_entry(kind, number, now or _now(), author, re, body)
            payload = (prefix + text).encode("utf-8")
            if len(data) + len(payload) > files.MAX_CHANNEL_BYTES:
                raise EntryTooLarge(
                    f"appending would take the channel past {files.MAX_CHANNEL_BYTES // 1048576} MiB; "
                    "start a new channel"
                )
            index = counters.index + 1
            integrity.intend(ledger, len(data), payload)
            files.write_all(fd, payload)
            integrity.accept(ledger, data + payload)
        written = format.parse_entries(text).entries[0]
        return Entry(
            kind, number, written.timestamp, written.author, written.re, written.body,
            index=index,
            start=len(data) + len(payload) - len(text.encode("utf-8")) + 1,
            end=len(data) + len(payload),
            heading=written.heading,
        )

    def close(self, *, author: str | None, now: datetime | None = None) -> bool:
        """Append ``## Closed (<timestamp>)[ by <author>]``; return False if it was closed already.

        Raises:
            ChannelFormatError, ChannelNotFound, ChannelRefused: as :meth:`append`.
        """
        with files.locked_for_append(self.path) as fd:
            prepared = integrity.prepare(self.path, fd, files.read_fd(fd, self.path))
            ledger, data = prepared.ledger, prepared.data
            if ledger.closed:
                return False
            payload = (_separator(data, ledger) + format.compose_closed(now or _now(), author)).encode()
            integrity.intend(ledger, len(data), payload)
            files.write_all(fd, payload)
            integrity.accept(ledger, data + payload)
        return True


def _separator(data: bytes, ledger: integrity.Ledger) -> str:
    """What must come before an appended heading so it starts a new top-level block."""
    last = ledger.last_entry_start
    text = data[ledger.header_end if last is None else last :].decode("utf-8")
    closer = blocks.closer_for(text)
    if closer is None:
        raise ChannelFormatError(
            "the last entry leaves a code fence or HTML block open, so nothing appended would be read: "
            "close it by hand (append the closing line) and try again"
        )
    prefix = "" if data.endswith(b"\n") or not data else "\n"
    return prefix + (closer + "\n" if closer else "")


def _check_header(text: str, task: str, requests: list[str]) -> None:
    document = format.parse(text.encode("utf-8"))
    got = [r.text for r in document.header.requests]
    want = [blocks.normalize_body(r) for r in requests]
    if got != want:
        bad = next(i for i, (g, w) in enumerate(zip(got + [""] * len(want), want, strict=False), 1) if g != w)
        raise UsageError(f"request {bad} cannot be written as a list item: keep requests to plain paragraphs")
    if document.header.task != task:
        raise UsageError("the task cannot be written into the channel header unchanged")
