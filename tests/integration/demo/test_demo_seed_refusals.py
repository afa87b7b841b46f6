"""Seeding happens once, into an empty database, with options it can honour; it audits once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, Contact, Customer
from gridcare.demo.errors import DemoDatabaseNotEmpty, DemoSeedOptionInvalid
from gridcare.demo.operations import SeedSummary
from gridcare.identity.models import User
from gridcare.metering.models import IntervalReadDay, Meter, MeteringPoint, MeterRead
from gridcare.organization.models import NumberSequence, OrgUnit
from gridcare.organization.operations import create_org_unit

Seed = Callable[..., SeedSummary]
COUNTED = (
    OrgUnit,
    User,
    Customer,
    Contact,
    Account,
    MeteringPoint,
    Meter,
    MeterRead,
    IntervalReadDay,
    AuditEvent,
)


def _counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED}


def test_one_audit_event_records_the_whole_seed(seeded: SeedSummary) -> None:
    event = AuditEvent.objects.get(action="seed_demo_utility")
    assert (event.object_type, event.object_id) == (
        "organization.orgunit",
        str(OrgUnit.objects.get(code="37").pk),
    )
    assert event.actor is None
    changes = event.changes
    assert (changes["seed"], changes["accounts"], changes["months"], changes["end_month"]) == (
        7,
        200,
        3,
        "2026-10",
    )
    assert changes["portal_customer"] == seeded.portal_customer_no
    assert changes["rows"] == seeded.row_counts
    for label in (
        "customers.Customer",
        "customers.Account",
        "metering.MeterRead",
        "metering.IntervalReadDay",
    ):
        model = {model._meta.label: model for model in COUNTED}[label]
        assert changes["rows"][label] == model.objects.count()
    assert changes["rows"]["customers.Account"] == 200
    # The few logins are audited by their own operations; the bulk rows only by the seed event.
    assert Counter(AuditEvent.objects.values_list("action", flat=True)) == {
        "seed_demo_utility": 1,
        "create_staff_user": 11,
        # Every demo login whose role needs MFA, i.e. all but the meter reader and the inspector.
        "enrol_mfa": 9,
        "create_portal_user": 1,
        "link_portal_user": 1,
    }


def test_seed_reserves_its_numbers_from_the_sequences(seeded: SeedSummary) -> None:
    assert dict(NumberSequence.objects.values_list("name", "last_value")) == {
        "account_no": 370000200,
        "customer_no": 370000200,
    }


def test_a_second_seed_is_refused_and_changes_nothing(seeded: SeedSummary, seed: Seed) -> None:
    before = _counts()
    meters = before["metering.Meter"]
    with pytest.raises(DemoDatabaseNotEmpty) as refused:
        seed()
    assert _counts() == before
    assert refused.value.message("en") == (
        f"The database already holds data (15 org units, 200 accounts, {meters} meters; "
        "demo usernames taken: admin, sysadmin, supervisor, manager, expansion, billing, inspector, reader, "
        "cashier, agent, auditor, portal): the demo utility seeds only an empty database. "
        "To keep the data and skip seeding, add --if-empty"
    )


def test_seed_is_refused_when_an_org_unit_exists(seed: Seed, now: datetime) -> None:
    create_org_unit(
        code="99", name="别的省公司", level="province", parent=None, area_type="urban", actor=None, now=now
    )
    before = _counts()
    with pytest.raises(DemoDatabaseNotEmpty) as refused:
        seed()
    assert _counts() == before
    assert "(1 org units, 0 accounts, 0 meters; demo usernames taken: -)" in refused.value.message("en")


def test_seed_is_refused_when_a_demo_username_is_taken(seed: Seed) -> None:
    User.objects.create_user(username="admin", password="x-Secret-2025")
    before = _counts()
    with pytest.raises(DemoDatabaseNotEmpty) as refused:
        seed()
    assert _counts() == before
    assert (
        "数据库中已有数据（0 个供电单位、0 个用电户、0 块电能表，已存在的演示账号：admin）"
        in refused.value.message("zh-hans")
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("accounts", 99, "Option --accounts = 99 is invalid: the account count must be 100 to 10000000 "
                         "(below 100 not every category and anomaly can be present)"),
        ("accounts", 10_000_001, "Option --accounts = 10000001 is invalid: the account count must be 100 to "
                                 "10000000 (below 100 not every category and anomaly can be present)"),
        ("months", 1, "Option --months = 1 is invalid: the months must be 2 to 120 "
                      "(a billing period needs two reads)"),
        ("months", 121, "Option --months = 121 is invalid: the months must be 2 to 120 "
                        "(a billing period needs two reads)"),
        ("end_month", date(2026, 12, 1), "Option --end-month = 2026-12 is invalid: its reading days (up to "
                                         "2026-12-25) have not come yet; reads cannot be in the future"),
        ("chunk_size", 0, "Option --chunk-size = 0 is invalid: a chunk holds at least one account"),
    ],
)  # fmt: skip
def test_options_out_of_range_are_refused_before_anything_is_written(
    seed: Seed, option: str, value: object, message: str
) -> None:
    with pytest.raises(DemoSeedOptionInvalid) as refused:
        seed(**{option: value})
    assert refused.value.message("en") == message
    assert refused.value.field == option
    assert set(_counts().values()) == {0}
