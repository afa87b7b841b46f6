"""A seeded demo utility of 100 accounts with two monthly reads, as the register billing
benchmark seeds one (smaller), and its admin and province."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridcare.demo.operations import seed_demo_utility
from gridcare.identity.models import User
from gridcare.organization.models import OrgUnit

END_MONTH = date(2026, 10, 1)
SEEDED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class SeededUtility:
    admin: User
    province: OrgUnit


@pytest.fixture
def seeded_utility(db: None, fast_password_hasher: None) -> SeededUtility:
    """100 demo accounts with reads on their route's reading day of September and October 2026."""
    seed_demo_utility(accounts=100, seed=1, months=2, end_month=END_MONTH, now=SEEDED_AT)
    return SeededUtility(admin=User.objects.get(username="admin"), province=OrgUnit.objects.get(code="37"))
