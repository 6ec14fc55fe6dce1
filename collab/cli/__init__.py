"""The ``collab`` command line: a thin layer over the library (see :mod:`collab.cli.app`).

The modules here define the commands; :data:`collab.cli.app.COMMANDS` says which module holds which,
and a module is imported only when one of its commands runs. The console script is
:func:`collab.console.main`.
"""

from collab.cli.app import app

__all__ = ["app"]
