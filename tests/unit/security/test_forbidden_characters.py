"""Which characters free text refuses (gridcare.kit.text): controls and bidirectional
overrides, never letters of any script, emoji or their joiners."""

from __future__ import annotations

import pytest

from gridcare.kit.text import first_forbidden_character


@pytest.mark.parametrize(
    "text",
    [
        "张三",
        "国网山东省电力公司（泉城路供电所）",
        "ئابدۇرېھىم",  # Uyghur, right to left without any control character
        "👨‍👩‍👧 family, joined by zero-width joiners",
        "O'Brien & Söhne <GmbH>",
        "\u200f\u200e marks",  # right-to-left and left-to-right marks carry no override
        "",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert first_forbidden_character(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x00", (1, "U+0000")),
        ("a\tb", (2, "U+0009")),
        ("ab\r\n", (3, "U+000D")),
        ("x\x7f", (2, "U+007F")),
        ("next\x85line", (5, "U+0085")),
        ("abc\u202adef", (4, "U+202A")),
        ("abc\u202edef", (4, "U+202E")),
        ("\u2066isolated\u2069", (1, "U+2066")),
        ("fine\u2069", (5, "U+2069")),
    ],
)
def test_controls_and_bidirectional_overrides_are_found_at_their_position(
    text: str, expected: tuple[int, str]
) -> None:
    assert first_forbidden_character(text) == expected
