"""Meta-test: every MEE/NBS electricity value in every shipped factor set equals the team's
reference, shared/FACTORS.md (sections 1a and 1b), and every reference value is shipped; the
values china-corporate@2026.2 added (air travel, stationary fuels, road diesel, NCVs, heat,
refrigerant blends and GWPs) equal FACTORS.md sections 3, 4, 5c and 9.

All problems are collected and reported together, so one run shows every discrepancy.
Exact comparison (tolerance 0): the values are transcriptions of 4-decimal published figures.
"""

import re
from pathlib import Path

import pytest

from carbon.factors import available_sets, load_factor_set, resolve_factor_set

FACTORS_MD = Path(__file__).resolve().parents[3] / "shared" / "FACTORS.md"
GRID_PINYIN = {
    "huabei": "华北",
    "dongbei": "东北",
    "huadong": "华东",
    "huazhong": "华中",
    "xibei": "西北",
    "nanfang": "南方",
    "xinan": "西南",
}


def reference_values(text: str, zh_to_code: dict[str, str]) -> dict[tuple[str, int, str], str]:
    """{(region code, data year, method): value string} from FACTORS.md tables 1a and 1b."""
    values = {}
    section_1 = text.split("## 1.", 1)[1].split("## 2.", 1)[0]
    for line in section_1.splitlines():
        cells = [c.strip().strip("*").strip() for c in line.strip().strip("|").split("|")]
        if cells[0].startswith("cn.grid.national.avg"):
            values[("CN", int(cells[4]), "location")] = cells[1]
        elif cells[0].startswith("cn.grid.national.ex_market_nonfossil"):
            values[("CN", int(cells[4]), "market")] = cells[1]
        elif cells[0].startswith("cn.grid.region."):
            pinyin = cells[0].split(".")[3].split(" ")[0]
            values[(zh_to_code[GRID_PINYIN[pinyin]], int(cells[4]), "location")] = cells[1]
        elif len(cells) >= 6 and re.fullmatch(r"[\u4e00-\u9fff]+ [a-z]+", cells[0]):
            code = zh_to_code[cells[0].split(" ")[0]]
            for year, value in zip((2021, 2022, 2023), cells[1:4], strict=True):
                values[(code, year, "location")] = value
    return values


@pytest.mark.parametrize("spec", [f"{n}@{v}" for n, vs in available_sets().items() for v in vs])
def test_mee_values_equal_factors_md(spec):
    if not FACTORS_MD.is_file():
        pytest.skip(f"{FACTORS_MD} not present (the team's shared folder)")
    factor_set = load_factor_set(resolve_factor_set(spec))
    zh_to_code = dict(zip(factor_set.regions["name_zh"], factor_set.regions["region"], strict=True))
    reference = reference_values(FACTORS_MD.read_text(encoding="utf-8"), zh_to_code)
    assert len(reference) == 3 * (1 + 1 + 7 + 30), "FACTORS.md parse changed: expected 117 MEE/NBS values"
    mee = factor_set.factors[factor_set.factors["source_id"].isin(["S1", "S2", "S3"])]
    shipped_years = set(mee["data_year"])
    problems = []
    shipped = {}
    for row in mee.itertuples(index=False):
        key = (row.region, row.data_year, row.method)
        shipped[key] = row.value
        if key not in reference:
            problems.append(f"{row.factor_id}: {key} is not in FACTORS.md")
        elif float(row.value) != float(reference[key]):
            problems.append(f"{row.factor_id}: {row.value} but FACTORS.md says {reference[key]}")
    for key, value in reference.items():
        if key[1] in shipped_years and key not in shipped:
            problems.append(f"FACTORS.md value {key} = {value} is missing from {spec}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# ------------------------------------------------ the activities added in china-corporate@2026.2


def _cells(text: str, label: str) -> list[str]:
    """The cells of the one FACTORS.md table row whose first cell starts with `label`."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and line.strip("| ").startswith(label)
    ]
    assert len(rows) == 1, f"FACTORS.md: expected one row starting {label!r}, found {len(rows)}"
    return rows[0]


def _numbers(cell: str) -> list[float]:
    """'56 100 / 74 100 / 63 100' -> [56100.0, 74100.0, 63100.0] (FACTORS.md groups thousands by a space)."""
    return [float(part.replace(" ", "")) for part in cell.split("/")]


def reference_2026_2(text: str) -> dict[str, float]:
    """{factor or property id: FACTORS.md value, in the unit the set stores it}."""
    values: dict[str, float] = {}
    # 5c: business travel, air; columns 2023/2024/2025, each with RF then without.
    hauls = {
        "air_domestic": "Domestic (to/from UK), average passenger",
        "air_short_haul": "Short-haul (to/from UK), average",
        "air_long_haul": "Long-haul (to/from UK), average",
        "air_international": "International (non-UK), average",
    }
    for kind, label in hauls.items():
        cells = _cells(text, label)
        for i, year in enumerate((2023, 2024, 2025)):
            values[f"desnz{year}.travel.{kind}_rf"] = float(cells[1 + 2 * i])
            values[f"desnz{year}.travel.{kind}"] = float(cells[2 + 2 * i])
    # Section 9: IPCC 2006 stationary combustion (commercial/institutional) and NCVs.
    co2 = _numbers(_cells(text, "ipcc.T1.4/2.4.co2")[1])
    ncv = _numbers(_cells(text, "ipcc.T1.2.ncv")[1])
    fuels = {"natural_gas": "natural gas", "diesel.stationary": "gas-diesel oil", "lpg": "LPG"}
    for i, (fuel, label) in enumerate(fuels.items()):
        values[f"ipcc2006.{fuel}.co2"] = co2[i]
        values[f"ipcc2006.{fuel}.ch4"], values[f"ipcc2006.{fuel}.n2o"] = _numbers(
            _cells(text, f"ipcc.T2.4.commercial CH4 / N2O, {label}")[1]
        )
        values[f"ipcc2006.{fuel.split('.')[0]}.ncv"] = ncv[i]
    # Section 3: IPCC 2006 road diesel, "CO2 74 100; CH4 3.9 / N2O 3.9" kg/TJ.
    road = re.fullmatch(r"CO2 ([\d ]+); CH4 ([\d.]+) / N2O ([\d.]+)", _cells(text, "ipcc2006.diesel.road")[1])
    assert road, "FACTORS.md: the ipcc2006.diesel.road cell changed shape"
    for gas, value in zip(("co2", "ch4", "n2o"), road.groups(), strict=True):
        values[f"ipcc2006.diesel.mobile.{gas}"] = float(value.replace(" ", ""))
    # Section 9: the Chinese natural-gas NCV per volume (GJ per 10^4 Nm3 -> MJ per m3: / 10).
    values["gbt32151.natural_gas.ncv_volume"] = float(_cells(text, "cn.ng.ncv")[1].split()[0]) / 10
    heat = float(_cells(text, "cn.heat.default")[1])
    values["cn.heat.default.location"] = values["cn.heat.default.market"] = heat
    # Section 9: R-407C by mass (%), and R-410A 50/50 (section 4).
    for gas, share in zip(
        ("hfc32", "hfc125", "hfc134a"), _numbers(_cells(text, "ref.R-407C")[1]), strict=True
    ):
        values[f"refrigerant.r407c.{gas}"] = share / 100
    values["refrigerant.r410a.hfc32"] = values["refrigerant.r410a.hfc125"] = 0.5
    return values


def test_the_2026_2_additions_equal_factors_md():
    """Every value 2026.2 added that FACTORS.md holds equals it (rel. 1e-12: a unit step such as
    GJ per 10^4 Nm3 -> MJ per m3 is the only arithmetic). National rail (S26, 0.03546) is not in
    FACTORS.md, which has only an edition-uncertain 0.03092 (README: factor sets shipped)."""
    if not FACTORS_MD.is_file():
        pytest.skip(f"{FACTORS_MD} not present (the team's shared folder)")
    reference = reference_2026_2(FACTORS_MD.read_text(encoding="utf-8"))
    factor_set = load_factor_set(resolve_factor_set("china-corporate@2026.2"))
    shipped = {
        **dict(zip(factor_set.factors["factor_id"], factor_set.factors["value"], strict=True)),
        **dict(
            zip(factor_set.fuel_properties["property_id"], factor_set.fuel_properties["value"], strict=True)
        ),
    }
    problems = [
        f"{key}: shipped {shipped.get(key)}, FACTORS.md {value}"
        for key, value in reference.items()
        if key not in shipped or float(shipped[key]) != pytest.approx(value, rel=1e-12)
    ]
    # air 4 x 3 years x RF or not; stationary 3 fuels x 3 gases; 3 NCVs; road diesel 3 gases; NCV per
    # volume; heat location and market; blend components 3 + 2
    assert len(reference) == 24 + 9 + 3 + 3 + 1 + 2 + 5, "FACTORS.md parse changed"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_refrigerant_gwps_equal_factors_md():
    """HFC-134a, HFC-32 and HFC-125 on AR4, AR5 (without feedback) and AR6: FACTORS.md section 4."""
    if not FACTORS_MD.is_file():
        pytest.skip(f"{FACTORS_MD} not present (the team's shared folder)")
    text = FACTORS_MD.read_text(encoding="utf-8")
    gwp = load_factor_set(resolve_factor_set("china-corporate@2026.2")).gwp
    shipped = {(r.gwp_set, r.gas): float(r.value) for r in gwp.itertuples(index=False)}
    for gas in ("HFC-134a", "HFC-32", "HFC-125"):
        cells = _cells(text, gas)
        for gwp_set, cell in zip(("AR4", "AR5", "AR6"), (cells[1], cells[2], cells[4]), strict=True):
            assert shipped[(gwp_set, gas)] == float(cell), (gwp_set, gas)
