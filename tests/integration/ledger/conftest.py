"""Fixtures of the ledger tests; the world they build is described in ledger_world.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path; the world module sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_world import LedgerWorld, make_ledger_world


@pytest.fixture
def ledger_world(org_tree: Any, now: Any) -> LedgerWorld:
    return make_ledger_world(org_tree, now)
