"""Free text that people type or import: the invisible characters GridCare refuses in it.

Names, addresses and other one-line fields refuse control characters (Unicode category Cc:
NUL, tab, line breaks, escape, C1 controls) and the bidirectional embedding, override and
isolate controls (U+202A–U+202E, U+2066–U+2069). A NUL cannot be stored in PostgreSQL text and
other controls cannot be written to an XLSX cell; the bidirectional controls make a name
display differently from what it is (the "Trojan Source" trick) on pages, bills and exports.
Right-to-left scripts (Uyghur, Arabic) need none of them, and emoji — including their zero-width
joiners — are ordinary text.
"""

from __future__ import annotations

import unicodedata

BIDIRECTIONAL_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def first_forbidden_character(text: str) -> tuple[int, str] | None:
    """The 1-based position and ``U+XXXX`` code of the first refused character in ``text``,
    or ``None`` when there is none."""
    for index, character in enumerate(text):
        if character in BIDIRECTIONAL_CONTROLS or unicodedata.category(character) == "Cc":
            return index + 1, f"U+{ord(character):04X}"
    return None
