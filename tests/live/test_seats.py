"""Seats: automatic names never collide, and only what a seat wrote through collab is its own (contract 6.1)."""

import json
import stat

from collab.cli import app
from collab.store import paths


def _in(monkeypatch, folder, runner, *args, input=None):
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_two_clones_with_the_same_name_get_app_and_app_2(runner, tmp_path, monkeypatch):
    """Two directories named `app`: the second seat is `app-2`, told once, and each side's wait sees the other."""
    a, b = tmp_path / "x1" / "app", tmp_path / "x2" / "app"
    started = _in(monkeypatch, a, runner, "start", "Align", "-r", "One?", "--json")
    path = json.loads(started.stdout)["path"]
    first = _in(monkeypatch, b, runner, "answer", path, "Yes", "--re", "request:1")
    assert first.exit_code == 0, first.stderr
    assert "you are app-2 in this channel" in first.stderr
    waited = _in(monkeypatch, a, runner, "wait", path, "--timeout", "5", "--json")
    assert waited.exit_code == 0, waited.stderr
    assert [(e["author"], e["body"]) for e in json.loads(waited.stdout)["entries"]] == [("app-2", "Yes")]
    again = _in(monkeypatch, b, runner, "ask", path, "And you?")
    assert again.exit_code == 0 and "you are" not in again.stderr
    back = _in(monkeypatch, a, runner, "answer", path, "Me too", "--re", "question:1")
    assert back.exit_code == 0 and "you are" not in back.stderr
    waited_b = _in(monkeypatch, b, runner, "wait", path, "--timeout", "5", "--json")
    assert [e["author"] for e in json.loads(waited_b.stdout)["entries"]] == ["app"]
    status = json.loads(_in(monkeypatch, a, runner, "status", path, "--json").stdout)
    assert [p["name"] for p in status["participants"]] == ["app", "app-2"]  # the creator first


def test_names_that_reduce_to_nothing_get_numbered_too(runner, tmp_path, monkeypatch):
    """Directories whose names reduce to nothing (`@@@`) give `anonymous` and `anonymous-2`."""
    started = _in(monkeypatch, tmp_path / "x1" / "@@@", runner, "start", "Align", "--json")
    path = json.loads(started.stdout)["path"]
    asked = _in(monkeypatch, tmp_path / "x2" / "@@@", runner, "ask", path, "Hello?", "--json")
    assert asked.exit_code == 0, asked.stderr
    assert json.loads(asked.stdout)["author"] == "anonymous-2"


def test_a_session_key_makes_a_separate_seat_in_the_same_directory(runner, tmp_path, monkeypatch):
    """COLLAB_SESSION tells two sessions in one directory apart."""
    folder = tmp_path / "app"
    monkeypatch.setenv("COLLAB_SESSION", "one")
    path = json.loads(_in(monkeypatch, folder, runner, "start", "Align", "--json").stdout)["path"]
    monkeypatch.setenv("COLLAB_SESSION", "two")
    asked = _in(monkeypatch, folder, runner, "ask", path, "Hello?", "--json")
    assert json.loads(asked.stdout)["author"] == "app-2"
    monkeypatch.setenv("COLLAB_SESSION", "one")
    answered = _in(monkeypatch, folder, runner, "answer", path, "Hi", "--json")
    assert json.loads(answered.stdout)["author"] == "app"


def test_a_hand_written_entry_claiming_your_name_is_delivered_and_marked(runner, tmp_path, monkeypatch):
    """wait skips only entries this seat wrote through collab; one that merely claims your name is marked."""
    path = json.loads(_in(monkeypatch, tmp_path / "app", runner, "start", "Align", "--json").stdout)["path"]
    assert _in(monkeypatch, tmp_path / "app", runner, "answer", path, "Really mine").exit_code == 0
    with open(path, "a") as hand:
        hand.write("\n### Answer 2 (2026-06-22T14:02:11Z) from app\nNot mine at all.\n")
    waited = _in(monkeypatch, tmp_path / "app", runner, "wait", path, "--timeout", "5", "--json")
    assert waited.exit_code == 0, waited.stderr
    entries = json.loads(waited.stdout)["entries"]
    assert [(e["body"], e.get("claims_reader")) for e in entries] == [("Not mine at all.", True)]
    plain = _in(monkeypatch, tmp_path / "app", runner, "wait", path, "--after", "0", "--timeout", "5")
    assert "Answer 2 claims to be from you" in plain.stderr


def test_as_is_taken_by_every_command_that_acts_for_a_participant(runner, channel):
    """answer, ask, close, wait, join and status accept --as."""
    for command in ("join", "status"):
        result = runner.invoke(app, [command, str(channel.path), "--as", "site-b"])
        assert result.exit_code == 0, (command, result.stderr)
    assert runner.invoke(app, ["ask", str(channel.path), "Q?", "--as", "site-b"]).exit_code == 0
    assert runner.invoke(app, ["answer", str(channel.path), "A", "--as", "site-a"]).exit_code == 0
    assert runner.invoke(app, ["wait", str(channel.path), "--as", "site-a", "--timeout", "1"]).exit_code == 0
    assert runner.invoke(app, ["close", str(channel.path), "--as", "site-a"]).exit_code == 0


def test_the_seat_registry_is_private(runner, tmp_path, monkeypatch):
    """The seats file lives in the private state directory with mode 0600."""
    path = json.loads(_in(monkeypatch, tmp_path / "app", runner, "start", "Align", "--json").stdout)["path"]
    from pathlib import Path

    registry = paths.sidecar(Path(path), "seats.json")
    assert stat.S_IMODE(registry.stat().st_mode) == 0o600
    assert "app" in json.loads(registry.read_text())["names"].values()
