"""A corpus of bad and odd inputs: each gives its documented exit code and one clear line, and the
file is left exactly as it was. Refused files are refused by every command; odd but readable files
are read (with warnings) and only ever appended to."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collab.cli import app
from collab.ledger.wal import LedgerWarning
from tests.conftest import state_dir
from tests.text.test_format import ORIGINAL

HEADER = "# Collab: Odd file\n\n## Task\nSomething\n\n## Requests\n1. One?\n\n## Answers\n"


def write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(data)
        os.chmod(path, 0o600)
        return path

    return make


def symlink(directory: Path) -> Path:
    target = directory / "target.md"
    target.write_text(HEADER)
    link = directory / "collab-link0001.md"
    link.symlink_to(target)
    return link


def directory_entry(directory: Path) -> Path:
    path = directory / "collab-dir00001.md"
    path.mkdir()
    return path


def fifo(directory: Path) -> Path:
    path = directory / "collab-fifo0001.md"
    os.mkfifo(path, 0o600)
    return path


def other_owner(directory: Path) -> Path:
    path = write("collab-other001.md", HEADER.encode())(directory)
    os.chown(path, 65534, 65534)
    return path


def hard_link(directory: Path) -> Path:
    path = write("collab-hard0001.md", HEADER.encode())(directory)
    os.link(path, directory / "elsewhere.md")
    return path


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty": (write("collab-empty001.md", b""), "no '## Answers' line"),
    "binary": (write("collab-bin00001.md", bytes(range(256)) * 4), "not a collab channel"),
    "latin-1 header": (write("collab-latin001.md", b"# caf\xe9\n\n## Answers\n"), "not UTF-8"),
    "utf-16": (write("collab-utf16001.md", HEADER.encode("utf-16")), "not UTF-8"),
    "NUL bytes in the header": (write("collab-nul00001.md", b"# x\n\n## Task\na\x00b\n## Answers\n"), "NUL byte"),
    "no answers line": (write("collab-noans001.md", b"# Collab: x\n\n## Task\nx\n"), "no '## Answers' line"),
    "answers line in a fence": (
        write("collab-fence001.md", b"# Collab: x\n\n```\n## Answers\n```\n"),
        "no '## Answers' line",
    ),
    "answers line in a quote": (write("collab-quote001.md", b"# x\n\n> ## Answers\n"), "no '## Answers' line"),
    "answers line indented as code": (write("collab-indent01.md", b"# x\n\n    ## Answers\n"), "no '## Answers'"),
    "answers line as a list item": (write("collab-list0001.md", b"# x\n\n- ## Answers\n"), "no '## Answers' line"),
    "level-3 answers line": (write("collab-level301.md", b"# x\n\n### Answers\n"), "no '## Answers' line"),
    "plain notes": (write("collab-notes001.md", b"just some notes\nnothing else\n"), "no '## Answers' line"),
    "symlink": (symlink, "symbolic link"),
    "directory": (directory_entry, "is a directory"),
    "FIFO": (fifo, "not a regular file"),
    "another user's file": (other_owner, "belongs to another user"),
    "hard link": (hard_link, "hard links"),
}

ODD: dict[str, tuple[bytes, str | None]] = {
    "original /collab style": (ORIGINAL, None),
    "BOM and CRLF": (b"\xef\xbb\xbf" + HEADER.replace("\n", "\r\n").encode() + b"### Answer 1\r\nyes\r\n", None),
    "no final newline": ((HEADER + "\n### Answer 1\nno newline").encode(), None),
    "two answers lines": ((HEADER + "\n## Answers\n\n### Answer 1\nx\n").encode(), "second '## Answers'"),
    "duplicate numbers": ((HEADER + "\n### Answer 1\na\n\n### Answer 1\nb\n").encode(), "appears twice"),
    "numbers out of order": ((HEADER + "\n### Answer 2\na\n\n### Answer 1\nb\n").encode(), "follows"),
    "no number": ((HEADER + "\n### Answer\nno number\n").encode(), "has no number"),
    "stray text": ((HEADER + "\nsome stray text\n\n### Answer 1\nx\n").encode(), "text outside any entry"),
    "setext heading in a body": ((HEADER + "\n### Answer 1\nTitle\n---\n").encode(), "unexpected heading"),
    "unclosed fence in the last entry": ((HEADER + "\n### Answer 1\n```\ncode\n").encode(), None),
    "HTML block left open": ((HEADER + "\n### Answer 1\n<div>\n<p>x\n").encode(), None),
    "huge single line": ((HEADER + "\n### Answer 1\n" + "y" * 3_000_000 + "\n").encode(), None),
    "entry after close": ((HEADER + "\n## Closed (2026-06-22T15:00Z)\n\n### Answer 1\nlate\n").encode(), "after"),
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def snapshot(path: Path) -> bytes | str:
    if path.is_symlink():
        return "link->" + os.readlink(path) + ":" + Path(os.readlink(path)).read_text()
    if path.is_dir() or not path.is_file():
        return "special"
    return path.read_bytes()


def one_line(stderr: str) -> bool:
    return stderr.count("\n") == 1 and stderr.startswith("collab: ") and "Traceback" not in stderr


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_input_gives_exit_1_one_line_and_changes_nothing(case: str, runner: CliRunner, tmp_path: Path) -> None:
    if case == "another user's file" and os.geteuid() != 0:
        pytest.skip("handing a file to another user needs root")
    make, message = REFUSED[case]
    path = make(tmp_path)
    before = snapshot(path)
    for args in (
        ["show", str(path)],
        ["answer", str(path), "an answer", "--as", "b"],
        ["verify", str(path)],
        ["wait", str(path), "--timeout", "0"],
        ["status", str(path), "--json"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        if "--json" in args:
            assert message in result.stderr and result.stderr.count("\n") == 1
        else:
            assert one_line(result.stderr), result.stderr
            assert message in result.stderr, result.stderr
    assert snapshot(path) == before
    assert not any(p.name.endswith((".ledger", ".accepted")) for p in state_dir(tmp_path).glob("*"))


@pytest.mark.parametrize("case", sorted(ODD))
def test_odd_input_is_read_with_warnings_and_never_rewritten(case: str, runner: CliRunner, tmp_path: Path) -> None:
    data, warning = ODD[case]
    path = tmp_path / "collab-odd00001.md"
    path.write_bytes(data)
    os.chmod(path, 0o600)
    with pytest.warns(LedgerWarning, match="had no ledger: one was started"):  # a file collab never wrote
        result = runner.invoke(app, ["show", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == data
    if warning:
        import json

        assert any(warning in w for w in json.loads(result.stdout)["warnings"]), result.stdout
    result = runner.invoke(app, ["answer", str(path), "appended", "--as", "b"])
    if case == "entry after close":
        assert result.exit_code == 1 and one_line(result.stderr) and "closed" in result.stderr
        assert path.read_bytes() == data
    else:
        assert result.exit_code == 0, result.stderr
        assert path.read_bytes().startswith(data)
        assert runner.invoke(app, ["verify", str(path)]).exit_code == 0


def test_the_corpus_is_at_least_thirty_inputs() -> None:
    assert len(REFUSED) + len(ODD) >= 30


def test_missing_paths_and_bad_ids(runner: CliRunner, tmp_path: Path) -> None:
    for args, code, text in (
        (["show", str(tmp_path / "collab-nothere1.md")], 1, "no channel at"),
        (["show", str(tmp_path / "no" / "dir" / "collab-x.md")], 1, "no channel at"),
        (["show", "../../etc/passwd"], 1, ""),
        (["answer", "abc", "x"], 2, ""),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == code, (args, result.stderr)
        assert one_line(result.stderr) and text in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_no_read_permission(runner: CliRunner, tmp_path: Path) -> None:
    path = write("collab-noread01.md", HEADER.encode())(tmp_path)
    os.chmod(path, 0)
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 1 and "permission denied" in result.stderr
