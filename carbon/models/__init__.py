"""Pydantic models of the files the engine reads, and the strict loader that applies them."""
