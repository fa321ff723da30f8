"""Checks among the printed figures themselves: well-formed numbers, sums (of parts, of regional
columns), intensities against their numerators and denominators (printed, from the
organisation file, or implied by several intensities), the same figure printed twice, printed
year-on-year changes, and boundary changes between years.

Every comparison is in the KPI's own unit (published.py) and by interval arithmetic."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from carbon.reconcile.figures import (
    HALF_DOWN,
    Denominators,
    common,
    fmt,
    in_unit_of,
    interval,
    is_point,
    levels,
    shown,
    span,
    verdict,
)
from carbon.reconcile.findings import Finding, Severity, finding
from carbon.reconcile.intervals import EPS, Interval, rounding_interval, total, truncation_interval
from carbon.reconcile.rules import SumRule, identities, kpi_spec

GROUP = ["document", "section", "period", "region"]
# An unreadable cell with letters or a bound in it is a transcription matter, not an ill-formed number.
WORDS_OR_BOUNDS = re.compile(r"[A-Za-z<>≤≥\u4e00-\u9fff]")
RANK = {"consistent": 0, "rounding_method": 1, "inconsistent": 2}


# ---------------------------------------------------------------- well-formed


def check_well_formed(table: pd.DataFrame) -> list[Finding]:
    findings = []
    not_figures = {t.lower() for t in identities().not_figures}
    for _, row in table[~table["well_formed"]].iterrows():
        if str(row["printed"]).strip().lower() in not_figures:
            message = f"'{row['printed']}' is not a figure; it is left out of the checks"
            findings.append(finding("not_a_figure", "note", row, [row], None, message))
            continue
        if not row["readable"] and WORDS_OR_BOUNDS.search(str(row["printed"])):
            message = (
                f"'{row['printed']}' is not a number as printed (a bound such as '<0.01', or words: a scale "
                "such as 'thousand' belongs in `unit`); it is left out of the checks"
            )
            findings.append(finding("not_a_figure", "note", row, [row], None, message))
            continue
        if row["readable"]:
            message = (
                f"'{row['printed']}' is not a well-formed number: a comma stands where the decimal point "
                f"belongs; read as {fmt(row['value'], row['decimals'])} for the other checks"
            )
        else:
            message = f"'{row['printed']}' cannot be read as a number; it is left out of the other checks"
        findings.append(finding("ill_formed", "inconsistent", row, [row], None, message))
    return findings


# ---------------------------------------------------------------- sums


def _first(group: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(kpi): rows.iloc[0] for kpi, rows in group.groupby("kpi", sort=False)}


def _combinations(rule: SumRule, by_kpi: dict[str, pd.Series]) -> Iterator[list[pd.Series]]:
    """Each choice of printed parts the rule allows (one per set of alternatives)."""
    choices = []
    for part in rule.parts:
        names = [part] if isinstance(part, str) else part
        printed = [by_kpi[n] for n in names if n in by_kpi]
        if not printed:
            names_optional = any(n in rule.optional for n in names)
            if not names_optional:
                return  # a required part (or every alternative of one) is not printed
            continue
        choices.append(printed)
    yield from (list(c) for c in itertools.product(*choices))


def _sum_finding(
    rule: SumRule, total_row: pd.Series, parts: list[pd.Series], minus: list[pd.Series]
) -> Finding:
    expected = total([interval(p) for p in parts]) - total([interval(m) for m in minus])
    severity = verdict(expected, total_row)
    exact = sum(p["value"] * p["scale"] for p in parts) - sum(m["value"] * m["scale"] for m in minus)
    terms = " + ".join(shown(p, total_row) for p in parts) + "".join(
        f" - {shown(m, total_row)}" for m in minus
    )
    alternatives = [
        k for k in (p["kpi"] for p in parts) if any(isinstance(x, list) and k in x for x in rule.parts)
    ]
    basis = f" (with {', '.join(alternatives)})" if alternatives else ""
    head = f"{rule.label}{basis}: {terms}"
    if severity == "consistent":
        close = abs(exact - total_row["value"] * total_row["scale"]) <= EPS * max(1.0, abs(exact))
        message = f"{head} = {in_unit_of(exact, total_row)}, printed {total_row['printed']}" + (
            "" if close else "; the difference is within the rounding of the parts"
        )
    elif severity == "rounding_method":
        message = f"{head} gives {span(expected, total_row)}; {total_row['printed']} {HALF_DOWN}"
    else:
        slack = (
            "" if expected.low == expected.high else f" ({span(expected, total_row)} allowing for rounding)"
        )
        printed = total_row["printed"]
        message = f"{head} = {in_unit_of(exact, total_row)}{slack}, but the total is printed as {printed}"
    return finding("identity_sum", severity, total_row, [total_row, *parts, *minus], expected, message)


def _another_breakdown(rule: SumRule, by_kpi: dict[str, pd.Series]) -> bool:
    """The group prints a line under the rule's breakdown prefix that the rule does not name:
    the table breaks the total down another way (stationary and mobile, not by fuel)."""
    if rule.breakdown is None:
        return False
    depth = rule.breakdown.count(".") + 1
    lines = {k for k in by_kpi if k.startswith(f"{rule.breakdown}.") and k.count(".") == depth}
    lines = {k for k in lines if (spec := kpi_spec(k)) is not None and spec.denominator is None}
    return bool(lines - rule.keys())


def check_sums(table: pd.DataFrame) -> list[Finding]:
    """Each total against the sum of the parts printed beside it (same document, section, period
    and region); where a part has alternatives, the best-fitting printed one is named."""
    findings = []
    for _, group in levels(table).groupby(GROUP, sort=False):
        by_kpi = _first(group)
        for rule in identities().sums:
            if rule.total not in by_kpi or _another_breakdown(rule, by_kpi):
                continue
            minus = [by_kpi[k] for k in rule.subtract if k in by_kpi]
            if any(k not in by_kpi and k not in rule.optional for k in rule.subtract):
                continue
            options = [
                _sum_finding(rule, by_kpi[rule.total], parts, minus)
                for parts in _combinations(rule, by_kpi)
                if parts and len(parts) + len(minus) >= max(rule.min_parts, 1)
            ]
            if options:
                findings.append(min(options, key=lambda f: RANK[f.severity]))
    return findings


def check_regions(table: pd.DataFrame) -> list[Finding]:
    """A whole-organisation figure against the regional columns printed beside it (UK + rest of
    world = total): checked where at least two regions are printed."""
    findings = []
    usable = levels(table)
    for _, group in usable.groupby(["document", "section", "period", "kpi"], sort=False):
        whole = group[group["region"] == ""]
        regions = group[group["region"] != ""].drop_duplicates("region")
        if whole.empty or len(regions) < 2:
            continue
        total_row = whole.iloc[0]
        parts = [r for _, r in regions.iterrows()]
        expected = total([interval(p) for p in parts])
        severity = verdict(expected, total_row)
        terms = " + ".join(f"{p['region']} {shown(p, total_row)}" for p in parts)
        exact = sum(p["value"] * p["scale"] for p in parts)
        message = (
            f"regional columns: {terms} = {in_unit_of(exact, total_row)}, printed {total_row['printed']}"
        )
        if severity != "consistent":
            message += f" (the regions allow {span(expected, total_row)})"
        findings.append(finding("regional_sum", severity, total_row, [total_row, *parts], expected, message))
    return findings


# ---------------------------------------------------------------- intensities


def _printed_anywhere(usable: pd.DataFrame, row: pd.Series, kpi: str) -> pd.DataFrame:
    """Figures of `kpi` for the row's period and region: its own document first (its section
    first), then other documents (a headcount printed only in the annual report)."""
    rows = usable[
        (usable["period"] == row["period"]) & (usable["region"] == row["region"]) & (usable["kpi"] == kpi)
    ]
    order = (rows["document"] != row["document"]).astype(int) * 2 + (
        rows["section"] != row["section"]
    ).astype(int)
    return rows.iloc[order.argsort(kind="stable")]


def _same_place(usable: pd.DataFrame, row: pd.Series, kpi: str, period: str | None = None) -> pd.DataFrame:
    """Figures of `kpi` in the row's document and region, for the row's period (or `period`);
    the row's section first."""
    rows = usable[
        (usable["document"] == row["document"])
        & (usable["period"] == (period or row["period"]))
        & (usable["region"] == row["region"])
        & (usable["kpi"] == kpi)
    ]
    return rows.sort_values("section", key=lambda s: s != row["section"], kind="stable")


def _ratio_message(
    ratio: pd.Series, numerator: pd.Series, denominator_text: str, quotient: float, severity: Severity
) -> str:
    base = f"{shown(numerator, ratio)} / {denominator_text} = {quotient:.6g} {ratio['canonical_unit']}"
    should = in_unit_of(quotient, ratio)
    if severity == "consistent":
        return f"{base}, printed {ratio['printed']}"
    if severity == "rounding_method":
        return f"{base}: rounds to {should}, but is printed {ratio['printed']} ({HALF_DOWN})"
    return f"{base}: should print as {should} {ratio['unit']}, but is printed {ratio['printed']}"


def check_ratios(table: pd.DataFrame, denominators: Denominators | None = None) -> list[Finding]:
    """Each intensity against its numerator over its denominator, printed for the same period and
    region (in the same document, else in another one), or else the organisation file's value
    for the year (whole organisation only).
    `denominators`: (denominator KPI, year) -> its interval and unit."""
    findings = []
    usable = levels(table)
    for _, ratio in usable.iterrows():
        spec = kpi_spec(ratio["kpi"])
        if spec is None or spec.denominator is None:
            continue
        numerators = _printed_anywhere(usable, ratio, spec.numerator or "")
        if numerators.empty:
            continue
        numerator = numerators.iloc[0]
        printed = _printed_anywhere(usable, ratio, spec.denominator)
        denominator_row: pd.Series | None = None
        if not printed.empty:
            denominator_row = printed.iloc[0]
            divisor = interval(printed.iloc[0])
            text = f"{printed.iloc[0]['printed']} {printed.iloc[0]['unit']}"
        elif _organisation_fits(ratio, spec.denominator, denominators):
            known = (denominators or {})[(spec.denominator, ratio["year"])]
            divisor, unit = known.value, known.unit
            text = f"{fmt(divisor.middle, 0)} {unit} (organisation file, {ratio['year']})"
        else:
            continue
        expected = interval(numerator).divided_by(divisor)
        if expected is None:
            continue  # a denominator of zero: no intensity is defined
        quotient = numerator["value"] * numerator["scale"] / divisor.middle
        severity = verdict(expected, ratio)
        cells = [ratio, numerator] + ([denominator_row] if denominator_row is not None else [])
        message = _ratio_message(ratio, numerator, text, quotient, severity)
        findings.append(finding("identity_ratio", severity, ratio, cells, expected, message))
    return findings


def _organisation_fits(ratio: pd.Series, denominator: str, denominators: Denominators | None) -> bool:
    """The organisation file's value serves a whole-organisation intensity in the same unit
    (its revenue is in RMB: an intensity per GBP million is not checked against it)."""
    if not denominators or ratio["region"] != "" or (denominator, ratio["year"]) not in denominators:
        return False
    unit = denominators[(denominator, ratio["year"])].unit  # a unit_label: "m2", "million RMB"
    return str(ratio["canonical_unit"]).endswith(f" per {unit}")


@dataclass(frozen=True)
class ImpliedDenominator:
    """One intensity's numerator over the intensity: the denominator it implies, as an interval
    (`truncated`: if the intensity was truncated rather than rounded)."""

    ratio: pd.Series
    numerator: pd.Series
    rounded: Interval
    truncated: Interval | None


def _implied_denominator(ratio: pd.Series, numerator: pd.Series) -> ImpliedDenominator | None:
    rounded = interval(numerator).divided_by(interval(ratio))
    if rounded is None or rounded.high <= 0:
        return None
    cut = truncation_interval(ratio["value"], ratio["decimals"], ratio["exact"]).scaled(ratio["scale"])
    return ImpliedDenominator(ratio, numerator, rounded, interval(numerator).divided_by(cut))


def check_implied_denominators(
    table: pd.DataFrame, denominators: Denominators | None = None
) -> list[Finding]:
    """Where a document prints several intensities over one denominator but not the denominator
    (nor does the organisation file give it), each implies it (numerator / intensity, as an
    interval); the intervals must meet."""
    findings = []
    usable = levels(table)
    implied: dict[tuple, dict[str, ImpliedDenominator]] = {}
    for _, ratio in usable.iterrows():
        spec = kpi_spec(ratio["kpi"])
        if spec is None or spec.denominator is None:
            continue
        if not _printed_anywhere(usable, ratio, spec.denominator).empty or _organisation_fits(
            ratio, spec.denominator, denominators
        ):
            continue  # known: check_ratios compares each intensity with it
        numerators = _same_place(usable, ratio, spec.numerator or "")
        entry = None if numerators.empty else _implied_denominator(ratio, numerators.iloc[0])
        if entry is not None:
            key = (ratio["document"], ratio["period"], ratio["region"], spec.denominator)
            implied.setdefault(key, {}).setdefault(ratio["kpi"], entry)  # one per intensity KPI
    for (_, _, _, denominator), entries in implied.items():
        if len(entries) >= 2:
            findings.append(_implied_denominator_finding(denominator, list(entries.values())))
    return findings


def _implied_denominator_finding(denominator: str, entries: list[ImpliedDenominator]) -> Finding:
    listing = "; ".join(
        f"{e.ratio['kpi']} {e.ratio['printed']} from {e.numerator['printed']}: "
        f"{fmt(e.rounded.low, 1)} to {fmt(e.rounded.high, 1)}"
        for e in entries
    )
    cells = [c for e in entries for c in (e.ratio, e.numerator)]
    first = entries[0].ratio
    meet = common([e.rounded for e in entries])
    if meet is not None:
        message = (
            f"{len(entries)} intensities imply one {denominator} between {fmt(meet.low, 1)} and "
            f"{fmt(meet.high, 1)} ({listing})"
        )
        return finding("implied_denominator", "consistent", first, cells, meet, message)
    if all(e.truncated is not None for e in entries):
        truncated = common([e.truncated for e in entries if e.truncated is not None])
        if truncated is not None:
            message = f"the intensities imply one {denominator} only if truncated, not rounded ({listing})"
            return finding("implied_denominator", "rounding_method", first, cells, truncated, message)
    odd = _odd_one_out(entries)
    message = f"the intensities imply {denominator} values that no single {denominator} gives ({listing})" + (
        f"; all but {odd['kpi']} agree" if odd is not None else ""
    )
    return finding(
        "implied_denominator", "inconsistent", odd if odd is not None else first, cells, None, message
    )


def _odd_one_out(entries: list[ImpliedDenominator]) -> pd.Series | None:
    """The intensity whose implied denominator is the only one that does not meet the others."""
    if len(entries) < 3:
        return None
    for index, entry in enumerate(entries):
        if common([e.rounded for i, e in enumerate(entries) if i != index]) is not None:
            return entry.ratio
    return None


# ---------------------------------------------------------------- the same figure twice


def check_cross_document(table: pd.DataFrame) -> list[Finding]:
    """The same KPI, period and region printed in several documents or sections must agree.
    Printings whose intervals meet at a single point (0.47 and 0.46 from 0.465) fit only if one
    was rounded half down: a rounding_method finding that names both."""
    findings = []
    for _, group in levels(table).groupby(["kpi", "period", "region"], sort=False):
        if len(group) < 2:
            continue
        cells = [row for _, row in group.iterrows()]
        places = "; ".join(
            f"{c['document']} {c['section']}: {shown(c, cells[0])}".replace("  ", " ") for c in cells
        )
        printings = [interval(c) for c in cells]
        meet = common(printings)
        if meet is None and group["restated"].any():
            message = (
                f"restated: the same figure is printed with different values, one marked restated: {places}"
            )
            findings.append(finding("cross_document", "note", cells[0], cells, None, message))
        elif meet is None:
            message = f"the same figure is printed with different values: {places}"
            findings.append(finding("cross_document", "inconsistent", cells[0], cells, None, message))
        elif is_point(meet) and not all(is_point(p) for p in printings):
            message = (
                f"printed differently ({places}); both fit only an unrounded value of exactly "
                f"{in_unit_of(meet.low, cells[0], 1)}, rounded up in one place and down in the other"
            )
            findings.append(finding("cross_document", "rounding_method", cells[0], cells, meet, message))
        else:
            same = group["printed"].nunique() == 1 and group["unit"].nunique() == 1
            message = (
                f"printed identically in {len(group)} places ({places})"
                if same
                else f"printed differently but within rounding of one another ({places}); an unrounded value "
                f"of {span(meet, cells[0])} gives both"
            )
            findings.append(finding("cross_document", "consistent", cells[0], cells, meet, message))
    return findings


# ---------------------------------------------------------------- year-on-year changes


def check_changes(table: pd.DataFrame) -> list[Finding]:
    """Each printed year-on-year change (%) against the two printed levels of the same document,
    as (now - before) / |before|; says whether the printed change follows from the printed
    (rounded) figures or only from unrounded ones. A change whose levels are not printed is a note."""
    findings = []
    usable = levels(table)
    changes = table[table["readable"] & (table["change_from"] != "")]
    for _, change in changes.iterrows():
        current = _same_place(usable, change, change["kpi"])
        earlier = _same_place(usable, change, change["kpi"], period=change["change_from"])
        if current.empty or earlier.empty:
            missing = change["period"] if current.empty else change["change_from"]
            message = (
                f"{change['kpi']} for {missing} is not printed in this document: the change cannot be checked"
            )
            findings.append(finding("yoy_change", "note", change, [change], None, message))
            continue
        findings += _change_finding(change, current.iloc[0], earlier.iloc[0])
    return findings


def _change_finding(change: pd.Series, now: pd.Series, before: pd.Series) -> list[Finding]:
    earlier = interval(before)
    if earlier.low <= 0 <= earlier.high:
        message = (
            f"{change['kpi']} {before['printed']} ({change['change_from']}) may be zero: no percentage change"
        )
        return [finding("yoy_change", "note", change, [change, now, before], None, message)]
    size = earlier if earlier.low > 0 else Interval(-earlier.high, -earlier.low)
    ratio = (interval(now) - earlier).divided_by(size)
    assert ratio is not None  # size excludes zero
    expected = ratio.scaled(100)
    before_value, now_value = before["value"] * before["scale"], now["value"] * now["scale"]
    from_printed = 100 * (now_value - before_value) / abs(before_value)
    severity = verdict(expected, change)
    places = int(change["decimals"]) + 1
    base = (
        f"{change['kpi']} {before['printed']} ({change['change_from']}) to {now['printed']} "
        f"({change['period']}) is a change of {from_printed:+.{places}f}%"
    )
    if severity == "inconsistent":
        message = (
            f"{base} ({expected.low:+.{places}f}% to {expected.high:+.{places}f}% allowing for rounding), "
            f"but {change['printed']} is printed"
        )
        if (change["value"] > 0) != (from_printed > 0) and abs(change["value"]) > 0:
            message += "; if the table prints a fall without a sign, set `direction: decrease`"
    elif rounding_interval(change["value"], change["decimals"]).contains(from_printed):
        message = f"{base}, printed {change['printed']}: it follows from the printed figures"
    elif severity == "consistent":
        message = (
            f"{base}, printed {change['printed']}: it follows only from the unrounded figures, not the "
            "printed ones"
        )
    else:
        message = f"{base}: {change['printed']} {HALF_DOWN}"
    return [finding("yoy_change", severity, change, [change, now, before], expected, message)]


# ---------------------------------------------------------------- comparability


def _part_name(rule: SumRule, kpi: str) -> str:
    """A part's name, alternatives counted as one (Scope 2 location- or market-based)."""
    for part in rule.parts:
        if isinstance(part, list) and kpi in part:
            return part[0]
    return kpi


def check_comparability(table: pd.DataFrame) -> list[Finding]:
    """A total whose disclosed parts change between two printed years is not like-for-like."""
    findings = []
    usable = levels(table)
    for rule in identities().sums:
        names = {k for p in rule.parts for k in ([p] if isinstance(p, str) else p)}
        for _, group in usable.groupby(["document", "section", "region"], sort=False):
            printed = group[group["kpi"].isin(names)]
            parts_by_period = {
                p: {_part_name(rule, k) for k in g["kpi"]} for p, g in printed.groupby("period", sort=False)
            }
            ends = dict(zip(group["period"], group["year"], strict=False))
            periods = sorted(parts_by_period, key=lambda p: ends[p])
            for before, after in zip(periods, periods[1:], strict=False):
                findings += _boundary_change(rule, group, parts_by_period, before, after)
    return findings


def _boundary_change(
    rule: SumRule, group: pd.DataFrame, parts: dict[str, set[str]], before: str, after: str
) -> list[Finding]:
    added, removed = parts[after] - parts[before], parts[before] - parts[after]
    if not (added or removed):
        return []
    change = ", ".join(
        [f"{p} first disclosed in {after}" for p in sorted(added)]
        + [f"{p} not disclosed in {after}" for p in sorted(removed)]
    )
    shared = sorted(parts[before] & parts[after])
    if not shared:
        return []
    now = group[group["period"] == after]
    names = now["kpi"].map(lambda k: _part_name(rule, k))
    # One printing per part: Scope 2 location- and market-based are alternatives, not both parts.
    printed_parts = now.assign(part=names)[names.isin(shared)].drop_duplicates("part")
    like = float((printed_parts["value"] * printed_parts["scale"]).sum())
    findings = []
    for _, row in now.iterrows():
        like_text = _like_for_like(rule, row, now, like)
        previous = group[(group["kpi"] == row["kpi"]) & (group["period"] == before)]
        if like_text is None or previous.empty:
            continue  # not the total (or an intensity of it), or nothing printed to compare it with
        message = (
            f"boundary changed between {before} and {after} ({change}): comparing {row['kpi']} across these "
            f"periods is not like-for-like; on the common boundary ({' + '.join(shared)}) {after} is "
            f"{like_text}"
        )
        findings.append(
            finding("comparability", "note", row, [row, *[r for _, r in previous.iterrows()]], None, message)
        )
    return findings


def _like_for_like(rule: SumRule, row: pd.Series, now: pd.DataFrame, like: float) -> str | None:
    """The rule's total (or an intensity of it) on the common boundary, in the row's unit; None
    for a row that is neither, or an intensity whose denominator is not printed (or is zero)."""
    if row["kpi"] == rule.total:
        return in_unit_of(like, row)
    spec = kpi_spec(row["kpi"])
    if spec is None or spec.numerator != rule.total or spec.denominator is None:
        return None
    denominators = now[now["kpi"] == spec.denominator]
    if denominators.empty or denominators.iloc[0]["value"] * denominators.iloc[0]["scale"] <= 0:
        return None
    divisor = denominators.iloc[0]
    quotient = like / (divisor["value"] * divisor["scale"])
    return f"{in_unit_of(quotient, row)} ({fmt(like)} / {divisor['printed']})"
