"""Writing outputs so that a reader never sees half of a run.

A run's files are written into a staging folder beside the target and published together:

    OUT/runs/<run id>/            the files of one complete run and its manifest.json
    OUT/latest -> runs/<run id>   switched in one atomic rename: the commit point
    OUT/inventory.json -> latest/inventory.json   (and every other file of the run)

Before the switch, OUT shows the previous run in full; after it, the new run in full. A failed
or killed run leaves the previous outputs untouched; its staging folder is removed on failure,
and by the next run after a kill. The run id is derived from the outputs' sha256, so the same
inputs give the same run folder. Single files outside OUT (the auditor workbook) are written to
a temporary file and renamed.

CSV outputs neutralise formula prefixes (OWASP "CSV injection"): a text cell that begins with
= + - @, a tab or a carriage return is written with a leading apostrophe, as spreadsheet
programs show text.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow
import pyarrow.csv
import pyarrow.parquet
from pydantic import BaseModel

from carbon import __version__
from carbon.errors import OutputError
from carbon.paths import file_sha256

RUNS = "runs"
LATEST = "latest"
MANIFEST = "manifest.json"
STAGING_PREFIX = ".staging-"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- single files


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ordinary_permissions(path: Path) -> None:
    """mkstemp/mkdtemp make files private; outputs get the permissions of any file the user makes."""
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_current_umask())


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through `write` into a temporary file beside `path`, then rename.

    Readers never see half a file, and a failure leaves any earlier file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        _ordinary_permissions(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class HashingFile:
    """A file written through, keeping the sha256 of every byte: the manifest of a large output
    need not read it back at the end of the run. hashlib releases the GIL on large blocks, so
    the thread that writes (emission lines are written on their own thread) pays for it."""

    def __init__(self, path: Path):
        self.handle = open(path, "wb")  # noqa: SIM115 - closed by close(), as a file is
        self.digest = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def tell(self) -> int:
        return self.handle.tell()

    def flush(self) -> None:
        self.handle.flush()

    @property
    def closed(self) -> bool:
        return self.handle.closed

    def close(self) -> None:
        self.handle.close()

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def to_json(document: object) -> str:
    """JSON of a result (a model, or plain data). allow_nan=False: a non-finite number is a bug
    upstream, never a value to publish."""
    if isinstance(document, BaseModel):
        document = document.model_dump(mode="json")
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------- CSV


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with an apostrophe."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories
            if categories.dtype.kind in "OSU" or pd.api.types.is_string_dtype(categories.dtype):
                renamed = [_neutral(c) for c in categories.astype(str)]
                if renamed != list(categories.astype(str)) and len(set(renamed)) == len(renamed):
                    frame[name] = column.cat.rename_categories(renamed)
        elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            text = column.astype(str)
            risky = text.str.startswith(FORMULA_PREFIXES) & column.notna()
            if risky.any():
                frame[name] = column.where(~risky, "'" + text)
    return frame


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    neutralise(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_lines_csv(lines: pd.DataFrame, stream: BinaryIO) -> None:
    # pyarrow's writer streams columns in C: an order of magnitude faster than DataFrame.to_csv
    # on millions of lines, and it never holds the whole file as one string.
    pyarrow.csv.write_csv(pyarrow.Table.from_pandas(neutralise(lines), preserve_index=False), stream)


def write_lines_parquet(lines: pd.DataFrame, stream: BinaryIO) -> None:
    pyarrow.parquet.write_table(pyarrow.Table.from_pandas(lines, preserve_index=False), stream)


def write_line_keys(outputs: OutputSet, keys: pd.DataFrame) -> None:
    """line_keys.parquet: per line key, what every line of that key shares (factor and its
    source, GWP, conversion, scope...); emission_lines.parquet refers to it by `line_key`."""
    write_atomically(outputs.path("line_keys.parquet"), lambda stream: write_lines_parquet(keys, stream))


# ---------------------------------------------------------------- the output set


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# Every name a run may publish at the top of OUT; anything else there is the user's and is never
# touched. A run folder is ours when its name is a run id and it holds our manifest.
PUBLISHED_NAMES = (
    "inventory.json",
    "manifest.json",
    "emission_lines.csv",
    "emission_lines.parquet",
    "emission_lines",
    "line_keys.parquet",
    "workbook.xlsx",
)
RUN_ID = re.compile(r"^[0-9a-f]{16}$")


class OutputSet:
    """The outputs of one run, staged in OUT/runs/.staging-* and published as a set by commit().

    Use as a context manager around the whole run: it takes OUT's lock on entering (a second
    run into the same OUT is refused), and leaving without commit() (an error) removes the
    staging folder and the folders it created, so OUT is exactly as it was. Only what this tool
    published is ever replaced or removed; a user's file under one of its names is refused."""

    def __init__(self, out_dir: Path):
        if not str(out_dir).strip():
            raise OutputError("--out '': expected a folder name")
        self.out_dir = Path(out_dir)
        self.runs = self.out_dir / RUNS
        self.staging: Path | None = None
        self.created: list[Path] = []
        self._lock: int | None = None
        self._digests: dict[str, tuple[int, str]] = {}  # staged name: (bytes, sha256) as written

    # -- entering: folders, lock, leftovers of killed runs

    def __enter__(self) -> OutputSet:
        try:
            self._refuse_foreign_files()
            for folder in (self.out_dir, self.runs):
                if not folder.is_dir():
                    folder.mkdir(parents=True)
                    self.created.append(folder)
            self._lock = os.open(self.runs, os.O_RDONLY)
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputError(
                    f"{self.out_dir}: another carbon run is writing here; wait for it, or give another --out"
                ) from None
            self._remove_leftovers()
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.runs))
        except OSError as error:
            self._undo()
            raise OutputError(f"cannot write outputs to {self.out_dir}: {error.strerror or error}") from None
        except BaseException:
            self._undo()
            raise
        return self

    def _refuse_foreign_files(self) -> None:
        """A file or folder under one of our names that we did not publish belongs to the user."""
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(f"cannot write outputs to {self.out_dir}: it is a file, not a folder")
        foreign = [
            name
            for name in (*PUBLISHED_NAMES, LATEST)
            if (self.out_dir / name).exists() or (self.out_dir / name).is_symlink()
            if not self._ours(self.out_dir / name)
        ]
        if (self.runs.exists() or self.runs.is_symlink()) and not self.runs.is_dir():
            foreign.append(RUNS)
        if foreign:
            raise OutputError(
                f"{self.out_dir} holds {', '.join(foreign)} that carbon-inventory did not publish as an "
                "output set (perhaps from an earlier version or another tool): move them away, or give "
                "another --out; nothing was written"
            )

    def _ours(self, path: Path) -> bool:
        if not path.is_symlink():
            return False
        target = Path(os.readlink(path))
        return target == Path(LATEST) / path.name if path.name != LATEST else target.parent == Path(RUNS)

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self._undo()
        elif self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def path(self, name: str) -> Path:
        """Where to write output `name` while the run is in progress."""
        assert self.staging is not None, "OutputSet used outside its with-block"
        return self.staging / name

    def record_sha256(self, name: str, sha256: str) -> None:
        """The sha256 of staged file `name`, taken as it was written (HashingFile); the manifest
        uses it instead of reading the file again, while the file keeps the size it had now."""
        self._digests[name] = (self.path(name).stat().st_size, sha256)

    def sha256(self, name: str) -> str:
        """The sha256 of staged file `name`: as recorded when written, else read from disk."""
        path = self.path(name)
        recorded = self._digests.get(name)
        if recorded is not None and recorded[0] == path.stat().st_size:
            return recorded[1]
        return file_sha256(path)

    # -- committing

    def commit(self, copies: dict[str, Path] | None = None) -> dict[str, Path]:
        """Publish every staged file at once; returns {name: path under OUT} of the run's files.

        `copies` maps a staged file to a path the user chose (the --xlsx workbook): each is
        written beside its target before the commit point, and renamed into place right after."""
        assert self.staging is not None
        prepared = self._prepare_copies(copies or {})
        try:
            manifest = self._write_manifest()
            run_id = hashlib.sha256(manifest.read_bytes()).hexdigest()[:16]
            run = self.runs / run_id
            _ordinary_permissions(self.staging)
            if run.exists():  # the same outputs were published before: keep that folder
                shutil.rmtree(self.staging)
            else:
                os.rename(self.staging, run)
            self.staging = None
            self._switch_latest(run_id)
        except BaseException:
            for temporary, _ in prepared:
                temporary.unlink(missing_ok=True)
            raise
        try:
            for temporary, target in prepared:
                os.replace(temporary, target)
            names = sorted({p.relative_to(run).parts[0] for p in run.iterdir()})
            self._link_top_level(names)
            self._remove_leftovers(keep=run_id)
        except OSError as error:
            raise OutputError(
                f"cannot publish outputs in {self.out_dir}: {error.strerror or error}"
            ) from None
        return {name: self.out_dir / name for name in names}

    def _prepare_copies(self, copies: dict[str, Path]) -> list[tuple[Path, Path]]:
        prepared: list[tuple[Path, Path]] = []
        try:
            for name, target in copies.items():
                target = Path(target)
                if target.is_dir():
                    raise OutputError(f"cannot write {target}: it is a folder; nothing was written")
                target.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
                prepared.append((Path(temporary), target))
                with os.fdopen(handle, "wb") as stream:
                    stream.write(self.path(name).read_bytes())
                _ordinary_permissions(Path(temporary))
        except OSError as error:
            for written, _ in prepared:
                written.unlink(missing_ok=True)
            failed = target if copies else self.out_dir
            raise OutputError(
                f"cannot write {failed}: {error.strerror or error}; nothing was written"
            ) from None
        except BaseException:
            for written, _ in prepared:
                written.unlink(missing_ok=True)
            raise
        return prepared

    def _write_manifest(self) -> Path:
        assert self.staging is not None
        names = [str(p.relative_to(self.staging)) for p in _files(self.staging)]
        files = [
            {"path": name, "bytes": self.path(name).stat().st_size, "sha256": self.sha256(name)}
            for name in names
        ]
        manifest = self.staging / MANIFEST
        manifest.write_text(to_json({"written_by": WRITTEN_BY, "files": files}), encoding="utf-8")
        for path in [*self.staging.rglob("*")]:
            _ordinary_permissions(path)
        return manifest

    def _switch_latest(self, run_id: str) -> None:
        pointer = self.out_dir / f".{LATEST}.{run_id}.tmp"
        pointer.unlink(missing_ok=True)
        os.symlink(Path(RUNS) / run_id, pointer)
        os.replace(pointer, self.out_dir / LATEST)  # the commit point: one atomic rename

    def _link_top_level(self, names: list[str]) -> None:
        """OUT/<name> -> latest/<name> for the run's files; our links to files the run lacks go."""
        for name in names:
            link, target = self.out_dir / name, Path(LATEST) / name
            if link.is_symlink() and Path(os.readlink(link)) == target:
                continue
            temporary = self.out_dir / f".{name}.link.tmp"
            temporary.unlink(missing_ok=True)
            os.symlink(target, temporary)
            os.replace(temporary, link)
        for name in PUBLISHED_NAMES:
            link = self.out_dir / name
            if name not in names and self._ours(link):
                link.unlink()

    # -- cleaning

    def _remove_leftovers(self, keep: str | None = None) -> None:
        """Staging folders of killed runs, and our run folders no longer pointed at."""
        current = keep or self._current_run()
        for entry in self.runs.iterdir():
            if entry.name == current or entry == self.staging or entry.is_symlink() or not entry.is_dir():
                continue
            if entry.name.startswith(STAGING_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)
            elif RUN_ID.match(entry.name) and _written_by_us(entry):
                _remove_run(entry)
        for entry in self.out_dir.glob(f".{LATEST}.*.tmp"):
            entry.unlink(missing_ok=True)
        for entry in self.out_dir.glob(".*.link.tmp"):
            entry.unlink(missing_ok=True)

    def _current_run(self) -> str | None:
        latest = self.out_dir / LATEST
        return Path(os.readlink(latest)).name if latest.is_symlink() else None

    def _undo(self) -> None:
        if self.staging is not None and self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        for folder in reversed(self.created):
            try:
                folder.rmdir()
            except OSError:
                pass
        self.created = []


WRITTEN_BY = f"carbon-inventory {__version__}"


def _remove_run(run: Path) -> None:
    """Rename first, then delete: a run killed half-way through deleting a folder must leave a
    staging-named folder (always removed later), not a run folder whose manifest is already gone
    and which would then no longer be recognised as ours."""
    doomed = run.with_name(f"{STAGING_PREFIX}removed-{run.name}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.rename(run, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _written_by_us(run: Path) -> bool:
    try:
        return (
            json.loads((run / MANIFEST).read_text(encoding="utf-8"))
            .get("written_by", "")
            .startswith("carbon-inventory")
        )
    except (OSError, ValueError, AttributeError):
        return False
