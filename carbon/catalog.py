"""Looking across factor sets: list them, show one factor with its citation, diff two versions,
and measure what adopting a version would change in an inventory.

Every function returns plain data (the `--format json` shapes documented in the README);
rendering is the CLI's job.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import FactorSetError
from carbon.factors import (
    FACTOR_ATTRIBUTES,
    FACTOR_COLUMNS,
    FactorSet,
    available_sets,
    load_factor_set,
    resolve_factor_set,
)
from carbon.models.vocabulary import vocabulary
from carbon.suggest import did_you_mean

# Columns that describe a factor (everything but bookkeeping added at load).
DESCRIBING = FACTOR_COLUMNS
# Inventory figures compared by `impact`.
IMPACT_KPIS = ["scope1", "scope2_location", "scope2_market", "scope3", "total_location", "total_market"]


def _plain(value):
    """JSON-friendly scalars (numpy numbers, dates)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def list_sets() -> list[dict]:
    """Every set and version under factors/: counts and the data-year and publication ranges."""
    listing = []
    for name, versions in available_sets().items():
        for version in versions:
            factor_set = load_factor_set(resolve_factor_set(f"{name}@{version}"))
            factors = factor_set.factors
            listing.append(
                {
                    "name": name,
                    "version": version,
                    "released": str(factor_set.manifest.get("released", "")),
                    "factors": int(len(factors)),
                    "activities": sorted(factors["activity"].unique()),
                    "data_years": [int(factors["data_year"].min()), int(factors["data_year"].max())],
                    "published": [
                        factors["published"].min().isoformat(),
                        factors["published"].max().isoformat(),
                    ],
                    "sources": len(factor_set.manifest.get("sources", {})),
                }
            )
    return listing


def show_factor(factor_id: str, spec: str | None = None) -> dict:
    """One factor with its full source citation; searches every set when no set is named."""
    specs = [spec] if spec else [f"{n}@{v}" for n, vs in available_sets().items() for v in reversed(vs)]
    for candidate in specs:
        factor_set = load_factor_set(resolve_factor_set(candidate))
        match = factor_set.factors[factor_set.factors["factor_id"] == factor_id]
        if not match.empty:
            row = match.iloc[0]
            details = {column: _plain(row[column]) for column in DESCRIBING}
            details["value"] = float(row["value"])
            details["factor_set"] = factor_set.label
            details["source"] = {"id": row["source_id"], **factor_set.manifest["sources"][row["source_id"]]}
            return details
    known = sorted(
        {
            str(i)
            for candidate in specs
            for i in load_factor_set(resolve_factor_set(candidate)).factors["factor_id"]
        }
    )
    raise FactorSetError(
        f"no factor '{factor_id}' in {', '.join(specs)}{did_you_mean(factor_id, known)} "
        "(`carbon vocab factors` lists every factor id; so does the factor_id column of emission_lines.csv)"
    )


def _indexed(factor_set: FactorSet) -> pd.DataFrame:
    return factor_set.factors.set_index("factor_id")


def diff_sets(old_spec: str, new_spec: str) -> dict:
    """Factors added, removed and changed between two set versions (values compared in canonical units)."""
    old_set = load_factor_set(resolve_factor_set(old_spec))
    new_set = load_factor_set(resolve_factor_set(new_spec))
    old, new = _indexed(old_set), _indexed(new_set)
    added = [_summary(new, i) for i in new.index.difference(old.index)]
    removed = [_summary(old, i) for i in old.index.difference(new.index)]
    changed, unchanged = [], 0
    for factor_id in old.index.intersection(new.index):
        before, after = old.loc[factor_id], new.loc[factor_id]
        fields = [c for c in DESCRIBING[1:] if str(before[c]) != str(after[c])]
        if not fields:
            unchanged += 1
            continue
        entry = {
            "factor_id": factor_id,
            "fields": fields,
            "from": {f: _plain(before[f]) for f in fields},
            "to": {f: _plain(after[f]) for f in fields},
        }
        if before["value_canonical"] != after["value_canonical"]:
            entry["change_pct"] = (
                float(
                    (after["value_canonical"] - before["value_canonical"]) / before["value_canonical"] * 100
                )
                if before["value_canonical"]
                else None
            )
        changed.append(entry)
    return {
        "from": old_set.label,
        "to": new_set.label,
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": unchanged,
    }


def _summary(table: pd.DataFrame, factor_id: str) -> dict:
    row = table.loc[factor_id]
    summary = {
        "factor_id": factor_id,
        **{
            c: _plain(row[c])
            for c in ("activity", "region", "data_year", "gas", "unit", "method", "source_id")
        },
    }
    return {**summary, "value": float(row["value"])}


def previous_version(spec: str) -> str:
    """The version listed before `spec`'s in the same set (the natural baseline for `impact`)."""
    folder = resolve_factor_set(spec)
    name, version = folder.parent.name, folder.name
    versions = available_sets().get(name, [])
    if version not in versions or versions.index(version) == 0:
        raise FactorSetError(
            f"{name}@{version} has no earlier version to compare with: pass --baseline SET@VERSION"
        )
    return f"{name}@{versions[versions.index(version) - 1]}"


def impact(request: InventoryRequest, candidate: str, baseline: str) -> dict:
    """Run the same inventory with two factor-set versions; the change per year and KPI."""
    before = run_inventory(replace(request, factors=baseline)).inventory
    after = run_inventory(replace(request, factors=candidate)).inventory
    years = []
    old_years = {y.year: y for y in before.years}
    for new_year in after.years:
        old_year = old_years[new_year.year]
        kpis = {}
        pairs = [(k, getattr(old_year, k), getattr(new_year, k)) for k in IMPACT_KPIS]
        pairs.append(
            (
                "tco2e_per_employee",
                old_year.intensity.tco2e_per_employee,
                new_year.intensity.tco2e_per_employee,
            )
        )
        for key, old_value, new_value in pairs:
            change = None if old_value is None or new_value is None else new_value - old_value
            pct = None if change is None or not old_value else change / old_value * 100
            kpis[key] = {"baseline": old_value, "candidate": new_value, "change": change, "change_pct": pct}
        years.append({"year": new_year.year, "kpis": kpis})
    return {
        "organisation": after.organisation,
        "gwp": after.gwp,
        "as_of": after.as_of,
        "baseline": baseline,
        "candidate": candidate,
        "years": years,
        "notes_baseline": before.notes,
        "notes_candidate": after.notes,
    }


# ---------------------------------------------------------------- vocabulary

VOCABULARY_TOPICS = ("activities", "attributes", "units", "metrics", "regions", "factors", "levers")


def vocabulary_listing(topic: str, factor_set: FactorSet) -> list[dict]:
    """What a ledger, organisation file or scenario may say, as rows (the CLI's `carbon vocab`)."""
    vocab = vocabulary()
    if topic == "activities":
        return [
            {
                "activity": name,
                "scope": spec.scope,
                "canonical_unit": spec.canonical_unit,
                "units": " or ".join(vocab.dimensions[d] for d in spec.accepts)
                + (f"; never {', '.join(spec.refused_units)}" if spec.refused_units else ""),
                "attributes": ", ".join(f"{a} ({need})" for a, need in spec.attributes.items()),
                "meaning": spec.description,
            }
            for name, spec in vocab.activities.items()
        ]
    if topic == "attributes":
        return _attribute_combinations(factor_set)
    if topic == "units":
        from carbon.units import parse_unit

        return [
            {"unit": unit, "dimension": str(parse_unit(unit).dimensionality)} for unit in vocab.unit_examples
        ]
    if topic == "metrics":
        return [
            {"metric": name, "unit": spec.unit, "min": spec.min, "max": spec.max, "meaning": spec.description}
            for name, spec in vocab.metrics.items()
        ]
    if topic == "regions":
        regions = factor_set.regions
        return [
            {"region": r, "level": level, "name": name, "parent": parent}
            for r, level, name, parent in zip(
                regions["region"], regions["level"], regions["name"], regions["parent"], strict=True
            )
        ]
    if topic == "factors":
        factors = factor_set.factors.sort_values("factor_id")
        return [
            {"factor_id": f, "activity": a, "region": r, "data_year": int(y), "gas": g, "method": m}
            for f, a, r, y, g, m in zip(
                factors["factor_id"],
                factors["activity"],
                factors["region"],
                factors["data_year"],
                factors["gas"],
                factors["method"],
                strict=True,
            )
        ]
    if topic == "levers":
        from carbon.scenario import lever_list

        return lever_list()
    raise FactorSetError(
        f"unknown topic '{topic}': expected one of "
        f"{', '.join(VOCABULARY_TOPICS)}{did_you_mean(topic, VOCABULARY_TOPICS)}"
    )


def _attribute_combinations(factor_set: FactorSet) -> list[dict]:
    """Each activity's attribute values (waste_type and route, kind ...) that have a factor:
    any other combination has none. Values with a class (hazardous ...) show it."""
    factors = factor_set.factors
    with_attributes = factors[(factors[FACTOR_ATTRIBUTES] != "").any(axis=1)]
    groups = (
        with_attributes.groupby(["activity", *FACTOR_ATTRIBUTES])["data_year"]
        .agg(["min", "max"])
        .reset_index()
    )
    rows = []
    for record in groups.to_dict("records"):
        attributes = {a: record[a] for a in FACTOR_ATTRIBUTES if record[a]}
        classes = [
            vocabulary().classes(a).get(v) for a, v in attributes.items() if a in vocabulary().attributes
        ]
        rows.append(
            {
                "activity": record["activity"],
                **{a: record[a] for a in FACTOR_ATTRIBUTES},
                "class": ", ".join(c for c in classes if c),
                "data_years": f"{record['min']}-{record['max']}",
            }
        )
    return rows
