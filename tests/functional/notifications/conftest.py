"""A station with an outage notice that went MMS → SMS, a message at the sibling station, and
staff of several roles (the org helpers of tests/integration/web)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gridcare.identity.models import Role, User
from gridcare.notifications.channels.base import (
    ChannelKind,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)
from gridcare.notifications.models import NotificationTemplate, OutboxMessage
from gridcare.notifications.operations import (
    create_delivery_policy,
    create_notification_template,
    dispatch_due_messages,
    notify,
    record_receipts,
)
from gridcare.notifications.recipients import Recipient
from gridcare.organization.models import OrgLevel, OrgUnit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))

from web_world import make_org_unit, make_staff_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
OUTAGE_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "area": "解放路一带",
    "starts_at": "2025-03-12 08:00",
    "ends_at": "2025-03-12 17:00",
    "reason": "线路检修",
}


@dataclass
class RefusingMmsAdapter:
    """Refuses every MMS (the handset cannot take it); accepts SMS."""

    kind: ChannelKind

    def send(self, message: OutgoingMessage) -> SendResult:
        if self.kind == ChannelKind.MMS:
            return SendResult(accepted=False, error="MMS not supported by handset")
        return SendResult(accepted=True, provider_message_id=f"smsc-{message.message_id}")

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        return []


@dataclass(frozen=True)
class Scene:
    station: OrgUnit
    other_station: OrgUnit
    agent: User
    auditor: User
    reader: User
    mms: OutboxMessage
    sms: OutboxMessage
    other: OutboxMessage
    template: NotificationTemplate


@pytest.fixture
def scene(db: None) -> Scene:
    province = make_org_unit(code="37", name="国网山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    county = make_org_unit(code="370102", name="历下区供电中心", level=OrgLevel.COUNTY, parent=province)
    station = make_org_unit(code="37010201", name="泉城路供电所", level=OrgLevel.STATION, parent=county)
    other_station = make_org_unit(code="37010202", name="解放路供电所", level=OrgLevel.STATION, parent=county)
    template = None
    for channel in (ChannelKind.MMS, ChannelKind.SMS):
        template = create_notification_template(
            actor=None,
            event="outage_notice",
            channel=channel,
            language="zh-hans",
            subject="停电通知",
            body="{{ customer_name }}：{{ area }}于{{ starts_at }}至{{ ends_at }}停电（{{ reason }}）。",
            valid_from=SENT_AT,
            now=SENT_AT,
        )
    create_delivery_policy(
        actor=None,
        event="outage_notice",
        steps=[{"channels": ["mms"], "fallback_after_minutes": 30}, {"channels": ["sms"]}],
        urgent=True,
        legally_required=False,
        valid_from=SENT_AT,
        now=SENT_AT,
    )
    recipients = [
        Recipient(
            key=f"customer:{number}",
            addresses={ChannelKind.MMS: mobile, ChannelKind.SMS: mobile},
            consents=frozenset({ChannelKind.MMS, ChannelKind.SMS}),
            org_unit_id=org_unit.pk,
        )
        for number, mobile, org_unit in ((1, "13812345678", station), (2, "13987654321", other_station))
    ]
    notify(
        event="outage_notice", recipients=recipients, context=OUTAGE_CONTEXT, now=SENT_AT, dedupe_key="o-1"
    )
    adapters = {kind: RefusingMmsAdapter(kind=kind) for kind in (ChannelKind.MMS, ChannelKind.SMS)}
    dispatch_due_messages(adapters=adapters, now=SENT_AT)
    dispatch_due_messages(adapters=adapters, now=SENT_AT + timedelta(minutes=1))
    sms = OutboxMessage.objects.get(channel="sms", org_unit=station)
    record_receipts(
        receipts=[
            DeliveryReceipt(
                provider_message_id=sms.provider_message_id,
                delivered=True,
                received_at=SENT_AT + timedelta(minutes=2),
            )
        ],
        now=SENT_AT + timedelta(minutes=2),
    )
    assert template is not None
    return Scene(
        station=station,
        other_station=other_station,
        agent=make_staff_user(username="agent", org_unit=station, roles=(Role.SERVICE_DESK_AGENT,)),
        auditor=make_staff_user(username="auditor", org_unit=station, roles=(Role.AUDITOR,)),
        reader=make_staff_user(username="reader", org_unit=station, roles=(Role.METER_READER,)),
        mms=OutboxMessage.objects.get(channel="mms", org_unit=station),
        sms=OutboxMessage.objects.get(pk=sms.pk),
        other=OutboxMessage.objects.get(channel="mms", org_unit=other_station),
        template=template,
    )
