"""A county with two stations, arrears letters printed in one batch at each station and one
letter still waiting at 泉城路, and staff of the roles that print and serve letters (the org
helpers of tests/integration/web)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gridcare.identity.models import Role, User
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.letters import print_letter_batch
from gridcare.notifications.models import LetterBatch, OutboxMessage
from gridcare.notifications.operations import create_delivery_policy, create_notification_template, notify
from gridcare.notifications.recipients import Recipient
from gridcare.organization.models import OrgLevel, OrgUnit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))

from web_world import make_org_unit, make_staff_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRINTED_AT = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
ADDRESS_ZHANG = "济南市历下区泉城路1号\n张三 收"


@dataclass(frozen=True)
class LetterScene:
    station: OrgUnit
    other_station: OrgUnit
    batch: LetterBatch
    other_batch: LetterBatch
    zhang: OutboxMessage
    waiting: OutboxMessage
    cashier: User
    manager: User
    inspector: User
    reader: User


def _recipient(number: int, name: str, street: str, org_unit: OrgUnit) -> Recipient:
    return Recipient(
        key=f"customer:{number}",
        addresses={ChannelKind.LETTER: f"济南市历下区{street}{number}号\n{name} 收"},
        consents=frozenset({ChannelKind.LETTER}),
        org_unit_id=org_unit.pk,
    )


def _arrears(recipient: Recipient, name: str, *, now: datetime) -> OutboxMessage:
    (letter,) = notify(
        event="arrears_notice",
        recipients=[recipient],
        context={
            "customer_name": name,
            "account_no": f"31000000{recipient.key[-1]}",
            "amount": "356.20",
            "due_date": "2025-03-20",
            "disconnect_date": "2025-03-25",
        },
        now=now,
        dedupe_key="2025-03",
    )
    return letter


@pytest.fixture
def letter_scene(db: None) -> LetterScene:
    province = make_org_unit(code="37", name="国网山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    county = make_org_unit(code="370102", name="历下区供电中心", level=OrgLevel.COUNTY, parent=province)
    station = make_org_unit(code="37010201", name="泉城路供电所", level=OrgLevel.STATION, parent=county)
    other_station = make_org_unit(code="37010202", name="解放路供电所", level=OrgLevel.STATION, parent=county)
    create_notification_template(
        actor=None,
        event="arrears_notice",
        channel=ChannelKind.LETTER,
        language="zh-hans",
        subject="停电通知书",
        body="{{ customer_name }}：户号{{ account_no }}欠费{{ amount }}元，将于{{ disconnect_date }}停电。",
        valid_from=PRINTED_AT,
        now=PRINTED_AT,
    )
    create_delivery_policy(
        actor=None,
        event="arrears_notice",
        steps=[{"channels": ["letter"]}],
        urgent=True,
        legally_required=True,
        valid_from=PRINTED_AT,
        now=PRINTED_AT,
    )
    zhang = _arrears(_recipient(1, "张三", "泉城路", station), "张三", now=PRINTED_AT)
    _arrears(_recipient(2, "李四", "泉城路", station), "李四", now=PRINTED_AT)
    _arrears(_recipient(3, "王五", "解放路", other_station), "王五", now=PRINTED_AT)
    batch = print_letter_batch(actor=None, org_unit=station, now=PRINTED_AT)
    other_batch = print_letter_batch(actor=None, org_unit=other_station, now=PRINTED_AT)
    waiting = _arrears(_recipient(4, "赵六", "泉城路", station), "赵六", now=PRINTED_AT)
    return LetterScene(
        station=station,
        other_station=other_station,
        batch=batch,
        other_batch=other_batch,
        zhang=OutboxMessage.objects.get(pk=zhang.pk),
        waiting=waiting,
        cashier=make_staff_user(username="cashier", org_unit=station, roles=(Role.CASHIER,)),
        manager=make_staff_user(username="manager", org_unit=station, roles=(Role.ACCOUNT_MANAGER,)),
        inspector=make_staff_user(username="inspector", org_unit=station, roles=(Role.USAGE_INSPECTOR,)),
        reader=make_staff_user(username="reader", org_unit=station, roles=(Role.METER_READER,)),
    )
