"""Fixtures of the tariff catalog tests: documents made from the shipped reference files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest

DocumentFactory = Callable[..., dict[str, Any]]

#: The codes of the reference tariffs issue 5 requires, shipped in gridcare/tariffs/catalog/.
#: The catalog's tariffs by code: the five reference tariffs of issue 5 and the demo utility's two.
REFERENCE_CODES = (
    "CN-BJ-RES-2012",
    "CN-SH-RES-TOU",
    "CN-ZJ-RES-TIER",
    "CN-ZJ-RES-TOU",
    "DEMO-AGR-FLAT",
    "DEMO-GC-FLAT",
    "DEMO-GD-LI-2P",
)


def reference_document(code: str) -> dict[str, Any]:
    """The reference tariff ``code`` as its catalog file holds it."""
    text = files("gridcare.tariffs").joinpath("catalog", f"{code}.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.fixture
def tariff_document() -> DocumentFactory:
    """``make(code="TEST-BJ", **changes)`` → a copy of the Beijing residential document under
    another code (so it does not meet the migrated reference version), top-level keys replaced."""

    def make(*, code: str = "TEST-BJ", **changes: Any) -> dict[str, Any]:
        document = copy.deepcopy(reference_document("CN-BJ-RES-2012"))
        document.update(code=code, **changes)
        return document

    return make
