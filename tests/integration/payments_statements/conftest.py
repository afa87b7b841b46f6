"""Fixtures of the reconciliation tests: the world of statements_world.py."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path: this folder's helpers and the
# payments world beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payments"))

from statements_world import StatementWorld, make_statement_world


@pytest.fixture
def statement_world(org_tree: Any, now: datetime, staff_user_factory: Any) -> StatementWorld:
    return make_statement_world(org_tree, now, staff_user_factory)
