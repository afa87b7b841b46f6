"""The reconciliation pages' world: the statements world of tests/integration/payments_statements
(an account at 泉城路 with bank payments of 100.00 and 80.00), built on the org helpers of
tests/integration/web, with the acceptance statement imported at 泉城路 and a statement of the
sibling station 解放路."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

INTEGRATION = Path(__file__).resolve().parents[2] / "integration"
for folder in ("web", "payments", "payments_statements"):
    sys.path.insert(0, str(INTEGRATION / folder))

from statement_files import Entry, camt053  # noqa: E402
from statements_world import DEBIT_SERIAL, REALTIME_SERIAL, StatementWorld, make_statement_world  # noqa: E402
from web_world import make_org_unit, make_staff_user  # noqa: E402

from gridcare.identity.models import User  # noqa: E402
from gridcare.ledger.chart import load_initial_chart  # noqa: E402
from gridcare.ledger.models import LedgerAccount  # noqa: E402
from gridcare.organization.models import OrgLevel  # noqa: E402
from gridcare.payments.models import BankStatement  # noqa: E402
from gridcare.payments.statements import import_statement  # noqa: E402

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

STATION_FILE = camt053(
    [
        Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL, bank_reference="ICBC0310A0001"),
        Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL, bank_reference="ICBC0310A0002"),
        Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL, bank_reference="ICBC0310A0001"),
        Entry(amount="56.30", end_to_end_id="BR20250310999", bank_reference="ICBC0310A0004", payer="李娜"),
    ]
)


@dataclass(frozen=True)
class ReconciliationScene:
    world: StatementWorld
    statement: BankStatement
    other_statement: BankStatement
    cashier: User


@pytest.fixture
def reconciliation_scene(db: None) -> ReconciliationScene:
    load_initial_chart(model=LedgerAccount)
    province = make_org_unit(code="37", name="国网山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    county = make_org_unit(code="370102", name="历下区供电中心", level=OrgLevel.COUNTY, parent=province)
    station = make_org_unit(code="37010201", name="泉城路供电所", level=OrgLevel.STATION, parent=county)
    other = make_org_unit(code="37010202", name="解放路供电所", level=OrgLevel.STATION, parent=county)
    tree = SimpleNamespace(province=province, county=county, station=station, other_station=other)

    def staff(*, username: str, org_unit: Any, roles: Any = ()) -> User:
        return make_staff_user(username=username, org_unit=org_unit, roles=tuple(roles))

    world = make_statement_world(tree, NOW, staff)
    statement = import_statement(
        actor=world.clerk, org_unit=station, content=STATION_FILE, file_name="icbc-0310.xml", now=NOW
    )
    other_statement = import_statement(
        actor=world.other_clerk,
        org_unit=other,
        content=camt053([Entry(amount="9.00", end_to_end_id="X-OTHER")], statement_id="ABC-OTHER-0310"),
        file_name="abc-0310.xml",
        now=NOW,
    )
    return ReconciliationScene(
        world=world, statement=statement, other_statement=other_statement, cashier=world.payments.cashier
    )
