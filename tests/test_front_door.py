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


def test_a_create_whose_ledger_cannot_be_written_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wal, "build", refuse)
    with pytest.raises(ChannelRefused, match="nothing was created"):
        Channel.create("task", author="a", directory=tmp_path)
    assert [p for p in tmp_path.iterdir() if p.name.startswith("collab-")] == []


def test_every_public_error_is_exported_and_a_collab_error() -> None:
    for name in ("UnseenEntries", "LockTimeout", "ChannelKept", "UsageError", "ChannelRefused"):
        assert name in collab.__all__ and issubclass(getattr(collab, name), collab.CollabError)


def _readme_block(heading: str) -> str:
    """The first ```python block under ``heading`` in the README."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    after = text.split(f"\n{heading}\n", 1)[1]
    return after.split("```python\n", 1)[1].split("\n```", 1)[0]


def test_the_readme_python_api_script_runs_with_only_the_public_names(tmp_path: Path) -> None:
    import ast
    import subprocess
    import sys

    script = _readme_block("## Python API")
    used = {
        n.attr
        for n in ast.walk(ast.parse(script))
        if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "collab"
    }
    assert used and used <= set(collab.__all__)
    env = {**os.environ, "COLLAB_DIR": str(tmp_path), "COLLAB_SESSION": "api-test"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("collab-")]  # removed, with what it kept


def test_seat_methods_refuse_bad_input_as_collab_errors(channel: Channel) -> None:
    seat = channel.seat("site-b")
    before = channel.path.read_bytes()
    calls = [
        lambda: seat.answer(None),  # type: ignore[arg-type]
        lambda: seat.ask("x", re=("question", 1)),  # type: ignore[arg-type]
        lambda: seat.post("note", "x"),
        lambda: seat.close(summary=5),  # type: ignore[arg-type]
        lambda: seat.wait(timeout=-1),
        lambda: seat.wait(timeout="soon"),  # type: ignore[arg-type]
        lambda: seat.wait(after=99),
        lambda: channel.seat(7),  # type: ignore[arg-type]
        lambda: channel.seat("two words"),
        lambda: Channel(7),  # type: ignore[arg-type]
        lambda: Channel.open(None),  # type: ignore[arg-type]
        lambda: collab.Ref.parse("request:x"),
    ]
    for call in calls:
        with pytest.raises(UsageError):
            call()
    assert channel.path.read_bytes() == before


def _failing(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    """Make ``os.<name>`` fail with ``code`` (ENOSPC, EIO), as a full or failing disk does."""
    import errno

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    assert code in (errno.ENOSPC, errno.EIO)
    monkeypatch.setattr(os, name, fail)


@pytest.mark.parametrize("code", [28, 5])  # ENOSPC, EIO
def test_a_failing_disk_is_a_storage_error_from_every_front_door_method(
    channel: Channel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    channel.answer("first", author="site-b")
    calls = {
        "create": lambda: Channel.create("task", author="a", directory=tmp_path / "new"),
        "answer": lambda: channel.answer("more", author="site-b"),
        "read": channel.read,
        "verify": channel.verify,
        "repair": channel.repair,
        "status": channel.status,
    }
    (tmp_path / "new").mkdir()
    raised = set()
    for name, call in calls.items():
        for failing in ("write", "pread"):
            with monkeypatch.context() as patched:
                _failing(patched, failing, code)
                try:
                    call()
                except collab.CollabError as exc:  # any other exception fails the test
                    raised.add((name, failing))
                    assert exc.exit_code in (1, 4) and os.strerror(code) in str(exc), name
            made = list((tmp_path / "new").iterdir())
            if (name, failing) in raised:
                assert not made, f"{name}: a failed create left {made}"
            for path in made:
                Channel(path).remove(force=True)
    assert {("create", "write"), ("answer", "write"), ("read", "pread"), ("verify", "pread")} <= raised


@pytest.mark.parametrize("code", [28, 5])
def test_a_create_whose_header_write_fails_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    with monkeypatch.context() as patched:
        _failing(patched, "write", code)
        with pytest.raises(collab.StorageError, match=os.strerror(code)):
            Channel.create("task", author="a", directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("method", ["read", "verify", "check"])
def test_a_failing_read_is_a_storage_error(channel: Channel, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    _failing(monkeypatch, "pread", 5)
    with pytest.raises(collab.StorageError, match="Input/output error"):
        getattr(channel, method)()


def test_a_failing_append_is_a_storage_error_and_changes_nothing(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    seat = channel.seat("site-b")
    before = channel.path.read_bytes()
    with monkeypatch.context() as patched:
        _failing(patched, "write", 28)
        with pytest.raises(collab.CollabError, match=r"nothing was written.*No space left"):
            seat.answer("lost?")
    assert channel.path.read_bytes() == before
    assert channel.verify().ok
