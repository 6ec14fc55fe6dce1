"""An entry cut short by unreadable bytes or by the size limit is never delivered as if whole (attack D4).

``wait`` and ``watch`` hold it back and say why; ``status`` warns, as ``show`` and ``verify`` do.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from collab.channel import Channel
from collab.live.follower import Follower
from collab.store import files
from tests.conftest import collab_bin
from tests.ledger.test_hand_writers import by_hand

CUT = b"\n### Answer 1 from bob\nfirst half\nbad \xff here\nsecond half\n\n### Answer 2 from bob\nlater\n"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([collab_bin(), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("bad", [b"\xff", b"\x00", b"\xc3"], ids=["invalid-byte", "nul", "truncated-sequence"])
def test_wait_holds_back_an_entry_cut_by_unreadable_bytes_and_says_so(
    channel: Channel, subprocess_env: dict[str, str], bad: bytes
) -> None:
    by_hand(channel.path, CUT.replace(b"\xff", bad))
    waited = run(["wait", str(channel.path), "--as", "z", "--settle", "0", "--timeout", "1", "--json"], subprocess_env)
    assert waited.returncode == 3 and json.loads(waited.stdout)["entries"] == []
    assert "cannot be read" in waited.stderr and "held back" in waited.stderr
    status = run(["status", str(channel.path)], subprocess_env)
    assert status.returncode == 0 and "cannot be read" in status.stderr
    shown = json.loads(run(["show", str(channel.path), "--json"], subprocess_env).stdout)
    assert any("cannot be read" in w for w in shown["warnings"])


def test_an_entry_delivered_whole_is_not_taken_back_when_bad_bytes_follow_it(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """Bytes that land after an entry was delivered cut nothing it delivered: a warning, never an alarm."""
    channel.answer("whole", author="bob")
    first = run(["wait", str(channel.path), "--as", "z", "--settle", "0", "--timeout", "5", "--json"], subprocess_env)
    assert [e["body"] for e in json.loads(first.stdout)["entries"]] == ["whole"]
    follower = Follower(channel.path, after=0, settle_s=0)
    assert [e.body for e in follower.start().entries] == ["whole"]
    by_hand(channel.path, b"stray \xff bytes\n")
    update = follower.refresh()
    assert not update.edited and update.entries == () and any("cannot be read" in n for n in update.notices)
    again = run(["wait", str(channel.path), "--as", "z", "--settle", "0", "--timeout", "0.5"], subprocess_env)
    assert again.returncode == 3, again.stderr


def test_an_entry_cut_by_the_size_limit_is_held_back(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the channel limit (32 MiB; lowered here) the entry the limit cuts is not delivered in part."""
    channel.answer("before the limit", author="bob")
    size = channel.path.stat().st_size
    monkeypatch.setattr(files, "MAX_CHANNEL_BYTES", size + 200)
    follower = Follower(channel.path, after=0, settle_s=0)
    assert [e.body for e in follower.start().entries] == ["before the limit"]
    by_hand(channel.path, "\n### Answer 2 from bob\n" + "\n".join(f"line {n}" for n in range(100)) + "\n")
    update = follower.refresh()
    assert update.entries == () and any("limit" in n for n in update.notices)
    fresh = Follower(channel.path, after=0, settle_s=0).start()
    assert [e.body for e in fresh.entries] == ["before the limit"]


@pytest.mark.parametrize("where", ["journal", "cursors"])
def test_deeply_nested_state_files_read_as_damaged_not_as_a_crash(
    channel: Channel, subprocess_env: dict[str, str], where: str
) -> None:
    """A private JSON file nested 100,000 deep (RecursionError in ``json``) is damaged state, never
    an internal error: the ledger is reported damaged (verify exits 4), cursors start again."""
    from collab.ledger import journal
    from collab.live import cursors

    channel.answer("one", author="bob")
    cursors.advance(channel.path, "z", 1)
    target = journal.ledger_path(channel.path) if where == "journal" else cursors.state_path(channel.path)
    with open(target, "ab") as out:
        out.write(b"[" * 100000 + b"\n")
    if where == "cursors":
        target.write_bytes(b"[" * 100000 + b"\n")
    shown = run(["show", str(channel.path)], subprocess_env)
    assert shown.returncode == 0 and "internal error" not in shown.stderr, shown.stderr
    verified = run(["verify", str(channel.path)], subprocess_env)
    waited = run(["wait", str(channel.path), "--as", "z", "--settle", "0", "--timeout", "0.5"], subprocess_env)
    assert "internal error" not in verified.stderr + waited.stderr
    if where == "journal":
        assert verified.returncode == 4 and "damaged" in verified.stdout + verified.stderr
    else:
        assert verified.returncode == 0 and waited.returncode == 0 and "one" in waited.stdout
