"""The address of a channel on another host: ``ssh://[user@]host[:port]/abs/path`` or the scp form
``[user@]host:/abs/path`` (contract section 10).

A CHANNEL argument is remote when it is one of these forms; anything else is a local path, id or
prefix. As git reads its remotes, a colon before the first slash makes the scp form, so
``./a:b`` and ``/tmp/a:b`` stay local. ``host:`` alone (no path) names the host's channel
directory, for ``collab ls host:``. A host or user that starts with ``-`` is refused: ``ssh``
would read it as an option (``-oProxyCommand=...``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from collab.errors import UsageError

#: A host name, an IPv4 address or a ``[bracketed]`` IPv6 address; never starting with ``-``.
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9_.-]*)"
_USER = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_URL = re.compile(rf"ssh://(?:(?P<user>{_USER})@)?(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?(?P<path>/.*)?", re.S)
_SCP = re.compile(rf"(?:(?P<user>{_USER})@)?(?P<host>{_HOST}):(?P<path>.*)", re.S)


class Address(NamedTuple):
    """A channel (or, with an empty ``path``, the channel directory) on ``host``.

    ``user`` and ``port`` are None when not given: the user's ``~/.ssh/config`` decides them.
    """

    host: str
    path: str
    user: str | None = None
    port: int | None = None

    @property
    def destination(self) -> str:
        """``[user@]host``, as ``ssh`` takes it (brackets of an IPv6 address removed)."""
        host = self.host[1:-1] if self.host.startswith("[") else self.host
        return f"{self.user}@{host}" if self.user else host

    def url(self, path: str | None = None) -> str:
        """The ``ssh://`` form, for joiners on other machines (of ``path`` when given)."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port is not None else ""
        return f"ssh://{user}{self.host}{port}{self.path if path is None else path}"

    def __str__(self) -> str:
        return self.url()


def looks_remote(ref: str) -> bool:
    """A cheap test, before anything is imported: could ``ref`` be a remote address?"""
    if ref.startswith("ssh://"):
        return True
    colon, slash = ref.find(":"), ref.find("/")
    return colon > 0 and (slash < 0 or colon < slash)


def parse(ref: str) -> Address | None:
    """The remote address ``ref`` names, or None when it is a local path, id or prefix.

    Raises:
        UsageError: ``ref`` has a remote form but cannot be used: a host or user that starts with
            ``-`` or holds other characters, a port out of range, or a path that is not absolute.
    """
    if not looks_remote(ref):
        return None
    found = _URL.fullmatch(ref) if ref.startswith("ssh://") else _SCP.fullmatch(ref)
    if found is None:
        raise UsageError(
            f"{ref!r} is not a remote channel collab can reach: write ssh://[user@]host[:port]/abs/path "
            "or [user@]host:/abs/path (a host or user may hold letters, digits, '.', '_' and '-')"
        )
    path = found["path"] or ""
    if path and not path.startswith("/"):
        raise UsageError(f"{ref!r}: the path on the host must be absolute (host:/tmp/collab-ID.md)")
    port = int(found["port"]) if found.groupdict().get("port") else None
    if port is not None and not 0 < port < 65536:
        raise UsageError(f"{ref!r}: the port must be from 1 to 65535")
    return Address(found["host"], path, found["user"], port)


def host_only(ref: str) -> Address:
    """A host given alone (``collab start --on HOST``): ``[user@]host[:port]``, ``ssh://...`` or ``host:``.

    Raises:
        UsageError: it names no host collab can reach.
    """
    text = ref if ref.startswith("ssh://") or ref.endswith(":") else f"ssh://{ref}"
    address = parse(text)
    if address is None:
        raise UsageError(f"--on {ref!r}: name a host, e.g. --on devbox or --on me@devbox:2222")
    return address
