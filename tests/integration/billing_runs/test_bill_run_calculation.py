"""Bill runs end to end: reads → usage → tariff → bills with explained lines, exact to the fen;
review exceptions; the run queued as a background job and calculated by the worker.

Worked examples (rules-cn.md; figures by hand):
- 李 (CN-BJ-RES-2012, monthly tiers ≤240 / 241–400 / >400 at 0.4883 / 0.5383 / 0.7883): February
  read 150 → 450 = 300 kWh: 240 × 0.4883 = 117.192 → 117.19; 60 × 0.5383 = 32.298 → 32.30;
  total 149.49.
- 赵: no read on 1 March; January used 124 kWh in 31 days (4 kWh/day), so February is estimated
  at 4 × 28 = 112 kWh: 112 × 0.4883 = 54.6896 → 54.69, flagged "estimated", and the estimated
  closing read 236 is stored.
- 工厂 (DEMO-GD-LI-2P, multiplier 100): dials 1 Feb → 1 Mar: total 100 → 1000, peak 30 → 300,
  valley 30 → 300, sharp 0 → 0, reactive 48 → 338, demand 4.80: 90,000 kWh of which peak
  27,000, valley 27,000, flat 90,000 − 27,000 − 27,000 = 36,000; 29,000 kvarh; 480 kW.
  Energy 27,000 × 1.105 = 29,835.00; 36,000 × 0.65 = 23,400.00; 27,000 × 0.247 = 6,669.00.
  Basic charge by demand: 480 kW ≤ 105 % of the 500 kW contract → 500 kW × 32.00 = 16,000.00
  (90,000 kWh / 1,000 kVA = 90 < 260: no discount). Power factor 90,000 / √(90,000² + 29,000²)
  = 0.9518 → 0.95 on the 0.90 standard → −0.75 % of (16,000 + 59,904) = −569.28. Funds
  90,000 × 0.029 = 2,610.00. Total 59,904.00 + 16,000.00 − 569.28 + 2,610.00 = 77,944.72.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from billing_runs_world import BILLING_NOW, FEBRUARY, BillingWorld, first_of
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridcare.audit.models import AuditEvent
from gridcare.billing.models import Bill, BillRun, BillRunStatus, BillStatus
from gridcare.billing.operations import approve_bills, create_bill_run, hold_bill, issue_bill_run
from gridcare.billing.runners.local import calculate_bill_run, calculate_one_partition, start_calculating
from gridcare.jobs.models import JobRun, JobStatus
from gridcare.jobs.operations import run_next_job
from gridcare.ledger.models import Posting
from gridcare.metering.models import MeterRead, ReadSource

pytestmark = pytest.mark.django_db


def _lines(bill: Bill) -> list[tuple[str, Decimal, str, Decimal, Decimal]]:
    return [
        (line.code, line.quantity, line.unit, line.unit_price, line.amount)
        for line in bill.lines.order_by("position")
    ]


def _february_world(world: BillingWorld, large_industry: Any) -> None:
    world.add_account("李")
    world.read("李", 2, "150")
    world.read("李", 3, "450")
    world.add_account("王")
    world.read("王", 2, "80")
    world.read("王", 3, "80")
    world.add_account("赵")
    world.read("赵", 2, "124")
    world.add_account("钱")
    large_industry()
    registers = {"import_active_sharp": "0", "import_active_flat": "40", "reactive_export_total": "0"}
    world.read(
        "工厂",
        2,
        "100",
        import_active_peak="30",
        import_active_valley="30",
        reactive_import_total="48",
        maximum_demand_kw="4.5",
        **registers,
    )
    world.read(
        "工厂",
        3,
        "1000",
        **{**registers, "import_active_flat": "400"},
        import_active_peak="300",
        import_active_valley="300",
        reactive_import_total="338",
        maximum_demand_kw="4.8",
    )


def _run(world: BillingWorld) -> BillRun:
    return create_bill_run(
        actor=world.clerk,
        org_unit=world.tree.station,
        period_start=FEBRUARY[0],
        period_end=FEBRUARY[1],
        partition_size=2,
        now=BILLING_NOW,
    )


def test_a_run_bills_every_account_exactly_and_explains_each_line(
    billing_world: BillingWorld, large_industry: Any
) -> None:
    _february_world(billing_world, large_industry)
    run = _run(billing_world)
    assert (run.accounts_total, run.partitions.count()) == (5, 3)

    run = calculate_bill_run(run_id=run.pk, clock=lambda: BILLING_NOW)

    assert (run.status, run.accounts_done, run.bills_flagged) == (BillRunStatus.IN_REVIEW, 5, 3)
    bills = {bill.account.name: bill for bill in Bill.objects.filter(run=run).select_related("account")}
    assert set(bills) == {"李", "王", "赵", "钱", "工厂"}

    li = bills["李"]
    assert (li.energy_kwh, li.total, li.exceptions, li.status) == (
        Decimal("300"),
        Decimal("149.49"),
        [],
        "calculated",
    )
    assert _lines(li) == [
        ("energy.tier1", Decimal("240"), "kWh", Decimal("0.4883"), Decimal("117.19")),
        ("energy.tier2", Decimal("60"), "kWh", Decimal("0.5383"), Decimal("32.30")),
    ]
    first = li.lines.get(position=1)
    assert (first.rule, first.tariff_version.tariff.code) == ("tier", "CN-BJ-RES-2012")
    assert first.inputs == {
        "period_kwh": "300",
        "bill_kwh": "300",
        "tier_kwh": "240",
        "tier_axis_start_kwh": "0",
        "thresholds_kwh": "240,400",
        "tariff_version": str(first.tariff_version.pk),
        "segment_days": "28",
    }
    (point,) = li.usage["usage"]["points"]
    (span,) = point["spans"]
    assert (
        span["opening"]["registers"]["import_active_total"],
        span["closing"]["registers"]["import_active_total"],
    ) == (
        "150.00",
        "450.00",
    )

    assert [flag["code"] for flag in bills["王"].exceptions] == ["zero_usage"]
    assert bills["王"].total == Decimal("0.00")

    zhao = bills["赵"]
    assert (zhao.energy_kwh, zhao.total) == (Decimal("112"), Decimal("54.69"))
    assert [flag["code"] for flag in zhao.exceptions] == ["estimated"]
    estimated = MeterRead.objects.get(meter=billing_world.meters["赵"], source=ReadSource.ESTIMATED)
    assert estimated.import_active_total == Decimal("236.00")

    qian = bills["钱"]
    assert (qian.total, qian.lines.count()) == (Decimal("0.00"), 0)
    assert [(flag["code"], flag["blocking"]) for flag in qian.exceptions] == [("missing_read", True)]

    factory = bills["工厂"]
    assert factory.exceptions == []
    assert _lines(factory) == [
        ("energy.peak", Decimal("27000"), "kWh", Decimal("1.10500"), Decimal("29835.00")),
        ("energy.flat", Decimal("36000"), "kWh", Decimal("0.65000"), Decimal("23400.00")),
        ("energy.valley", Decimal("27000"), "kWh", Decimal("0.24700"), Decimal("6669.00")),
        ("basic_charge.demand", Decimal("500"), "kW", Decimal("32.00"), Decimal("16000.00")),
        ("power_factor", Decimal("75904.00"), "yuan", Decimal("-0.0075"), Decimal("-569.28")),
        ("fund.government_funds", Decimal("90000"), "kWh", Decimal("0.02900"), Decimal("2610.00")),
    ]
    assert factory.total == Decimal("77944.72")
    power_factor = factory.lines.get(code="power_factor")
    assert (power_factor.inputs["power_factor"], power_factor.inputs["percent"]) == ("0.95", "-0.75")

    actions = list(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))
    assert actions.count("billing.run_partition_calculated") == 3
    assert {"billing.run_created", "billing.run_calculation_started", "billing.run_calculated"} <= set(
        actions
    )


def test_the_worker_calculates_the_queued_run(billing_world: BillingWorld, large_industry: Any) -> None:
    _february_world(billing_world, large_industry)
    run = _run(billing_world)
    job = JobRun.objects.get(pk=run.job_run_id)
    assert (job.status, job.kwargs) == (JobStatus.READY, {"run_id": run.pk})

    ran = run_next_job(
        worker_id="test", clock=lambda: BILLING_NOW, lease=timedelta(minutes=5), queues=frozenset({"default"})
    )

    assert ran is not None
    assert ran.pk == job.pk
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == JobStatus.SUCCESSFUL
    assert job.return_value == {"run": run.number, "status": "in_review", "accounts": 5, "flagged": 3}
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert (run.status, Bill.objects.filter(run=run).count()) == (BillRunStatus.IN_REVIEW, 5)


def test_a_second_run_over_the_same_period_is_refused(billing_world: BillingWorld) -> None:
    billing_world.add_account("李")
    run = _run(billing_world)
    from gridcare.billing.errors import BillRunOverlaps

    with pytest.raises(BillRunOverlaps) as refused:
        _run(billing_world)
    assert refused.value.message("en") == (
        f"Bill run {run.number} already bills 泉城路供电所 for the same period (2025-02-01 to 2025-03-01); "
        "continue in that run."
    )
    assert BillRun.objects.count() == 1


def test_the_estimate_is_trued_up_by_the_next_actual_read(billing_world: BillingWorld) -> None:
    world = billing_world
    world.add_account("赵")
    world.read("赵", 2, "124")
    february = calculate_bill_run(run_id=_run(world).pk, clock=lambda: BILLING_NOW)
    metering_now = BILLING_NOW + timedelta(days=30)
    from gridcare.metering import operations as metering
    from gridcare.metering.rules import RegisterValues

    metering.record_meter_read(
        meter=world.meters["赵"],
        read_at=first_of(4),
        source=ReadSource.MANUAL,
        registers=RegisterValues(import_active_total=Decimal("400")),
        actor=None,
        now=metering_now,
    )
    # March has no read on 1 March but the estimated one; April's actual read closes... the
    # March run reads from the estimated 236 to the actual 400 on 1 April.
    march = create_bill_run(
        actor=world.clerk,
        org_unit=world.tree.station,
        period_start=FEBRUARY[1],
        period_end=first_of(4).date(),
        now=metering_now,
    )
    calculate_bill_run(run_id=march.pk, clock=lambda: metering_now)

    february_bill = Bill.objects.get(run=february)
    march_bill = Bill.objects.get(run=march)
    assert (february_bill.energy_kwh, march_bill.energy_kwh) == (Decimal("112"), Decimal("164"))
    assert february_bill.energy_kwh + march_bill.energy_kwh == Decimal("400") - Decimal("124")
    assert (march_bill.exceptions, march_bill.status) == ([], BillStatus.CALCULATED)


def test_a_tariff_change_mid_period_splits_the_bill_by_days(billing_world: BillingWorld) -> None:
    """Beijing prices change on 11 February to 0.5000 / 0.5500 / 0.8000 (a new version). 李 uses
    300 kWh in February's 28 days: 10 days on version 1, 18 on version 2. kWh and the monthly
    thresholds are shared by days to 0.001 kWh (largest remainder): 300 → 107.143 + 192.857;
    240 → 85.714 + 154.286. Version 1: 85.714 × 0.4883 = 41.8541… → 41.85; 21.429 × 0.5383
    = 11.5352… → 11.54. Version 2: 154.286 × 0.5 = 77.143 → 77.14; 38.571 × 0.55 = 21.21405
    → 21.21. Total 151.74."""
    import json
    from importlib.resources import files

    from gridcare.tariffs.operations import publish_tariff_version

    document = json.loads(
        files("gridcare.tariffs").joinpath("catalog", "CN-BJ-RES-2012.json").read_text("utf-8")
    )
    document["energy"]["prices"]["flat"] = ["0.5000", "0.5500", "0.8000"]
    new_version = publish_tariff_version(
        actor=None, document=document, valid_from=date(2025, 2, 11), source="test", now=BILLING_NOW
    )
    billing_world.add_account("李")
    billing_world.read("李", 2, "150")
    billing_world.read("李", 3, "450")

    run = calculate_bill_run(run_id=_run(billing_world).pk, clock=lambda: BILLING_NOW)

    bill = Bill.objects.get(run=run)
    lines = [
        (
            line.code,
            line.quantity,
            line.unit_price,
            line.amount,
            line.tariff_version.version,
            line.inputs["segment_days"],
        )
        for line in bill.lines.order_by("position")
    ]
    assert lines == [
        ("energy.tier1", Decimal("85.714"), Decimal("0.4883"), Decimal("41.85"), 1, "10"),
        ("energy.tier2", Decimal("21.429"), Decimal("0.5383"), Decimal("11.54"), 1, "10"),
        ("energy.tier1", Decimal("154.286"), Decimal("0.5"), Decimal("77.14"), 2, "18"),
        ("energy.tier2", Decimal("38.571"), Decimal("0.55"), Decimal("21.21"), 2, "18"),
    ]
    assert (bill.total, bill.energy_kwh, bill.tariff_version) == (
        Decimal("151.74"),
        Decimal("300"),
        new_version,
    )


def test_runs_of_different_reading_routes_may_share_dates(billing_world: BillingWorld) -> None:
    from gridcare.billing.errors import BillRunOverlaps
    from gridcare.customers.models import Account, ReadingRoute

    station = billing_world.tree.station
    day_1 = ReadingRoute.objects.create(org_unit=station, code="R01", name="一段", reading_day=1)
    day_5 = ReadingRoute.objects.create(org_unit=station, code="R05", name="五段", reading_day=5)
    for name, route in (("李", day_1), ("王", day_5)):
        account = billing_world.add_account(name)
        Account.objects.filter(pk=account.pk).update(reading_route=route)

    def run(routes: list[ReadingRoute], org_unit: Any = station) -> BillRun:
        return create_bill_run(
            actor=billing_world.clerk,
            org_unit=org_unit,
            period_start=FEBRUARY[0],
            period_end=FEBRUARY[1],
            reading_routes=routes,
            now=BILLING_NOW,
        )

    first = run([day_1])
    second = run([day_5])
    assert (first.accounts_total, second.accounts_total) == (1, 1)
    with pytest.raises(BillRunOverlaps):
        run([day_1, day_5])
    with pytest.raises(BillRunOverlaps):
        run([], org_unit=billing_world.tree.county)  # the county's run would take both routes
    assert BillRun.objects.count() == 2


@pytest.mark.parametrize(
    ("sealed_on", "basic_charge", "power_factor", "total"),
    [
        # Sealed on 15 February: capacity in use 1–14 February, 14 days: 500 kW × 32.00 × 14 / 30
        # = 7,466.666… → 7,466.67; power factor −0.75 % of (59,904.00 + 7,466.67) = −505.28;
        # total 59,904.00 + 7,466.67 − 505.28 + 2,610.00 = 69,475.39.
        (
            date(2025, 2, 15),
            [("basic_charge.demand", Decimal("7466.67"))],
            Decimal("-505.28"),
            Decimal("69475.39"),
        ),
        # Sealed since 20 January: no basic charge; −0.75 % of 59,904.00 = −449.28; total 62,064.72.
        (date(2025, 1, 20), [], Decimal("-449.28"), Decimal("62064.72")),
    ],
)
def test_a_suspended_account_pays_the_basic_charge_until_its_sealing_date(
    billing_world: BillingWorld,
    large_industry: Any,
    sealed_on: date,
    basic_charge: list[tuple[str, Decimal]],
    power_factor: Decimal,
    total: Decimal,
) -> None:
    from gridcare.customers.models import Account, AccountStatus

    _february_world(billing_world, large_industry)
    Account.objects.filter(name="工厂").update(
        status=AccountStatus.SUSPENDED, status_effective_date=sealed_on
    )

    run = calculate_bill_run(run_id=_run(billing_world).pk, clock=lambda: BILLING_NOW)

    bill = Bill.objects.get(run=run, account__name="工厂")
    assert [
        (line.code, line.amount) for line in bill.lines.filter(code__startswith="basic_charge")
    ] == basic_charge
    assert (bill.lines.get(code="power_factor").amount, bill.total) == (power_factor, total)


def test_a_partition_costs_the_same_queries_however_many_accounts_it_holds(
    billing_world: BillingWorld,
) -> None:
    for name in ("甲", "乙", "丙", "丁", "戊", "己"):
        billing_world.add_account(name)
        billing_world.read(name, 2, "100")
        billing_world.read(name, 3, "250")
    run = create_bill_run(
        actor=billing_world.clerk,
        org_unit=billing_world.tree.station,
        period_start=FEBRUARY[0],
        period_end=FEBRUARY[1],
        partition_size=4,
        now=BILLING_NOW,
    )
    start_calculating(run_id=run.pk, now=BILLING_NOW)
    four, two = run.partitions.order_by("index")
    queries = {}
    for partition in (four, two):
        with CaptureQueriesContext(connection) as captured:
            calculate_one_partition(run_id=run.pk, partition_id=partition.pk, now=BILLING_NOW)
        queries[partition.accounts] = len(captured.captured_queries)

    assert Bill.objects.filter(run=run).count() == 6
    assert queries[4] == queries[2]


def test_an_issued_bill_posts_its_government_funds_apart_from_the_sales(
    billing_world: BillingWorld, large_industry: Any
) -> None:
    """工厂 (module docstring): total 77,944.72 of which funds 2,610.00, sales 75,334.72."""
    _february_world(billing_world, large_industry)
    run = calculate_bill_run(run_id=_run(billing_world).pk, clock=lambda: BILLING_NOW)
    factory = Bill.objects.get(run=run, account__name="工厂")
    approve_bills(actor=billing_world.clerk, run=run, bills=[factory], now=BILLING_NOW)
    for bill in Bill.objects.filter(run=run).exclude(pk=factory.pk):
        hold_bill(actor=billing_world.clerk, bill=bill, note="另行处理", now=BILLING_NOW)

    issue_bill_run(actor=billing_world.clerk, run=run, now=BILLING_NOW)

    assert list(
        Posting.objects.filter(entry__source=f"billing.bill:{factory.pk}")
        .order_by("id")
        .values_list("ledger_account__code", "debit", "credit")
    ) == [
        ("receivable.energy", Decimal("77944.72"), Decimal("0.00")),
        ("revenue.energy", Decimal("0.00"), Decimal("75334.72")),
        ("payable.funds", Decimal("0.00"), Decimal("2610.00")),
    ]
