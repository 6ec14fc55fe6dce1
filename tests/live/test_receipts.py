"""Read receipts (issue 19, contract 6.2): what collab saw each reader read, told to the writer once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collab.channel import Channel
from collab.live import receipts
from tests.hooks.test_push import Session, finish, stop_all, until_sleeping
from tests.live.test_live import run

pytestmark = pytest.mark.timeout(120)


def _json(args: list[str], env: dict[str, str], code: int = 0) -> dict[str, object]:
    done = run([*args, "--json"], env)
    assert done.returncode == code, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_reader_s_wait_is_a_receipt_the_writer_hears_of_once(channel: Channel, subprocess_env) -> None:
    path = str(channel.path)
    for n in range(1, 6):
        written = _json(["answer", path, f"answer {n}", "--as", "site-a"], subprocess_env)
        assert (written["number"], written["author"], written["body"]) == (n, "site-a", f"answer {n}")
    got = _json(["wait", path, "--as", "site-b", "--timeout", "30"], subprocess_env)
    assert [e["number"] for e in got["entries"]] == [1, 2, 3, 4, 5]  # type: ignore[index, union-attr]
    status = _json(["status", path], subprocess_env)
    people = {p["name"]: p for p in status["participants"]}  # type: ignore[index, union-attr]
    assert people["site-b"]["seen"] == 5 and people["site-b"]["seen_at"]
    assert people["site-a"]["seen"] == 0 and people["site-a"]["seen_at"] is None
    by_label = {e["label"]: e["read_by"] for e in status["entries"]}  # type: ignore[index, union-attr]
    assert by_label["Answer 5"] == ["site-b"]
    told = _json(["wait", path, "--as", "site-a", "--timeout", "0"], subprocess_env, code=3)
    assert told["read"] == [{"index": n, "label": f"Answer {n}", "read_by": ["site-b"]} for n in range(1, 6)]
    again = _json(["wait", path, "--as", "site-a", "--timeout", "0"], subprocess_env, code=3)
    assert again["read"] == []  # told once
    plain = run(["status", path], subprocess_env).stdout
    assert "site-b: wrote 0; read 5 of 5 (at " in plain


def test_reading_by_hand_or_with_show_leaves_no_receipt(channel: Channel, subprocess_env) -> None:
    channel.answer("by hand", author="site-a")
    assert run(["show", str(channel.path)], subprocess_env).returncode == 0
    channel.path.read_bytes()
    assert receipts.readers(channel.path) == {}
    status = _json(["status", str(channel.path)], subprocess_env)
    assert all(e["read_by"] == [] for e in status["entries"])  # type: ignore[union-attr]


def test_receipts_are_moved_cursors_of_others_only() -> None:
    known = [receipts.Reader("a", 3, None), receipts.Reader("b", 1, None), receipts.Reader("c", 0, None)]
    assert receipts.read_by(1, "a", known) == ("b",)  # the author's own cursor is no receipt
    assert receipts.read_by(2, "b", known) == ("a",)
    assert receipts.read_by(4, None, known) == ()
    found = [receipts.Receipt(1, ("b",)), receipts.Receipt(2, ("b", "c"))]
    assert receipts.sentences(found, {1: "Answer 1", 2: "Question 1"}) == [
        "b has read your Answer 1 and Question 1",
        "c has read your Question 1",
    ]


def test_the_hook_s_wake_tells_what_the_other_side_read(tmp_path: Path, subprocess_env) -> None:
    a = Session(tmp_path, "site-a", "e1b2c3d4-0000-4000-8000-00000000000a", subprocess_env)
    b = Session(tmp_path, "site-b", "e1b2c3d4-0000-4000-8000-00000000000b", subprocess_env)
    path = json.loads(a.collab("start", "Receipts", "--request", "One?", "--json").stdout)["path"]
    assert a.collab("ask", path, "Which version?").returncode == 0
    hook = a.sleep()
    waiter = None
    try:
        until_sleeping(hook, Path(path).parent)
        assert b.collab("wait", path, "--timeout", "30").returncode == 0  # B reads Question 1
        assert b.collab("answer", path, "2.1.0", "--re", "question:1").returncode == 0
        waiter = b.waiter(path)
        code, err, _ended = finish(hook, timeout=60)
    finally:
        stop_all(hook, waiter)
    assert code == 2 and "- site-b has read your Question 1." in err and "2.1.0" in err
