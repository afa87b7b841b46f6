"""Fixtures of the web shell's HTTP tests: the two-station world of tests/integration/web."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.test import Client

# The scenario is shared with tests/integration/web; pytest's importlib mode puts no test
# folder on sys.path, so that folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))

from web_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def station_a_client(world: World, log_in) -> Client:
    """A client logged in as the meter reader of station A."""
    client = Client()
    log_in(client, world.station_a_user)
    return client
