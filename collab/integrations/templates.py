"""The text templates: the channel file, the join message and the ``/collab`` slash command.

Templates live in the top-level ``templates/`` folder of the source tree; the wheel ships them as
``collab/templates`` (see ``pyproject.toml``). They use :class:`string.Template` with braced
placeholders only (``${name}``), so a bare ``$ARGUMENTS`` in the slash command is left for Claude Code.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template


class _Braced(Template):
    idpattern = r"(?!)"  # a bare $name is never a placeholder
    braceidpattern = r"[a-z_]+"


def _template_dir() -> Path:
    """``collab/templates`` in an installed wheel, else the source tree's ``templates/``."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    return packaged if packaged.is_dir() else packaged.parent.parent / "templates"


def shell_word(path: object) -> str:
    """``path`` as one word for a POSIX shell, quoted only when it needs to be (:func:`shlex.quote`)."""
    import shlex

    return shlex.quote(str(path))


#: A template comment, ``{# ... #}`` (with the line break after it): notes for maintainers, such as
#: the documentation a format follows, that never reach the filled-in text.
_COMMENT = re.compile(r"\{#.*?#\}\n?", re.DOTALL)


def render(name: str, **values: str) -> str:
    """Fill the template ``name`` (a file in ``templates/``) with ``values``, dropping its comments.

    Raises:
        KeyError: a ``${placeholder}`` in the template has no value.
    """
    text = _COMMENT.sub("", (_template_dir() / name).read_text(encoding="utf-8"))
    template = _Braced(text)
    missing = set(template.get_identifiers()) - values.keys()
    if missing:
        raise KeyError(f"template {name} needs {sorted(missing)}")
    return template.safe_substitute(values)


#: Columns a filled-in message is wrapped to (:func:`wrap`).
WRAP_WIDTH = 100
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_JOINER = "\uf8ff"  # a private-use character standing for a space that must not break


def wrap(text: str, keep: tuple[str, ...] = (), width: int = WRAP_WIDTH) -> str:
    """Re-wrap the parts of a filled-in template that run past ``width`` columns.

    Templates are wrapped by hand, but a long path filled in makes lines longer. A prose paragraph
    (lines starting at column 0; a list item ``- `` is a paragraph of its own, with a hanging
    indent) that holds a line too long is filled again, its words flowing on to the next lines. A
    command line (indented four spaces, starting ``collab`` or ``flock``) is continued on the next
    line with a backslash, as a POSIX shell reads it (a here-document still starts after the whole
    command). The strings in ``keep`` (e.g. a quoted path) and markdown code spans are never
    broken. Everything else is left as it is.
    """
    masks = {value: chr(0xE000 + i) * len(value) for i, value in enumerate(keep) if value}
    for value, mask in masks.items():
        text = text.replace(value, mask)
    out: list[str] = []
    paragraph: list[str] = []
    for line in [*text.split("\n"), None]:
        prose = line is not None and line.strip() != "" and not line.startswith(" ")
        if paragraph and (not prose or line is None or line.startswith("- ")):
            out.extend(_filled(paragraph, width))
            paragraph = []
        if line is None:
            break
        if prose:
            paragraph.append(line)
        elif len(line) > width and line.startswith("    ") and line.lstrip().startswith(("collab ", "flock ")):
            out.extend(_continued(line, width))
        else:
            out.append(line)
    wrapped = "\n".join(out)
    for value, mask in masks.items():
        wrapped = wrapped.replace(mask, value)
    return wrapped


def _filled(paragraph: list[str], width: int) -> list[str]:
    """A prose paragraph as it was when every line fits, else filled again to ``width``."""
    import textwrap

    if all(len(line) <= width for line in paragraph):
        return paragraph
    # a code span is one word: `--re question:N` never splits across lines
    words = _CODE_SPAN.sub(lambda m: m.group().replace(" ", _JOINER), " ".join(paragraph))
    hanging = "  " if paragraph[0].startswith("- ") else ""
    lines = textwrap.wrap(words, width, subsequent_indent=hanging, break_long_words=False, break_on_hyphens=False)
    return [line.replace(_JOINER, " ") for line in lines]


def _continued(line: str, width: int) -> list[str]:
    """A shell command line split at spaces into lines ending `` \\``, each continuation indented."""
    indent = line[: len(line) - len(line.lstrip())]
    lines, current = [], ""
    for word in line.split():
        candidate = f"{current} {word}" if current else indent + word
        if current and len(candidate) + 2 > width:
            lines.append(current + " \\")
            current = indent + "    " + word
        else:
            current = candidate
    return [*lines, current]
