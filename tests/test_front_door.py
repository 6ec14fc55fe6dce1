"""The library's front door raises only collab's errors (issue 21, point 3), each a CollabError
with the contract's exit code, and a failed create leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import collab
from collab import Channel, ChannelRefused, UsageError
from collab.ledger import wal


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.answer("x", author="bad name\n"), "cannot be used"),
        (lambda c: c.answer("x", author=7), "must be text"),
        (lambda c: c.append("note", "x", author="b"), "unknown entry kind"),
        (lambda c: c.answer(None, author="b"), "must be text"),
        (lambda c: Channel.create("t", author="site a", directory=c.path.parent), "cannot be used"),
        (lambda c: Channel.create(None, author="a", directory=c.path.parent), "the task is empty"),
    ],
)  # fmt: skip
def test_bad_arguments_are_usage_errors_and_write_nothing(channel: Channel, call: object, says: str) -> None:
    before = sorted(os.listdir(channel.path.parent)), channel.path.read_bytes()
    with pytest.raises(UsageError, match=says):
        call(channel)  # type: ignore[operator]
    assert (sorted(os.listdir(channel.path.parent)), channel.path.read_bytes()) == before


def test_a_channel_is_named_by_a_str_path_too(channel: Channel) -> None:
    assert Channel(str(channel.path)) == channel and Channel(str(channel.path)).id == channel.id


def test_a_create_whose_ledger_cannot_be_written_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wal, "build", refuse)
    with pytest.raises(ChannelRefused, match="nothing was created"):
        Channel.create("task", author="a", directory=tmp_path)
    assert [p for p in tmp_path.iterdir() if p.name.startswith("collab-")] == []


def test_every_public_error_is_exported_and_a_collab_error() -> None:
    for name in ("UnseenEntries", "LockTimeout", "ChannelKept", "UsageError", "ChannelRefused"):
        assert name in collab.__all__ and issubclass(getattr(collab, name), collab.CollabError)
