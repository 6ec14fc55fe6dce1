"""Channel file names, spelt in this one place: ``collab-<id>.md`` (contract section 3).

State files and kept copies are named after the channel's file name (:mod:`collab.store.paths`).
"""

from __future__ import annotations

import re
from pathlib import PurePath

PREFIX = "collab-"
SUFFIX = ".md"
#: The file name of a channel; the id (group 1) as :func:`collab.ledger.founding.new_id` makes them, or
#: 4-32 such characters for a file named by hand.
CHANNEL_NAME = re.compile(r"collab-([a-z0-9]{4,32})\.md")


def file_name(channel_id: str) -> str:
    """``collab-<channel_id>.md``."""
    return f"{PREFIX}{channel_id}{SUFFIX}"


def channel_id(path: PurePath | str) -> str:
    """The id a channel file's name carries: ``k3x9q2ab`` for ``collab-k3x9q2ab.md``; for any other
    name, its stem without the prefix."""
    name = PurePath(path).name
    if name.startswith(PREFIX) and name.endswith(SUFFIX):
        return name[len(PREFIX) : -len(SUFFIX)]
    return PurePath(name).stem.removeprefix(PREFIX)


def is_channel_name(name: str) -> bool:
    """True when ``name`` is a channel file's name (:data:`CHANNEL_NAME`)."""
    return CHANNEL_NAME.fullmatch(name) is not None
