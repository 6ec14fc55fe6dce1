"""The root command group: commands built and their modules imported only when asked for."""

import importlib
import os
import subprocess
import sys

import pytest

from collab.cli import app
from collab.cli.app import _REGISTERED, COMMANDS
from tests.conftest import collab_bin


def test_the_command_table_names_exactly_the_commands_the_modules_define():
    for module in sorted(set(COMMANDS.values())):
        importlib.import_module(f"collab.cli.{module}")
    assert set(_REGISTERED) == set(COMMANDS)
    for name, module in COMMANDS.items():
        assert _REGISTERED[name].registered_commands[0].callback.__module__ == f"collab.cli.{module}"


def test_help_lists_every_command_in_table_order(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    rows = [line for line in result.stdout.split("Commands:")[1].splitlines() if line[2:3].strip()]
    assert [row.split()[0] for row in rows] == list(COMMANDS)


def test_help_gives_each_command_its_whole_first_sentence(runner, monkeypatch):
    import click

    monkeypatch.setenv("COLUMNS", "160")
    listing = runner.invoke(app, ["--help"]).stdout.split("Commands:")[1]
    for name in COMMANDS:
        first = click.unstyle(runner.invoke(app, [name, "--help"]).stdout).split("\n\n")[1].strip()
        sentence = " ".join(first.split())
        assert "..." not in listing and sentence in " ".join(listing.split()), name


def test_every_argument_and_option_is_described(runner):
    for name in COMMANDS:
        command = app_group().get_command(None, name)  # type: ignore[arg-type]
        for param in command.params:
            assert getattr(param, "help", None), f"collab {name}: {param.name} has no help"
        assert "Example" in (command.help or ""), f"collab {name} --help has no example"


def app_group():
    import typer

    return typer.main.get_command(app)


def test_collab_alone_prints_help_on_stdout_and_exits_0(runner):
    result = runner.invoke(app, [])
    assert result.exit_code == 0 and result.stdout.startswith("Usage: collab")


def test_version_comes_from_the_package_metadata(runner):
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout == f"collab {version('collab')}\n"
    hinted = runner.invoke(app, ["version"])
    assert hinted.exit_code == 2 and "collab --version" in hinted.stderr


def test_shell_completion_completes_command_names():
    env = {**os.environ, "_COLLAB_COMPLETE": "complete_bash", "COMP_WORDS": "collab an", "COMP_CWORD": "1"}
    done = subprocess.run([collab_bin()], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split() == ["answer"]


def test_a_mistyped_command_gets_one_suggestion_and_exit_2(runner):
    result = runner.invoke(app, ["anser", "x"])
    assert result.exit_code == 2
    assert result.stderr.count("Did you mean 'answer'?") == 1
    unknown = runner.invoke(app, ["zzz"])
    assert unknown.exit_code == 2
    assert "No such command 'zzz'" in unknown.stderr
    assert "Did you mean" not in unknown.stderr


def _last_line(probe: str, *args: str) -> str:
    """The last line ``probe`` prints, run as a fresh Python process (so nothing is imported yet)."""
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_a_command_imports_only_its_own_module(tmp_path):
    probe = (
        "import sys\n"
        "from collab.cli import app\n"
        "try:\n"
        "    app(['ls', '--dir', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('collab.cli.')))\n"
    )
    shared = "'collab.cli.app', 'collab.cli.housekeeping', 'collab.cli.output', 'collab.cli.params'"
    assert _last_line(probe, str(tmp_path)) == f"[{shared}]"  # no other command's module


def test_the_console_script_pauses_the_collector_only_while_starting(tmp_path):
    probe = (
        "import gc, sys\n"
        "from collab.console import main\n"
        "sys.argv = ['collab', 'ls', '--dir', sys.argv[1]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, gc.isenabled(), gc.get_freeze_count() > 1000)\n"
    )
    assert _last_line(probe, str(tmp_path)) == "0 True True"


def test_importing_the_command_line_leaves_the_collector_alone():
    probe = "import gc\nfrom collab.cli import app\nprint(gc.isenabled(), gc.get_freeze_count(), app.info.name)\n"
    assert _last_line(probe).split() == ["True", "0", "collab"]


def test_a_reader_that_goes_away_is_not_an_error(channel, subprocess_env) -> None:
    """`collab show ID | head` ends quietly: no 'Broken pipe' line, exit 0."""
    import subprocess

    from tests.conftest import collab_bin

    channel.answer("many words " * 40_000, author="site-b")  # more than a pipe holds
    reader = subprocess.Popen(
        [collab_bin(), "show", str(channel.path)], env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader.stdout is not None and reader.stdout.read(1)
    reader.stdout.close()  # the reader goes away, as `head -c 1` does
    _, err = reader.communicate(timeout=60)
    assert (reader.returncode, err) == (0, b"")


def test_shell_completion_completes_channel_ids(tmp_path):
    from collab.channel import Channel

    made = Channel.create("a task", author="a", directory=tmp_path)
    (tmp_path / f"collab-{made.id}.edited-2026-x.md").write_text("kept")
    env = {
        **os.environ,
        "COLLAB_DIR": str(tmp_path),
        "_COLLAB_COMPLETE": "complete_bash",
        "COMP_WORDS": f"collab show {made.id[:2]}",
        "COMP_CWORD": "2",
    }
    done = subprocess.run([collab_bin()], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split() == [made.id]


HEAVY = ("markdown_it", "mistune", "rich", "pygments", "watchfiles", "regex")


@pytest.mark.parametrize(
    ("body", "expected"),
    [("Plugin X is version 2.1.0.", []), ("## a heading in a body", ["mistune"]),
     ("text\n  <div>\n  indented", ["markdown_it", "mistune"])],
)  # fmt: skip
def test_a_plain_answer_loads_no_markdown_parser(channel, subprocess_env, body: str, expected: list[str]) -> None:
    """Issue 22: `collab answer` of a plain body imports none of the heavy modules; a body that could
    forge structure loads mistune to check it, and markdown-it-py too where CommonMark's reading of it
    is not plain (here, indentation and HTML)."""
    import subprocess
    import sys

    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr))\n"
        f"sys.argv = ['collab', 'answer', {str(channel.path)!r}, {body!r}, '--as', 'site-a']\n"
        "from collab.console import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=subprocess_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == repr(expected)


def test_the_help_summaries_are_each_commands_own_first_sentence() -> None:
    import click
    import typer

    from collab.cli.app import COMMANDS, SUMMARIES, OnDemandGroup
    from collab.cli.app import app as root

    group = typer.main.get_command(root)
    assert isinstance(group, OnDemandGroup) and list(SUMMARIES) == list(COMMANDS)
    with click.Context(group) as ctx:
        for name in COMMANDS:
            found = group.get_command(ctx, name)
            assert found is not None and not found.hidden
            assert found.get_short_help_str(limit=1000) == SUMMARIES[name], name


def test_the_root_help_ends_its_text_with_examples() -> None:
    from typer.testing import CliRunner

    from collab.cli.app import app as root

    shown = CliRunner().invoke(root, ["--help"]).stdout
    examples = shown.split("Example:", 1)[1].split("Options:", 1)[0]
    assert "collab start " in examples and "collab wait ID" in examples and "collab join ID" in examples


def test_ctrl_c_while_the_modules_load_exits_130_with_one_line() -> None:
    """The console script's start-up: a SIGINT then is one line and exit 130, never a traceback."""
    import subprocess
    import sys

    probe = (
        "import os, signal\n"
        "from collab.console import quiet_interrupts\n"
        "with quiet_interrupts():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    import time; time.sleep(30)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (130, "collab: interrupted\n")


def test_help_shows_the_root_help_or_a_commands_own() -> None:
    from typer.testing import CliRunner

    from collab.cli.app import app as root

    runner = CliRunner()
    assert runner.invoke(root, ["help"]).stdout == runner.invoke(root, ["--help"]).stdout
    assert runner.invoke(root, ["help", "wait"]).stdout == runner.invoke(root, ["wait", "--help"]).stdout
    wrong = runner.invoke(root, ["help", "wiat"])
    assert wrong.exit_code == 2 and "did you mean 'wait'" in wrong.stderr
