"""Fixtures of the web shell's integration tests: the two-station world of ``web_world``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# web_world is shared with tests/functional/web; pytest's importlib mode puts no test folder
# on sys.path, so the folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
