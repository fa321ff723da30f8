"""The `carbon` console script: Ctrl-C while the libraries load is an interruption, not a
traceback (the commands' own handler takes over once the CLI is loaded)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from carbon.cli import app
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    app()
