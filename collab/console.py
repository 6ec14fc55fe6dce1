"""The ``collab`` console script (and ``python -m collab``)."""

import gc
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_interrupts() -> Iterator[None]:
    """While the block runs, Ctrl+C (SIGINT) ends the process at once with exit 130 and one line on
    stderr, not a ``KeyboardInterrupt`` traceback from whatever module was loading; then Python's
    own handler is back, and each command handles Ctrl+C its own way."""

    def interrupted(_signum: int, _frame: object) -> None:
        from collab.errors import Exit

        os.write(2, b"collab: interrupted\n")
        os._exit(Exit.INTERRUPTED)  # nothing is written yet: there is nothing to flush or undo

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main() -> None:
    """Run the command line with the cyclic garbage collector paused while it starts.

    Start-up (typer, click and collab's modules) allocates tens of thousands of objects that all
    live until the process ends; the collector would walk them several times over and free nothing,
    on every run (``bench/startup.py`` measures it). The root callback in
    :mod:`collab.cli.app` keeps what start-up made out of later collections (:func:`gc.freeze`) and
    resumes collecting before the command runs, so a long ``watch`` collects as usual. A Ctrl+C
    while the modules load ends it quietly (:func:`quiet_interrupts`).
    """
    gc.disable()
    with quiet_interrupts():
        from collab.cli import app

    app(prog_name="collab")
