"""collab: two agent sessions coordinate through one append-only markdown channel file.

The few names a Python user needs; everything else is internal.
"""

from collab.channel import Channel
from collab.errors import (
    ChannelClosed,
    ChannelFormatError,
    ChannelNotFound,
    ChannelRefused,
    CollabError,
    EntryTooLarge,
    IntegrityError,
    UsageError,
)
from collab.format import Document, Entry
from collab.grammar import Ref

__all__ = [
    "Channel",
    "ChannelClosed",
    "ChannelFormatError",
    "ChannelNotFound",
    "ChannelRefused",
    "CollabError",
    "Document",
    "Entry",
    "EntryTooLarge",
    "IntegrityError",
    "Ref",
    "UsageError",
]
