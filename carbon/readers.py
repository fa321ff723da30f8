"""Reading the tables users write (CSV, XLSX, Parquet) into frames, and the header checks
every format shares.

Every failure of a reader on a hostile file (truncated, renamed, not UTF-8, ragged rows,
duplicate or unknown columns) becomes a located problem; nothing here lets a library
exception through. Row numbers are spreadsheet rows: the header is row 1, the first data row
is row 2 (for XLSX the sheet's own row numbers).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import pyarrow.dataset
import pyarrow.parquet

from carbon.errors import LedgerError, Problem
from carbon.models.files import TableSchema
from carbon.models.loading import validate
from carbon.models.vocabulary import vocabulary
from carbon.paths import data_file
from carbon.suggest import did_you_mean

SUFFIXES = ".csv, .xlsx or .parquet (or a folder of .parquet files)"
# Control characters other than tab: nothing a person types into a cell, and what breaks
# spreadsheets and terminals (a bell, an escape sequence). Line breaks are refused too: a value
# holding one is most often a quote left open that swallowed the rows after it.
CONTROL_CHARACTERS = r"[\x00-\x08\x0a-\x1f\x7f]"
# Enough rows per check for the user to see the pattern without drowning in a huge file.
MAX_ROWS_PER_CHECK = 20
_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def table_schema(name: str) -> TableSchema:
    """A table's columns; a ledger's optional columns include the vocabulary's attributes."""
    schema = validate(data_file("tables.yaml")[name], TableSchema, "carbon/data/tables.yaml")
    if not schema.attributes_from_vocabulary:
        return schema
    attributes = [a for a in vocabulary().attributes if a not in schema.optional]
    return schema.model_copy(update={"optional": [*schema.optional, *attributes]})


def _fail(file: str, expected: str, row: int | None = None, value: str | None = None) -> LedgerError:
    return LedgerError([Problem(file, row, None, value, expected)])


# ---------------------------------------------------------------- header


def header_problems(columns: list[str], schema: TableSchema, file: str) -> list[Problem]:
    """Unknown, duplicate, blank and missing columns; a delimiter hint when the header is one cell."""
    if len(columns) == 1:
        for delimiter, name in _DELIMITERS.items():
            if delimiter in columns[0]:
                return [
                    Problem(
                        file,
                        1,
                        None,
                        columns[0][:60],
                        f"columns separated by commas: this header is one column holding {name}; "
                        "save the file as comma-separated CSV (or as .xlsx)",
                    )
                ]
    problems = []
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(columns, start=1):
        positions.setdefault(name, []).append(position)
    for name, where in positions.items():
        if name and len(where) > 1:
            places = ", ".join(map(str, where))
            problems.append(
                Problem(
                    file,
                    1,
                    name or None,
                    None,
                    f"each column once: this one appears {len(where)} times (positions {places})",
                )
            )
    known = schema.known
    for name in positions:
        if name and name not in known:
            problems.append(
                Problem(
                    file, 1, name, None, f"only known columns: {', '.join(known)}{did_you_mean(name, known)}"
                )
            )
    present = set(positions)
    for name in schema.required:
        if name not in present:
            problems.append(
                Problem(
                    file,
                    1,
                    name,
                    None,
                    f"a column named '{name}' in the header (found: {', '.join(c for c in columns if c)})",
                )
            )
    if schema.either and not any(set(group) <= present for group in schema.either):
        options = " or ".join("/".join(group) for group in schema.either)
        problems.append(Problem(file, 1, schema.either[0][0], None, f"the column(s) {options}"))
    return problems


def _blank_columns(table: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Columns without a header name: dropped when empty (a trailing comma), refused otherwise."""
    blank = [c for c in table.columns if c == ""]
    if not blank:
        return table, []
    values = table.loc[:, [c == "" for c in table.columns]].astype(str)
    if (values != "").to_numpy().any():
        return table, [
            Problem(
                file,
                1,
                None,
                None,
                "a name in every header cell above a column of values (a column has values but no name)",
            )
        ]
    return table.loc[:, [c != "" for c in table.columns]], []


# ---------------------------------------------------------------- CSV


def _csv_header(path: Path, file: str) -> list[str]:
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise _fail(file, "a header row naming the columns (the file is empty)")
    first_line = re.split(b"\r\n|\n|\r", head, maxsplit=1)[0]
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _fail(
            file,
            f"UTF-8 text (byte {error.start} of the header is not UTF-8: save the file as UTF-8 CSV)",
            row=1,
            value=repr(first_line[error.start : error.start + 4]),
        ) from None
    if re.search(CONTROL_CHARACTERS, text.rstrip("\r")):
        raise _fail(
            file,
            "a CSV text file: the header row holds control characters (is it a binary file, "
            "or a spreadsheet saved in another format?)",
            row=1,
            value=text[:40],
        )
    try:
        return [name.strip() for name in next(csv.reader([text]))]
    except csv.Error as error:
        raise _fail(file, f"a readable CSV header ({error})", row=1, value=text[:40]) from None


def _check_text_file(path: Path, file: str) -> None:
    """Before pyarrow parses it, the whole file must be UTF-8 (pyarrow would report a bad byte
    without its row) and its quotes must close (an unclosed quote swallows every row after it
    into one value). Streams in blocks: cheap next to parsing."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = quotes = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            quotes += block.count(b'"')
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                position = error.start
                raise _fail(
                    file,
                    "UTF-8 text (save the file as UTF-8 CSV)",
                    row=lines + block.count(b"\n", 0, position) + 1,
                    value=repr(block[max(0, position - 8) : position + 4]),
                ) from None
            lines += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _fail(
            file, "UTF-8 text (the file ends inside a character: save it as UTF-8 CSV)", row=lines + 1
        ) from None
    if quotes % 2:
        row, value = _unclosed_quote(path)
        raise _fail(
            file,
            "every quote closed on its row: the quote opened here never closes, so every row after it "
            "would be read as part of this value",
            row=row,
            value=value,
        )


def _unclosed_quote(path: Path) -> tuple[int | None, str | None]:
    """The line where the last unbalanced quote opens (error path only: reads the file once)."""
    opened: tuple[int, str] | None = None
    inside = False
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if line.count('"') % 2:
                inside = not inside
                if inside:
                    opened = (number, line.strip()[:60])
    return opened if opened else (None, None)


def _ragged_problems(path: Path, file: str, columns: int, names: list[str]) -> list[Problem]:
    """Rows with more or fewer values than the header (re-read single-threaded for line numbers)."""
    found: list[Problem] = []

    def record(row) -> str:
        if len(found) < MAX_ROWS_PER_CHECK:
            found.append(
                Problem(
                    file,
                    row.number,
                    None,
                    row.text[:80],
                    f"{columns} values separated by commas, one per header column "
                    f"({', '.join(names)}); this row has {row.actual_columns}",
                )
            )
        return "skip"

    pyarrow.csv.read_csv(
        path,
        read_options=pyarrow.csv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
        parse_options=pyarrow.csv.ParseOptions(newlines_in_values=True, invalid_row_handler=record),
        convert_options=_all_text(names),
    )
    return found


def _all_text(names: list[str]) -> pyarrow.csv.ConvertOptions:
    # Every value is checked as the user typed it: no type inference, no empty-as-null.
    return pyarrow.csv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def read_csv(path: Path, schema: TableSchema, file: str) -> pd.DataFrame:
    names = _csv_header(path, file)
    problems = header_problems(names, schema, file)
    if problems:
        raise LedgerError(problems)
    _check_text_file(path, file)
    ragged = 0

    def count(row) -> str:
        nonlocal ragged
        ragged += 1
        return "skip"

    try:
        arrow = pyarrow.csv.read_csv(
            path,
            read_options=pyarrow.csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pyarrow.csv.ParseOptions(newlines_in_values=True, invalid_row_handler=count),
            convert_options=_all_text(names),
        )
    except pa.ArrowInvalid as error:
        raise _fail(file, f"a readable CSV table ({str(error).splitlines()[0][:200]})") from None
    if ragged:
        raise LedgerError(_ragged_problems(path, file, len(names), names))
    table = arrow_to_frame(arrow, first_row=2, file=file)
    table, problems = _blank_columns(table, file)
    if problems:
        raise LedgerError(problems)
    return table


# ---------------------------------------------------------------- XLSX


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def read_xlsx(path: Path, schema: TableSchema, file: str) -> pd.DataFrame:
    """The first sheet; fully empty rows are skipped and rows keep the sheet's row numbers."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            body = [
                (number, row)
                for number, row in enumerate(rows, start=2)
                if any(value is not None and str(value).strip() for value in row)
            ]
        finally:
            workbook.close()
    except Exception as error:  # noqa: BLE001 - any failure of openpyxl on a hostile file means unreadable
        raise _fail(
            file,
            f"a readable .xlsx workbook ({error.__class__.__name__}: "
            f"{str(error).splitlines()[0][:120] if str(error) else 'corrupt or not a workbook'})",
        ) from None
    if header is None or not any(value is not None for value in header):
        raise _fail(file, "a header row naming the columns in the first row of the first sheet")
    names = [_cell_text(value) for value in header]
    while names and names[-1] == "":
        names.pop()  # trailing empty header cells of a formatted sheet
    width = len(names)
    records = [
        [_cell_text(value) for value in row[:width]] + [""] * max(0, width - len(row)) for _, row in body
    ]
    overflow = [(number, row) for number, row in body if any(_cell_text(v) for v in row[width:])]
    table = (
        pd.DataFrame(records, columns=names, dtype=str) if records else pd.DataFrame(columns=names, dtype=str)
    )
    table["_row"] = np.array([number for number, _ in body], dtype=np.int64)
    problems = header_problems(names, schema, file)
    if problems:
        raise LedgerError(problems)
    table, problems = _blank_columns(table, file)
    problems += [
        Problem(file, number, None, None, "values only under named header cells")
        for number, _ in overflow[:MAX_ROWS_PER_CHECK]
    ]
    if problems:
        raise LedgerError(problems)
    return table


# ---------------------------------------------------------------- Parquet


def parquet_files(path: Path) -> list[Path]:
    """The Parquet file, or the .parquet files of a folder in name order (subfolders included)."""
    path = Path(path)
    if not path.exists():
        raise _fail(str(path), f"an existing {SUFFIXES} file (there is none at this path)")
    if path.is_dir():
        files = sorted(p for p in path.glob("**/*.parquet") if p.is_file())
        if not files:
            raise _fail(str(path), "a folder holding .parquet files (this folder has none)")
        return files
    return [path]


def open_parquet(path: Path, schema: TableSchema) -> pyarrow.dataset.Dataset:
    """A Parquet ledger checked before any row is read: every file readable, one set of columns."""
    file = str(path)
    files = parquet_files(path)
    columns: list[str] | None = None
    for part in files:
        try:
            names = pyarrow.parquet.ParquetFile(part).schema_arrow.names
        except Exception as error:  # noqa: BLE001 - pyarrow on a truncated or fake file
            raise _fail(str(part), f"a readable Parquet file ({str(error).splitlines()[0][:160]})") from None
        if columns is None:
            columns = names
        elif names != columns:
            raise _fail(
                str(part),
                f"the same columns as {files[0].name} ({', '.join(columns)}); found {', '.join(names)}",
            )
    problems = header_problems([n.strip() for n in columns or []], schema, file)
    if problems:
        raise LedgerError(problems)
    try:
        return pyarrow.dataset.dataset([str(p) for p in files], format="parquet")
    except Exception as error:  # noqa: BLE001
        raise _fail(file, f"a readable Parquet dataset ({str(error).splitlines()[0][:160]})") from None


def parquet_batches(
    dataset: pyarrow.dataset.Dataset, file: str, rows: int, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches file by file, read only when asked for, with a corrupt page anywhere
    reported as a problem of the file. (pyarrow's dataset scanner reads ahead in the background
    whatever its readahead options say: about 1 GB of a 10M-row ledger before the first chunk
    was used.)"""
    try:
        for path in dataset.files:
            # pre_buffer=False: buffering ahead kept every row group read so far until the
            # file was closed (110 MB of a 10M-row ledger) and was slower.
            reader = pyarrow.parquet.ParquetFile(path, pre_buffer=False)
            yield from reader.iter_batches(batch_size=rows, columns=columns)
    except Exception as error:  # noqa: BLE001 - a file whose footer reads but whose data is corrupt
        raise _fail(file, f"a readable Parquet file ({str(error).splitlines()[0][:160]})") from None


def read_parquet(path: Path, schema: TableSchema, file: str) -> pd.DataFrame:
    dataset = open_parquet(path, schema)
    frames = list(frames_of(parquet_batches(dataset, file, 1 << 20), None, file))
    if not frames:
        return arrow_to_frame(dataset.schema.empty_table(), first_row=2, file=file)
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def frames_of(batches: Iterable[pa.RecordBatch], rows: int | None, file: str) -> Iterator[pd.DataFrame]:
    """Frames of consecutive batches joined up to `rows` rows (all, if None), rows numbered from
    2. Batches of another schema start a new frame: the files of a Parquet folder share their
    column names, not always their types (int16 or int64 years, a dictionary-encoded column, a
    column of nulls)."""
    first_row, pending = 2, list[pa.RecordBatch]()

    def frame() -> pd.DataFrame:
        return arrow_to_frame(pa.Table.from_batches(pending), first_row, file)

    for batch in batches:
        if pending and batch.schema != pending[0].schema:
            yield frame()
            first_row, pending = first_row + sum(b.num_rows for b in pending), []
        pending.append(batch)
        if rows is not None and sum(b.num_rows for b in pending) >= rows:
            yield frame()
            first_row, pending = first_row + sum(b.num_rows for b in pending), []
    if sum(b.num_rows for b in pending):
        yield frame()


def arrow_to_frame(arrow: pa.Table, first_row: int, file: str = "the Parquet ledger") -> pd.DataFrame:
    """A pyarrow table (or a chunk of one) as a frame: text trimmed, empty strings for missing
    text, dictionary columns kept as categoricals, `_row` numbered from `first_row`.

    Booleans become the text 'true'/'false', so a true/false quantity is refused as not a
    number instead of being read as 1 or 0."""
    columns = []
    for name, column in zip(arrow.column_names, arrow.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind) and (
            pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
        ):
            column = pc.fill_null(column.cast(pa.dictionary(kind.index_type, pa.string())), "")
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            column = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
        elif pa.types.is_boolean(kind):
            column = pc.fill_null(column.cast(pa.string()), "")
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            column = pc.utf8_trim_whitespace(pc.fill_null(_binary_as_text(column, name, file), ""))
        columns.append(column)
    # `_row` goes in with the columns: added to the frame afterwards, it cost a copy per chunk.
    columns.append(pa.array(np.arange(first_row, first_row + arrow.num_rows, dtype=np.int64)))
    names = [*(str(n).strip() for n in arrow.column_names), "_row"]
    table = pa.table(columns, names=names).to_pandas()
    for position in range(table.shape[1] - 1):  # by position: two blank header cells share a name
        series = table.iloc[:, position]
        if isinstance(series.dtype, pd.CategoricalDtype):
            table.isetitem(position, _trimmed_categories(series))
        elif series.dtype == object:
            table.isetitem(position, series.fillna("").astype(str).str.strip())
    return table


def _binary_as_text(column: pa.ChunkedArray, name: str, file: str) -> pa.ChunkedArray:
    """A binary column read as UTF-8 text; bytes that are not UTF-8 are a problem of the column."""
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        raise LedgerError(
            [
                Problem(
                    file, None, str(name), None, "UTF-8 text in a binary column (some values are not UTF-8)"
                )
            ]
        ) from None


def _trimmed_categories(series: pd.Series) -> pd.Series:
    """Trim the distinct values only; '' stands for missing, as in CSV, and is always a
    category. Built once from codes (adding '' and filling missing values as steps made the
    categories twice more, for every column of every chunk)."""
    trimmed = series.cat.categories.astype(str).str.strip()
    if not trimmed.is_unique:  # ' a' and 'a': the values themselves, trimmed
        series = series.astype(str).str.strip().astype("category")
        trimmed = series.cat.categories
    codes = series.cat.codes.to_numpy()
    if "" not in trimmed:
        trimmed = trimmed.append(pd.Index([""], dtype=trimmed.dtype))
    if (codes < 0).any():
        codes = np.where(codes < 0, trimmed.get_loc(""), codes)
    return pd.Series(pd.Categorical.from_codes(codes, categories=trimmed, validate=False), index=series.index)


# ---------------------------------------------------------------- ledgers read in chunks


def _ids_at(batches: Iterator[pa.RecordBatch], rows: np.ndarray) -> list[str]:
    """Record ids of given ledger rows, read again (only when two id hashes collide)."""
    ids = pa.chunked_array([b.column(0).cast(pa.string()) for b in batches], pa.string())
    return [str(ids[int(row) - 2].as_py()).strip() for row in rows]


class ParquetSource:
    """A Parquet ledger (a file or a folder) read batch by batch."""

    def __init__(self, path: Path, schema: TableSchema):
        self.file = str(path)
        self.dataset = open_parquet(Path(path), schema)

    def batches(self, rows: int, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return parquet_batches(self.dataset, self.file, rows, columns)

    def count_rows(self) -> int | None:
        return self.dataset.count_rows()

    def ids_at(self, rows: np.ndarray) -> list[str]:
        return _ids_at(self.batches(1 << 20, ["record_id"]), rows)

    def finish(self) -> None:
        """Problems only a whole pass finds: none for Parquet."""


class CsvSource:
    """A CSV ledger read batch by batch with pyarrow's streaming CSV reader, after the checks
    read_csv makes first (header, UTF-8, closed quotes). Columns of few distinct values are read
    dictionary-encoded, as a Parquet ledger's usually are; rows with more or fewer values than
    the header are counted during the pass and named by `finish` (they would shift every later
    row number)."""

    def __init__(self, path: Path, schema: TableSchema, categorical: list[str]):
        self.path, self.file = Path(path), str(path)
        self.categorical = set(categorical)  # read dictionary-encoded: few distinct values
        header = _csv_header(self.path, self.file)
        problems = header_problems(header, schema, self.file)
        if problems:
            raise LedgerError(problems)
        if "" in header:  # a column without a name: read_csv refuses it unless it is empty
            read_csv(self.path, schema, self.file)
        _check_text_file(self.path, self.file)
        # Unnamed (empty) columns get a placeholder name and are not read.
        self.names = [name or f"_unnamed_{i}" for i, name in enumerate(header)]
        self.kept = [name for name in header if name]
        self.ragged = 0

    def _skip(self, row) -> str:
        self.ragged += 1
        return "skip"

    def _reader(self, columns: list[str] | None) -> pyarrow.csv.CSVStreamingReader:
        coded = pa.dictionary(pa.int32(), pa.string())
        return pyarrow.csv.open_csv(
            self.path,
            read_options=pyarrow.csv.ReadOptions(column_names=self.names, skip_rows=1, block_size=1 << 24),
            parse_options=pyarrow.csv.ParseOptions(newlines_in_values=True, invalid_row_handler=self._skip),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types={n: coded if n in self.categorical else pa.string() for n in self.names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=columns or self.kept,
            ),
        )

    def batches(self, rows: int, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Batches of about `rows` rows (the reader's blocks, joined)."""
        self.ragged = 0
        pending: list[pa.RecordBatch] = []
        try:
            for batch in self._reader(columns):
                pending.append(batch)
                if sum(b.num_rows for b in pending) >= rows:
                    yield from pa.Table.from_batches(pending).combine_chunks().to_batches()
                    pending = []
        except pa.ArrowInvalid as error:
            raise _fail(self.file, f"a readable CSV table ({str(error).splitlines()[0][:200]})") from None
        if pending:
            yield from pa.Table.from_batches(pending).combine_chunks().to_batches()

    def count_rows(self) -> int | None:
        return None  # unknown until read (a quoted value may span lines)

    def ids_at(self, rows: np.ndarray) -> list[str]:
        return _ids_at(self.batches(1 << 20, ["record_id"]), rows)

    def finish(self) -> None:
        if self.ragged:
            raise LedgerError(_ragged_problems(self.path, self.file, len(self.names), self.names))


LedgerSource = ParquetSource | CsvSource


def ledger_source(path: Path, schema: TableSchema, categorical: list[str]) -> LedgerSource:
    """The reader of a ledger that can be read in chunks (Parquet, CSV); a CSV's `categorical`
    columns are read dictionary-encoded."""
    if Path(path).suffix.lower() == ".csv":
        return CsvSource(path, schema, categorical)
    return ParquetSource(path, schema)


def csv_rows_at_most(path: Path) -> int:
    """An upper bound on the rows of a CSV file (its line count; a quoted value may span lines)."""
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


# ---------------------------------------------------------------- dispatch


def read_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a ledger or organisation table by its suffix (a folder is a Parquet dataset)."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise _fail(file, f"an existing {SUFFIXES} file (there is none at this path)")
    suffix = path.suffix.lower()
    if path.is_dir():
        return read_parquet(path, schema, file)
    if not path.is_file():
        raise _fail(file, f"a regular {SUFFIXES} file (this is a device, pipe or socket)")
    if suffix == ".csv":
        return read_csv(path, schema, file)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, schema, file)
    if suffix == ".parquet":
        return read_parquet(path, schema, file)
    raise _fail(file, f"a {SUFFIXES} file (the suffix decides how it is read)", value=suffix or "(no suffix)")


def problems_at(table: pd.DataFrame, mask: pd.Series, column: str, expected: str, file: str) -> list[Problem]:
    """One Problem per offending row (capped), naming the row, the column and the value."""
    bad = table.loc[mask, ["_row", column]]
    problems = [
        Problem(file, int(row), column, value, expected)
        for row, value in bad.head(MAX_ROWS_PER_CHECK).itertuples(index=False)
    ]
    if len(bad) > MAX_ROWS_PER_CHECK:
        problems.append(
            Problem(
                file,
                None,
                column,
                None,
                f"{expected} (and {len(bad) - MAX_ROWS_PER_CHECK} more rows like these)",
            )
        )
    return problems


def large_text(values: pd.Series) -> pa.LargeStringArray:
    """A text column as one Arrow array, to work on its UTF-8 bytes (no copy for pandas' own
    Arrow-backed strings of one chunk)."""
    text = pa.array(values.astype("str"), type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


CONTROL_BYTES = np.zeros(256, dtype=bool)
CONTROL_BYTES[[*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F]] = True  # CONTROL_CHARACTERS as bytes


def _may_hold_control_bytes(values: pd.Series) -> bool:
    """Whether a text column's UTF-8 bytes hold a control character, read from the bytes at once
    (a regex over every value took 9% of a large run). These bytes never occur inside a UTF-8
    multi-byte sequence; the buffer may hold bytes of values sliced away, so a True is only a
    reason to look with the regex."""
    data = large_text(values).buffers()[2]
    if data is None:
        return False
    text = np.frombuffer(data, dtype=np.uint8)
    if len(text) and 0x20 <= text.min() and text.max() < 0x7F:  # printable ASCII: two quick passes
        return False
    return bool(CONTROL_BYTES[text].any())


def control_character_problems(
    table: pd.DataFrame, columns: list[str], file: str
) -> tuple[list[Problem], pd.Series]:
    """Text with control characters (checked on distinct values): problems and the rows hit."""
    problems: list[Problem] = []
    bad = pd.Series(False, index=table.index)
    pattern = re.compile(CONTROL_CHARACTERS)
    for column in columns:
        if column not in table.columns or table[column].dtype.kind in "iufb":
            continue
        values = table[column]
        if isinstance(values.dtype, pd.CategoricalDtype):  # the categories, then their rows
            categories = pd.Series(values.cat.categories.astype(str))
            hit_codes = np.flatnonzero(categories.str.contains(pattern, regex=True).to_numpy())
            if not len(hit_codes):
                continue
            mask = pd.Series(np.isin(values.cat.codes.to_numpy(), hit_codes), index=values.index)
        else:  # every value at once (pyarrow's regex engine for pandas' string columns)
            if not _may_hold_control_bytes(values):
                continue
            mask = values.astype(str).str.contains(CONTROL_CHARACTERS, regex=True).fillna(False)
            if not mask.any():
                continue
            mask = mask.astype(bool)
        bad |= mask
        problems += problems_at(
            table,
            mask,
            column,
            "text on one line without control characters (line break, bell, escape, NUL ...)",
            file,
        )
    return problems, bad
