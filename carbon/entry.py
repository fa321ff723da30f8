"""The `carbon` console script: Ctrl-C while the libraries load is an interruption, not a
traceback (the commands' own handler takes over once the CLI is loaded)."""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    # Arrow allocates through the C library's malloc, not its default pool (mimalloc), which
    # kept what finished chunks of a large ledger freed: 30M rows peaked at 1.80 GB with it and
    # 1.41 GB without, at the same speed. Read when pyarrow loads; a user's setting wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        _import_pint_without_dask()
        from carbon.cli import app
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    # The libraries' objects live as long as the process: out of the garbage collector's sight,
    # its collections of a large run's many short-lived frames no longer walk them each time
    # (5% of a 10M-row run's CPU and wall time).
    gc.freeze()
    app()


def _import_pint_without_dask() -> None:
    """pint imports Dask at start-up when it is installed (0.13 s of every run, with jinja2), to
    make Quantities of Dask arrays, which this engine never makes. Dask is hidden from pint's
    check only: `--engine dask` imports it as usual afterwards."""
    if "dask" in sys.modules or "pint" in sys.modules:
        return
    sys.modules["dask"] = None  # type: ignore[assignment]  # importlib's mark for "not available"
    try:
        import pint  # noqa: F401
    finally:
        del sys.modules["dask"]
