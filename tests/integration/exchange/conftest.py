"""Fixtures of the exchange tests: the world of :mod:`exchange_world`, built with the ORM."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest's importlib mode puts no test folder on sys.path; the world module is shared with
# tests/functional/exchange.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from exchange_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
