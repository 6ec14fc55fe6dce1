"""The wheel carries its templates, and the checked-in /collab command is what the generator writes."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from collab.integrations.install import render_command

ROOT = Path(__file__).resolve().parent.parent


def test_checked_in_command_equals_the_generator():
    assert (ROOT / "claude-commands" / "collab.md").read_text(encoding="utf-8") == render_command()


def test_command_follows_claude_codes_format():
    text = render_command()
    front, body = text.split("---\n")[1], text.split("---\n", 2)[2]
    keys = {line.split(":", 1)[0] for line in front.splitlines()}
    assert {"description", "argument-hint", "allowed-tools"} <= keys
    assert "$ARGUMENTS" in body
    assert "collab start --json - <<'COLLAB_TASK'" in body
    assert "collab wait PATH --timeout" in body
    assert "${" not in text
    # The untrusted task is never spliced into a shell line that Claude Code runs before the prompt.
    assert not any(line.lstrip().startswith("!") for line in body.splitlines())


@pytest.mark.timeout(180)
def test_a_non_editable_wheel_finds_its_templates(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("collab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {"collab/templates/channel.md", "collab/templates/join.md", "collab/templates/command.md"} <= names
    assert "collab/py.typed" in names
    probe = (
        "import collab, collab.integrations.templates as t, collab.integrations.install as i;"
        "print(collab.__file__); print(t._template_dir()); print(len(i.render_command()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()
    assert out[0].startswith(str(tmp_path / "site"))
    assert out[1] == str(tmp_path / "site" / "collab" / "templates")
    assert int(out[2]) == len(render_command())
