"""Kill tests: a run killed (SIGKILL, the whole process group) at several points leaves the output
folder showing one complete run, the previous or the new one, never a mix and never a partial
file; the next run removes what the killed one left behind.

One test per engine: the in-memory run of a CSV ledger, the chunked run of a Parquet ledger, and
the Dask engine on a folder of Parquet files. The kill points are fractions of the time an
uninterrupted run takes on this machine (measured first); nothing asserts a duration.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
KILL_FRACTIONS = (0.25, 0.45, 0.6, 0.75, 0.85, 0.95, 1.05)


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _command(ledger: Path, organisation: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "carbon",
        "inventory",
        "--ledger",
        str(ledger),
        "--organisation",
        str(organisation),
        "--out",
        str(out),
        "--as-of",
        "2026-06-30",
        "--quiet",
        "--format",
        "json",
        *extra,
    ]


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True
    )


def _run(command: list[str]) -> float:
    started = time.monotonic()
    process = _start(command)
    _, error = process.communicate(timeout=600)
    assert process.returncode == 0, error.decode()
    return time.monotonic() - started


def _published(out: Path) -> dict | None:
    """The published set as a reader sees it: None before any run; otherwise checked to be one
    complete run (every file the manifest lists has its sha256, every top-level link points
    into the same run) and its inventory document returned."""
    if not (out / "latest").exists():
        assert not (out / "inventory.json").exists()
        return None
    manifest = json.loads((out / "manifest.json").read_text())
    run = (out / "latest").resolve()
    for entry in manifest["files"]:
        data = (run / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], (
            f"{entry['path']} is not the file the manifest lists"
        )
    for link in out.iterdir():
        if link.is_symlink() and link.name != "latest":
            assert link.resolve().parent == run or run in link.resolve().parents, (
                f"{link} points outside the current run"
            )
    document = json.loads((out / "inventory.json").read_text())
    listed = {e["path"] for e in manifest["files"]}
    assert "inventory.json" in listed and any(p.startswith("emission_lines") for p in listed)
    return document


def _leftovers(out: Path) -> list[str]:
    found = [
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.name.startswith(".staging-") or p.name.endswith(".tmp")
    ]
    runs = [p.name for p in (out / "runs").iterdir()]
    return found + ([f"runs/{r}" for r in runs] if len(runs) != 1 else [])


def _kill_at_points(commands: dict[str, list[str]], out: Path) -> None:
    """Alternate between two ledgers; kill each run at a point; check the set after each kill."""
    duration = _run(commands["A"])
    expected = {"A": _published(out)}
    _run(commands["B"])
    expected["B"] = _published(out)
    assert expected["A"] != expected["B"], "the two ledgers must give different inventories"
    outcomes = []
    for attempt, fraction in enumerate(KILL_FRACTIONS):
        target = "A" if attempt % 2 == 0 else "B"
        before = _published(out)
        process = _start(commands[target])
        time.sleep(duration * fraction)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        after = _published(out)
        assert after in (before, expected[target]), (
            f"kill {attempt} at {fraction:.2f}: neither the old nor the new set"
        )
        outcomes.append("new" if after == expected[target] and after != before else "old")
    _run(commands["A"])
    assert _published(out) == expected["A"]
    assert _leftovers(out) == [], "a completed run must remove what killed runs left"
    print(f"kill outcomes: {outcomes}")


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory):
    generate = _generator()
    folder = tmp_path_factory.mktemp("kill")
    tables = {"A": generate.generate(200_000, seed=1), "B": generate.generate(200_000, seed=2)}
    organisation = folder / "organisation.csv"
    organisation.write_text(
        "year,metric,value,unit,source\n"
        + "".join(f"{y},employees,{1000 + y},person,fixture\n" for y in range(2021, 2026)),
        encoding="utf-8",
    )
    return folder, tables, organisation


def test_killed_in_memory_csv_run_leaves_one_complete_set(ledgers, tmp_path):
    folder, tables, organisation = ledgers
    commands = {}
    for name, table in tables.items():
        path = tmp_path / f"{name}.csv"
        pacsv.write_csv(table.slice(0, 60_000).cast(_plain_schema(table)), path)
        commands[name] = _command(path, organisation, tmp_path / "out")
    _kill_at_points(commands, tmp_path / "out")


def test_killed_chunked_parquet_run_leaves_one_complete_set(ledgers, tmp_path):
    folder, tables, organisation = ledgers
    commands = {}
    for name, table in tables.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=50_000)
        commands[name] = _command(path, organisation, tmp_path / "out")
    _kill_at_points(commands, tmp_path / "out")


def test_killed_dask_run_leaves_one_complete_set(ledgers, tmp_path):
    pytest.importorskip(
        "distributed", reason="dask[distributed] is in the test extras: pip install '.[test]'"
    )
    folder, tables, organisation = ledgers
    commands = {}
    for name, table in tables.items():
        parts = tmp_path / name
        parts.mkdir()
        for index, start in enumerate(range(0, len(table), 50_000)):
            pq.write_table(table.slice(start, 50_000), parts / f"part-{index}.parquet", row_group_size=25_000)
        commands[name] = _command(parts, organisation, tmp_path / "out", "--engine", "dask")
    _kill_at_points(commands, tmp_path / "out")


def _plain_schema(table):
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
            for f in table.schema
        ]
    )
