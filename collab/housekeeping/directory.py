"""The channels of a directory, as :class:`collab.Channel` offers them: listing and pruning.

Cost: listing reads every byte of each channel (a UTF-8 check, no digest) and parses it from its
last checkpoint on; pruning removes what it lists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from collab import config
from collab.errors import UsageError, guarded

if TYPE_CHECKING:
    from collab.housekeeping.catalog import Listing
    from collab.housekeeping.prune import Pruned


class InDirectory:
    """What :class:`collab.Channel` does with the channel directory rather than one channel."""

    __slots__ = ()

    @classmethod
    @guarded
    def catalog(cls, directory: str | os.PathLike[str] | None = None, state: str | None = None) -> list[Listing]:
        """The channels in the channel directory, newest first (see :func:`collab.housekeeping.catalog.list_channels`).

        Raises:
            UsageError: ``state`` is not ``open``, ``closed`` or None.
            ChannelNotFound: the directory does not exist.
        """
        from collab.housekeeping.catalog import list_channels

        if state not in (None, "open", "closed"):
            raise UsageError(f"state must be 'open', 'closed' or None, not {state!r}")
        return list_channels(config.channel_dir(directory), state)  # type: ignore[arg-type]

    @classmethod
    @guarded
    def prune(
        cls,
        directory: str | os.PathLike[str] | None = None,
        *,
        older_than: int,
        dry_run: bool = False,
        closed_only: bool = False,
    ) -> Pruned:
        """Delete the user's channels idle over ``older_than`` seconds, closed or open; with
        ``closed_only``, every closed channel and no open one (see :func:`collab.housekeeping.prune.prune`).

        Raises:
            ChannelNotFound: the directory does not exist.
        """
        from collab.housekeeping.prune import prune

        return prune(config.channel_dir(directory), older_than, dry_run=dry_run, closed_only=closed_only)
