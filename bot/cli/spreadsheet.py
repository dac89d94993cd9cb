"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: one starting like a formula (=HYPERLINK(...), +, -, @, a tab or
    a carriage return) gets a leading apostrophe, so opening an export never runs what someone typed."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value
