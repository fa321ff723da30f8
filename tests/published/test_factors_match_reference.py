"""Meta-test: every MEE/NBS electricity value in every shipped factor set equals the team's
reference, shared/FACTORS.md (sections 1a and 1b), and every reference value is shipped.

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
