"""Errors the engine raises. The CLI turns every CarbonError into a message and exit code 2;
anything else that escapes is a bug (exit 3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was there, what was expected."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    key: str | None = None  # a key path in a YAML file, e.g. "levers.electricity.scale"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.key is not None:
            where.append(f"key '{self.key}'")
        found = "" if self.value is None else f": found {_shown(self.value)}"
        return f"{', '.join(where)}{found}; expected {self.expected}"


# Values are echoed back to the user; a hostile file must not flood the terminal.
MAX_SHOWN = 80
# Problems listed in one message: enough to see every kind, not a flood.
MAX_LISTED = 60


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}... ({len(value):,} characters)"


class CarbonError(Exception):
    """Base class: anything wrong with inputs, factors or options."""


class InputProblems(CarbonError):
    """Carries every problem found in one validation pass, so the user fixes them all at once."""

    def __init__(self, problems: list[Problem], headline: str = "The inputs have problems"):
        # The same problem found in several chunks of a large file is one problem.
        self.problems = list(dict.fromkeys(problems))
        self.headline = headline
        shown = [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            shown.append(f"  ... and {len(self.problems) - MAX_LISTED:,} more problems")
        super().__init__("\n".join([f"{headline} ({len(self.problems):,}):", *shown]))


class LedgerError(InputProblems):
    """The activity ledger or the organisation file is invalid."""


class FactorNotFound(LedgerError):
    """No factor matched an (activity, region, year) after the fallback chain."""


class UnitError(CarbonError):
    """A unit string could not be parsed, is banned as ambiguous, or has the wrong dimension."""


class FactorSetError(CarbonError):
    """A factor set is missing, tampered with, or breaks its schema."""


class ReconcileError(CarbonError):
    """Published tables are missing or malformed."""


class ScenarioError(CarbonError):
    """A lever, scenario file or pathway is invalid."""


class InputFileError(InputProblems):
    """A YAML or manifest file is unreadable or does not follow its model."""


class OutputError(CarbonError):
    """Outputs could not be written (the previous outputs are left as they were)."""
