"""Cleanup (issue 14; contract sections 3 and 4): ``rm``, ``prune``, id prefixes and ``ls``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collab.channel import Channel
from collab.cli import app
from collab.live import presence
from collab.store import paths
from tests.cli.test_jams import HOLDER, _other_user
from tests.conftest import NOW, collab_bin, state_dir

DAY = 86400


def _make(tmp_path: Path, channel_id: str, task: str = "Align the auth handshake") -> Channel:
    return Channel.create(task, author="site-a", directory=tmp_path, now=NOW, id_source=lambda: channel_id)


def _mine(channel: Channel, directory: Path) -> list[str]:
    """Names in ``directory`` that belong to ``channel`` by name (its file, state files, kept copies)."""
    stem = channel.path.stem
    return sorted(n for n in os.listdir(directory) if n.startswith((f"{stem}-", f"{stem}.", f".{stem}")))


def _snapshot(*directories: Path) -> dict[str, bytes]:
    found = {}
    for directory in directories:
        for name in os.listdir(directory):
            path = directory / name
            found[str(path)] = path.read_bytes() if path.is_file() and not path.is_symlink() else b"<not a file>"
    return found


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look last modified ``seconds`` ago."""
    then = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(then, then))


@pytest.fixture
def busy(runner: CliRunner, tmp_path: Path) -> Iterator[tuple[Channel, Channel]]:
    """Two channels, each with every kind of state file collab keeps, and kept copies beside them."""
    made = []
    for channel_id in ("k3x9q2ab", "m7p4w1cd"):
        channel = _make(tmp_path, channel_id)
        assert runner.invoke(app, ["join", channel_id, "--as", "site-b"]).exit_code == 0  # seats
        assert runner.invoke(app, ["answer", channel_id, "Version 2.1.0", "--as", "site-b"]).exit_code == 0
        waited = runner.invoke(app, ["wait", channel_id, "--timeout", "0.1", "--as", "site-a"])  # cursors, presence
        assert waited.exit_code == 0, waited.stderr
        for what in ("edited", "torn", "unreadable"):
            paths.kept_path(channel.path, what).write_text("kept by collab")
        interrupted = paths.kept_path(channel.path, "edited")
        interrupted.with_name(f".{interrupted.name}.tmp").write_text("a repair that stopped")  # see repair._swap
        sidecar = paths.sidecar(channel.path, "seats.json")
        sidecar.with_name(f".{sidecar.name}.0a1b2c3d4e5f.tmp").write_text("{}")  # see files.replace_atomic
        made.append(channel)
    yield made[0], made[1]


def test_rm_removes_the_channel_every_state_file_and_every_kept_copy(
    runner: CliRunner, tmp_path: Path, busy: tuple[Channel, Channel]
) -> None:
    """Nothing of the channel's is left in either directory; the other channel's files are untouched."""
    target, other = busy
    state = state_dir(tmp_path)
    for what in paths.SIDECARS:
        assert paths.sidecar(target.path, what, create=False).exists(), f"the fixture made no {what}"
    assert paths.presence_files(target.path), "the fixture made no presence file"
    lookalike = tmp_path / "collab-k3x9q2ab.edited-by-hand.md"  # not a name collab gives: not collab's
    lookalike.write_text("my notes")
    linked = paths.kept_path(target.path, "edited")  # collab's name, but a link: collab never made it
    linked.symlink_to(other.path)
    before_other = {k: v for k, v in _snapshot(tmp_path, state).items() if "m7p4w1cd" in k}
    listed = set(map(str, [target.path, *(state / n for n in _mine(target, state))]))
    listed |= {str(tmp_path / n) for n in _mine(target, tmp_path)} - {str(lookalike), str(linked)}

    result = runner.invoke(app, ["rm", "k3x9q2ab", "--force", "--json"])

    assert result.exit_code == 0, result.stderr
    removed = json.loads(result.stdout)["removed"]
    assert [(r["id"], r["path"], r["state"]) for r in removed] == [("k3x9q2ab", str(target.path), "open")]
    assert set(removed[0]["files"]) == listed and removed[0]["files"][0] == str(target.path)
    assert _mine(target, state) == []
    assert _mine(target, tmp_path) == sorted([lookalike.name, linked.name])
    assert [s["path"] for s in removed[0]["skipped"]] == [str(linked)] and linked.is_symlink()
    assert {k: v for k, v in _snapshot(tmp_path, state).items() if "m7p4w1cd" in k} == before_other


def test_rm_says_what_went_one_line_per_channel(runner: CliRunner, tmp_path: Path) -> None:
    for channel_id in ("aaaa1111", "bbbb2222"):
        _make(tmp_path, channel_id)
        assert runner.invoke(app, ["close", channel_id, "--as", "site-a"]).exit_code == 0
    result = runner.invoke(app, ["rm", "aaaa1111", "bbbb"])
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"removed aaaa1111 (closed): {tmp_path / 'collab-aaaa1111.md'}; its state in ")
    assert lines[0].endswith(": accepted, ledger, lock, seats.json")
    assert lines[1].startswith("removed bbbb2222 (closed)")
    assert os.listdir(tmp_path) == []


def test_rm_refuses_an_open_channel_without_force(runner: CliRunner, tmp_path: Path, channel: Channel) -> None:
    before = _snapshot(tmp_path, state_dir(tmp_path))
    result = runner.invoke(app, ["rm", channel.id])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "is open" in result.stderr and "--force" in result.stderr
    assert _snapshot(tmp_path, state_dir(tmp_path)) == before
    as_json = runner.invoke(app, ["rm", channel.id, "--json"])
    error = json.loads(as_json.stderr)["error"]
    assert as_json.exit_code == 1 and error["code"] == 1 and "is open" in error["message"]
    assert json.loads(as_json.stdout) == {"removed": [], "failed": [{"channel": channel.id, "error": error}]}
    assert _snapshot(tmp_path, state_dir(tmp_path)) == before


def test_rm_of_several_does_each_and_exits_1_if_any_failed(runner: CliRunner, tmp_path: Path) -> None:
    _make(tmp_path, "aaaa1111")
    kept = _make(tmp_path, "bbbb2222")
    result = runner.invoke(app, ["rm", "aaaa1111", "nochan99", "bbbb2222"])
    assert result.exit_code == 1
    assert result.stdout == ""  # the open ones need --force too
    assert result.stderr.count("\n") == 3 and "nochan99" in result.stderr
    forced = runner.invoke(app, ["rm", "aaaa1111", "nochan99", "--force", "--json"])
    assert forced.exit_code == 1
    document = json.loads(forced.stdout)
    assert [r["id"] for r in document["removed"]] == ["aaaa1111"]
    assert [f["channel"] for f in document["failed"]] == ["nochan99"]
    assert json.loads(forced.stderr)["error"]["code"] == 1
    assert not (tmp_path / "collab-aaaa1111.md").exists() and kept.path.exists()


def test_rm_refuses_a_link_and_deletes_nothing_through_it(runner: CliRunner, tmp_path: Path, channel: Channel) -> None:
    link = tmp_path / "collab-linked11.md"
    link.symlink_to(channel.path)
    result = runner.invoke(app, ["rm", "linked11", "--force"])
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert link.is_symlink() and channel.path.exists()


def test_rm_never_deletes_a_file_that_is_not_collab_s(runner: CliRunner, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    result = runner.invoke(app, ["rm", str(notes), "--force"])
    assert result.exit_code == 1 and "not a channel" in result.stderr and notes.exists()
    damaged = tmp_path / "collab-damaged1.md"  # a channel's name, but no longer readable as one
    damaged.write_text("no answers line\n")
    assert runner.invoke(app, ["rm", "damaged1"]).exit_code == 1 and damaged.exists()
    assert runner.invoke(app, ["rm", "damaged1", "--force"]).exit_code == 0 and not damaged.exists()


def test_rm_cleans_up_after_a_channel_deleted_by_hand(runner: CliRunner, tmp_path: Path, channel: Channel) -> None:
    channel.answer("x", author="b")
    channel.path.unlink()
    result = runner.invoke(app, ["rm", channel.id, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["removed"][0]["state"] == "missing"
    assert _mine(channel, state_dir(tmp_path)) == []
    again = runner.invoke(app, ["rm", channel.id])
    assert again.exit_code == 1 and again.stderr.startswith("collab: no channel at")


@pytest.mark.timeout(60)
def test_rm_waits_for_a_writer_s_lock_and_gives_up_deleting_nothing(
    tmp_path: Path, channel: Channel, subprocess_env: dict[str, str]
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(channel.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        before = _snapshot(tmp_path, state_dir(tmp_path))
        env = subprocess_env | {"COLLAB_LOCK_TIMEOUT": "0.5"}
        done = subprocess.run([collab_bin(), "rm", channel.id, "--force"], env=env, capture_output=True, text=True)
        assert done.returncode == 1 and f"PID {holder.pid}" in done.stderr
        assert _snapshot(tmp_path, state_dir(tmp_path)) == before
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.mark.timeout(120)
def test_writers_racing_rm_either_land_before_it_or_find_no_channel(
    tmp_path: Path, channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """No writer recreates the channel or a state file after rm, and every writer exits 0 or 1."""
    writers = [
        subprocess.Popen([collab_bin(), "answer", channel.id, f"answer {n}", "--as", f"w{n}"], env=subprocess_env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for n in range(4)
    ]  # fmt: skip
    removed = subprocess.run([collab_bin(), "rm", channel.id, "--force"], env=subprocess_env, capture_output=True)
    outcomes = [(w.wait(timeout=60), w.stderr.read() if w.stderr else "") for w in writers]
    assert removed.returncode == 0, removed.stderr
    for code, err in outcomes:
        assert code == 0 or (code == 1 and "no channel" in err), err
    assert os.listdir(tmp_path) == [] and _mine(channel, state_dir(tmp_path)) == []


def test_a_seat_claimed_after_rm_writes_no_state_for_the_gone_channel(tmp_path: Path, channel: Channel) -> None:
    """A writer that opened the channel before ``rm`` and claims its seat after it finds no channel
    and leaves neither a lock file nor a seats file (the break CI met as a race)."""
    from collab.errors import ChannelNotFound
    from collab.housekeeping import cleanup
    from collab.live import seats

    seats.claim(channel.path)  # a seat and its lock exist before the removal
    cleanup.remove(channel.path, lambda found: None)
    with pytest.raises(ChannelNotFound, match="no channel"):
        seats.claim(channel.path)
    assert os.listdir(tmp_path) == [] and _mine(channel, state_dir(tmp_path)) == []


def test_another_user_s_channel_is_neither_removed_nor_pruned(subprocess_env: dict[str, str]) -> None:
    attacker = _other_user()
    if attacker is None:
        pytest.skip("needs root to create a second local user")
    shared = Path(tempfile.mkdtemp(prefix="collab-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        env = subprocess_env | {"COLLAB_DIR": str(shared)}
        theirs = Channel.create("their task", author="m", directory=shared, id_source=lambda: "theirs11")
        Channel(theirs.path).close(author="m")
        os.chown(theirs.path, _uid(attacker), -1)
        planted = shared / "collab-mine1111.edited-20260622T140211000000Z-0a1b2c3d.md"
        mine = Channel.create("my task", author="a", directory=shared, id_source=lambda: "mine1111")
        planted.write_text("planted")
        os.chown(planted, _uid(attacker), -1)
        refused = subprocess.run([collab_bin(), "rm", "theirs11", "--force"], env=env, capture_output=True, text=True)
        assert refused.returncode == 1 and "belongs to another user" in refused.stderr
        pruned = subprocess.run(
            [collab_bin(), "prune", "--older-than", "0s", "--json"], env=env, capture_output=True, text=True
        )
        assert pruned.returncode == 0, pruned.stderr
        assert [r["id"] for r in json.loads(pruned.stdout)["removed"]] == ["mine1111"]
        assert json.loads(pruned.stdout)["removed"][0]["skipped"][0]["path"] == str(planted)
        assert theirs.path.exists() and planted.exists() and not mine.path.exists()
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def _uid(name: str) -> int:
    import pwd

    return pwd.getpwnam(name).pw_uid


def test_prune_dry_run_deletes_nothing_and_prune_honours_the_duration(runner: CliRunner, tmp_path: Path) -> None:
    """A channel closed a minute ago stays (it is the transcript); one closed 8 days ago goes, as an
    open one idle that long does; --closed removes every closed channel at once, and no open one."""
    closed = _make(tmp_path, "closed11")
    closed.close(author="site-a")
    _age(closed.path, 60)
    old = _make(tmp_path, "oldend11")
    old.close(author="site-a")
    _age(old.path, 8 * DAY)
    stale = _make(tmp_path, "stale111")
    _age(stale.path, 8 * DAY)
    hours = _make(tmp_path, "hours111")
    _age(hours.path, 2 * 3600)
    fresh = _make(tmp_path, "fresh111")
    before = _snapshot(tmp_path, state_dir(tmp_path))

    dry = runner.invoke(app, ["prune", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.stderr
    document = json.loads(dry.stdout)
    assert sorted(r["id"] for r in document["removed"]) == ["oldend11", "stale111"]
    assert sorted(k["id"] for k in document["kept"]) == ["closed11", "fresh111", "hours111"]
    assert document["dry_run"] is True and document["older_than"] == 7 * DAY
    assert _snapshot(tmp_path, state_dir(tmp_path)) == before
    human = runner.invoke(app, ["prune", "--dry-run"])
    assert human.stdout.count("would remove ") == 2 and _snapshot(tmp_path, state_dir(tmp_path)) == before

    assert runner.invoke(app, ["prune"]).exit_code == 0
    assert closed.path.exists() and not old.path.exists() and not stale.path.exists()
    assert hours.path.exists() and fresh.path.exists()
    assert _mine(old, state_dir(tmp_path)) == [] and _mine(stale, state_dir(tmp_path)) == []
    assert runner.invoke(app, ["prune", "--closed"]).exit_code == 0
    assert not closed.path.exists() and hours.path.exists() and fresh.path.exists()
    assert runner.invoke(app, ["prune", "--older-than", "1h"]).exit_code == 0
    assert not hours.path.exists() and fresh.path.exists()
    assert _mine(fresh, state_dir(tmp_path))  # its ledger is untouched


def test_prune_keeps_an_idle_channel_someone_is_waiting_in(runner: CliRunner, tmp_path: Path) -> None:
    idle = _make(tmp_path, "idle1111")
    _age(idle.path, 8 * DAY)
    with presence.waiting(idle.path, "site-b") as marked:
        assert marked
        result = runner.invoke(app, ["prune", "--json"])
    assert result.exit_code == 0 and idle.path.exists()
    assert "site-b" in json.loads(result.stdout)["kept"][0]["reason"]


@pytest.mark.parametrize("value", ["7", "7x", "-1d", "1.5h", "inf", "7 d", "\u0667d", "99999w", ""])
def test_prune_refuses_a_bad_duration_as_a_usage_error(runner: CliRunner, tmp_path: Path, value: str) -> None:
    channel = _make(tmp_path, "closed11")
    channel.close(author="a")
    result = runner.invoke(app, ["prune", "--older-than", value])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--older-than" in result.stderr
    assert json.loads(runner.invoke(app, ["prune", "--older-than", value, "--json"]).stderr)["error"]["code"] == 2
    assert channel.path.exists()


def test_durations_in_every_unit() -> None:
    from collab.config import duration

    assert [duration("-", v) for v in ("90s", "30m", "12h", "7d", "2w", "1d12h", "0s")] == [
        90, 1800, 43200, 7 * DAY, 14 * DAY, 36 * 3600, 0,
    ]  # fmt: skip


def test_a_unique_prefix_resolves_and_full_ids_and_paths_still_work(runner: CliRunner, tmp_path: Path) -> None:
    channel = _make(tmp_path, "fe3rab12")
    _make(tmp_path, "zz99yy88")
    for ref in ("fe3r", "fe3rab", "fe3rab12", "collab-fe3rab12", str(channel.path)):
        shown = runner.invoke(app, ["show", ref, "--json"])
        assert shown.exit_code == 0, (ref, shown.stderr)
        assert json.loads(shown.stdout)["id"] == "fe3rab12"
    assert runner.invoke(app, ["show", "fe3"]).exit_code == 2  # under 4 characters: not an id


def test_an_exact_id_wins_over_a_longer_id_it_begins(runner: CliRunner, tmp_path: Path) -> None:
    _make(tmp_path, "abcd")
    _make(tmp_path, "abcd1234")
    assert json.loads(runner.invoke(app, ["show", "abcd", "--json"]).stdout)["id"] == "abcd"


def test_an_ambiguous_prefix_is_an_error_listing_the_matches(runner: CliRunner, tmp_path: Path) -> None:
    _make(tmp_path, "abcd1111")
    _make(tmp_path, "abcd2222")
    before = _snapshot(tmp_path)
    for args in (["show", "abcd"], ["answer", "abcd", "x", "--as", "b"], ["rm", "abcd", "--force"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, args
        assert "abcd1111" in result.stderr and "abcd2222" in result.stderr and "2 channels" in result.stderr
    assert _snapshot(tmp_path) == before


def test_a_prefix_stands_only_for_own_regular_files(runner: CliRunner, tmp_path: Path) -> None:
    """A FIFO, a link (even to one's own channel) and a directory whose names begin with a prefix
    neither make it ambiguous nor take its place; named in full, each still refuses in one line."""
    channel = _make(tmp_path, "8aeqab12")
    os.mkfifo(tmp_path / "collab-8aeq0zz.md")
    (tmp_path / "collab-8aeq0tq.md").symlink_to(channel.path)
    (tmp_path / "collab-8aeq0dd.md").mkdir()
    for ref in ("8aeq", "8aeqab"):
        shown = runner.invoke(app, ["status", ref, "--json"])
        assert shown.exit_code == 0, (ref, shown.stderr)
        assert json.loads(shown.stdout)["id"] == "8aeqab12"
    for planted in ("8aeq0zz", "8aeq0tq", "8aeq0dd"):
        refused = runner.invoke(app, ["status", planted])
        assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, (planted, refused.stderr)
        assert f"collab-{planted}.md" in refused.stderr


def test_no_match_says_so_with_a_hint_and_near_ids(runner: CliRunner, tmp_path: Path) -> None:
    _make(tmp_path, "fe3rab12")
    typo = runner.invoke(app, ["show", "fe4rab12"])
    assert typo.exit_code == 1 and typo.stderr.startswith("collab: no channel at")
    assert "`collab ls`" in typo.stderr and "did you mean fe3rab12?" in typo.stderr
    far = runner.invoke(app, ["show", "qqqqqqqq"])
    assert far.exit_code == 1 and "`collab ls`" in far.stderr and "did you mean" not in far.stderr


def _ls(runner: CliRunner, *args: str, columns: int = 160) -> list[str]:
    result = runner.invoke(app, ["ls", *args], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_ls_filters_open_and_closed(runner: CliRunner, tmp_path: Path) -> None:
    _make(tmp_path, "open1111")
    _make(tmp_path, "shut1111").close(author="a")
    (tmp_path / "collab-broken1.md").write_text("not a channel")
    assert [line.split()[0] for line in _ls(runner, "--open")] == ["open1111"]
    assert [line.split()[0] for line in _ls(runner, "--closed")] == ["shut1111"]
    assert sorted(line.split()[0] for line in _ls(runner)) == ["broken1", "open1111", "shut1111"]
    listed = json.loads(runner.invoke(app, ["ls", "--closed", "--json"]).stdout)["channels"]
    assert [c["id"] for c in listed] == ["shut1111"]
    both = runner.invoke(app, ["ls", "--open", "--closed"])
    assert both.exit_code == 2 and both.stderr.count("\n") == 1 and "exclude" in both.stderr


def test_ls_orders_by_modification_time_in_nanoseconds_then_name(runner: CliRunner, tmp_path: Path) -> None:
    """Two channels written within the same second come newest first, which a timestamp string cannot tell."""
    early, late = _make(tmp_path, "aaaa1111"), _make(tmp_path, "zzzz1111")
    second = (time.time_ns() // 10**9 - 60) * 10**9
    os.utime(early.path, ns=(second, second + 100_000_000))
    os.utime(late.path, ns=(second, second + 900_000_000))
    assert [line.split()[0] for line in _ls(runner)] == ["zzzz1111", "aaaa1111"]
    listed = json.loads(runner.invoke(app, ["ls", "--json"]).stdout)["channels"]
    assert [c["id"] for c in listed] == ["zzzz1111", "aaaa1111"]
    os.utime(early.path, ns=(second, second + 900_000_001))
    assert [line.split()[0] for line in _ls(runner)] == ["aaaa1111", "zzzz1111"]
    os.utime(late.path, ns=(second, second + 900_000_001))  # a tie: by name
    assert [line.split()[0] for line in _ls(runner)] == ["aaaa1111", "zzzz1111"]


@pytest.mark.parametrize("columns", [60, 160])
def test_ls_fits_the_width_and_never_breaks_a_word(runner: CliRunner, tmp_path: Path, columns: int) -> None:
    task = "Align the authentication handshake between site A and site B before the release"
    _make(tmp_path, "k3x9q2ab", task)
    lines = _ls(runner, columns=columns)
    assert len(lines) == 1 and len(lines[0]) <= columns
    fields = lines[0].split()
    assert fields[:4] == ["k3x9q2ab", "2026-06-22T13:58:04Z", "open", "0"]
    shown = fields[4:]
    if columns == 160:
        assert " ".join(shown) == task
    else:
        assert shown[-1].endswith("…") and len(shown) >= 2
        assert " ".join(shown)[:-1] == " ".join(task.split()[: len(shown)])  # whole words, then "…"


def test_ls_has_a_header_on_a_terminal_and_none_on_a_pipe(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    from tests.cli.test_surface import _on_pty

    _make(tmp_path, "k3x9q2ab")
    piped = subprocess.run([collab_bin(), "ls"], env=subprocess_env, capture_output=True, text=True)
    assert piped.stdout.startswith("k3x9q2ab ")
    env = subprocess_env | {"COLUMNS": "160", "NO_COLOR": "1"}  # one line a channel (narrower: test_ls_layout)
    screen = _on_pty(["ls"], env, codes=(0,))
    lines = screen.decode().splitlines()
    assert lines[0].split() == ["ID", "LAST", "ACTIVITY", "STATE", "ENTRIES", "TASK"]
    assert lines[1].startswith("k3x9q2ab ") and "\x1b[" not in screen.decode()


def test_a_partial_failure_says_what_was_left_and_a_second_rm_finishes(
    runner: CliRunner, tmp_path: Path, channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collab.ledger import journal

    channel.close(author="site-a")
    ledger = journal.ledger_path(channel.path)
    unlink = os.unlink

    def refusing(path: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if Path(path) == ledger:
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path)

    monkeypatch.setattr(os, "unlink", refusing)
    result = runner.invoke(app, ["rm", channel.id, "--json"])
    assert result.exit_code == 1
    removal = json.loads(result.stdout)["removed"][0]
    assert removal["left"] == [{"path": str(ledger), "reason": "could not remove it: Permission denied"}]
    assert str(channel.path) in removal["files"] and str(ledger) not in removal["files"]
    assert not channel.path.exists() and ledger.exists()
    human = runner.invoke(app, ["rm", channel.id])
    assert human.exit_code == 1 and human.stdout.startswith(f"removed what collab kept for {channel.id}")
    assert human.stderr == f"collab: {channel.id}: {ledger}: could not remove it: Permission denied\n"
    monkeypatch.setattr(os, "unlink", unlink)
    again = runner.invoke(app, ["rm", channel.id])
    assert again.exit_code == 0 and again.stdout.endswith(": ledger\n") and not ledger.exists()
