"""The host's side of a remote Stop hook (:mod:`collab.hooks.hostwait`), run as ``sshd`` runs it but
with pipes for the SSH session: it offers its news, and takes the cursor only once acknowledged."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from collab.remote.serve import OPTION, client_document
from tests.conftest import collab_bin

pytestmark = pytest.mark.timeout(120)

#: The client's document: the session on the other machine, and the place its seat takes here.
DOC = client_document("laptop", ("laptop", "/home/me/app", "laptop-session", "4242@1"))


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [collab_bin(), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )


class _Host:
    """``collab --remote-client DOC hook --host-wait PATH``: its standard input held by the test."""

    def __init__(self, env: dict[str, str], path: str) -> None:
        argv = [collab_bin(), OPTION, DOC, "hook", "--host-wait", path, "--timeout", "90", "--settle", "0"]
        self.process = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = self.process.stdout.readline()
        assert raw.endswith(b"\n"), raw
        found = json.loads(raw)
        assert isinstance(found, dict)
        return found

    def say(self, text: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def hang_up(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.stdin = None  # closed: communicate() must not flush it

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


@pytest.fixture
def seated(subprocess_env: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    """A channel whose client session sits in it as ``laptop``, and site-b's question in it, unread."""
    env = subprocess_env
    started = _run(env, "start", "Handshake", "-r", "Which version?", "--as", "site-b", "--json")
    assert started.returncode == 0, started.stderr
    path = json.loads(started.stdout)["path"]
    mine = _run(env, OPTION, DOC, "answer", path, "--as", "laptop", "--re", "request:1", "2.1.0")
    assert mine.returncode == 0, mine.stderr
    assert _run(env, "ask", path, "--as", "site-b", "Do you sign the body?").returncode == 0
    yield env, path


def _unread(env: dict[str, str], path: str) -> list[str]:
    """What a `collab wait` of the client's seat delivers now (and takes)."""
    got = _run(env, OPTION, DOC, "wait", path, "--as", "laptop", "--settle", "0", "--timeout", "5", "--json")
    assert got.returncode in (0, 3), got.stderr
    return [e["body"].strip() for e in json.loads(got.stdout)["entries"]]


def test_a_session_that_ends_before_the_ack_takes_nothing(seated: tuple[dict[str, str], str]) -> None:
    """The host offers the question; standard input closes before any ack: no news, and the entry
    is still unread by that seat, so the client's retry (or a `collab wait`) finds it again."""
    env, path = seated
    host = _Host(env, path)
    try:
        assert host.line() == {"started": {"channels": 1}}
        offer = host.line()
        assert [e["body"].strip() for item in offer["offer"] for e in item["entries"]] == ["Do you sign the body?"]
        host.hang_up()
        assert host.line() == {"news": []}
        assert host.process.wait(timeout=30) == 0
    finally:
        host.stop()
    assert _unread(env, path) == ["Do you sign the body?"]


def test_the_ack_takes_the_cursor_and_the_news_follows(seated: tuple[dict[str, str], str]) -> None:
    """ack: the host takes the cursor and prints the news; a later `collab wait` has nothing."""
    env, path = seated
    host = _Host(env, path)
    try:
        assert host.line()["started"] == {"channels": 1}
        assert host.line()["offer"]
        host.say(b"ack\n")
        news = host.line()["news"]
        assert [e["body"].strip() for item in news for e in item["entries"]] == ["Do you sign the body?"]
        host.hang_up()
        assert host.process.wait(timeout=30) == 0
    finally:
        host.stop()
    assert _unread(env, path) == []


def test_an_offer_a_collab_wait_took_meanwhile_is_withdrawn_not_repeated(seated: tuple[dict[str, str], str]) -> None:
    """A `collab wait` of the same seat takes the offered entry before the ack: the host delivers
    only what comes after what it took (here nothing: withdrawn), and waits on."""
    env, path = seated
    host = _Host(env, path)
    try:
        assert host.line()["started"] == {"channels": 1}
        assert host.line()["offer"]
        assert _unread(env, path) == ["Do you sign the body?"]
        host.say(b"ack\n")
        assert host.line() == {"withdrawn": True}
        host.hang_up()
        assert host.line() == {"news": []}
        assert host.process.wait(timeout=30) == 0
    finally:
        host.stop()
