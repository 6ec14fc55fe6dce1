"""``collab install`` writes only where it means to (contract section 8, and the exit codes of section 4).

No link below the root is followed, no directory of another user is written into, and a malformed
``HOME``, ``CLAUDE_CONFIG_DIR`` or ``GEMINI_CLI_HOME`` is a usage error. Each refusal is exit 1 (or
2 for the environment) with one line on stderr naming what to fix, and leaves every file and
directory as it was: the test tree is compared, entry by entry, before and after.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

import pytest

from collab.cli import app
from tests.conftest import collab_bin
from tests.integrations.test_agents import PROJECT, USER

#: agent -> the environment variable that names its user-wide root instead of the home directory.
ROOT_VARIABLE = {"claude": "CLAUDE_CONFIG_DIR", "codex": "HOME", "gemini": "GEMINI_CLI_HOME"}


def tree(root: Path) -> dict[str, tuple[int, int, bytes | str | None]]:
    """Every entry below ``root``, never following a link: relative path -> (mode, owner, content or target)."""
    found: dict[str, tuple[int, int, bytes | str | None]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            if path.is_symlink():
                content: bytes | str | None = os.readlink(path)
            elif path.is_file():
                content = path.read_bytes()
            else:
                content = None
            found[str(path.relative_to(root))] = (st.st_mode, st.st_uid, content)
    return found


def refused_in_one_line(result, code: int = 1) -> str:
    """The one stderr line of a refusal with exit ``code``; no traceback, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("collab: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr


def _args(agent: str, scope: str) -> list[str]:
    return ["install", "--agent", agent] + (["--project"] if scope == "project" else [])


def _cases() -> list[tuple[str, str, int]]:
    """(agent, scope, depth): a link at each directory of the last file's way, for three agents."""
    cases = []
    for agent in ("claude", "codex", "gemini"):
        for scope, table in (("user", USER), ("project", PROJECT)):
            depth = len(Path(table[agent][-1]).parts) - 1
            cases += [(agent, scope, d) for d in range(depth)]
    return cases


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling"])
@pytest.mark.parametrize(("agent", "scope", "depth"), _cases())
def test_a_link_on_the_way_is_refused_and_nothing_is_written(runner, places, tmp_path, agent, scope, depth, dangling):
    """A link at any directory below the root (first, deeper, last; to a folder or to nothing) is
    refused, naming it, and neither its target nor any other file is touched, even by --force."""
    home, top, outside = places
    base, relative = (home, USER[agent][-1]) if scope == "user" else (top, PROJECT[agent][-1])
    folders = Path(relative).parts[:-1]
    planted = base.joinpath(*folders[: depth + 1])
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.symlink_to(tmp_path / "nowhere" if dangling else outside)
    before = tree(tmp_path)
    for force in ([], ["--force"]):
        line = refused_in_one_line(runner.invoke(app, _args(agent, scope) + force))
        assert f"{planted} is a symbolic link" in line and "real directory" in line
    assert tree(tmp_path) == before, "install wrote something although it refused"
    assert not any(outside.iterdir()) and not (tmp_path / "nowhere").exists()


def test_the_reported_repro_codex_project_with_agents_linked_away(places, tmp_path, subprocess_env):
    """The real script: `.agents -> /elsewhere` in the checkout makes `install --agent codex --project` refuse."""
    home, top, outside = places
    (top / ".agents").symlink_to(outside)
    done = subprocess.run(
        [collab_bin(), "install", "--agent", "codex", "--project"],
        capture_output=True,
        text=True,
        env={**subprocess_env, "HOME": str(home)},
        cwd=Path.cwd(),
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"collab: {top / '.agents'} is a symbolic link: collab does not follow links when it installs; "
        "replace the link with a real directory (or remove it) and run install again\n"
    )
    assert not any(outside.iterdir())


def test_a_planted_git_with_claude_linked_to_another_home(runner, places, tmp_path):
    """A checkout holding `.git` and `.claude -> a home directory` never writes into that home."""
    _, top, _ = places
    victim = tmp_path / "victim"
    (victim / "commands").mkdir(parents=True)
    (top / ".claude").symlink_to(victim)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, ["install", "--project", "--force"]))
    assert str(top / ".claude") in line
    assert tree(tmp_path) == before and not any((victim / "commands").iterdir())


def test_gemini_writes_neither_file_when_the_second_way_is_unsafe(runner, places):
    """Gemini's command is not written (nor its folder made) when the skill's way holds a link."""
    _, top, outside = places
    (top / ".agents").symlink_to(outside)
    refused_in_one_line(runner.invoke(app, _args("gemini", "project")))
    assert not (top / ".gemini").exists() and not any(outside.iterdir())


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling"])
@pytest.mark.parametrize("scope", ["user", "project"])
def test_the_file_itself_a_link_is_refused_even_with_force(runner, places, tmp_path, scope, dangling):
    """A link where the file goes is neither followed nor replaced, to a file or to nothing."""
    home, top, outside = places
    target = (home / USER["codex"][0]) if scope == "user" else (top / PROJECT["codex"][0])
    target.parent.mkdir(parents=True)
    pointed = outside / "theirs.md"
    if not dangling:
        pointed.write_text("someone else's file\n")
    target.symlink_to(pointed)
    before = tree(tmp_path)
    for force in ([], ["--force"]):
        line = refused_in_one_line(runner.invoke(app, _args("codex", scope) + force))
        assert f"{target} is a symbolic link, not a regular file" in line
    assert tree(tmp_path) == before


def test_a_fifo_in_place_of_the_file_is_refused_at_once(runner, places):
    """A FIFO where the file goes is refused without blocking on it."""
    home, _, _ = places
    target = home / USER["codex"][0]
    target.parent.mkdir(parents=True)
    os.mkfifo(target)
    line = refused_in_one_line(runner.invoke(app, [*_args("codex", "user"), "--force"]))
    assert f"{target} is not a regular file" in line


def test_a_file_in_the_way_of_a_directory_is_refused(runner, places, tmp_path):
    """A regular file where a directory should be is named, and left as it is."""
    _, top, _ = places
    (top / ".agents").write_text("not a folder\n")
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, _args("codex", "project")))
    assert f"{top / '.agents'} is in the way and is not a directory" in line
    assert tree(tmp_path) == before


def test_force_replaces_a_hard_link_without_writing_through_it(runner, places):
    """--force renames a new file over the name: a file hard-linked there keeps its bytes."""
    home, _, outside = places
    target = home / USER["codex"][0]
    target.parent.mkdir(parents=True)
    theirs = outside / "theirs.md"
    theirs.write_text("theirs\n")
    os.link(theirs, target)
    assert runner.invoke(app, [*_args("codex", "user"), "--force"]).exit_code == 0
    assert theirs.read_text() == "theirs\n" and "collab" in target.read_text()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".collab-")], "a temporary file was left"


def test_a_configuration_directory_the_person_names_may_itself_be_a_link(runner, places, tmp_path, monkeypatch):
    """CLAUDE_CONFIG_DIR is the person's own choice: a link there is the root and is followed;
    below it, nothing is. A dangling link as the root is refused, as any link on the way."""
    _, _, outside = places
    real = tmp_path / "dotfiles" / "claude"
    real.mkdir(parents=True)
    (tmp_path / "claude-link").symlink_to(real)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-link"))
    assert runner.invoke(app, ["install"]).exit_code == 0
    assert (real / "commands" / "collab.md").is_file()
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "dangling"))
    line = refused_in_one_line(runner.invoke(app, ["install"]))
    assert f"{tmp_path / 'dangling'} is a symbolic link" in line and not (tmp_path / "gone").exists()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "new" / "config"))
    assert runner.invoke(app, ["install"]).exit_code == 0
    assert (tmp_path / "new" / "config" / "commands" / "collab.md").is_file()
    assert not any(outside.iterdir())


def test_dot_dot_in_a_root_that_does_not_exist_yet_is_refused(runner, places, tmp_path, monkeypatch):
    """A CLAUDE_CONFIG_DIR to be made that climbs with `..` is refused before any folder is made."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "made" / ".." / "config"))
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, ["install"]))
    assert ".." in line and tree(tmp_path) == before


# --- directories of another user --------------------------------------------------------------


@pytest.fixture
def other_uid() -> int:
    """The uid of a user other than this one, for `chown` (root only). `nobody` if there is one,
    else a user made with `useradd`."""
    if os.getuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        name = "collab-test-other"
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)
            return pwd.getpwnam(name).pw_uid


@pytest.mark.parametrize("depth", [0, 1, 2])
@pytest.mark.parametrize("scope", ["user", "project"])
def test_a_directory_of_another_user_on_the_way_is_refused(runner, places, tmp_path, other_uid, scope, depth):
    """A directory below the root that another user owns (first, middle, last) is never written into."""
    home, top, _ = places
    base, relative = (home, USER["codex"][0]) if scope == "user" else (top, PROJECT["codex"][0])
    folders = Path(relative).parts[:-1]
    (base.joinpath(*folders)).mkdir(parents=True)
    theirs = base.joinpath(*folders[: depth + 1])
    os.chown(theirs, other_uid, -1)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, [*_args("codex", scope), "--force"]))
    assert f"{theirs} belongs to another user (uid {other_uid})" in line
    assert tree(tmp_path) == before


@pytest.mark.parametrize("scope", ["user", "project"])
def test_a_root_of_another_user_is_refused(runner, places, tmp_path, monkeypatch, other_uid, scope):
    """HOME, or a project top, that belongs to someone else (say `sudo` kept their HOME) is refused."""
    _home, _, _ = places
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, other_uid, -1)
    if scope == "user":
        monkeypatch.setenv("HOME", str(theirs))
    else:
        monkeypatch.chdir(theirs)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, _args("codex", scope)))
    assert f"{theirs} belongs to another user (uid {other_uid})" in line
    assert tree(tmp_path) == before


def test_a_file_of_another_user_in_the_way_is_refused(runner, places, tmp_path, other_uid):
    """The file itself, when another user's, is left alone even with --force."""
    home, _, _ = places
    target = home / USER["codex"][0]
    target.parent.mkdir(parents=True)
    target.write_text("theirs\n")
    os.chown(target, other_uid, -1)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, [*_args("codex", "user"), "--force"]))
    assert f"{target} belongs to another user" in line and tree(tmp_path) == before


# --- the environment --------------------------------------------------------------------------

BAD_VALUES = {
    "empty": ("", "is set but empty"),
    "relative": ("relative/dir", "is a relative path"),
    "newline": ("/tmp/x\n/etc", "holds a control character"),
    "escape": ("/tmp/x\x1b[2J", "holds a control character"),
    "tab": ("\t/tmp", "holds a control character"),
    "c1": ("/tmp/x\x9b", "holds a control character"),
}


@pytest.mark.parametrize("bad", list(BAD_VALUES))
@pytest.mark.parametrize("agent", list(ROOT_VARIABLE))
def test_a_malformed_root_variable_is_a_usage_error(runner, places, tmp_path, monkeypatch, agent, bad):
    """An empty, relative or control-holding HOME, CLAUDE_CONFIG_DIR or GEMINI_CLI_HOME: exit 2, one
    line naming the variable and asking for an absolute path, no raw control on stderr, nothing written."""
    variable = ROOT_VARIABLE[agent]
    value, what = BAD_VALUES[bad]
    monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, _args(agent, "user")), code=2)
    assert line.startswith(f"collab: {variable} {what}") and "absolute path" in line
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in line.rstrip("\n"))
    assert tree(tmp_path) == before
    assert not Path("/.agents/skills/collab/SKILL.md").exists() and not Path("/.claude/commands/collab.md").exists()


def test_a_home_that_is_no_directory_is_a_usage_error(runner, places, tmp_path, monkeypatch):
    """HOME naming nothing is not made into a new home directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))
    before = tree(tmp_path)
    line = refused_in_one_line(runner.invoke(app, _args("codex", "user")), code=2)
    assert f"HOME ({tmp_path / 'no-such-home'}) is not a directory" in line and tree(tmp_path) == before


def test_only_the_variables_in_use_are_checked(runner, places, monkeypatch):
    """--project does not read HOME; a set CLAUDE_CONFIG_DIR or GEMINI_CLI_HOME replaces it too."""
    home, top, _ = places
    monkeypatch.setenv("HOME", "")
    assert runner.invoke(app, _args("codex", "project")).exit_code == 0
    assert (top / PROJECT["codex"][0]).is_file()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home / "claude"))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(home))
    assert runner.invoke(app, _args("claude", "user")).exit_code == 0
    assert runner.invoke(app, _args("gemini", "user")).exit_code == 0
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "")
    assert runner.invoke(app, _args("claude", "project")).exit_code == 0


def test_the_reported_repro_empty_home_through_the_script(places, tmp_path, subprocess_env):
    """The real script with `HOME=` exits 2 with one line, and writes nothing under / or here."""
    done = subprocess.run(
        [collab_bin(), "install", "--agent", "codex", "--json"],
        capture_output=True,
        text=True,
        env={**subprocess_env, "HOME": ""},
        cwd=tmp_path,
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert json.loads(done.stderr)["error"] == {
        "code": 2,
        "message": "HOME is set but empty: set it to an absolute path, or unset it",
    }
    assert not (tmp_path / ".agents").exists() and not Path("/.agents/skills/collab/SKILL.md").exists()


def test_force_keeps_the_file_it_replaces_and_says_where(runner, places):
    """A person's own file at collab's path is replaced only with --force, and stays beside it under
    a new name, which install prints (and --json gives as "backup"); an unchanged file keeps none."""
    home, _, _ = places
    target = home / USER["codex"][0]
    target.parent.mkdir(parents=True)
    target.write_text("my own skill\n")
    result = runner.invoke(app, [*_args("codex", "user"), "--force"])
    assert result.exit_code == 0, result.stderr
    (kept,) = [p for p in target.parent.iterdir() if ".collab-backup-" in p.name]
    assert kept.read_text() == "my own skill\n" and "collab" in target.read_text()
    assert f"kept as {kept}" in result.stdout
    again = runner.invoke(app, [*_args("codex", "user"), "--force", "--json"])
    assert [f.get("backup") for f in json.loads(again.stdout)["files"]] == [None]
    assert len([p for p in target.parent.iterdir() if ".collab-backup-" in p.name]) == 1
