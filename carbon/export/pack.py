"""The HKEX disclosure pack as text a person reads: Markdown, and one self-contained HTML page
(inline CSS and SVG charts; no script, font or image from the network, so it works offline).

Both are built from the same rows (`sections`), which the terminal table and the CSV use too,
so a figure reads the same in every format. Same pack, same bytes: nothing here reads the clock.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from carbon.disclose import HkexPack, Printed
from carbon.models.inventory import FigureUncertainty

VERDICTS = {
    "consistent": "matches the printed figure",
    "rounding_method": "matches if the report truncated",
    "inconsistent": "differs from the printed figure",
    "note": "see the reconciliation",
}


def number(value: float | None) -> str:
    """Two decimals, or three significant digits for a small intensity (0.000143)."""
    if value is None:
        return ""
    if value != 0 and abs(value) < 0.1:
        return f"{value:.3g}"
    return f"{value:,.2f}"


def printed_text(printed: Printed | None) -> str:
    if printed is None:
        return ""
    return f"{printed.printed} ({printed.document}): {VERDICTS[printed.verdict]}"


@dataclass(frozen=True)
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]


def kpi_section(pack: HkexPack) -> Section:
    """A KPI's name on its own row, then one row per figure; a KPI without figures on one row."""
    rows = []
    for kpi in pack.kpis:
        if kpi.figures:
            rows.append([kpi.key, kpi.name, "", "", ""])
            rows += [
                ["", figure.label, number(figure.value), figure.unit, printed_text(figure.printed)]
                for figure in kpi.figures
            ]
        else:
            rows.append([kpi.key, kpi.name, kpi.status.replace("_", " "), "", kpi.text or ""])
    headers = ["KPI", "Figure", "Value", "Unit", "Printed in the report / statement / reason"]
    return Section(f"Environmental KPIs, {pack.year}", headers, rows)


def interval_text(uncertainty: FigureUncertainty | None) -> str:
    """'590.68 to 1,742.38 (+-49.4%)': the propagated 95% interval, '' where there is none."""
    if uncertainty is None or uncertainty.propagation.half_width_percent is None:
        return ""
    interval = uncertainty.propagation
    return f"{number(interval.low)} to {number(interval.high)} (+-{interval.half_width_percent:.1f}%)"


def part_d_section(pack: HkexPack) -> Section:
    rows = [
        [
            item.name,
            item.requirement.replace("_", "-"),
            number(item.value),
            item.unit,
            interval_text(item.uncertainty),
            item.status,
            printed_text(item.printed),
            item.note,
        ]
        for item in pack.items
    ]
    headers = [
        "Item",
        "Requirement",
        "Value",
        "Unit",
        "95% interval",
        "Status",
        "Printed in the report",
        "Note",
    ]
    return Section(f"Part D climate metrics, {pack.year} ({pack.tier.replace('_', ' ')})", headers, rows)


def scope3_section(pack: HkexPack) -> Section:
    rows = []
    for row in pack.scope3:
        why = ": ".join(part for part in (row.method, row.reason) if part)  # a method only when included
        if row.estimate_t is not None:
            why = f"{why} (screening estimate {number(row.estimate_t)} tCO2e: {row.estimate_basis})"
        rows.append([str(row.category), row.name, row.status.replace("_", " "), number(row.tco2e), why])
    return Section(
        f"Scope 3 screening, {pack.year}", ["#", "Category", "Status", "tCO2e", "Method or reason"], rows
    )


def instruments_section(pack: HkexPack) -> Section:
    rows = [
        [i.activity, i.instrument, i.vintage, number(i.quantity), i.unit, str(i.ledger_rows)]
        for i in pack.instruments
    ]
    headers = ["Instrument", "Id", "Vintage", "Quantity", "Unit", "Ledger rows"]
    return Section(f"Contractual instruments, {pack.year} (market-based Scope 2)", headers, rows)


def targets_section(pack: HkexPack) -> Section:
    rows = [
        [
            target.name,
            f"{target.metric} ({target.unit}); {target.scope}",
            f"{target.base_year}: {number(target.base_value)}",
            f"{target.year}: {number(target.value)}",
            "" if target.achieved_pct is None else f"{target.achieved_pct:.1f}%",
            f"-{target.reduction_pct:g}% by {target.target_year}"
            + "".join(f"; -{m.reduction_pct:g}% by {m.year}" for m in target.milestones),
            f"{target.basis}; carbon credits: {target.carbon_credits}",
            target.source,
        ]
        for target in pack.targets
    ]
    if pack.carbon_price is not None:
        price = pack.carbon_price
        rows.append(
            [
                "Internal carbon price",
                f"{' + '.join(price.applies_to)}: {number(price.tco2e)} tCO2e",
                f"{number(price.price)} {price.currency} per tCO2e",
                f"shadow cost {number(price.shadow_cost)} {price.currency}",
                "",
                "",
                price.use,
                price.source,
            ]
        )
    headers = ["Target", "Metric", "Base", "Now", "Reduced so far", "Target", "Basis", "Source"]
    return Section(f"Targets and internal carbon price, {pack.year}", headers, rows)


def trend_section(pack: HkexPack) -> Section:
    rows = [
        [
            str(y.year),
            number(y.scope1),
            number(y.scope2_location),
            number(y.scope2_market),
            number(y.scope3),
            number(y.tco2e_per_employee),
        ]
        for y in pack.history
    ]
    headers = ["Year", "Scope 1", "Scope 2 (location)", "Scope 2 (market)", "Scope 3", "tCO2e per employee"]
    return Section("Emissions by year (tCO2e)", headers, rows)


def reconciliation_section(pack: HkexPack) -> Section:
    printed = [(f.label, f.printed) for kpi in pack.kpis for f in kpi.figures]
    printed += [(item.name, item.printed) for item in pack.items]
    rows = [
        [label, p.printed, p.engine, VERDICTS[p.verdict], f"{p.document}: {p.locator}"]
        for label, p in printed
        if p is not None
    ]
    headers = ["Figure", "Printed", "Engine (printed precision)", "Verdict", "Where printed"]
    return Section("Reconciliation with the published report", headers, rows)


def factor_section(pack: HkexPack) -> Section:
    rows = [[f.factor_id, f"{f.value:g}", f.unit, f.source, f.confidence] for f in pack.factor_sources]
    return Section(
        f"Emission factors behind {pack.year}", ["Factor", "Value", "Unit", "Source", "Confidence"], rows
    )


def sections(pack: HkexPack) -> list[Section]:
    return [
        kpi_section(pack),
        part_d_section(pack),
        scope3_section(pack),
        instruments_section(pack),
        targets_section(pack),
        trend_section(pack),
        reconciliation_section(pack),
        factor_section(pack),
    ]


def facts(pack: HkexPack) -> list[str]:
    return [
        f"Issuer tier: {pack.tier.replace('_', ' ')}; factors published on or before {pack.as_of}",
        f"Approach: {pack.approach}",
        f"GWP {pack.gwp}; factor sets {', '.join(pack.factor_sets)}",
        f"Rules: {pack.rules_source}",
    ]


# ---------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pack_markdown(pack: HkexPack) -> str:
    out = [f"# HKEX disclosure pack: {pack.organisation}, {pack.year}", ""]
    out += [f"- {_cell(line)}" for line in facts(pack)] + [""]
    for section in sections(pack):
        out += [f"## {section.title}", ""]
        if not section.rows:
            out += ["None.", ""]
            continue
        out.append("| " + " | ".join(section.headers) + " |")
        out.append("|" + "---|" * len(section.headers))
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in section.rows]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- HTML with inline SVG charts

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #2f6f4f}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #d5dbe1;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef3f0}td.n{text-align:right;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:2rem}.facts li{margin:.2rem 0}
"""
COLOURS = {"Scope 1": "#2f6f4f", "Scope 2 (location)": "#6fa287", "Scope 3": "#c8d9a0"}
NUMERIC = {
    "Value",
    "tCO2e",
    "Scope 1",
    "Scope 2 (location)",
    "Scope 2 (market)",
    "Scope 3",
    "tCO2e per employee",
}


def _table(section: Section) -> str:
    if not section.rows:
        return "<p>None.</p>"
    numeric = [header in NUMERIC for header in section.headers]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in section.headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{html.escape(c)}</td>' if is_number else f"<td>{html.escape(c)}</td>"
            for c, is_number in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in section.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _axis_max(values: list[float]) -> float:
    top = max(values, default=0.0)
    return top * 1.1 if top > 0 else 1.0


def scope_chart(pack: HkexPack, width: int = 520, height: int = 260) -> str:
    """Stacked bars: Scope 1, Scope 2 (location) and Scope 3 per inventory year."""
    years = pack.history
    stacks = [
        (y.year, [("Scope 1", y.scope1), ("Scope 2 (location)", y.scope2_location), ("Scope 3", y.scope3)])
        for y in years
    ]
    top = _axis_max([sum(v for _, v in parts) for _, parts in stacks])
    left, bottom, plot_h = 60, 30, height - 60
    step = (width - left - 10) / max(len(stacks), 1)
    shapes = []
    for i, (year, parts) in enumerate(stacks):
        x, base = left + i * step + step * 0.15, float(height - bottom)
        for name, value in parts:
            h = plot_h * max(value, 0.0) / top
            base -= h
            shapes.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[name]}"><title>{year} {name}: {number(value)} tCO2e</title></rect>'
            )
        total = sum(v for _, v in parts)
        shapes.append(
            f'<text x="{x + step * 0.35:.1f}" y="{base - 4:.1f}" font-size="10" text-anchor="middle">'
            f"{number(total)}</text>"
        )
        shapes.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14}" font-size="11" '
            f'text-anchor="middle">{year}</text>'
        )
    legend = "".join(
        f'<rect x="{left + i * 150}" y="4" width="10" height="10" fill="{colour}"/>'
        f'<text x="{left + i * 150 + 14}" y="13" font-size="11">{html.escape(name)}</text>'
        for i, (name, colour) in enumerate(COLOURS.items())
    )
    return _svg(width, height, "Emissions by scope per year, tCO2e", legend + "".join(shapes), left, bottom)


def intensity_chart(pack: HkexPack, width: int = 420, height: int = 260) -> str:
    """Scope 1 + 2 (location) + 3 per employee, per inventory year."""
    points = [(y.year, y.tco2e_per_employee) for y in pack.history if y.tco2e_per_employee is not None]
    top = _axis_max([v for _, v in points])
    left, bottom, plot_h = 60, 30, height - 60
    step = (width - left - 45) / max(len(points) - 1, 1)
    xy = [(left + 15 + i * step, height - bottom - plot_h * v / top) for i, (_, v) in enumerate(points)]
    shapes = []
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        shapes.append(f'<polyline points="{path}" fill="none" stroke="#2f6f4f" stroke-width="2"/>')
    for (x, y), (year, value) in zip(xy, points, strict=True):
        shapes.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#2f6f4f">'
            f"<title>{year}: {number(value)}</title></circle>"
            f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="10" text-anchor="middle">{number(value)}</text>'
            f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="11" text-anchor="middle">{year}</text>'
        )
    return _svg(width, height, "GHG intensity, tCO2e per employee", "".join(shapes), left, bottom)


def _svg(width: int, height: int, title: str, content: str, left: int, bottom: int) -> str:
    axes = (
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#52606d"/>'
        f'<line x1="{left}" y1="20" x2="{left}" y2="{height - bottom}" stroke="#52606d"/>'
    )
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">{axes}{content}</svg>'
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
    )


def pack_html(pack: HkexPack) -> str:
    title = f"HKEX disclosure pack: {pack.organisation}, {pack.year}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<ul class="facts">' + "".join(f"<li>{html.escape(line)}</li>" for line in facts(pack)) + "</ul>",
        f'<div class="charts">{scope_chart(pack)}{intensity_chart(pack)}</div>',
    ]
    for section in sections(pack):
        parts.append(f"<h2>{html.escape(section.title)}</h2>{_table(section)}")
    parts.append("</body></html>\n")
    return "\n".join(parts)
