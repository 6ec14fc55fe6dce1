"""SHA-256 (FIPS 180-4) without loading OpenSSL where the input is small.

``hashlib`` loads OpenSSL's library (``_hashlib``) when it is imported, a few milliseconds of every
command's start-up. CPython's own SHA-256 module (``_sha256`` in 3.11, ``_sha2`` from 3.12) loads
in a fraction of that and gives the same digests; for inputs of :data:`LARGE` bytes or more,
OpenSSL's is several times faster, so it is loaded then. ``bench/startup.py`` measures start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

#: Inputs of this many bytes or more are digested by OpenSSL's SHA-256 (through :mod:`hashlib`).
LARGE = 1 << 20


class Hash(Protocol):
    """What :func:`hashlib.sha256` returns, and CPython's own SHA-256 object too."""

    def update(self, data: bytes | memoryview, /) -> None: ...
    def copy(self) -> Hash: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


@functools.cache
def _builtin() -> Callable[..., Any] | None:
    for name in ("_sha2", "_sha256"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        return getattr(module, "sha256", None)
    return None


def sha256(data: bytes | memoryview = b"", *, size: int | None = None) -> Hash:
    """A SHA-256 object over ``data``, as :func:`hashlib.sha256` returns (``update``, ``copy``,
    ``digest``, ``hexdigest``); ``size`` is how many bytes it will digest in all, when more are to
    come with ``update`` (default ``len(data)``)."""
    builtin = _builtin()
    if builtin is not None and (len(data) if size is None else size) < LARGE:
        made: Hash = builtin(data)
        return made
    import hashlib

    return hashlib.sha256(data)
