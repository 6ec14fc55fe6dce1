"""The one error hierarchy of collab.

Every failure a user can act on is a subclass of :class:`CollabError`. Each carries the exit code that
the contract (``shared/design/contract.md`` section 4) assigns to it, so the command line maps errors to
exit codes in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


class Exit(IntEnum):
    """The contract's exit codes (section 4), the one table of them: the CLI exits with these only."""

    OK = 0
    ERROR = 1
    USAGE = 2
    TIMED_OUT = 3  # `wait` found nothing within its timeout
    HISTORY_EDITED = 4
    INTERRUPTED = 130  # Ctrl+C (128 + SIGINT)
    #: ``collab hook`` wakes the Claude Code session with 2 (Claude Code's hooks reference,
    #: "asyncRewake": its stderr reaches the model); an alias of USAGE, which the hook never exits with.
    WAKE = 2


class CollabError(Exception):
    """A failure the user can act on; the message is one line that says what to do next."""

    exit_code: int = Exit.ERROR


class UsageError(CollabError):
    """An argument or option has a value collab cannot use."""

    exit_code = Exit.USAGE


class ChannelNotFound(CollabError):
    """No channel exists at the path, or under the id, that was given."""


class ChannelRefused(CollabError):
    """The path exists but is not a channel collab may open (symlink, directory, other owner...)."""


class ChannelFormatError(CollabError):
    """The file is not a readable channel (not UTF-8 text, no answers line, over the size limit)."""


class ChannelClosed(CollabError):
    """The channel has a ``## Closed`` line, so nothing more may be appended."""


class UnseenEntries(CollabError):
    """Entries from others landed that this participant has not read (``close`` refuses; see ``--force``)."""


class StorageError(CollabError):
    """The file system failed a read or a write (``ENOSPC``, ``EIO``, ``EACCES`` ...): the message
    gives the system's reason (``strerror``) and the file."""


class EntryTooLarge(CollabError):
    """An entry body is over the per-entry limit."""


class IntegrityError(CollabError):
    """History that was already accepted has been edited, replaced or removed."""

    exit_code = Exit.HISTORY_EDITED


def storage_error(exc: OSError) -> StorageError:
    """``exc`` as the :class:`StorageError` a public method raises: its reason, then its file."""
    where = f" ({exc.filename})" if exc.filename else ""
    return StorageError(f"{exc.strerror or exc}{where}")


def guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """The error boundary of a public method: an ``OSError`` leaves it as :class:`StorageError`."""

    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            raise storage_error(exc) from exc

    return call
