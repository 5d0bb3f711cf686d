"""``python -m localjustice`` runs the CLI."""

from localjustice.cli import app

app()
