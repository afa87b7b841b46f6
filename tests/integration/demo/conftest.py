"""A small seeded demo utility: 200 accounts, 3 months of reads ending October 2026.

Seeding is deterministic, so the exact counts the tests assert follow from the seed. The
chunk size is small on purpose, so the 200 accounts go through several chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from gridcare.customers.models import Account, Contact, Customer
from gridcare.demo.operations import SeedSummary, seed_demo_utility
from gridcare.metering.models import IntervalReadDay, Meter, MeterRead

SEED = 7
ACCOUNTS = 200
MONTHS = 3
END_MONTH = date(2026, 10, 1)
SEEDED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CHUNK_SIZE = 64

Seed = Callable[..., SeedSummary]


@pytest.fixture
def seed(db: None, fast_password_hasher: None) -> Seed:
    """``seed(**overrides)`` seeds the demo utility with the test options (overridable)."""

    def run(**overrides: Any) -> SeedSummary:
        options: dict[str, Any] = {
            "accounts": ACCOUNTS,
            "seed": SEED,
            "months": MONTHS,
            "end_month": END_MONTH,
            "now": SEEDED_AT,
            "chunk_size": CHUNK_SIZE,
        }
        options.update(overrides)
        return seed_demo_utility(**options)

    return run


@pytest.fixture
def seeded(seed: Seed) -> SeedSummary:
    """The seeded demo utility's summary."""
    return seed()


def utility_digest() -> str:
    """A SHA-256 over what a seed writes that must not depend on the database's ids: customers,
    contacts, accounts, meters, reads and interval days, each in a stable order."""
    digest = hashlib.sha256()
    parts: list[Any] = [
        Customer.objects.order_by("customer_no").values_list(
            "customer_no", "kind", "name", "id_number", "credit_code", "postal_address", "created_at"
        ),
        Contact.objects.order_by("customer__customer_no", "-is_primary", "name", "mobile_hash").values_list(
            "customer__customer_no", "name", "mobile", "email", "wechat_openid", "consents_to_sms"
        ),
        Account.objects.order_by("account_no").values_list(
            "account_no", "name", "service_address", "usage_category", "industry_code", "voltage_level",
            "contract_capacity_kva", "tariff_code", "payment_method", "reading_day", "status", "opened_date",
        ),
        Meter.objects.order_by("asset_no").values_list("asset_no", "meter_type", "model", "status"),
        MeterRead.objects.order_by("meter__asset_no", "read_at").values_list(
            "meter__asset_no", "metering_point__code", "read_at", "reason", "import_active_total",
            "import_active_peak", "reactive_import_total", "maximum_demand_kw",
        ),
        IntervalReadDay.objects.order_by("metering_point__code", "read_date").values_list(
            "metering_point__code", "read_date", "values"
        ),
    ]  # fmt: skip
    for queryset in parts:
        for row in queryset:
            digest.update(
                repr(
                    tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
                ).encode()
            )
    return digest.hexdigest()


@pytest.fixture
def digest_of_seed(seed: Seed) -> Callable[..., str]:
    """``digest_of_seed(**overrides)`` seeds, takes the :func:`utility_digest` and rolls the seed
    back, so the next seed starts from an empty database again."""

    def run(**overrides: Any) -> str:
        with transaction.atomic():
            seed(**overrides)
            digest = utility_digest()
            transaction.set_rollback(True)
        return digest

    return run
