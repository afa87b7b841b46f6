"""Fixtures of the authorization matrix: its world, built once per module.

The world is written inside a transaction held open for the module and rolled back at its
end; each test runs in a savepoint inside it (pytest-django's ``db``), so a test's requests
change nothing the next test sees.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

# pytest's importlib mode puts no test folder on sys.path; the world module lives here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from access_world import MatrixWorld, build_world


@pytest.fixture(scope="module")
def matrix_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[MatrixWorld]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
