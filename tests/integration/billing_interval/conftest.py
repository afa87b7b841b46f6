"""Fixtures for `gridcare quote interval`: a parser with its options and a tariff file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from gridcare.billing.interval_quotes import add_interval_arguments


@pytest.fixture
def interval_parser() -> argparse.ArgumentParser:
    """The options of `gridcare quote interval`, as the quote command adds them."""
    parser = argparse.ArgumentParser(prog="gridcare quote interval")
    add_interval_arguments(parser)
    return parser


@pytest.fixture
def urdb_file(tmp_path: Path) -> Path:
    """An API response encoded as a JSON string (as OpenEI downloads are): 0.10 $/kWh for the first
    100 kWh of the month and 0.20 after, 5 $/kW on the month's peak, 3 $/month fixed."""
    record = {
        "energyratestructure": [[{"max": 100, "rate": 0.10}, {"rate": 0.20}]],
        "energyweekdayschedule": [[0] * 24] * 12,
        "energyweekendschedule": [[0] * 24] * 12,
        "flatdemandstructure": [[{"rate": 5}]],
        "flatdemandmonths": [0] * 12,
        "fixedchargefirstmeter": 3,
        "fixedchargeunits": "$/month",
    }
    path = tmp_path / "tariff.api.json"
    path.write_text(json.dumps(json.dumps({"items": [record]})), encoding="utf-8")
    return path
