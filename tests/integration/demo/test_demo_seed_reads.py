"""The seeded reads: monotonic registers, the planted anomalies, and intervals that add up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, AccountStatus, UsageCategory
from gridcare.demo.operations import SeedSummary
from gridcare.metering.intervals import day_total, missing_count, unpack_day
from gridcare.metering.models import (
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    ReadReason,
)
from gridcare.metering.registers import is_suspicious_rollover, register_advance

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGITS = 6
#: The months of reads the ``seeded`` fixture asks for.
MONTHS = 3


def _periodic_totals(account: Account) -> list[Decimal]:
    reads = MeterRead.objects.filter(metering_point__account=account, metering_point__parent__isnull=True)
    return list(
        reads.filter(reason=ReadReason.PERIODIC)
        .order_by("read_at")
        .values_list("import_active_total", flat=True)
    )


def test_two_accounts_get_each_anomaly_and_the_audit_event_records_them(seeded: SeedSummary) -> None:
    assert {kind: len(accounts) for kind, accounts in seeded.anomalies.items()} == {
        "rollover": 2,
        "zero_usage": 2,
        "spike": 2,
        "meter_exchange": 2,
    }
    planted = [account_no for accounts in seeded.anomalies.values() for account_no in accounts]
    assert len(set(planted)) == 8
    assert set(Account.objects.filter(account_no__in=planted).values_list("usage_category", flat=True)) == {
        UsageCategory.RESIDENTIAL
    }
    event = AuditEvent.objects.get(action="seed_demo_utility")
    assert event.changes["anomalies"] == seeded.anomalies
    assert event.changes["suspended_accounts"] == seeded.suspended_accounts


def test_every_meter_reads_monotonically_except_the_planted_rollovers(seeded: SeedSummary) -> None:
    rollover_meters = set(
        Meter.objects.filter(
            installations__metering_point__account__account_no__in=seeded.anomalies["rollover"]
        ).values_list("id", flat=True)
    )
    assert len(rollover_meters) == 2
    wrapped = set()
    for meter in Meter.objects.exclude(status=MeterStatus.IN_STOCK):
        reads = list(meter.reads.order_by("read_at"))
        assert len(reads) >= 2
        for previous, current in pairwise(reads):
            if current.import_active_total < previous.import_active_total:
                assert meter.id in rollover_meters
                assert not is_suspicious_rollover(
                    previous=previous.import_active_total,
                    current=current.import_active_total,
                    integer_digits=DIGITS,
                )
                wrapped.add(meter.id)
            for register in (
                "import_active_sharp",
                "import_active_peak",
                "import_active_flat",
                "import_active_valley",
                "reactive_import_total",
                "reactive_export_total",
            ):
                if getattr(current, register) is not None:
                    assert getattr(current, register) >= getattr(previous, register)
    assert wrapped == rollover_meters


def test_rollover_advance_matches_a_dial_wrap(seeded: SeedSummary) -> None:
    for account_no in seeded.anomalies["rollover"]:
        totals = _periodic_totals(Account.objects.get(account_no=account_no))
        assert len(totals) == MONTHS
        wraps = [(previous, current) for previous, current in pairwise(totals) if current < previous]
        assert len(wraps) == 1
        previous, current = wraps[0]
        assert previous > Decimal(10**DIGITS) * Decimal("0.99")
        advance = register_advance(previous=previous, current=current, integer_digits=DIGITS)
        assert advance == current + 10**DIGITS - previous
        assert 0 < advance < 3000


def test_zero_usage_and_spike_periods(seeded: SeedSummary) -> None:
    for account_no in seeded.anomalies["zero_usage"]:
        totals = _periodic_totals(Account.objects.get(account_no=account_no))
        assert any(current == previous for previous, current in pairwise(totals))
    for account_no in seeded.anomalies["spike"]:
        totals = _periodic_totals(Account.objects.get(account_no=account_no))
        advances = [current - previous for previous, current in pairwise(totals)]
        assert len(advances) == MONTHS - 1 == 2
        assert max(advances) > 3 * min(advances) > 0


def test_meter_exchange_removes_the_old_meter_mid_period(seeded: SeedSummary) -> None:
    for account_no in seeded.anomalies["meter_exchange"]:
        point = MeteringPoint.objects.get(account__account_no=account_no)
        old, new = MeterInstallation.objects.filter(metering_point=point).order_by("installed_at")
        assert old.removed_at == new.installed_at - timedelta(minutes=30)
        assert new.removed_at is None
        assert old.meter.status == MeterStatus.REMOVED
        assert old.meter.status_changed_at == old.removed_at
        assert new.meter.status == MeterStatus.INSTALLED
        assert old.removal_read.reason == ReadReason.REMOVAL
        assert old.removal_read.read_at == old.removed_at
        assert new.install_read.import_active_total == Decimal("0.00")
        old_periodic = old.meter.reads.filter(reason=ReadReason.PERIODIC).order_by("read_at")
        new_periodic = new.meter.reads.filter(reason=ReadReason.PERIODIC).order_by("read_at")
        assert old_periodic.count() + new_periodic.count() == MONTHS
        assert old_periodic.last().read_at < old.removed_at < new_periodic.first().read_at
        assert old.removal_read.import_active_total > old_periodic.last().import_active_total


def test_each_metering_point_has_an_install_read_and_a_read_per_month(seeded: SeedSummary) -> None:
    for point in MeteringPoint.objects.prefetch_related("installations"):
        periodic = point.reads.filter(reason=ReadReason.PERIODIC)
        assert periodic.count() == MONTHS
        for installation in point.installations.all():
            assert installation.install_read.reason == ReadReason.INSTALL
            assert installation.install_read.read_at == installation.installed_at
            assert installation.install_read.meter_id == installation.meter_id
        reading_day = point.account.reading_day
        local_read_days = {
            read_at.astimezone(SHANGHAI) for read_at in periodic.values_list("read_at", flat=True)
        }
        assert local_read_days == {
            datetime(2026, month, reading_day, tzinfo=SHANGHAI) for month in (8, 9, 10)
        }


def test_time_of_use_registers_add_up_to_the_total(seeded: SeedSummary) -> None:
    reads = MeterRead.objects.filter(meter__has_time_of_use=True)
    assert reads.count() > 0
    for read in reads:
        parts = (
            read.import_active_sharp,
            read.import_active_peak,
            read.import_active_flat,
            read.import_active_valley,
        )
        assert sum(parts) == read.import_active_total


def test_suspended_accounts_have_a_status_history_and_no_usage_after(seeded: SeedSummary) -> None:
    assert len(seeded.suspended_accounts) == 2
    for account_no in seeded.suspended_accounts:
        account = Account.objects.get(account_no=account_no)
        assert account.status == AccountStatus.SUSPENDED
        assert account.usage_category == UsageCategory.GENERAL_COMMERCIAL
        history = list(
            account.status_changes.order_by("effective_date").values_list("status", "effective_date")
        )
        assert history == [
            (AccountStatus.NORMAL, account.opened_date),
            (AccountStatus.SUSPENDED, account.status_effective_date),
        ]
        reads = MeterRead.objects.filter(
            metering_point__account=account, reason=ReadReason.PERIODIC
        ).order_by("read_at")
        after = [
            read.import_active_total
            for read in reads
            if read.read_at.astimezone(SHANGHAI).date() >= account.status_effective_date
        ]
        assert len(after) >= 1
        assert len(set(after)) == 1


def test_large_customers_have_30_days_of_quarter_hours_adding_up_to_their_reads(seeded: SeedSummary) -> None:
    large = Account.objects.filter(usage_category=UsageCategory.LARGE_INDUSTRY)
    assert IntervalReadDay.objects.count() == 30 * large.count() == 60
    for account in large:
        point = account.metering_points.get(parent__isnull=True)
        days = list(IntervalReadDay.objects.filter(metering_point=point).order_by("read_date"))
        # Read on the 1st: the last period is September 2026, which the 30 days cover exactly.
        assert [day.read_date for day in days] == [date(2026, 9, 1) + timedelta(days=n) for n in range(30)]
        total = Decimal(0)
        for day in days:
            assert (day.quantity, day.interval_minutes, day.source, day.org_unit_id) == (
                "kwh",
                15,
                "ami",
                account.org_unit_id,
            )
            values = unpack_day(interval_minutes=15, values=bytes(day.values), missing=bytes(day.missing))
            assert len(values) == 96
            assert all(value is not None and value >= 0 for value in values)
            assert missing_count(interval_minutes=15, missing=bytes(day.missing)) == 0
            total += day_total(interval_minutes=15, values=bytes(day.values), missing=bytes(day.missing))
        totals = _periodic_totals(account)
        assert total == (totals[-1] - totals[-2]) * point.multiplier
        assert not IntervalReadDay.objects.filter(metering_point__parent=point).exists()
