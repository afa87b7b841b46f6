"""Spreadsheet safety for CSV files GridCare writes and reads back (CSV formula injection).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (possibly after
apostrophes) would run as a formula when the file is opened in a spreadsheet. Such cells are
written with a leading ``'`` (OWASP's advice) unless they are plain numbers such as ``-5.00``;
reading takes exactly that apostrophe off again, so a round trip gives back the same text.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_QUOTE = "'"
#: A plain number, which a spreadsheet reads as a number even with a leading sign.
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)")


def guard_formula(text: str) -> str:
    """``text`` as a CSV text cell: prefixed with ``'`` when it starts with a
    :data:`FORMULA_TRIGGERS` character, possibly after apostrophes (so that ``'=x`` is written
    ``''=x`` and :func:`unguard_formula` gives back exactly the text), unless it is a plain
    number such as ``-5.00``."""
    if _looks_like_formula(text) and not _PLAIN_NUMBER.fullmatch(text):
        return _FORMULA_QUOTE + text
    return text


def unguard_formula(text: str) -> str:
    """A CSV text cell's text with the apostrophe :func:`guard_formula` adds taken off: exactly
    one leading ``'`` when the rest starts with a :data:`FORMULA_TRIGGERS` character (possibly
    after more apostrophes); any other cell unchanged."""
    if text.startswith(_FORMULA_QUOTE) and _looks_like_formula(text[1:]):
        return text[1:]
    return text


def _looks_like_formula(text: str) -> bool:
    return text.lstrip(_FORMULA_QUOTE).startswith(FORMULA_TRIGGERS)
