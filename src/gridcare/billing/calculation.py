"""From accounts to unsaved bills: usage, tariff versions, billing terms, the tier year so far,
the engine, and the review exceptions (量费审核) — for a run partition, or for one account when
a bill is recalculated or rebilled.

Reads only; the runner and the operations write what this returns. Queries are a fixed number
per batch of accounts (not per account) so a 1,000-account partition stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum

from gridcare.billing.engine.reference import RegisterBillInput
from gridcare.billing.engine.segments import BillSegment, VersionSpan, split_by_tariff_versions
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, parse_tariff_document
from gridcare.billing.engine.usage import AccountUsage, EstimatedRead
from gridcare.billing.engine_pass import BILL_REFUSALS, PricedLines, lines_in_one_pass
from gridcare.billing.models import (
    AccountBillingTerms,
    BasicChargeBasis,
    Bill,
    BillKind,
    BillLine,
    BillRun,
    BillRunPartition,
    BillStatus,
)
from gridcare.billing.review import ReviewException, exception
from gridcare.billing.usage import load_account_usage
from gridcare.customers.models import Account, AccountStatus
from gridcare.kit.decimals import quantize_half_up
from gridcare.kit.errors import GridCareError
from gridcare.kit.money import round_to_fen
from gridcare.metering.models import Meter, ReadSource, ReadStatus
from gridcare.metering.operations import record_meter_read
from gridcare.metering.rules import RegisterValues
from gridcare.organization.lookups import among
from gridcare.tariffs.errors import TariffNotFound, TariffNotGridCareDocument, TariffVersionMissing
from gridcare.tariffs.models import TariffKind
from gridcare.tariffs.queries import VersionPeriod, versions_overlapping

#: Accounts a run bills: in service, or suspended (a suspended account still owes what it used
#: before the sealing date); closed accounts had their final bill when they closed.
BILLED_ACCOUNT_STATUSES = (AccountStatus.NORMAL, AccountStatus.SUSPENDED)

#: What the calculation reads of an account (a partition loads only these; reading another
#: field of a partition's account would cost a query per account).
CALCULATION_ACCOUNT_FIELDS = (
    "id",
    "org_unit_id",
    "tariff_code",
    "usage_category",
    "contract_capacity_kva",
    "opened_date",
    "status",
    "status_effective_date",
)

_ZERO = Decimal(0)
#: The scale of a bill's kWh (Bill.energy_kwh): the engine's finest unit, 0.001 kWh.
BILLED_KWH_SCALE = Decimal("0.001")


@dataclass(kw_only=True)
class CalculatedBill:
    """An unsaved bill with its unsaved lines, as field values by attribute name (``run_id``, not
    ``run``): a run writes thousands of them with COPY (:mod:`gridcare.billing.bulk_write`)
    without making model instances; :attr:`bill` and :attr:`lines` make them for the rest."""

    account: Account
    bill_values: dict[str, Any]
    line_values: list[dict[str, Any]]
    #: Closing reads estimated for this bill, to be stored as estimated meter reads.
    estimated_reads: tuple[EstimatedRead, ...] = ()

    @cached_property
    def bill(self) -> Bill:
        """The bill as an unsaved instance."""
        bill = Bill(**self.bill_values)
        bill.account = self.account
        return bill

    @cached_property
    def lines(self) -> list[BillLine]:
        """The lines as unsaved instances, ``bill`` left unset."""
        return [BillLine(**values) for values in self.line_values]

    @property
    def flagged(self) -> bool:
        """Whether the bill has review exceptions."""
        return bool(self.bill_values["exceptions"])


@dataclass(kw_only=True)
class PartitionBills:
    bills: list[CalculatedBill] = field(default_factory=list)
    flagged: int = 0


def accounts_of_run(*, run: BillRun) -> Any:
    """The accounts run ``run`` bills, as its creator sees them: in the run's org unit's subtree,
    on its reading routes when it names some, in service or suspended, by id."""
    accounts = Account.objects.visible_to(run.created_by).filter(
        org_unit__path__startswith=run.org_unit.path, status__in=BILLED_ACCOUNT_STATUSES
    )
    route_ids = list(run.reading_routes.values_list("id", flat=True))
    if route_ids:
        accounts = accounts.filter(reading_route_id__in=route_ids)
    return accounts.order_by("id")


def calculate_partition_bills(*, run: BillRun, partition: BillRunPartition, now: datetime) -> PartitionBills:
    """The bills of ``partition``'s accounts that have no live regular bill for the period yet."""
    accounts = list(
        accounts_of_run(run=run)
        .filter(id__gte=partition.account_id_from, id__lte=partition.account_id_to)
        .only(*CALCULATION_ACCOUNT_FIELDS)
        .exclude(
            id__in=Bill.objects.filter(
                # The account range first: it lets the (account, period) index find the few
                # rows instead of scanning every bill of the period once per partition.
                account_id__gte=partition.account_id_from,
                account_id__lte=partition.account_id_to,
                kind=BillKind.REGULAR,
                period_start=run.period_start,
                period_end=run.period_end,
            )
            .exclude(status=BillStatus.WITHDRAWN)
            .values("account_id")
        )
    )
    bills = calculate_bills(
        accounts=accounts, period_start=run.period_start, period_end=run.period_end, run=run, now=now
    )
    return PartitionBills(bills=bills, flagged=sum(1 for item in bills if item.flagged))


def calculate_bills(
    *,
    accounts: Sequence[Account],
    period_start: date,
    period_end: date,
    run: BillRun | None,
    now: datetime,
    kind: BillKind = BillKind.REGULAR,
) -> list[CalculatedBill]:
    """One unsaved bill per account for ``[period_start, period_end)`` with its lines, usage
    explanation and review exceptions. An account whose bill cannot be calculated (no usable
    tariff, an input the tariff cannot bill) gets a bill with no lines and a blocking exception,
    so the reviewer sees it instead of it going missing."""
    if not accounts:
        return []
    versions = _tariff_versions(
        codes={account.tariff_code for account in accounts}, period_start=period_start, period_end=period_end
    )
    documents: dict[int, TariffDocument] = {}
    for account in accounts:
        found = versions[account.tariff_code]
        if not isinstance(found, GridCareError):
            documents[account.pk] = found[-1][1]
    usage = load_account_usage(
        accounts=accounts, period_start=period_start, period_end=period_end, tariffs=documents
    )
    terms = {
        row.account_id: row
        for row in AccountBillingTerms.objects.filter(among(field="account_id", ids=(a.pk for a in accounts)))
    }
    account_ids = [account.pk for account in accounts]
    tier_year_before = _tier_year_kwh_before(account_ids=account_ids, period_start=period_start)
    daily_average = _daily_average_kwh(account_ids=account_ids, period_start=period_start)

    prepared: list[_Prepared] = []
    for account in accounts:
        prepared.append(
            _prepare(
                account=account,
                tariff=versions[account.tariff_code],
                usage=usage[account.pk],
                terms=terms.get(account.pk),
                tier_year_kwh_before=tier_year_before.get(account.pk, _ZERO),
                daily_average_kwh=daily_average.get(account.pk),
                period_start=period_start,
                period_end=period_end,
            )
        )
    billable = [item for item in prepared if not item.failure]
    engine_lines = iter(lines_in_one_pass(segmented=[item.segments for item in billable]))
    results: list[CalculatedBill] = []
    for item in prepared:
        lines: list[dict[str, Any]] = []
        if not item.failure:
            made = next(engine_lines)
            if isinstance(made, GridCareError):
                item.exceptions.append(exception("calculation_failed", detail=made))
            else:
                lines = _lines(priced=made, versions=item.versions)
        results.append(_calculated(item=item, lines=lines, run=run, now=now, kind=kind))
    return results


def store_estimated_reads(*, bills: Sequence[CalculatedBill], now: datetime) -> None:
    """Store each bill's estimated closing reads as estimated meter reads (估抄), in the caller's
    transaction: the next period's usage runs from them, so the next actual read trues the
    estimate up."""
    for item in bills:
        for estimate in item.estimated_reads:
            record_meter_read(
                meter=Meter.objects.get(pk=estimate.meter_id),
                read_at=estimate.read_at,
                source=ReadSource.ESTIMATED,
                status=ReadStatus.ESTIMATED,
                registers=RegisterValues(**estimate.registers),
                actor=None,
                now=now,
            )


# --- preparing one account ----------------------------------------------------------------------

#: One tariff version's part of the period: (the version period, its parsed document).
VersionDocument = tuple[VersionPeriod, TariffDocument]


@dataclass(kw_only=True)
class _Prepared:
    account: Account
    period_start: date
    period_end: date
    usage: AccountUsage
    segments: list[BillSegment]
    versions: list[VersionPeriod]
    exceptions: list[ReviewException]
    inputs: dict[str, str]
    failure: bool = False


def _prepare(
    *,
    account: Account,
    tariff: list[VersionDocument] | GridCareError,
    usage: AccountUsage,
    terms: AccountBillingTerms | None,
    tier_year_kwh_before: Decimal,
    daily_average_kwh: Decimal | None,
    period_start: date,
    period_end: date,
) -> _Prepared:
    exceptions = [exception(code) for code in sorted(usage.flags)]
    blocked = any(item.blocking for item in exceptions)
    prepared = _Prepared(
        account=account,
        period_start=period_start,
        period_end=period_end,
        usage=usage,
        segments=[],
        versions=[],
        exceptions=exceptions,
        inputs={"tier_year_kwh_before": str(tier_year_kwh_before)},
    )
    if isinstance(tariff, GridCareError):
        prepared.exceptions.append(exception("tariff_unusable", detail=tariff))
        prepared.failure = True
        return prepared
    if blocked:
        prepared.failure = True
        return prepared
    prepared.versions = [period for period, _document in tariff]
    total_kwh = sum(usage.energy_kwh.values(), _ZERO)
    days = (period_end - period_start).days
    band = Decimal(settings.GRIDCARE_REVIEW_USAGE_BAND)
    if daily_average_kwh is not None and daily_average_kwh > 0:
        per_day = total_kwh / days
        if per_day > band * daily_average_kwh or per_day * band < daily_average_kwh:
            prepared.exceptions.append(
                exception("usage_outside_band", average=round(daily_average_kwh * days, 3), band=band)
            )
    prepared.inputs["average_kwh_12_months"] = (
        "" if daily_average_kwh is None else str(round(daily_average_kwh * days, 3))
    )
    method, contract_demand, capacity = _two_part_terms(
        account=account, terms=terms, tariff=tariff[-1][1], prepared=prepared, usage=usage
    )
    days_used = basic_charge_days(account=account, period_start=period_start, period_end=period_end)
    if days_used == 0:
        # Sealed (暂停) for the whole period: the basic charge is exempt; nothing else changes.
        tariff = [(period, document.model_copy(update={"basic_charge": None})) for period, document in tariff]
        method = contract_demand = None
        days_used = None
    prepared.inputs["basic_charge_days"] = "" if days_used is None else str(days_used)
    base = RegisterBillInput(
        tariff=tariff[-1][1],
        period_start=period_start,
        period_end=period_end,
        energy_kwh=dict(usage.energy_kwh),
        reactive_kvarh_forward=usage.reactive_forward_kvarh,
        reactive_kvarh_reverse=usage.reactive_reverse_kvarh,
        basic_charge_method=method,
        max_demand_kw=usage.max_demand_kw,
        contract_demand_kw=contract_demand,
        capacity_kva=capacity,
        contract_capacity_kva=account.contract_capacity_kva,
        tier_year_kwh_before=tier_year_kwh_before,
        days_used=days_used if tariff[-1][1].basic_charge is not None else None,
        large_household=bool(terms and terms.large_household),
        low_income=bool(terms and terms.low_income),
        usage_category=account.usage_category,
    )
    try:
        prepared.segments = split_by_tariff_versions(
            bill=base,
            versions=[
                VersionSpan(
                    version=str(period.version.pk),
                    valid_from=period.start,
                    valid_to=period.end,
                    tariff=document,
                )
                for period, document in tariff
            ],
        )
    except BILL_REFUSALS as error:
        prepared.exceptions.append(exception("calculation_failed", detail=error))
        prepared.failure = True
    return prepared


def basic_charge_days(*, account: Account, period_start: date, period_end: date) -> int | None:
    """The days of ``[period_start, period_end)`` the account had its capacity in use, when not
    all of them (None): from its opening date, and up to its sealing date when suspended
    (供电营业规则: suspended capacity is exempt from the sealing date). 0: sealed all period."""
    start = max(period_start, account.opened_date)
    end = period_end
    if account.status == AccountStatus.SUSPENDED and account.status_effective_date < period_end:
        end = max(start, account.status_effective_date)
    days = max(0, (end - start).days)
    return None if days == (period_end - period_start).days else days


def _two_part_terms(
    *,
    account: Account,
    terms: AccountBillingTerms | None,
    tariff: TariffDocument,
    prepared: _Prepared,
    usage: AccountUsage,
) -> tuple[BasicChargeMethod | None, Decimal | None, Decimal | None]:
    if tariff.basic_charge is None:
        # The power-factor rule still needs the capacity (under 100 kVA: not adjusted).
        capacity = terms.running_capacity_kva if terms and terms.running_capacity_kva else None
        return None, None, capacity or account.contract_capacity_kva
    if terms is None or not terms.basic_charge_basis:
        prepared.exceptions.append(exception("terms_missing"))
        prepared.failure = True
        return None, None, None
    capacity = terms.running_capacity_kva or account.contract_capacity_kva
    if usage.max_demand_kw is not None and usage.max_demand_kw > capacity:
        prepared.exceptions.append(
            exception("capacity_mismatch", demand=usage.max_demand_kw, capacity=capacity)
        )
    method = (
        BasicChargeMethod.DEMAND
        if terms.basic_charge_basis == BasicChargeBasis.DEMAND
        else BasicChargeMethod.CAPACITY
    )
    return method, terms.contract_demand_kw, capacity


def _lines(*, priced: PricedLines, versions: Sequence[VersionPeriod]) -> list[dict[str, Any]]:
    version_by_id = {str(period.version.pk): period.version.pk for period in versions}
    return [
        {
            "position": position,
            "code": line.code,
            "name_zh": line.name_zh,
            "name_en": line.name_en,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "rule": line.rule,
            "inputs": dict(line.inputs),
            "tariff_version_id": version_by_id[version],
        }
        for position, (line, version) in enumerate(
            zip(priced.lines, priced.tariff_versions, strict=True), start=1
        )
    ]


def _calculated(
    *, item: _Prepared, lines: list[dict[str, Any]], run: BillRun | None, now: datetime, kind: BillKind
) -> CalculatedBill:
    account = item.account
    total = round_to_fen(sum((line["amount"] for line in lines), _ZERO))
    energy = item.usage.total_kwh if lines else _ZERO
    values = {
        "org_unit_id": account.org_unit_id,
        "run_id": None if run is None else run.pk,
        "account_id": account.pk,
        "kind": kind,
        "status": BillStatus.CALCULATED,
        "period_start": item.period_start,
        "period_end": item.period_end,
        "tariff_code": account.tariff_code,
        "tariff_version_id": item.versions[-1].version.pk if item.versions else None,
        "energy_kwh": energy,
        "total": total,
        # The usage's dataclasses as they are: the field's encoder stores them as exact JSON data
        # in one pass (ExactJSONEncoder).
        "usage": {"usage": item.usage, "inputs": item.inputs},
        "exceptions": [flag.as_data() for flag in item.exceptions],
        "calculated_at": now,
    }
    return CalculatedBill(
        account=account,
        bill_values=values,
        line_values=lines,
        estimated_reads=item.usage.estimated_reads if lines else (),
    )


# --- batch reads -------------------------------------------------------------------------------


def _tariff_versions(
    *, codes: Iterable[str], period_start: date, period_end: date
) -> dict[str, list[VersionDocument] | GridCareError]:
    found: dict[str, list[VersionDocument] | GridCareError] = {}
    for code in codes:
        try:
            periods = versions_overlapping(code=code, start=period_start, end=period_end)
            for period in periods:
                if period.version.tariff.kind != TariffKind.GRIDCARE:
                    raise TariffNotGridCareDocument(field="code", code=code, kind=period.version.tariff.kind)
            found[code] = [(period, parse_tariff_document(period.version.document)) for period in periods]
        except (TariffNotFound, TariffVersionMissing, TariffNotGridCareDocument) as error:
            found[code] = error
    return found


def _live_bills() -> Any:
    return Bill.objects.filter(
        Q(kind=BillKind.REGULAR, status__in=[s for s in BillStatus.values if s != BillStatus.WITHDRAWN])
        | Q(kind=BillKind.ADJUSTMENT, status=BillStatus.ISSUED)
    )


def _tier_year_kwh_before(*, account_ids: Sequence[int], period_start: date) -> dict[int, Decimal]:
    """kWh billed to each account in ``period_start``'s calendar year before it (regular bills
    not withdrawn, issued adjustments): what annual tiers (年阶梯) count from."""
    rows = (
        _live_bills()
        .filter(
            among(field="account_id", ids=account_ids),
            period_start__gte=date(period_start.year, 1, 1),
            period_start__lt=period_start,
        )
        .values("account_id")
        .annotate(kwh=Sum("energy_kwh"))
    )
    # Quantized: the database's SUM comes back with its own scale (SQLite drops trailing zeros).
    return {row["account_id"]: quantize_half_up(row["kwh"] or _ZERO, scale=BILLED_KWH_SCALE) for row in rows}


def _daily_average_kwh(*, account_ids: Sequence[int], period_start: date) -> dict[int, Decimal]:
    """Each account's kWh per day over its regular bills of the 12 months before ``period_start``."""
    rows = (
        Bill.objects.filter(
            among(field="account_id", ids=account_ids),
            kind=BillKind.REGULAR,
            period_end__lte=period_start,
            period_start__gte=period_start - timedelta(days=365),
        )
        .exclude(status=BillStatus.WITHDRAWN)
        .values_list("account_id", "period_start", "period_end", "energy_kwh")
    )
    totals: dict[int, tuple[Decimal, int]] = {}
    for account_id, start, end, kwh in rows:
        energy, days = totals.get(account_id, (_ZERO, 0))
        totals[account_id] = (energy + kwh, days + (end - start).days)
    return {account_id: energy / days for account_id, (energy, days) in totals.items() if days}
