"""What a collab command accepts on its command line: checked text and numbers, the shared
arguments and options, and an entry's body from an argument or stdin.

Every value is checked once, as it is parsed (:class:`CheckedCommand`): text must be UTF-8 with no
NUL, numbers ASCII digits, or the command stops with a usage error (exit 2) before it reads or
writes anything.
"""

# No ``from __future__ import annotations``: see :mod:`collab.cli.live`.
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperCommand

from collab.errors import CollabError, UsageError


class _DigitsOnly(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on, not before
    """A number option's type, refusing what Python's ``int()``/``float()`` read but collab does not.

    Both read other scripts' digits (a fullwidth one, an Arabic-Indic three) and read ``1_0`` as
    10: collab's numbers are the ASCII digits 0-9 wherever it reads one, so these are usage
    errors. Everything else (ranges, ``inf``) is left to the type it wraps and to the command.
    """

    def __init__(self, inner: click.ParamType[Any]) -> None:
        self.inner = inner
        self.name = inner.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not (value.isascii() and "_" not in value):
            self.fail(f"{value!r} is not a number collab reads: write it with the digits 0-9", param, ctx)
        return self.inner.convert(value, param, ctx)


def _unusable(value: str) -> str | None:
    """Why a command-line value cannot be used as text (not UTF-8, or a NUL in it), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Python keeps argv bytes that are not UTF-8 as lone surrogates (U+DC80-U+DCFF, PEP 383);
        # no channel, path in a channel or message can hold them.
        char = ord(value[exc.start])
        what = f"byte 0x{char - 0xDC00:02x}" if 0xDC80 <= char <= 0xDCFF else f"unpaired surrogate U+{char:04X}"
        offset = len(value[: exc.start].encode("utf-8"))
        return f"it is not UTF-8 ({what} at offset {offset}); pass it as UTF-8 text"
    nul = value.find("\x00")
    if nul >= 0:
        return f"it holds a NUL byte (at offset {len(value[:nul].encode())}); remove it"
    return None


class CheckedCommand(TyperCommand):
    """A collab command: every text value it is given must be usable text, every number ASCII digits.

    Checked once here for every argument and option of every command (text, names, paths), so
    that no command reaches a file or a message with a value it cannot write: each is a usage
    error (exit 2) naming the argument, before anything is read or written.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                param.type = _DigitsOnly(param.type)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.get_params(ctx):
            given = ctx.params.get(param.name or "")
            for value in given if isinstance(given, list | tuple) else (given,):
                text = os.fspath(value) if isinstance(value, os.PathLike) else value
                problem = _unusable(text) if isinstance(text, str) else None
                if problem:
                    raise click.BadParameter(problem, ctx=ctx, param=param)
        return rest


def complete_channel(incomplete: str) -> list[str]:
    """Shell completion of CHANNEL: the ids of the channels in the channel directory."""
    from collab import config

    try:
        ids = config.channel_ids()
    except CollabError:
        return []
    return [i for i in ids if i.startswith(incomplete)]


ChannelArg = Annotated[
    str,
    typer.Argument(
        help="Channel path, or its id or a unique prefix of it (looked up in the channel directory).",
        autocompletion=complete_channel,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout (errors as JSON on stderr).")]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Your name in the channel. Default: $COLLAB_AS, else the git top-level or cwd name.",
        metavar="NAME",
    ),
]
DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Where a channel id is looked up. Default: $COLLAB_DIR, else /tmp.", metavar="DIR"),
]


def read_text_arg(text: str | None, what: str) -> str:
    """The body of an entry: ``text``, or standard input when ``text`` is ``-`` or absent.

    Raises:
        UsageError: no text and stdin is a terminal (collab never prompts), or the text on stdin is
            not UTF-8 or is over the entry limit.
    """
    if text is not None and text != "-":
        return text  # a command's arguments are checked as text when they are parsed (:class:`CheckedCommand`)
    from collab.channel import Channel

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(f"no {what} given: pass it as an argument, or pipe it on stdin with '-'")
    limit = Channel.MAX_ENTRY_BYTES
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"the {what} on stdin is over the {limit // 1048576} MiB entry limit; split it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the {what} on stdin is not UTF-8 (bad byte at offset {exc.start})") from None
