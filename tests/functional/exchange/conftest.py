"""Fixtures of the upload page tests: the world of tests/integration/exchange and clients."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.test import Client

# pytest's importlib mode puts no test folder on sys.path; the world is shared with the
# integration tests of the exchange.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "exchange"))

from exchange_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def clerk_client(world: World, log_in) -> Client:
    """A client logged in as the county clerk (staff of 370102)."""
    client = Client()
    log_in(client, world.county_clerk)
    return client
