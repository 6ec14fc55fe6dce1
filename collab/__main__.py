"""``python -m collab`` runs the command line."""
from collab.cli import app

app(prog_name="collab")
