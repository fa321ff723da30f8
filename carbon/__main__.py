"""`python -m carbon` is the same as the `carbon` command."""

from carbon.cli import app

app()
