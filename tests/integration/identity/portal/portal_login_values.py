"""Values shared by the portal login tests."""

from __future__ import annotations

from collections.abc import Callable

MOBILE = "13812345678"
UNKNOWN_MOBILE = "13900001111"
ADDRESS = "203.0.113.7"
PASSWORD = "Quancheng-Road-88"

SentCodes = Callable[[str], list[str]]
