"""Factor-set loading and selection, on copies of the bundled set and on a tiny fixture set."""

import hashlib
import shutil
from datetime import date

import pandas as pd
import pytest

from carbon.errors import FactorSetError
from carbon.factors import KEY, load_factor_set, resolve_factor_set, select_factors
from tests.conftest import make_factor_set

BUNDLED = resolve_factor_set("china-corporate@2026.1")


def keys(*rows):
    """Keys written without the later attribute columns (kind): those are empty."""
    frame = pd.DataFrame([row + ("",) * (len(KEY) - len(row)) for row in rows], columns=KEY)
    frame.insert(0, "key_id", range(len(frame)))
    return frame


def test_bundled_set_loads_and_every_factor_cites_a_source():
    factor_set = load_factor_set(BUNDLED)
    sources = factor_set.manifest["sources"]
    assert factor_set.factors["source_id"].isin(list(sources)).all()
    for source in sources.values():
        assert source["publisher"] and source["title"] and source["read_via"]


def test_tampered_table_refused_naming_file_and_both_hashes(tmp_path):
    copy = tmp_path / "set"
    shutil.copytree(BUNDLED, copy)
    table = copy / "electricity_mee_nbs.csv"
    expected = hashlib.sha256(table.read_bytes()).hexdigest()
    table.write_text(table.read_text().replace("0.5306", "0.5307"))
    with pytest.raises(FactorSetError) as raised:
        load_factor_set(copy)
    message = str(raised.value)
    assert "electricity_mee_nbs.csv" in message and expected in message
    assert hashlib.sha256(table.read_bytes()).hexdigest() in message


FIXTURE_ROWS = [
    "sh22,electricity,CN-SH,2022,CO2,0.6,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
    "east22,electricity,CN-GRID-EAST,2022,CO2,0.55,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
    "north23,electricity,CN-GRID-NORTH,2023,CO2,0.63,kgCO2/kWh,2,,location,,,S,2025-12-31,,C1,",
    "cn22,electricity,CN,2022,CO2,0.5,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
    "cn23,electricity,CN,2023,CO2,0.4,kgCO2/kWh,2,,location,,,S,2025-12-31,,C1,",
    "cnm22,electricity,CN,2022,CO2,0.7,kgCO2/kWh,2,,market,,,S,2024-12-26,,C1,",
]


@pytest.fixture
def fixture_set(tmp_path):
    """A small world: CN-SH has a 2022 provincial factor only; CN-BJ has none; grids differ by vintage."""
    return load_factor_set(make_factor_set(tmp_path / "mini" / "1", FIXTURE_ROWS))


def chosen(selected, key_id, method="location"):
    row = selected[(selected["key_id"] == key_id) & (selected["method"] == method)]
    assert len(row) == 1
    return row.iloc[0]


def test_province_then_grid_region_then_national(fixture_set):
    wanted = keys(
        ("electricity", "CN-SH", 2022, "", ""),
        ("electricity", "CN-BJ", 2023, "", ""),
        ("electricity", "CN-JS", 2022, "", ""),
    )
    selected, missing = select_factors(wanted, fixture_set, date(2026, 1, 1))
    assert missing == []
    assert chosen(selected, 0)["factor_id"] == "sh22"  # the province itself, no fallback
    assert chosen(selected, 0)["selection_note"] == ""
    assert chosen(selected, 1)["factor_id"] == "north23"  # Beijing -> North China grid
    assert chosen(selected, 1)["selection_note"] == "region fallback CN-BJ -> CN-GRID-NORTH"
    assert chosen(selected, 2)["factor_id"] == "east22"  # Jiangsu -> East China grid
    assert chosen(selected, 0, "market")["factor_id"] == "cnm22"
    assert (
        chosen(selected, 0, "market")["selection_note"] == ""
    )  # market factors exist only nationally: by design


def test_vintage_follows_as_of(fixture_set):
    """For 2024 activity: before the 2023 release only the 2022 vintage is eligible."""
    key = keys(("electricity", "CN", 2024, "", ""))
    early, _ = select_factors(key, fixture_set, date(2025, 3, 31))
    late, _ = select_factors(key, fixture_set, date(2026, 3, 31))
    assert chosen(early, 0)["factor_id"] == "cn22"
    assert chosen(late, 0)["factor_id"] == "cn23"


def test_nothing_published_yet_is_reported(fixture_set):
    selected, missing = select_factors(
        keys(("electricity", "CN", 2024, "", "")), fixture_set, date(2024, 1, 1)
    )
    assert selected.empty
    assert "CN -> GLOBAL" in missing[0]["expected"] and "2024-01-01" in missing[0]["expected"]


def test_earlier_year_uses_earliest_later_vintage_and_says_so(fixture_set):
    selected, _ = select_factors(keys(("electricity", "CN", 2020, "", "")), fixture_set, date(2026, 1, 1))
    assert chosen(selected, 0)["factor_id"] == "cn22"
    assert "vintage 2022 is after reporting year 2020" in chosen(selected, 0)["selection_note"]


def test_unknown_factor_set_lists_what_exists():
    with pytest.raises(FactorSetError, match="china-corporate"):
        resolve_factor_set("no-such-set")
    with pytest.raises(FactorSetError, match="2026.1"):
        resolve_factor_set("china-corporate@1999")


def test_schema_problems_are_listed_together(tmp_path):
    rows = [
        "a,electricity,CN,2022,CO2,0.5,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
        "b,electricity,CN,2022,CO2,0.6,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",  # same key as a
        "c,electricity,CN,2023,CO2,0.5,kgCO2/m**3,2,,location,,,S,2025-12-31,,C1,",  # unit of the wrong dimension
        "d,electricity,CN,2021,CO2,0.5,kgCO2/kWh,2,,location,,,,2024-04-12,,C1,",  # no source
        "e,electricity,CN-XX,2021,CO2,0.5,kgCO2/kWh,2,,location,,,S,2024-04-12,,C1,",  # unknown region
        "f,electricity,CN,2020,CO2,abc,kgCO2/kWh,2,,location,,,S,2024-04-12,,C1,",  # not a number
    ]
    with pytest.raises(FactorSetError) as raised:
        load_factor_set(make_factor_set(tmp_path / "bad" / "1", rows))
    message = str(raised.value)
    for needle in (
        "row 2, column 'factor_id'",
        "row 3, column 'factor_id'",
        "column 'unit': found 'kgCO2/m**3'",
        "row 5, column 'source_id'",
        "row 6, column 'region'",
        "row 7, column 'value'",
    ):
        assert needle in message, needle


def test_every_tampered_file_is_named(tmp_path):
    copy = tmp_path / "set"
    shutil.copytree(BUNDLED, copy)
    for name in ("gwp.csv", "regions.csv"):
        (copy / name).write_text((copy / name).read_text() + "\n")
    with pytest.raises(FactorSetError) as raised:
        load_factor_set(copy)
    assert "gwp.csv: sha256 does not match" in str(
        raised.value
    ) and "regions.csv: sha256 does not match" in str(raised.value)


def test_unknown_column_refused(tmp_path):
    folder = make_factor_set(tmp_path / "cols" / "1", FIXTURE_ROWS)
    table = folder / "f.csv"
    lines = table.read_text().splitlines()
    table.write_text("\n".join([lines[0] + ",colour"] + [line + ",red" for line in lines[1:]]) + "\n")
    import yaml

    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    manifest["tables"][0]["sha256"] = hashlib.sha256(table.read_bytes()).hexdigest()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(FactorSetError, match="column 'colour'"):
        load_factor_set(folder)


def test_stale_factor_caveat(fixture_set):
    selected, _ = select_factors(keys(("electricity", "CN", 2026, "", "")), fixture_set, date(2026, 6, 1))
    assert chosen(selected, 0)["factor_id"] == "cn23"
    assert (
        chosen(selected, 0)["selection_note"]
        == "stale factor: data year 2023 lags reporting year 2026 by 3 years"
    )
    selected, _ = select_factors(keys(("electricity", "CN", 2025, "", "")), fixture_set, date(2026, 6, 1))
    assert chosen(selected, 0)["selection_note"] == ""  # two years behind is the normal publication lag
