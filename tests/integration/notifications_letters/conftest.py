"""Letter fixtures: an arrears notice (legally required, by letter) and an outage notice (by
letter, given up after three days unserved), Chinese letter templates, recipients with postal
addresses, staff who print and serve letters, and a PDF page counter."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from gridcare.identity.models import Role, User
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import DeliveryPolicy
from gridcare.notifications.operations import create_delivery_policy, create_notification_template
from gridcare.notifications.recipients import Recipient
from gridcare.organization.models import OrgUnit

#: Minutes an outage notice letter may stay unserved before its next step (three days).
OUTAGE_LETTER_MINUTES = 3 * 24 * 60

ARREARS_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "amount": "356.20",
    "due_date": "2025-03-20",
    "disconnect_date": "2025-03-25",
}
OUTAGE_CONTEXT = {
    "customer_name": "李四",
    "account_no": "3100000002",
    "area": "泉城路一带",
    "starts_at": "2025-03-12 08:00",
    "ends_at": "2025-03-12 17:00",
    "reason": "线路检修",
}


@dataclass(frozen=True)
class LetterPolicies:
    arrears_notice: DeliveryPolicy
    outage_notice: DeliveryPolicy


@pytest.fixture
def letter_policies(db: None, now: datetime) -> LetterPolicies:
    """arrears_notice (停电通知书): a letter, urgent and legally required; outage_notice: a
    letter, then SMS when the letter is not served within three days."""
    create_notification_template(
        actor=None,
        event="arrears_notice",
        channel=ChannelKind.LETTER,
        language="zh-hans",
        subject="停电通知书",
        body=(
            "{{ customer_name }}：您的户号{{ account_no }}欠交电费{{ amount }}元，"
            "请于{{ due_date }}前缴清，逾期将于{{ disconnect_date }}停止供电。\n特此通知。"
        ),
        valid_from=now,
        now=now,
    )
    for channel in (ChannelKind.LETTER, ChannelKind.SMS):
        create_notification_template(
            actor=None,
            event="outage_notice",
            channel=channel,
            language="zh-hans",
            subject="停电通知",
            body="{{ customer_name }}：{{ area }}于{{ starts_at }}至{{ ends_at }}停电（{{ reason }}）。",
            valid_from=now,
            now=now,
        )
    return LetterPolicies(
        arrears_notice=create_delivery_policy(
            actor=None,
            event="arrears_notice",
            steps=[{"channels": ["letter"]}],
            urgent=True,
            legally_required=True,
            valid_from=now,
            now=now,
        ),
        outage_notice=create_delivery_policy(
            actor=None,
            event="outage_notice",
            steps=[
                {"channels": ["letter"], "fallback_after_minutes": OUTAGE_LETTER_MINUTES},
                {"channels": ["sms"]},
            ],
            urgent=True,
            legally_required=False,
            valid_from=now,
            now=now,
        ),
    )


LetterRecipientFactory = Callable[..., Recipient]


@pytest.fixture
def letter_recipient_factory() -> LetterRecipientFactory:
    """``make(number, org_unit=..., consents=...)``: recipient ``customer:<number>`` with the
    postal address ``济南市历下区泉城路<number>号`` / ``客户<number> 收`` and mobile
    1380000<number:04d>, consenting to letters and SMS unless told otherwise."""

    def make(
        number: int,
        *,
        org_unit: OrgUnit,
        consents: frozenset[ChannelKind] = frozenset({ChannelKind.LETTER, ChannelKind.SMS}),
    ) -> Recipient:
        return Recipient(
            key=f"customer:{number}",
            addresses={
                ChannelKind.LETTER: f"济南市历下区泉城路{number}号\n客户{number} 收",
                ChannelKind.SMS: f"1380000{number:04d}",
            },
            consents=consents,
            org_unit_id=org_unit.pk,
        )

    return make


@dataclass(frozen=True)
class LetterStaff:
    county_cashier: User
    station_cashier: User
    station_inspector: User
    other_station_inspector: User
    station_reader: User
    province_supervisor: User


@pytest.fixture
def letter_staff(org_tree: Any, staff_user_factory: Callable[..., User]) -> LetterStaff:
    """收费员 at the county and at 泉城路, 用电检查员 at both stations, a 抄表员 at 泉城路 and a
    province 营销主管 (who hold no letter permission)."""
    county, station, other_station = org_tree.county, org_tree.station, org_tree.other_station
    province = org_tree.province
    return LetterStaff(
        county_cashier=staff_user_factory(username="cashier_k", org_unit=county, roles=[Role.CASHIER]),
        station_cashier=staff_user_factory(username="cashier_s", org_unit=station, roles=[Role.CASHIER]),
        station_inspector=staff_user_factory(
            username="inspector_s", org_unit=station, roles=[Role.USAGE_INSPECTOR]
        ),
        other_station_inspector=staff_user_factory(
            username="inspector_o", org_unit=other_station, roles=[Role.USAGE_INSPECTOR]
        ),
        station_reader=staff_user_factory(username="reader_s", org_unit=station, roles=[Role.METER_READER]),
        province_supervisor=staff_user_factory(
            username="supervisor_p", org_unit=province, roles=[Role.MARKETING_SUPERVISOR]
        ),
    )


def pdf_page_count(pdf: bytes) -> int:
    """The number of pages of ``pdf`` (its page objects, looked for in the inflated streams too:
    WeasyPrint puts objects in compressed object streams)."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", b"\n".join(inflated)))
