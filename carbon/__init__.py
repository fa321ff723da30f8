"""carbon-inventory: activity ledger + cited, versioned factors -> Scope 1/2/3 inventory."""

__version__ = "0.1.0"
