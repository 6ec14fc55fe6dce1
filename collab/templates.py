"""The text templates: the channel file, the join message and the ``/collab`` slash command.

Templates live in the top-level ``templates/`` folder of the source tree; the wheel ships them as
``collab/templates`` (see ``pyproject.toml``). They use :class:`string.Template` with braced
placeholders only (``${name}``), so a bare ``$ARGUMENTS`` in the slash command is left for Claude Code.
"""

from __future__ import annotations

from pathlib import Path
from string import Template


class _Braced(Template):
    idpattern = r"(?!)"  # a bare $name is never a placeholder
    braceidpattern = r"[a-z_]+"


def _template_dir() -> Path:
    """``collab/templates`` in an installed wheel, else the source tree's ``templates/``."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else packaged.parent.parent / "templates"


def shell_word(path: object) -> str:
    """``path`` as one word for a POSIX shell, quoted only when it needs to be (:func:`shlex.quote`)."""
    import shlex

    return shlex.quote(str(path))


def render(name: str, **values: str) -> str:
    """Fill the template ``name`` (a file in ``templates/``) with ``values``.

    Raises:
        KeyError: a ``${placeholder}`` in the template has no value.
    """
    template = _Braced((_template_dir() / name).read_text(encoding="utf-8"))
    missing = set(template.get_identifiers()) - values.keys()
    if missing:
        raise KeyError(f"template {name} needs {sorted(missing)}")
    return template.safe_substitute(values)
