"""Where the bundled factor sets, example organisations and package data live.

In a source checkout (or an editable install) they are the top-level `factors/` and `inputs/`
folders; a built wheel carries copies under `carbon/_bundled/` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def bundled_root() -> Path:
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "factors").is_dir():
        return checkout
    return PACKAGE_DIR / "_bundled"


def factors_root() -> Path:
    return bundled_root() / "factors"


def inputs_root() -> Path:
    return bundled_root() / "inputs"
