"""The ``collab`` command line: a thin layer over the library (see :mod:`collab.cli.app`).

Each module below registers its commands on the one :data:`app`.
"""

from collab.cli import channels, live, review, verify  # noqa: F401  (registers commands)
from collab.cli.app import app

__all__ = ["app"]
