"""Exports of an inventory for people outside the engine (auditors)."""
