"""Where channels live and who is writing: the defaults of contract sections 3 and 4."""

from __future__ import annotations

import os
import re
from pathlib import Path

from collab.errors import UsageError
from collab.grammar import author_from_label, check_author

DEFAULT_DIR = Path("/tmp")
_ID = re.compile(r"^(?:collab-)?([a-z0-9]{4,32})(?:\.md)?$")


def channel_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The channel directory: ``directory`` if given, else ``$COLLAB_DIR``, else ``/tmp``."""
    if directory:
        return Path(directory)
    env = os.environ.get("COLLAB_DIR")
    return Path(env) if env else DEFAULT_DIR


def channel_path(channel_id: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The path of the channel with ``channel_id`` in the channel directory: ``collab-<id>.md``."""
    return channel_dir(directory) / f"collab-{channel_id}.md"


def resolve(ref: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Turn a CHANNEL argument (a path, or an id looked up in the channel directory) into a path.

    Raises:
        UsageError: ``ref`` is empty, or neither a path nor a well-formed id.
    """
    if not ref.strip():
        raise UsageError("CHANNEL is empty: give a channel path or id (`collab ls` lists them)")
    if "/" in ref or ref.endswith(".md"):
        return Path(ref)
    m = _ID.match(ref)
    if not m:
        raise UsageError(f"{ref!r} is neither a channel path nor an id (ids are 4-32 lowercase letters and digits)")
    return channel_path(m.group(1), directory)


def _project_name(cwd: Path) -> str:
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder.name
    return cwd.name


def identity(name: str | None = None, cwd: Path | None = None) -> str:
    """Who is writing: ``name`` (``--as``), else ``$COLLAB_AS``, else the git top-level's or cwd's name.

    Raises:
        UsageError: an explicit name cannot stand in a heading.
    """
    explicit = name or os.environ.get("COLLAB_AS")
    if explicit:
        try:
            return check_author(explicit)
        except ValueError as exc:
            raise UsageError(f"--as/COLLAB_AS: {exc}") from None
    return author_from_label(_project_name(cwd or Path.cwd()))
