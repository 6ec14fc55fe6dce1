"""Channels of a given size for the benchmarks, written the way agents write them by hand."""

from __future__ import annotations

import os
from pathlib import Path

from collab.channel import Channel

PARAGRAPH = (
    "The handshake signs the headers only; the body is covered by the digest header. "
    "Both sides must agree on the order of the signed header names, so list them explicitly.\n"
)


def entry_text(number: int, size: int = 1000) -> str:
    """One hand-written answer of about ``size`` bytes, with a code block every tenth entry."""
    body = (PARAGRAPH * (size // len(PARAGRAPH) + 1))[:size].rsplit(" ", 1)[0] + ".\n"
    if number % 10 == 0:
        body += "\n```python\nsign(headers=['X-Site-Signature', 'X-Site-Time'])\n```\n"
    return f"\n### Answer {number} (2026-06-22T14:00:00Z) from site-b re Request 1\n{body}"


def make_channel(directory: Path, entries: int, size: int = 1000) -> Channel:
    """A channel with ``entries`` answers of about ``size`` bytes each, appended in one write."""
    channel = Channel.create("bench channel", author="site-a", requests=["one"], directory=directory)
    fd = os.open(channel.path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, "".join(entry_text(n, size) for n in range(1, entries + 1)).encode())
    finally:
        os.close(fd)
    return channel
