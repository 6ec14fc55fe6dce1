"""Every command and example the README shows is checked by running it (issue: the README's acceptance).

The README is read when each test runs, never at collection: it is edited while the suite runs, and
pytest-xdist's workers must collect the same tests whatever it says. markdown-it-py (the CommonMark
reference, with GFM tables) finds the fenced blocks, the tables and the inline code spans.

- ``console`` blocks run for real, line by line through ``bash -c``, each prompt (``site-a$``) a
  session of its own in a directory named after it (the README: the name is the directory's). The
  README's channel id and path are mapped to the ones its ``start`` printed. Each line exits 0, or a
  code its comment names (``# exit 3: ...``); the output lines shown under it are in what it printed.
  A block that reaches a host over ssh runs against a real test ``sshd`` as that host.
- ``sh`` blocks: the ``collab`` piece runs for real; the others are commands ``.ci/run`` runs (CI runs
  them), or the non-editable ``pip install .`` whose wheel tests/test_packaging.py builds.
- ``python`` blocks run.
- Every ``collab ...`` code span, every row of the Commands table and every option-only span names a
  command and options that ``collab COMMAND --help`` lists.
- The Environment table and the ``COLLAB_*`` names in collab/ are the same.

Each check returns the problems it found, so the self-tests at the end can feed it a broken README and
see it fail.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import collab_bin
from tests.sshd import HOST, Server, running, short_dir, stop_masters, unavailable

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The turn rule's quiet time for the examples: a ``wait`` returns this long after the other side's last
#: entry (conftest's 2 s would make the suite wait for nothing).
SETTLE = "0.2"
#: One command of an example may take this long (a ``wait`` or ``watch`` that never returns fails here).
COMMAND_TIMEOUT = 30

pytestmark = pytest.mark.timeout(60)


def readme() -> str:
    return README.read_text(encoding="utf-8")


# ---- reading the README ----------------------------------------------------------------------------


@dataclass
class Fence:
    lang: str
    text: str
    line: int  # 1-based line of the opening fence


@dataclass
class Span:
    text: str
    line: int
    section: str  # the text of the nearest heading above
    first_cell: bool = False  # the first cell of a table row


@dataclass
class Table:
    section: str
    rows: list[list[list[str]]]  # per body row, per cell, its code spans


@dataclass
class Doc:
    fences: list[Fence] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def parse(text: str) -> Doc:
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    doc, section, line, lines = Doc(), "", 0, text.splitlines()
    for before, token in zip([None, *tokens], tokens, strict=False):
        line = token.map[0] + 1 if token.map else line
        if token.type == "fence":
            doc.fences.append(Fence(token.info.strip().split(" ")[0], token.content, line))
        elif token.type == "table_open":
            doc.tables.append(Table(section, []))
        elif token.type == "tr_open" and before is not None and before.type != "thead_open":
            doc.tables[-1].rows.append([])
        elif token.type == "inline" and before is not None:
            if before.type == "heading_open":
                section = token.content.strip()
            codes = [c.content for c in token.children or [] if c.type == "code_inline"]
            cells = doc.tables[-1].rows[-1] if before.type == "td_open" and doc.tables[-1].rows else None
            doc.spans += [Span(code, _line_of(lines, line, code), section, cells == []) for code in codes]
            if cells is not None:
                cells.append(codes)
    return doc


def _line_of(lines: list[str], start: int, code: str) -> int:
    """The line, from the block's first (``start``), that holds the span ``code`` (or its first word)."""
    first = code.split()[0] if code.split() else code
    return next((n + 1 for n in range(start - 1, len(lines)) if first in lines[n]), start)


def section_table(doc: Doc, section: str) -> Table:
    found = [t for t in doc.tables if t.section == section]
    assert found, f"the README has no table under the heading {section!r}"
    return found[0]


# ---- console blocks --------------------------------------------------------------------------------

PROMPT = re.compile(r"^(?P<who>[\w.@-]+)\$ (?P<line>.*)$")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")


@dataclass
class Command:
    who: str
    line: str  # the command line as the README shows it, comment included
    script: str  # what bash runs: the command, and its here-document
    comment: str
    at: int  # README line
    shown: list[tuple[str, str]] = field(default_factory=list)  # (output line, its comment)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.script.split("\n", 1)[0], comments=True)


def split_comment(line: str) -> tuple[str, str]:
    """``line`` without its shell comment, and the comment: a ``#`` that starts a word outside quotes."""
    quote, escaped = "", False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def split_output(line: str) -> tuple[str, str]:
    """An output line without the README's comment on it: a ``#`` word after a blank (output has no
    quoting, and ``### Answer 1`` at its start is output)."""
    text, *comment = re.split(r"(?<=\s)#(?=\s|$)", line, maxsplit=1)
    return text.strip(), "".join(comment).strip()


def console_commands(fence: Fence) -> tuple[list[Command], list[str]]:
    """The commands of a console block, each with the output lines shown under it; and the problems."""
    commands: list[Command] = []
    problems: list[str] = []
    lines = fence.text.splitlines()
    i = 0
    while i < len(lines):
        at = fence.line + 1 + i
        prompted = PROMPT.match(lines[i])
        if prompted:
            code, comment = split_comment(prompted["line"])
            script = code
            heredoc = HEREDOC.search(code)
            if heredoc:
                end = next((j for j in range(i + 1, len(lines)) if lines[j] == heredoc["word"]), None)
                if end is None:
                    problems.append(f"README.md:{at}: the here-document {heredoc['word']} is not closed")
                    end = len(lines) - 1
                script = "\n".join([code, *lines[i + 1 : end + 1]])
                i = end
            commands.append(Command(prompted["who"], prompted["line"], script, comment, at))
        elif lines[i].strip():
            if not commands:
                problems.append(f"README.md:{at}: output before any command: {lines[i]!r}")
            else:
                commands[-1].shown.append(split_output(lines[i]))
        i += 1
    return commands, problems


def console_blocks(doc: Doc) -> list[Fence]:
    return [f for f in doc.fences if f.lang == "console"]


def ssh_hosts(commands: list[Command]) -> set[str]:
    """The prompts that a block's other commands reach over ssh: those machines are the host."""
    text = "\n".join(c.script for c in commands)
    return {
        c.who
        for c in commands
        if re.search(rf"(ssh://([\w.-]+@)?{re.escape(c.who)}\b|--on[ =]{re.escape(c.who)}\b)", text)
    }


LOCATION = re.compile(r"\b(?P<id>[a-z0-9]{4,}): (?P<where>(ssh://|/)\S.*)$")


def learn_names(command: Command, out: str, names: dict[str, str]) -> None:
    """After a ``start``: map the README's channel id and location (shown under it) to the real ones."""
    for shown, _ in command.shown:
        readme_at = LOCATION.search(shown)
        if not readme_at:
            continue
        lead = shown[: readme_at.start()]
        real_line = next((x for x in out.splitlines() if x.startswith(lead)), "")
        real_at = LOCATION.search(real_line)
        if not real_at:
            return
        readme_where, real_where = readme_at["where"].rstrip(), real_at["where"].rstrip()
        names[readme_at["id"]] = real_at["id"]
        names[readme_where] = real_where
        # the path alone, as the host names it (ssh://devbox/tmp/x.md is /tmp/x.md there)
        names[re.sub(r"^ssh://[^/]+", "", readme_where)] = re.sub(r"^ssh://[^/]+", "", real_where)
        return


def substitute(text: str, names: dict[str, str], quote: bool) -> str:
    """``text`` with the README's names replaced by the real ones (shell-quoted in a command line)."""
    if not names:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: shlex.quote(names[m[0]]) if quote else names[m[0]], text)


def allowed_exits(comment: str) -> set[int]:
    return {0} | {int(n) for n in re.findall(r"\bexits? (\d+)", comment)}


def run_block(
    commands: list[Command], env_of: dict[str, dict[str, str]], cwd_of: dict[str, Path], names: dict[str, str]
) -> list[str]:
    """Run a console block's commands in order; the problems (it stops at the first failing command)."""
    for command in commands:
        first_line, _, rest = command.script.partition("\n")
        script = substitute(first_line, names, quote=True) + ("\n" + substitute(rest, names, False) if rest else "")
        where = f"README.md:{command.at}: {command.who}$ {command.line}"
        try:
            done = subprocess.run(
                ["bash", "-c", script],
                input="",
                capture_output=True,
                text=True,
                env=env_of[command.who],
                cwd=cwd_of[command.who],
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [f"{where}: still running after {COMMAND_TIMEOUT} s"]
        if done.returncode not in allowed_exits(command.comment):
            return [f"{where}: exit {done.returncode} ({done.stderr.strip()[-500:]})"]
        if command.words[:2] == ["collab", "start"]:
            learn_names(command, done.stderr + done.stdout, names)
        problems = []
        for shown, comment in command.shown:
            expected = substitute(shown.strip(), names, quote=False)
            printed = done.stderr if "on stderr" in comment else done.stdout + done.stderr
            if expected not in printed:
                problems.append(f"{where}: the README shows {shown.strip()!r}, it printed {printed.strip()[-500:]!r}")
        if "--json" in command.words and done.returncode == 0:
            try:
                json.loads(done.stdout)
            except ValueError:
                problems.append(f"{where}: --json printed no JSON: {done.stdout[:300]!r}")
        if problems:
            return problems
    return []


def run_local_blocks(text: str, base: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run every console block that needs no ssh (each prompt a session on this machine); how many
    commands ran, and the problems."""
    counted, problems, names = 0, [], {}
    for fence in console_blocks(parse(text)):
        commands, found = console_commands(fence)
        problems += found
        if ssh_hosts(commands):
            continue
        env_of, cwd_of = {}, {}
        for who in {c.who for c in commands}:
            env_of[who] = env | {"COLLAB_SESSION": f"readme-{who}"}
            cwd_of[who] = base / "at" / who
            cwd_of[who].mkdir(parents=True, exist_ok=True)
        problems += run_block(commands, env_of, cwd_of, names)
        counted += len(commands)
    return counted, problems


def local_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    bindir = str(Path(collab_bin()).parent)
    return subprocess_env | {"COLLAB_SETTLE": SETTLE, "PATH": f"{bindir}:{subprocess_env.get('PATH', '/usr/bin:/bin')}"}


def test_every_console_example_runs_as_shown(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    counted, problems = run_local_blocks(readme(), tmp_path, local_env(subprocess_env))
    assert not problems, "\n".join(problems)
    assert counted > 5, f"only {counted} console commands run on this machine: the parser found too few"


# ---- the console blocks that reach another machine over ssh ------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = short_dir("crdm")
    try:
        with running(root) as found:
            yield found
    finally:
        shutil.rmtree(root, ignore_errors=True)


def alias_config(server: Server, aliases: set[str]) -> str:
    """An ssh_config in which each alias reaches the test sshd as its own host name does, then the rest
    of the test sshd's config."""
    block = server.ssh_config.read_text().split(f"Host {HOST}\n", 1)[1].split("\nHost ", 1)[0]
    return "".join(f"Host {alias}\n{block}\n" for alias in sorted(aliases)) + f"Include {server.ssh_config}\n"


def machine_env(server: Server, who: str, hosts: set[str], base: Path, local: dict[str, str]) -> dict[str, str]:
    """A host's prompt runs on this machine with the test host's environment; any other prompt is a
    machine of its own, with its own channel and state directories (``local`` holds its ssh)."""
    if who in hosts:
        return server.env | {"COLLAB_SESSION": f"readme-{who}", "COLLAB_SETTLE": SETTLE}
    (base / f"{who}-channels").mkdir(exist_ok=True)
    return local | {
        "COLLAB_SESSION": f"readme-{who}",
        "COLLAB_DIR": str(base / f"{who}-channels"),
        "COLLAB_STATE_DIR": str(base / f"{who}-state"),
    }


@pytest.mark.timeout(180)
def test_every_console_example_over_ssh_runs_as_shown(
    server: Server, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """Each console block that reaches a host over ssh (``laptop$`` and ``devbox$``, ``ssh://devbox/...``)
    runs against the test sshd, named as the README names it; so does each ``ssh ...`` span (the
    set-up's check)."""
    doc = parse(readme())
    blocks = []
    for fence in console_blocks(doc):
        commands, problems = console_commands(fence)
        assert not problems, "\n".join(problems)
        if ssh_hosts(commands):
            blocks.append(commands)
    assert blocks, "no console block of the README reaches a host over ssh"
    hosts = set().union(*(ssh_hosts(commands) for commands in blocks))
    config = tmp_path / "ssh_config"
    config.write_text(alias_config(server, hosts))
    control = short_dir("crct")
    control.chmod(0o700)
    local = local_env(subprocess_env) | {
        "COLLAB_SSH_COMMAND": f"ssh -F {shlex.quote(str(config))}",
        "COLLAB_SSH_CONTROL_DIR": str(control),
    }
    try:
        for commands in blocks:
            env_of, cwd_of = {}, {}
            for who in {c.who for c in commands}:
                env_of[who] = machine_env(server, who, hosts, tmp_path, local)
                cwd_of[who] = tmp_path / "at" / who
                cwd_of[who].mkdir(parents=True, exist_ok=True)
            problems = run_block(commands, env_of, cwd_of, {})
            assert not problems, "\n".join(problems)
        for span in (s for s in doc.spans if s.text.startswith("ssh ")):
            line = f"ssh -F {shlex.quote(str(config))} {span.text.removeprefix('ssh ')}"
            done = subprocess.run(
                ["bash", "-c", line], input="", capture_output=True, text=True, env=local, timeout=60, check=False
            )
            assert done.returncode == 0, f"README.md:{span.line}: `{span.text}`: {done.stderr}"
    finally:
        stop_masters(control, server.ssh_config)
        shutil.rmtree(control, ignore_errors=True)


# ---- sh blocks -------------------------------------------------------------------------------------


def ci_commands() -> set[str]:
    """The commands ``.ci/run`` runs, each piece of an ``a && b`` line on its own."""
    pieces = set()
    for line in (ROOT / ".ci" / "run").read_text().splitlines():
        code, _ = split_comment(line)
        pieces |= {p.strip() for p in code.split("&&") if p.strip()}
    return pieces


def check_sh_blocks(text: str, base: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Each piece of each ``sh`` line: a ``.venv/bin/collab`` command runs for real (this checkout's
    collab); a command ``.ci/run`` runs is run by CI (the README's test command, ``pytest -n 4``, cannot
    run inside the suite); ``pip install`` of this project (``.``) installs what tests/test_packaging.py
    builds into a wheel and loads from it, with extras the project has. Anything else is unchecked."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ci, counted, problems = ci_commands(), 0, []
    for fence in (f for f in parse(text).fences if f.lang == "sh"):
        for offset, line in enumerate(fence.text.splitlines()):
            code, _ = split_comment(line)
            for piece in (p.strip() for p in code.split("&&") if p.strip()):
                counted += 1
                where = f"README.md:{fence.line + 1 + offset}: {piece}"
                words = shlex.split(piece)
                install = re.fullmatch(r"\.venv/bin/pip install (-q )?(-e )?(\S+)", piece)
                if words[0] == ".venv/bin/collab":
                    if "collab" not in project["scripts"]:
                        problems.append(f"{where}: the project installs no collab script")
                    done = subprocess.run(
                        ["bash", "-c", piece.replace(".venv/bin/collab", shlex.quote(collab_bin()), 1)],
                        input="",
                        capture_output=True,
                        text=True,
                        env=env | {"COLLAB_SESSION": "readme-sh"},
                        cwd=base,
                        timeout=COMMAND_TIMEOUT,
                        check=False,
                    )
                    if done.returncode != 0 or not done.stdout.strip():
                        problems.append(f"{where}: exit {done.returncode}, {done.stderr.strip()[-300:]}")
                elif piece in ci:
                    continue
                elif install and shlex.split(install[3])[0].split("[")[0] == ".":
                    extras = re.findall(r"\[(.*)\]", install[3])
                    wanted = {e.strip() for e in extras[0].split(",")} if extras else set()
                    missing = wanted - set(project.get("optional-dependencies", {}))
                    if missing:
                        problems.append(f"{where}: the project has no extra {sorted(missing)}")
                else:
                    problems.append(f"{where}: no test runs this, and .ci/run does not either")
    return counted, problems


def test_every_sh_command_runs_or_is_what_ci_runs(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    counted, problems = check_sh_blocks(readme(), tmp_path, local_env(subprocess_env))
    assert not problems, "\n".join(problems)
    assert counted >= 3


# ---- python blocks ---------------------------------------------------------------------------------


def test_every_python_block_runs(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """tests/test_front_door.py also runs the Python API's block and checks the names it uses."""
    blocks = [f for f in parse(readme()).fences if f.lang == "python"]
    assert blocks, "the README has no python block"
    for fence in blocks:
        # PYTHONFAULTHANDLER: a block that hangs is sent SIGABRT, and prints where each thread was
        env = subprocess_env | {"COLLAB_SESSION": "readme-python", "PYTHONFAULTHANDLER": "1"}
        with subprocess.Popen(
            [sys.executable, "-c", fence.text], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as block:
            try:
                _out, err = block.communicate(timeout=COMMAND_TIMEOUT)
            except subprocess.TimeoutExpired:
                block.send_signal(signal.SIGABRT)
                _out, err = block.communicate(timeout=COMMAND_TIMEOUT)
                threads = err.decode()[-4000:]
                pytest.fail(f"README.md:{fence.line}: hung for {COMMAND_TIMEOUT} s; its threads:\n{threads}")
        assert block.returncode == 0, f"README.md:{fence.line}: {err.decode()[-2000:]}"


# ---- commands and options named in the text ----------------------------------------------------------

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
BOX = re.compile(r"[│┃|╭╮╰╯─]")


def _help(*words: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")} | {"COLUMNS": "200"}
    done = subprocess.run(
        [collab_bin(), *words, "--help"], capture_output=True, text=True, env=env, timeout=COMMAND_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"collab {' '.join(words)} --help: exit {done.returncode}: {done.stderr}"
    return done.stdout


def _options(help_text: str) -> frozenset[str]:
    """The options a ``--help`` lists under Options (each line's names, before its help text)."""
    found: set[str] = set()
    listing = False
    for line in help_text.splitlines():
        line = BOX.sub(" ", line)
        if line.strip().rstrip(":").lower() == "options":
            listing = True
        elif listing and line.strip().startswith("-"):
            names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            found |= set(OPTION.findall(names))
    return frozenset(found)


@functools.cache
def cli() -> dict[str, frozenset[str]]:
    """Each command's options, from ``collab COMMAND --help``; ``""`` holds collab's own."""
    top = _help()
    commands = re.findall(r"^ {2}([a-z][\w-]*)\s", top.split("Commands:", 1)[1], flags=re.M)
    with ThreadPoolExecutor(8) as pool:
        helps = dict(zip(commands, pool.map(_help, commands), strict=True))
    return {"": _options(top)} | {name: _options(text) for name, text in helps.items()}


def check_usage(usage: str, where: str) -> list[str]:
    """``usage`` (``collab COMMAND ARGS...``) names a command and only options of it; ``...`` and CAPS
    placeholders, ``[optional]``, ``a|b`` and ``X...`` are syntax."""
    known = cli()
    words = usage.split()
    assert words[0] == "collab"
    name = words[1] if len(words) > 1 and re.fullmatch(r"[a-z][\w-]*", words[1]) else None
    if name is not None and name not in known:
        return [f"{where}: `{usage}`: collab has no command {name!r} (it has {', '.join(sorted(known)[1:])})"]
    allowed = known[name] if name else frozenset().union(*known.values())
    if name:
        allowed |= known[""] - {"--install-completion", "--show-completion"}
    unknown = [o for o in OPTION.findall(" ".join(words[2 if name else 1 :])) if o not in allowed]
    return [f"{where}: `{usage}`: {o} is not an option of collab {name or 'COMMAND'}" for o in unknown]


def check_spans(text: str) -> tuple[int, list[str]]:
    """Every ``collab ...`` span, every first cell of the Commands table, every span that starts with
    an option (``--settle S``: of some command) and every command of collab with options in it
    (``show ID --html -o FILE``)."""
    doc = parse(text)
    known = cli()
    counted, problems = 0, []
    for span in doc.spans:
        where = f"README.md:{span.line}"
        words = span.text.split()
        if span.text.startswith("collab ") and all((ROOT / w).exists() for w in words):
            continue  # a list of the repository's folders (`collab tests bench scripts`), not a command
        if span.text.startswith("collab "):
            usage = span.text
        elif span.first_cell and span.section == "Commands":
            usage = f"collab {span.text}"
        elif words and words[0].startswith("--"):
            usage = f"collab ... {span.text}"
        elif words and words[0] in known and any(OPTION.fullmatch(w) for w in words[1:]):
            usage = f"collab {span.text}"
        else:
            continue
        counted += 1
        problems += check_usage(usage, where)
    rows = section_table(doc, "Commands").rows
    if len(rows) < 5:
        problems.append(f"the Commands table has only {len(rows)} rows")
    return counted, problems


def test_every_command_and_option_the_text_names_exists() -> None:
    counted, problems = check_spans(readme())
    assert not problems, "\n".join(problems)
    assert counted > 20, f"only {counted} spans name collab commands or options: the parser found too few"


# ---- the Environment table ---------------------------------------------------------------------------

NAME = re.compile(r"COLLAB_[A-Z0-9_]*")


@functools.cache
def code_names() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """The ``COLLAB_*`` names in collab/ that are not here-document markers (``<<'COLLAB_BODY'``), and
    the families a name is built in (``f"COLLAB_WATCH_{name.upper()}"``: prefix and that file's text)."""
    texts = []
    for path in sorted((ROOT / "collab").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                continue
    markers = {m["word"] for t in texts for m in HEREDOC.finditer(t)}
    names = {n for t in texts for n in NAME.findall(t) if not n.endswith("_")} - markers
    families = {(m[0], t) for t in texts for m in re.finditer(r"COLLAB_[A-Z0-9_]*_(?=\{)", t)}
    return frozenset(names), frozenset(families)


def check_environment(text: str) -> tuple[int, list[str]]:
    """The Environment table names each ``COLLAB_*`` variable the code names, and only those; every
    ``COLLAB_*`` span elsewhere in the README names one of the code's too."""
    doc = parse(text)
    rows = section_table(doc, "Environment").rows
    table = {span for cells in rows if cells for span in cells[0] if NAME.fullmatch(span)}
    names, families = code_names()

    def in_code(name: str) -> bool:
        return name in names or any(
            name.startswith(prefix) and re.search(rf"\b{name[len(prefix) :].lower()}\b", source)
            for prefix, source in families
        )

    mentioned = {m for s in doc.spans for m in NAME.findall(s.text) if not m.endswith("_")}
    problems = [f"the Environment table names {n}, which collab/ never reads" for n in sorted(table) if not in_code(n)]
    problems += [f"collab/ reads {n}, which the Environment table does not name" for n in sorted(names - table)]
    unknown = [n for n in sorted(mentioned - table) if not in_code(n)]
    problems += [f"the README names {n}, which collab/ never reads" for n in unknown]
    return len(table), problems


def test_the_environment_table_is_the_variables_the_code_reads() -> None:
    counted, problems = check_environment(readme())
    assert not problems, "\n".join(problems)
    assert counted > 5


# ---- the checks fail on a broken README -----------------------------------------------------------------


def test_the_checks_find_enough_to_check() -> None:
    doc = parse(readme())
    commands = [c for f in console_blocks(doc) for c in console_commands(f)[0]]
    assert len(commands) > 10, [c.line for c in commands]
    assert sum(1 for c in commands if c.shown) >= 2  # output lines to compare
    assert any(f.lang == "sh" for f in doc.fences) and any(f.lang == "python" for f in doc.fences)
    assert len({c.who for c in commands}) >= 3


def test_a_broken_readme_fails_the_checks(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    """A misspelt option, an unknown command, a failing or wrongly shown command, an unchecked sh
    command and a wrong Environment table each come out as a problem; a documented exit does not."""
    text = readme()
    _, spans = check_spans(text + "\nSee `collab wait ID --timeoot 5` and `collab frobnicate`.\n")
    assert any("--timeoot" in p for p in spans) and any("frobnicate" in p for p in spans), spans
    example = (
        "# x\n\n```console\n"
        'me$ collab start "Try" -r "One?"\nCreated channel abcd1234: /tmp/collab-abcd1234.md\n'
        "me$ collab wait abcd1234 --timeout 0  # exit 3: nothing yet\n"
        "me$ collab status abcd1234 --bogus\n```\n"
    )
    env = local_env(subprocess_env)
    counted, problems = run_local_blocks(example, tmp_path / "a", env)
    assert counted == 3 and len(problems) == 1 and "--bogus" in problems[0] and "exit 2" in problems[0], problems
    wrong = example.replace(" --bogus\n", "\nNo such line\n")
    _, problems = run_local_blocks(wrong, tmp_path / "b", env)
    assert len(problems) == 1 and "No such line" in problems[0], problems
    _, problems = check_sh_blocks("```sh\nmake install && .venv/bin/collab nope\n```\n", tmp_path, env)
    assert len(problems) == 2, problems
    table = section_table(parse(text), "Environment").rows
    first = table[0][0][0]
    broken = text.replace(f"| `{first}` |", "| `COLLAB_NO_SUCH_THING` |", 1)
    _, problems = check_environment(broken)
    assert any("COLLAB_NO_SUCH_THING" in p for p in problems) and any(first in p for p in problems), problems


def test_the_readme_starts_with_use_and_stays_short() -> None:
    """At most 250 lines; its first 40 hold the install and the three steps of an exchange in Claude
    Code (the plugin or `collab install`, `/collab TASK`, paste or `collab join`)."""
    lines = readme().splitlines()
    assert len(lines) <= 250, f"README.md is {len(lines)} lines"
    first = "\n".join(lines[:40])
    assert "## Install" in first and "pip install" in first
    for step in ("1. Install the plugin", "collab install", "2. In session A, type `/collab TASK`", "collab join ID"):
        assert step in first, step
