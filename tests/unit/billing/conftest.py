"""Fixtures of the billing engine's unit tests: the packaged reference tariffs, read as files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import gridcare
from gridcare.billing.engine.tariff import TariffDocument, parse_tariff_document

CATALOG = Path(gridcare.__file__).parent / "tariffs" / "catalog"


def catalog_tariff(code: str) -> TariffDocument:
    """The reference tariff ``code`` from the packaged catalog file."""
    return parse_tariff_document(json.loads((CATALOG / f"{code}.json").read_text(encoding="utf-8")))


@pytest.fixture
def tariff() -> Callable[[str], TariffDocument]:
    return catalog_tariff
