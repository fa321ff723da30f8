"""Record ids must be unique across the whole ledger: checked from one 64-bit hash per row, in
memory that does not grow with the ledger.

Each chunk gives the hashes of its record ids. Up to SPILL_BYTES of them are kept in memory;
beyond that they are spilled, with their row positions, to temporary files, one per bucket of
the hash's top bits. The check then sorts one bucket at a time (a repeated id has one hash, so
both its rows fall in the same bucket). A 30M-row ledger kept 240 MB of hashes in memory, and
the check at its end needed several times that: the peak grew with the ledger.

The ids themselves are read again only for rows whose hash repeats, to name them and to rule
out a collision of two different ids.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO

import numpy as np
import pandas as pd

from carbon.errors import OutputError, Problem
from carbon.readers import MAX_ROWS_PER_CHECK, large_text

# Hashes kept in memory before they are spilled: 2M rows (a ledger of that size never touches disk).
SPILL_BYTES = 16 * 1024 * 1024
BUCKET_BITS = 6  # 64 buckets: a 30M-row ledger sorts ~470,000 hashes at a time
HASH_AND_POSITION = np.dtype([("hash", np.uint64), ("position", np.uint64)])
# A polynomial hash of each id's UTF-8 bytes modulo 2**64 (odd base, so invertible), then
# splitmix64's finaliser to spread the bits (the buckets take the top ones).
BASE = np.uint64(0x100000001B3)
INVERSE_BASE = np.uint64(pow(int(BASE), -1, 1 << 64))
SLICE_BYTES = 1 << 20  # ids' text hashed a slice at a time: the arithmetic takes ~33 bytes a byte


def id_hashes(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash of each record id, equal for equal text wherever it is in the ledger (a
    missing id hashes as the empty one). Column arithmetic on the ids' UTF-8 bytes (pandas' own
    hashing of Arrow strings took 15% of a run). A collision costs nothing but a look at the
    ids: duplicate_ids compares the text."""
    if isinstance(ids.dtype, pd.CategoricalDtype):  # hash the categories, take them to the rows
        categories = pd.Series([*ids.cat.categories.astype(str), ""], dtype="str")
        return id_hashes(categories)[ids.cat.codes.to_numpy()]  # code -1 (missing) takes the last: ""
    text = large_text(ids)
    if len(text) == 0:
        return np.empty(0, dtype=np.uint64)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    buffer = text.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8) if buffer is not None else np.empty(0, dtype=np.uint8)
    # Rows in slices of about SLICE_BYTES of text.
    slice_of_row = (offsets[:-1] - offsets[0]) // SLICE_BYTES
    bounds = [0, *(np.flatnonzero(np.diff(slice_of_row)) + 1).tolist(), len(text)]
    return np.concatenate(
        [
            _hash_slice(data, offsets[start : end + 1])
            for start, end in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    )


def _hash_slice(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The hashes of the ids between consecutive `offsets` into `data`."""
    starts, ends = offsets[:-1] - offsets[0], offsets[1:] - offsets[0]
    piece = data[offsets[0] : offsets[-1]]
    powers, inverse = _powers(len(piece))
    running = np.concatenate([[np.uint64(0)], np.cumsum(piece * powers[: len(piece)])])
    # sum of byte_j * BASE**(j + 1) over the id, divided by BASE**start: the same for the same bytes
    hashes = (running[ends] - running[starts]) * inverse[starts]
    hashes ^= (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return _finalise(hashes)


_POWERS: list[tuple[np.ndarray, np.ndarray]] = []  # made at the first slice, longer when one needs it


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**(j + 1) and BASE**-j for j = 0 .. length (at least), made once for every slice."""
    if not _POWERS or len(_POWERS[0][0]) <= length:
        size = max(length + 1, SLICE_BYTES + 1)
        powers = np.cumprod(np.full(size, BASE, dtype=np.uint64))
        inverse = np.cumprod(np.full(size, INVERSE_BASE, dtype=np.uint64)) * BASE
        _POWERS[:] = [(powers, inverse)]
    return _POWERS[0]


def _finalise(x: np.ndarray) -> np.ndarray:
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class RecordIdHashes:
    """The record-id hash of every row seen, in row order (positions count from 0)."""

    def __init__(self, spill_bytes: int = SPILL_BYTES):
        self.spill_bytes = spill_bytes
        self.pending: list[np.ndarray] = []  # hashes not yet spilled, in row order
        self.spilled_rows = 0  # rows before those pending
        self.buckets: list[IO[bytes]] = []  # created at the first spill

    def __len__(self) -> int:
        return self.spilled_rows + sum(len(h) for h in self.pending)

    def add(self, hashes: np.ndarray) -> None:
        self.pending.append(np.asarray(hashes, dtype=np.uint64))
        if self.buckets or sum(h.nbytes for h in self.pending) >= self.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        """Pending hashes to their bucket files, a chunk at a time (a spill of them all at once
        cost several times their size in passing)."""
        try:
            if not self.buckets:
                self.buckets = [tempfile.TemporaryFile(prefix="carbon-ids-") for _ in range(1 << BUCKET_BITS)]
            pending, self.pending = self.pending, []
            for hashes in pending:
                self._write(hashes)
        except OSError as error:
            self.close()
            raise OutputError(
                f"cannot keep the record-id check's hashes in the temporary folder {tempfile.gettempdir()} "
                f"({error.strerror or error}); set TMPDIR to a folder with space (16 bytes per ledger row)"
            ) from None

    def _write(self, hashes: np.ndarray) -> None:
        """One chunk's hashes, with their positions, appended to their buckets' files."""
        bucket = (hashes >> np.uint64(64 - BUCKET_BITS)).astype(np.uint8)
        order = np.argsort(bucket, kind="stable")  # a radix sort on 8-bit keys
        pairs = np.empty(len(hashes), dtype=HASH_AND_POSITION)
        pairs["hash"] = hashes[order]
        pairs["position"] = order
        pairs["position"] += np.uint64(self.spilled_rows)
        self.spilled_rows += len(hashes)
        counts = np.bincount(bucket, minlength=len(self.buckets))
        ends = np.cumsum(counts)
        for file, start, end in zip(self.buckets, ends - counts, ends, strict=True):
            if end > start:
                pairs[start:end].tofile(file)

    def repeated_positions(self) -> np.ndarray:
        """Positions of every row whose hash is shared with another row, in increasing order."""
        if not self.buckets:  # all in memory: one sort
            hashes = np.concatenate(self.pending) if self.pending else np.empty(0, dtype=np.uint64)
            return np.flatnonzero(np.isin(hashes, _repeated(hashes)))
        self._spill()
        # Two threads: NumPy sorts without the GIL, and this is the run's last long step.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="record-ids") as pool:
            found = list(pool.map(_repeated_in_bucket, self.buckets))
        return np.sort(np.concatenate(found)).astype(np.int64)

    def close(self) -> None:
        for file in self.buckets:
            file.close()
        self.buckets = []
        self.pending = []


def _repeated_in_bucket(file: IO[bytes]) -> np.ndarray:
    """Positions of the rows of one bucket file whose hash is shared with another row."""
    file.seek(0)
    pairs = np.fromfile(file, dtype=HASH_AND_POSITION)
    return pairs["position"][np.isin(pairs["hash"], _repeated(pairs["hash"]))]


def _repeated(hashes: np.ndarray) -> np.ndarray:
    """The hash values that occur more than once."""
    ordered = np.sort(hashes)
    return ordered[1:][ordered[1:] == ordered[:-1]]


def duplicate_ids(
    hashes: RecordIdHashes,
    rows_at: Callable[[np.ndarray], np.ndarray],
    ids_at: Callable[[np.ndarray], list[str]],
    file: str,
) -> list[Problem]:
    """Repeated record ids: every row after the first of its id, named with that first row.
    `rows_at` gives the row numbers of positions; `ids_at` reads the ids of given rows."""
    positions = hashes.repeated_positions()
    if not len(positions):
        return []
    candidates = np.sort(rows_at(positions))
    problems: list[Problem] = []
    first_row_of: dict[str, int] = {}
    for row, value in zip(candidates, ids_at(candidates), strict=True):
        if value in first_row_of:
            problems.append(
                Problem(
                    file,
                    int(row),
                    "record_id",
                    value,
                    f"a unique record id (already used on row {first_row_of[value]})",
                )
            )
        else:
            first_row_of[value] = int(row)
    return problems[:MAX_ROWS_PER_CHECK]
