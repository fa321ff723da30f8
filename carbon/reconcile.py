"""Reconcile the figures printed in published reports with each other and with the engine.

A figure printed with k decimals stands for the interval value +- 0.5 x 10^-k (integer counts
are exact). Derived figures (sums, per-employee ratios) are compared by interval arithmetic, so
nothing that rounding can explain is flagged. Each check ends with a verdict:

- consistent:      rounding of the printed inputs explains any difference;
- rounding_method: consistent only if the publisher truncated instead of rounding;
- inconsistent:    no rounding explains it;
- note:            methodology or comparability, not arithmetic.

Identity rules are data (carbon/data/identities.yaml); published tables are data
(inputs/<org>/published/<document>.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from carbon.engine import InventoryRequest, RunResult, run_inventory
from carbon.errors import InputFileError, Problem, ReconcileError
from carbon.factors import FactorSet
from carbon.models.files import PublishedFile
from carbon.models.inventory import InventoryYear
from carbon.models.loading import load_model
from carbon.models.vocabulary import vocabulary
from carbon.paths import data_file
from carbon.suggest import did_you_mean
from carbon.units import conversion_factor

SEVERITIES = ("inconsistent", "rounding_method", "note", "consistent")
WELL_FORMED = re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$")
# A comma where the decimal point belongs, e.g. "1,559,45" for 1,559.45.
COMMA_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})*,\d{2}$")
# Relative slack for floating-point error when comparing interval ends (not for rounding).
EPS = 1e-9


def rules() -> dict:
    return data_file("identities.yaml")


# ---------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)

    def __truediv__(self, other: Interval) -> Interval:
        # Positive quantities only (emissions, activity, headcount).
        return Interval(self.low / other.high, self.high / other.low)

    def overlaps(self, other: Interval) -> bool:
        slack = EPS * max(1.0, abs(self.high), abs(other.high))
        return self.low <= other.high + slack and other.low <= self.high + slack

    def contains(self, value: float) -> bool:
        return self.overlaps(Interval(value, value))

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def parse_printed(text: str) -> tuple[float, int, bool] | None:
    """(value, decimals, well_formed) for a printed figure, or None when it cannot be read."""
    text = text.strip()
    repaired = False
    if not WELL_FORMED.match(text):
        if not COMMA_DECIMAL.match(text):
            return None
        text, repaired = text[: text.rfind(",")] + "." + text[text.rfind(",") + 1 :], True
    digits = text.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return float(digits), decimals, not repaired


def rounding_interval(value: float, decimals: int, exact: bool = False) -> Interval:
    half = 0 if exact else 0.5 * 10.0**-decimals
    return Interval(value - half, value + half)


def truncation_interval(value: float, decimals: int, exact: bool = False) -> Interval:
    return Interval(value, value + (0 if exact else 10.0**-decimals))


def verdict(expected: Interval, printed: pd.Series) -> str:
    """consistent / rounding_method / inconsistent for a printed figure against an expected interval."""
    if expected.overlaps(Interval(printed["low"], printed["high"])):
        return "consistent"
    if expected.overlaps(truncation_interval(printed["value"], printed["decimals"], printed["exact"])):
        return "rounding_method"
    return "inconsistent"


# ---------------------------------------------------------------- published tables


def load_published(folder: Path) -> pd.DataFrame:
    """Every printed figure of every document in `folder`, with its interval."""
    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise ReconcileError(f"{folder}: no published tables (<document>.yaml) to reconcile")
    known = _known_kpis()
    exact_units = set(rules()["exact_units"])
    rows, problems = [], []
    for path in files:
        try:
            data = load_model(path, PublishedFile, "published-table")
        except InputFileError as error:
            problems += error.problems
            continue
        document = data.document
        for index, figure in enumerate(data.figures, start=1):
            if figure.kpi not in known and not figure.kpi.startswith("employees."):
                problems.append(
                    Problem(
                        str(path),
                        None,
                        None,
                        figure.kpi,
                        f"a known KPI key{did_you_mean(figure.kpi, known)}",
                        key=f"figures[{index}].kpi",
                    )
                )
                continue
            rows.append(
                {
                    "document": document.id,
                    "title": document.title,
                    "seed": document.seed,
                    **figure.model_dump(),
                }
            )
    if problems:
        raise ReconcileError("published tables have problems:\n" + "\n".join(f"  - {p}" for p in problems))
    table = pd.DataFrame(rows)
    parsed = table["printed"].map(parse_printed)
    table["readable"] = parsed.notna()
    table["value"] = parsed.map(lambda p: p[0] if p else float("nan"))
    table["decimals"] = parsed.map(lambda p: p[1] if p else 0)
    table["well_formed"] = parsed.map(lambda p: bool(p and p[2]))
    table["exact"] = table["unit"].isin(exact_units)
    intervals = [
        rounding_interval(v, d, e)
        for v, d, e in zip(table["value"], table["decimals"], table["exact"], strict=True)
    ]
    table["low"] = [i.low for i in intervals]
    table["high"] = [i.high for i in intervals]
    return table


def _known_kpis() -> set[str]:
    spec = rules()
    known = {r["total"] for r in spec["sums"]} | {p for r in spec["sums"] for p in r["parts"]}
    known |= {r[k] for r in spec["ratios"] for k in ("ratio", "numerator", "denominator")}
    return known | set(spec["engine"])


# ---------------------------------------------------------------- findings


def _cell(row: pd.Series) -> dict:
    return {
        "document": row["document"],
        "section": row["section"],
        "locator": row["locator"],
        "printed": row["printed"],
    }


def _finding(
    kind: str, severity: str, row: pd.Series, cells: list[pd.Series], expected: Interval | None, message: str
) -> dict:
    return {
        "kind": kind,
        "severity": severity,
        "year": int(row["year"]),
        "kpi": row["kpi"],
        "documents": [_cell(c) for c in cells],
        "printed": row["printed"],
        "expected": None if expected is None else expected.as_list(),
        "message": message,
    }


def _fmt(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}"


def _span(interval: Interval, decimals: int) -> str:
    return f"{_fmt(interval.low, decimals + 1)} to {_fmt(interval.high, decimals + 1)}"


def check_well_formed(table: pd.DataFrame) -> list[dict]:
    findings = []
    for _, row in table[~table["well_formed"]].iterrows():
        if row["readable"]:
            message = (
                f"'{row['printed']}' is not a well-formed number: a comma stands where the decimal point "
                f"belongs; "
                f"read as {_fmt(row['value'], row['decimals'])} for the other checks"
            )
        else:
            message = f"'{row['printed']}' cannot be read as a number; it is left out of the other checks"
        findings.append(_finding("ill_formed", "inconsistent", row, [row], None, message))
    return findings


def _usable(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["readable"]]


def check_sums(table: pd.DataFrame) -> list[dict]:
    """Each total against the sum of the parts printed beside it (same document, section, year)."""
    findings = []
    usable = _usable(table)
    for _, group in usable.groupby(["document", "section", "year"]):
        by_kpi = {kpi: rows.iloc[0] for kpi, rows in group.groupby("kpi")}
        for rule in rules()["sums"]:
            parts = [by_kpi[p] for p in rule["parts"] if p in by_kpi]
            required = set(rule["parts"]) - set(rule.get("optional", []))
            if rule["total"] not in by_kpi or not required <= set(by_kpi):
                continue
            total = by_kpi[rule["total"]]
            expected = sum(
                (Interval(p["low"], p["high"]) for p in parts[1:]),
                Interval(parts[0]["low"], parts[0]["high"]),
            )
            severity = verdict(expected, total)
            shown = " + ".join(p["printed"] for p in parts)
            exact_sum = sum(p["value"] for p in parts)
            if severity == "consistent":
                message = (
                    f"{rule['label']}: {shown} = {_fmt(exact_sum, total['decimals'])}, printed "
                    f"{total['printed']}"
                    + (
                        ""
                        if abs(exact_sum - total["value"]) < 1e-9
                        else "; the difference is within the rounding of the parts"
                    )
                )
            elif severity == "rounding_method":
                message = (
                    f"{rule['label']}: {shown} gives {_span(expected, total['decimals'])}; "
                    f"{total['printed']} fits only if truncated"
                )
            else:
                slack = (
                    ""
                    if expected.low == expected.high
                    else f" ({_span(expected, total['decimals'])} allowing for rounding)"
                )
                message = (
                    f"{rule['label']}: {shown} = {_fmt(exact_sum, total['decimals'])}{slack}, "
                    f"but the total is printed as {total['printed']}"
                )
            findings.append(_finding("identity_sum", severity, total, [total, *parts], expected, message))
    return findings


def _headcount(usable: pd.DataFrame, document: str, year: int) -> pd.Series | None:
    """The document's printed year-end headcount for the year (statistical table first)."""
    rows = usable[
        (usable["document"] == document) & (usable["year"] == year) & (usable["kpi"] == "employees.total")
    ]
    return None if rows.empty else rows.sort_values("section", key=lambda s: s != "statistical table").iloc[0]


def check_ratios(table: pd.DataFrame) -> list[dict]:
    """Each per-employee figure against its total over the headcount printed in the same document."""
    findings = []
    usable = _usable(table)
    for rule in rules()["ratios"]:
        for _, ratio in usable[usable["kpi"] == rule["ratio"]].iterrows():
            same = usable[(usable["document"] == ratio["document"]) & (usable["year"] == ratio["year"])]
            numerators = same[same["kpi"] == rule["numerator"]]
            numerators = numerators.sort_values("section", key=lambda s: s != ratio["section"])
            headcount = _headcount(usable, ratio["document"], ratio["year"])
            if numerators.empty or headcount is None or headcount["low"] <= 0:
                continue  # no headcount printed, or one of zero: the ratio cannot be checked
            numerator = numerators.iloc[0]
            expected = Interval(numerator["low"], numerator["high"]) / Interval(
                headcount["low"], headcount["high"]
            )
            severity = verdict(expected, ratio)
            quotient = numerator["value"] / headcount["value"]
            base = f"{numerator['printed']} / {headcount['printed']} employees = {quotient:.4f}"
            if severity == "consistent":
                message = f"{base}, printed {ratio['printed']}"
            elif severity == "rounding_method":
                message = (
                    f"{base}: rounds to {_fmt(quotient, ratio['decimals'])}, "
                    f"but is printed {ratio['printed']} (truncated, not rounded)"
                )
            else:
                message = (
                    f"{base}: should print as {_fmt(quotient, ratio['decimals'])}, "
                    f"but is printed {ratio['printed']}"
                )
            findings.append(
                _finding("identity_ratio", severity, ratio, [ratio, numerator, headcount], expected, message)
            )
    return findings


def check_cross_document(table: pd.DataFrame) -> list[dict]:
    """The same KPI and year printed in several documents or sections must agree."""
    findings = []
    usable = _usable(table)
    for _, group in usable.groupby(["kpi", "year"]):
        if len(group) < 2:
            continue
        common = Interval(group["low"].max(), group["high"].min())
        cells = [row for _, row in group.iterrows()]
        places = "; ".join(f"{c['document']} {c['section']}: {c['printed']}" for c in cells)
        if common.low <= common.high + EPS * max(1.0, abs(common.high)):
            same = group["printed"].nunique() == 1
            message = (
                f"printed identically in {len(group)} places ({places})"
                if same
                else f"printed differently but within rounding of one another ({places}); "
                f"an unrounded value of {_fmt(common.low, 3)} to {_fmt(common.high, 3)} gives both"
            )
            findings.append(_finding("cross_document", "consistent", cells[0], cells, common, message))
        else:
            findings.append(
                _finding(
                    "cross_document",
                    "inconsistent",
                    cells[0],
                    cells,
                    None,
                    f"the same figure is printed with different values: {places}",
                )
            )
    return findings


def _engine_value(year: InventoryYear, path: str):
    """A figure of the inventory year by its dotted path (energy_mwh.total, waste_t.hazardous)."""
    first, *rest = path.split(".")
    value = getattr(year, first)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else getattr(value, part)
    return value


def check_engine(table: pd.DataFrame, result: RunResult) -> list[dict]:
    """Printed activity totals and headcounts against the engine's inventory of the same year."""
    findings = []
    years = {y.year: y for y in result.inventory.years}
    usable = _usable(table)
    for kpi, path in rules()["engine"].items():
        for _, row in usable[usable["kpi"] == kpi].iterrows():
            if row["year"] not in years:
                continue
            engine = _engine_value(years[row["year"]], path)
            if engine is None:
                continue
            printed = Interval(row["low"], row["high"])
            ok = printed.contains(engine)
            shown = _fmt(engine, 0 if row["exact"] else row["decimals"] + 2)
            message = f"the engine's {path} for {row['year']} is {shown}, " + (
                "within the printed precision" if ok else f"but the report prints {row['printed']}"
            )
            findings.append(
                _finding(
                    "engine",
                    "consistent" if ok else "inconsistent",
                    row,
                    [row],
                    Interval(engine, engine),
                    message,
                )
            )
    return findings


def _library_factors(result: RunResult, activity: str, year: int) -> dict[str, float]:
    """Effective factor per method the engine used: tCO2e per MWh of the activity."""
    lines = result.lines[(result.lines["activity"] == activity) & (result.lines["year"] == year)]
    factors = {}
    for method, group in lines.groupby("method"):
        canonical = group.drop_duplicates("record_id")["quantity_canonical"].sum()
        mwh = canonical * conversion_factor(str(group["canonical_unit"].iloc[0]), "MWh")
        if mwh:
            factors[str(method)] = float(group["tco2e"].sum() / mwh)
    return factors


def implied_factor_rules() -> list[dict]:
    """Printed emissions of a scope over a printed activity, for every activity the vocabulary
    gives a published KPI (its published_kpi): e.g. Scope 2 over electricity."""
    rules_ = []
    for name, spec in vocabulary().activities.items():
        if spec.published_kpi:
            unit = "MWh" if spec.energy else spec.canonical_unit
            rules_.append(
                {
                    "emissions": f"ghg.scope{spec.scope}",
                    "activity": spec.published_kpi,
                    "engine_activity": name,
                    "scope": spec.scope,
                    "unit": f"tCO2e/{unit}",
                }
            )
    return rules_


def _sole_source(result: RunResult, activity: str, scope: int, year: int) -> bool:
    """An implied factor means something only when the activity is all of its scope that year."""
    lines = result.lines[(result.lines["year"] == year) & (result.lines["scope"] == scope)]
    covered = {activity, *(a for a, target in vocabulary().instruments.items() if target == activity)}
    return set(lines["activity"].astype(str)) <= covered


def check_implied_factors(
    table: pd.DataFrame, result: RunResult, ranges: dict[str, tuple[float, float]]
) -> list[dict]:
    """Printed emissions / printed activity as an interval, against the library's factor and across years.
    `ranges`: the lowest and highest factor of each activity in the factor set."""
    findings = []
    usable = _usable(table)
    for rule in implied_factor_rules():
        implied_by_year: dict[int, Interval] = {}
        for (_document, _section, year), group in usable.groupby(["document", "section", "year"]):
            emissions = group[group["kpi"] == rule["emissions"]]
            activity = group[group["kpi"] == rule["activity"]]
            if (
                emissions.empty
                or activity.empty
                or not _sole_source(result, rule["engine_activity"], rule["scope"], int(year))
            ):
                continue
            e, a = emissions.iloc[0], activity.iloc[0]
            if a["low"] <= 0:
                continue  # zero activity printed: no factor is implied
            implied = Interval(e["low"], e["high"]) / Interval(a["low"], a["high"])
            implied_by_year.setdefault(int(year), implied)
            library = _library_factors(result, rule["engine_activity"], int(year))
            shown = (
                ", ".join(f"{m or 'default'} {v:.4f}" for m, v in library.items())
                or "no factor (no ledger line that year)"
            )
            text = (
                f"{rule['emissions']} {e['printed']} / {rule['activity']} {a['printed']} implies "
                f"{e['value'] / a['value']:.4f} {rule['unit']} (between {implied.low:.5f} and "
                f"{implied.high:.5f} allowing for rounding)"
            )
            low, high = ranges.get(rule["engine_activity"], (float("-inf"), float("inf")))
            if any(implied.contains(v) for v in library.values()):
                severity, message = "consistent", f"{text}; the library's factor ({shown}) reproduces it"
            elif not implied.overlaps(Interval(low, high)):
                severity = "inconsistent"
                direction = "high" if implied.low > high else "low"
                message = (
                    f"{text}; the library uses {shown}, and no {rule['engine_activity']} factor of any "
                    f"year, region or "
                    f"method in the factor set ({low:.4f} to {high:.4f}) is that {direction}: the printed "
                    f"figure does "
                    "not follow from the official factors"
                )
            else:
                severity, message = (
                    "note",
                    f"{text}; the library uses {shown}: the report's factor or method differs and is not "
                    f"disclosed",
                )
            findings.append(_finding("implied_factor", severity, e, [e, a], implied, message))
        if len(implied_by_year) >= 2:
            lows = {y: i.low for y, i in implied_by_year.items()}
            first, last = min(lows, key=lambda y: lows[y]), max(lows, key=lambda y: lows[y])
            if lows[last] > 1.1 * implied_by_year[first].high:
                listing = ", ".join(
                    f"{y}: {(i.low + i.high) / 2:.4f}" for y, i in sorted(implied_by_year.items())
                )
                row = usable[(usable["kpi"] == rule["emissions"]) & (usable["year"] == last)].iloc[0]
                findings.append(
                    _finding(
                        "implied_factor",
                        "note",
                        row,
                        [row],
                        None,
                        f"the implied {rule['unit']} factor varies across years ({listing}) while the "
                        "underlying published factors changed by a few per cent: the method changed between "
                        "years",
                    )
                )
    return findings


def check_comparability(table: pd.DataFrame) -> list[dict]:
    """A total whose disclosed parts change between two printed years is not like-for-like."""
    findings = []
    usable = _usable(table)
    ratio_of: dict[str, list[str]] = {}
    for rule in rules()["ratios"]:
        ratio_of.setdefault(rule["numerator"], []).append(rule["ratio"])
    for rule in rules()["sums"]:
        for (document, _section), group in usable.groupby(["document", "section"]):
            parts_by_year = {int(y): set(g["kpi"]) & set(rule["parts"]) for y, g in group.groupby("year")}
            years = sorted(y for y, parts in parts_by_year.items() if parts)
            for before, after in zip(years, years[1:], strict=False):
                added = parts_by_year[after] - parts_by_year[before]
                removed = parts_by_year[before] - parts_by_year[after]
                if not (added or removed):
                    continue
                change = ", ".join(
                    [f"{p} first disclosed in {after}" for p in sorted(added)]
                    + [f"{p} not disclosed in {after}" for p in sorted(removed)]
                )
                for kpi in [rule["total"], *ratio_of.get(rule["total"], [])]:
                    rows = group[(group["kpi"] == kpi) & (group["year"] == after)]
                    if rows.empty:
                        continue
                    row = rows.iloc[0]
                    previous = group[(group["kpi"] == kpi) & (group["year"] == before)]
                    cells = [row] + [r for _, r in previous.iterrows()]
                    shared = sorted(parts_by_year[before] & parts_by_year[after])
                    like = sum(
                        group[(group["kpi"] == p) & (group["year"] == after)]["value"].iloc[0] for p in shared
                    )
                    like_text = _fmt(like)
                    if kpi != rule["total"]:
                        headcount = _headcount(usable, document, after)
                        if headcount is None:
                            continue
                        like_text = f"{like / headcount['value']:.2f} ({_fmt(like)} / {headcount['printed']})"
                    message = (
                        f"boundary changed between {before} and {after} ({change}): comparing {kpi} across "
                        f"these years "
                        f"is not like-for-like; on the common boundary ({' + '.join(shared)}) {after} is "
                        f"{like_text}"
                    )
                    findings.append(_finding("comparability", "note", row, cells, None, message))
    return findings


def factor_ranges(factor_set: FactorSet) -> dict[str, tuple[float, float]]:
    """The lowest and highest factor (t per canonical unit) of each activity, over every region,
    year and method of the set, for gases that are CO2 or CO2e."""
    factors = factor_set.factors[factor_set.factors["gas"].isin(["CO2", "CO2e"])]
    grouped = factors.groupby("activity")["value_canonical"]
    return {
        str(a): (float(lo), float(hi))
        for (a, lo), hi in zip(grouped.min().items(), grouped.max(), strict=True)
    }


def reconcile(table: pd.DataFrame, result: RunResult, ranges: dict[str, tuple[float, float]]) -> dict:
    """All checks; `checked` counts the printed figures, `findings` every check's verdict."""
    findings = (
        check_well_formed(table)
        + check_sums(table)
        + check_ratios(table)
        + check_cross_document(table)
        + check_engine(table, result)
        + check_implied_factors(table, result, ranges)
        + check_comparability(table)
    )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(
        key=lambda f: (order[f["severity"]], f["documents"][0]["document"], f["year"], f["kpi"], f["kind"])
    )
    return {"checked": int(len(table)), "findings": findings}


def reconcile_organisation(org_dir: Path, request: InventoryRequest) -> dict:
    """Run the engine on the organisation and reconcile its published tables (org_dir/published)."""
    published = load_published(Path(org_dir) / "published")
    result = run_inventory(request)
    return reconcile(published, result, factor_ranges(result.factor_set))


def reconcile_if_published(result: RunResult) -> dict | None:
    """The reconciliation of an inventory run, when its organisation folder has published tables."""
    folder = Path(result.request.ledger).parent / "published"
    if not any(folder.glob("*.yaml")):
        return None
    return reconcile(load_published(folder), result, factor_ranges(result.factor_set))


def findings_frame(report: dict) -> pd.DataFrame:
    """One row per finding for CSV: the cells involved joined into one column."""
    rows = []
    for f in report["findings"]:
        expected = f["expected"] or [None, None]
        cells = "; ".join(
            f"{c['document']} | {c['section']} | {c['locator']} | {c['printed']}" for c in f["documents"]
        )
        rows.append(
            {
                "severity": f["severity"],
                "kind": f["kind"],
                "year": f["year"],
                "kpi": f["kpi"],
                "printed": f["printed"],
                "expected_low": expected[0],
                "expected_high": expected[1],
                "message": f["message"],
                "documents": cells,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "severity",
            "kind",
            "year",
            "kpi",
            "printed",
            "expected_low",
            "expected_high",
            "message",
            "documents",
        ],
    )
