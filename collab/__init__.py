"""collab: two agent sessions coordinate through one append-only markdown channel file.

The few names a Python user needs; everything else is internal. They are imported on first use
(PEP 562 module ``__getattr__``), so that ``import collab.text.grammar`` or the command line does not
pay for modules it does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collab.channel import Channel
    from collab.errors import (
        ChannelClosed,
        ChannelFormatError,
        ChannelNotFound,
        ChannelRefused,
        CollabError,
        EntryTooLarge,
        IntegrityError,
        StorageError,
        UnseenEntries,
        UsageError,
    )
    from collab.housekeeping.cleanup import ChannelKept
    from collab.seat import Seat, Waited
    from collab.store.files import LockTimeout
    from collab.text.exchange import Posted
    from collab.text.format import Document, Entry
    from collab.text.grammar import Ref

_HOMES = {
    "Channel": "collab.channel",
    "ChannelClosed": "collab.errors",
    "ChannelFormatError": "collab.errors",
    "ChannelNotFound": "collab.errors",
    "ChannelRefused": "collab.errors",
    "CollabError": "collab.errors",
    "Document": "collab.text.format",
    "Entry": "collab.text.format",
    "EntryTooLarge": "collab.errors",
    "IntegrityError": "collab.errors",
    "Posted": "collab.text.exchange",
    "Seat": "collab.seat",
    "StorageError": "collab.errors",
    "Waited": "collab.seat",
    "Ref": "collab.text.grammar",
    "UsageError": "collab.errors",
    "UnseenEntries": "collab.errors",
    "LockTimeout": "collab.store.files",
    "ChannelKept": "collab.housekeeping.cleanup",
}

__all__ = [
    "Channel",
    "ChannelClosed",
    "ChannelFormatError",
    "ChannelKept",
    "ChannelNotFound",
    "ChannelRefused",
    "CollabError",
    "Document",
    "Entry",
    "EntryTooLarge",
    "IntegrityError",
    "LockTimeout",
    "Posted",
    "Ref",
    "Seat",
    "StorageError",
    "UnseenEntries",
    "UsageError",
    "Waited",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'collab' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(__all__)
