"""Paging a transcript on a terminal: output taller than the terminal goes through a pager.

The pager is ``$PAGER``, split into words as a shell splits them and run without a shell (so a
missing program is seen at once, and the output printed instead); an empty ``PAGER`` or ``cat``
means none. Without ``PAGER`` it is ``less``, unless ``TERM`` is ``dumb``. ``LESS=FRX`` (keep colour,
quit at once if it fits, leave the text on the screen) is set for the pager when ``LESS`` is unset,
as git does; a ``LESS`` of the person's own is left alone.

Output is held until it is one screen tall: a shorter transcript is printed as it is, and a longer
one starts the pager, which then gets what was held and everything after it as it is rendered.
rich's ``Console.pager()`` is not used: it captures only what rich prints (the raw bodies of a big
transcript would come out first), holds the whole transcript, and hands it to :func:`pydoc.pager`,
which runs ``less`` without ``-R`` and, when ``PAGER`` names a missing program, prints nothing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any, TextIO, cast

from collab.cli.output import warn


class _Quit(Exception):
    """The pager ended (the person quit it) before the whole transcript was written to it."""


def command(environ: Mapping[str, str]) -> list[str] | None:
    """The pager to run, as program and arguments, or None for no pager.

    Raises:
        ValueError: ``PAGER`` cannot be split into words (an unclosed quote).
    """
    if "PAGER" not in environ:
        return None if environ.get("TERM") == "dumb" or shutil.which("less") is None else ["less"]
    words = shlex.split(environ["PAGER"])
    if not words or words == ["cat"] or (len(words) == 1 and os.path.basename(words[0]) == "cat"):
        return None
    return words


class PagedStream:
    """A text stream for the terminal that holds what is written until it has ``rows`` lines, then
    starts ``argv`` and writes to it instead; :meth:`finish` prints what is still held, or lets the
    pager run to its end.

    While the pager runs, Ctrl+C is left to it (collab ignores SIGINT), so quitting the pager is
    how a person ends it. When the pager cannot start, a warning names it and the output goes to
    ``out`` as if there were no pager. When the person quits the pager before the end, the next
    write raises :class:`_Quit`, which :func:`paged` takes as the normal end.
    """

    def __init__(self, argv: list[str], rows: int, out: TextIO, environ: Mapping[str, str]) -> None:
        self._argv: list[str] | None = argv
        self._rows = rows
        self._out = out
        self._env = {**environ, "LESS": environ.get("LESS", "FRX")}
        self._held: list[str] = []
        self._lines = 0
        self._pager: subprocess.Popen[str] | None = None
        self._pipe: IO[str] | None = None
        self._interrupt: Any = None
        self._ignoring = False
        self.encoding = getattr(out, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return self._out.isatty()

    def write(self, text: str) -> int:
        if self._pager is not None:
            self._send(text)
        elif self._argv is None:
            self._out.write(text)
        else:
            self._held.append(text)
            self._lines += text.count("\n")
            if self._lines >= self._rows:
                self._start(self._argv)
        return len(text)

    def flush(self) -> None:
        if self._pager is None:
            self._out.flush()
        elif self._pipe is not None:
            try:
                self._pipe.flush()
            except OSError:  # a broken pipe: the pager has ended
                self._close()
                raise _Quit from None

    def _start(self, argv: list[str]) -> None:
        held, self._held, self._argv = "".join(self._held), [], None
        self._out.flush()
        try:
            pager = subprocess.Popen(
                argv, stdin=subprocess.PIPE, env=self._env, encoding=self.encoding, errors="replace"
            )
        except OSError as exc:
            warn(f"the pager {shlex.join(argv)!r} did not start ({exc.strerror or exc}): printing instead")
            self._out.write(held)
            return
        self._pager, self._pipe = pager, pager.stdin
        with suppress(ValueError):  # not the main thread: Ctrl+C stays as it was
            self._interrupt, self._ignoring = signal.signal(signal.SIGINT, signal.SIG_IGN), True
        self._send(held)

    def _send(self, text: str) -> None:
        if self._pipe is None:  # quit already: the rest has nowhere to go
            return
        try:
            self._pipe.write(text)
        except OSError:  # a broken pipe: the pager has ended
            self._close()
            raise _Quit from None

    def _close(self) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            with suppress(OSError):
                pipe.close()

    def finish(self) -> None:
        """Print what is held; or close the pager's input and wait until the person quits it."""
        if self._pager is None:
            self._out.write("".join(self._held))
            self._held = []
            self._out.flush()
            return
        self._close()
        self._pager.wait()
        if self._ignoring:
            signal.signal(signal.SIGINT, self._interrupt)


def _in_front(stream: TextIO) -> bool:
    """Whether ``stream`` is this process's controlling terminal, with the process in its foreground.

    A pager shows on its stdout and reads keys from the controlling terminal (``/dev/tty``), so
    the two must be one terminal: output to another terminal, or from a job in the background,
    is printed. The kernel answers :func:`os.tcgetpgrp` only for the controlling terminal.
    """
    try:
        return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):  # not our terminal, closed, or no such call here
        return False


@contextmanager
def paged(enabled: bool = True) -> Iterator[IO[str]]:
    """The stream to print a terminal transcript to: stdout, or a :class:`PagedStream` over it.

    With ``enabled`` False, stdout not the terminal in front (:func:`_in_front`), or no pager to
    run (:func:`command`), it is stdout itself. A pager
    that cannot start, or a ``PAGER`` that cannot be read, is one warning on stderr and the
    transcript is printed; quitting the pager early ends the block quietly.
    """
    argv = None
    if enabled and _in_front(sys.stdout):
        try:
            argv = command(os.environ)
        except ValueError as exc:
            warn(f"PAGER cannot be read ({exc}): printing instead")
    if argv is None:
        yield sys.stdout
        return
    stream = PagedStream(argv, shutil.get_terminal_size().lines, sys.stdout, os.environ)
    try:
        yield cast("IO[str]", stream)
    except _Quit:
        pass
    finally:
        stream.finish()
