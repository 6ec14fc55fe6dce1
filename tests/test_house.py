"""The layout holds (issue 21): few top-level modules, no cycle between packages (imports inside
functions count), the CLI written on the front door, and one module that turns errors into exits."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import collab

PACKAGE = Path(collab.__file__).resolve().parent

#: What a CLI module may import besides the front door (``collab``, its top-level modules and the
#: CLI itself): rendering and output, and the commands that are front doors of their own (``install``
#: and ``uninstall`` write and remove agent files, ``hook`` is Claude Code's Stop hook, contract section 8).
CLI_MAY_IMPORT = (
    "collab.render.",
    "collab.store.output",
    "collab.text.sanitize",
    "collab.integrations.install",
    "collab.integrations.uninstall",
    "collab.hooks.push",
    "collab.remote.",
)


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(("collab", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(), str(path))


def _runtime_imports(tree: ast.Module) -> Iterator[str]:
    """The collab modules ``tree`` imports when it runs: at the top or inside functions, not under TYPE_CHECKING."""
    typing_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("collab"):
            yield from (f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("collab"))


def _package(module: str) -> str:
    """``collab.ledger.wal`` -> ``collab.ledger``; a top-level module is its own node."""
    return ".".join(module.split(".")[:2])


def test_the_top_level_holds_few_modules_and_each_package_says_what_it_is_for() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    for folder in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        init = ast.parse((folder / "__init__.py").read_text())
        assert ast.get_docstring(init), f"{folder.name}/__init__.py says nothing"
        if folder.name != "cli":  # the command line is loaded whole: its package hands out the app
            assert not [n for n in init.body if isinstance(n, ast.Import | ast.ImportFrom)], folder.name


def test_no_package_imports_one_that_imports_it_back() -> None:
    edges: dict[str, set[str]] = {}
    for name, tree in _modules():
        edges.setdefault(_package(name), set()).update(
            p for p in map(_package, _runtime_imports(tree)) if p != _package(name)
        )

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, ()):
            if step == goal or (step not in seen and (seen.add(step) or reaches(step, goal, seen))):
                return True
        return False

    cycles = sorted(f"{a} <-> {b}" for a in edges for b in edges[a] if reaches(b, a, set()))
    assert cycles == []


def test_the_cli_is_written_on_the_front_door() -> None:
    past = []
    for name, tree in _modules():
        if not name.startswith("collab.cli"):
            continue
        for module in _runtime_imports(tree):
            front = module.split(".")[1] in [*collab.__all__, "config", "errors", "channel", "seat"]
            if not (front or module.startswith(("collab.cli.", *CLI_MAY_IMPORT))):
                past.append(f"{name} imports {module}")
    assert past == []


def test_one_module_turns_errors_into_the_process_exit() -> None:
    found = sorted(
        name for name, tree in _modules() if re.search(r"sys\.exit|raise typer\.Exit|SystemExit", ast.unparse(tree))
    )
    assert found == ["collab.cli.app"]


def test_each_package_imports_only_what_its_docstring_allows() -> None:
    allowed: dict[str, set[str]] = {}
    for folder in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name != "cli"):
        text = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        assert "May import: " in text, f"{folder.name}/__init__.py does not say what it may import"
        listed = text.split("May import: ", 1)[1].split("\n\n", 1)[0].rstrip(".")
        allowed[f"collab.{folder.name}"] = {w.strip() for w in listed.split(",")}
    beyond = sorted(
        f"{name} imports {module}"
        for name, tree in _modules()
        if _package(name) in allowed
        for module in map(_package, _runtime_imports(tree))
        if module != _package(name) and module not in allowed[_package(name)]
    )
    assert beyond == []
