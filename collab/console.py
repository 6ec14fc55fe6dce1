"""The ``collab`` console script (and ``python -m collab``)."""

import gc


def main() -> None:
    """Run the command line with the cyclic garbage collector paused while it starts.

    Start-up (typer, click and collab's modules) allocates tens of thousands of objects that all
    live until the process ends; the collector would walk them several times over and free nothing,
    on every run (``bench/startup.py`` measures it). The root callback in
    :mod:`collab.cli.app` keeps what start-up made out of later collections (:func:`gc.freeze`) and
    resumes collecting before the command runs, so a long ``watch`` collects as usual.
    """
    gc.disable()
    from collab.cli import app

    app(prog_name="collab")
