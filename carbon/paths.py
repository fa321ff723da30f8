"""Where the bundled factor sets, example organisations and package data live.

In a source checkout (or an editable install) they are the top-level `factors/` and `inputs/`
folders; a built wheel carries copies under `carbon/_bundled/` (see pyproject.toml).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml

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


@lru_cache(maxsize=None)
def data_file(name: str) -> dict:
    """A YAML data file shipped with the package (carbon/data/NAME), read once."""
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def user_guide() -> str:
    """The README: from a source checkout, else from the installed package's metadata."""
    readme = PACKAGE_DIR.parent / "README.md"
    if (PACKAGE_DIR.parent / "pyproject.toml").is_file() and readme.is_file():
        return readme.read_text(encoding="utf-8")
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        return str(metadata("carbon-inventory").get_payload())  # type: ignore[attr-defined]
    except PackageNotFoundError:
        return "The guide is README.md in the carbon-inventory source.\n"


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks (ledgers can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
