"""``python -m collab`` runs the command line."""

from collab.console import main

main()
