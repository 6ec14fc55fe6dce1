"""Concurrent writers through the library: numbers stay contiguous and no entry is torn."""

import multiprocessing
import re
from pathlib import Path
from typing import Any

from collab.channel import Channel

WRITERS = 8
APPENDS = 25


def _writer(path: str, name: str, start: Any) -> None:
    start.wait()
    channel = Channel(Path(path))
    for i in range(APPENDS):
        kind = "question" if i % 5 == 0 else "answer"
        channel.append(kind, f"{name} entry {i}\n\n" + "payload line\n" * (i % 7 + 1), author=name)


def test_concurrent_writers_never_share_or_skip_a_number(channel):
    context = multiprocessing.get_context("fork")
    start = context.Event()
    workers = [context.Process(target=_writer, args=(str(channel.path), f"w{n}", start)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    document = channel.read()
    assert document.warnings == ()
    total = WRITERS * APPENDS
    assert len(document.entries) == total
    for kind in ("answer", "question"):
        numbers = [e.number for e in document.entries if e.kind == kind]
        assert numbers == list(range(1, len(numbers) + 1))
    for entry in document.entries:
        m = re.fullmatch(r"(w\d) entry (\d+)\n\n((?:payload line\n)*payload line)", entry.body)
        assert m, entry.body
        assert entry.author == m.group(1)
        assert m.group(3).count("payload line") == int(m.group(2)) % 7 + 1
    assert channel.path.read_text().count("\n## Questions\n") == 1
