"""The meter reads API: an account's register reads, and recording a read (the same rule as
the reads import: :func:`gridcare.metering.operations.record_meter_read`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, P, PathEx, Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime

from gridcare.customers.api import ACCOUNT_NUMBER_PATTERN, PLAIN_TEXT_PATTERN, PageQuery, find_account
from gridcare.identity.api_auth import api_access, api_caller, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.permissions import Permission
from gridcare.metering import queries
from gridcare.metering.models import (
    DEMAND_DECIMALS,
    REGISTER_DECIMALS,
    REGISTER_DIGITS,
    Meter,
    MeterRead,
    ReadReason,
    ReadSource,
    ReadStatus,
)
from gridcare.metering.operations import record_meter_read
from gridcare.metering.rules import REGISTER_NAMES, RegisterValues

router = Router(tags=["meter reads"])

#: Reads are accepted from this year on, and up to the next (a later one is refused as future).
EARLIEST_READ_YEAR = 1990
LATEST_READ_YEAR = 2100


def _plausible_moment(value: datetime) -> datetime:
    if not EARLIEST_READ_YEAR <= value.year <= LATEST_READ_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_READ_YEAR} and {LATEST_READ_YEAR}")
    return value


ReadMoment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]


def _register(description: str) -> Decimal | None:
    return Field(
        None, ge=0, max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS, description=description
    )


class RegistersIn(Schema):
    """Dial readings (before the multiplier) in kWh / kvarh; maximum demand in kW."""

    import_active_total: Decimal = Field(
        ..., ge=0, max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS, description="正向有功总"
    )
    import_active_sharp: Decimal | None = _register("正向有功尖")
    import_active_peak: Decimal | None = _register("正向有功峰")
    import_active_flat: Decimal | None = _register("正向有功平")
    import_active_valley: Decimal | None = _register("正向有功谷")
    export_active_total: Decimal | None = _register("反向有功总")
    reactive_import_total: Decimal | None = _register("正向无功总")
    reactive_export_total: Decimal | None = _register("反向无功总")
    maximum_demand_kw: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=DEMAND_DECIMALS, description="最大需量 (kW)"
    )


class MeterReadIn(Schema):
    asset_no: str = Field(..., min_length=1, max_length=32, pattern=PLAIN_TEXT_PATTERN)
    read_at: ReadMoment
    source: ReadSource
    status: ReadStatus = ReadStatus.VALID
    reason: ReadReason = ReadReason.PERIODIC
    registers: RegistersIn


class RegistersOut(Schema):
    """Register values as decimal text (``null``: not read)."""

    import_active_total: str
    import_active_sharp: str | None
    import_active_peak: str | None
    import_active_flat: str | None
    import_active_valley: str | None
    export_active_total: str | None
    reactive_import_total: str | None
    reactive_export_total: str | None
    maximum_demand_kw: str | None


class MeterReadOut(Schema):
    id: int
    asset_no: str
    metering_point: str
    read_at: datetime
    source: str
    status: str
    reason: str
    registers: RegistersOut


class MeterReadPageOut(Schema):
    items: list[MeterReadOut]
    count: int
    page: int
    page_size: int


def _read_out(read: MeterRead) -> dict[str, object]:
    registers = {name: getattr(read, name) for name in REGISTER_NAMES}
    return {
        "id": read.pk,
        "asset_no": read.meter.asset_no,
        "metering_point": read.metering_point.code,
        "read_at": read.read_at,
        "source": read.source,
        "status": read.status,
        "reason": read.reason,
        "registers": {name: None if value is None else str(value) for name, value in registers.items()},
    }


@router.get(
    "/accounts/{account_no}/meter-reads",
    response={200: MeterReadPageOut, **error_responses()},
    auth=api_access(permission=Permission.VIEW_METERING, scope=ApiScope.METER_READS_READ),
    summary="An account's meter reads",
)
def account_meter_reads(
    request: HttpRequest,
    account_no: PathEx[str, P(pattern=ACCOUNT_NUMBER_PATTERN)],
    pages: Query[PageQuery],
) -> dict[str, object]:
    """The register reads of the account's metering points, newest first."""
    account = find_account(request, account_no)
    reads = queries.reads_of_account(user=api_caller(request).user, account=account)
    start, stop = pages.bounds
    return {
        "items": [_read_out(read) for read in reads[start:stop]],
        "count": reads.count(),
        "page": pages.page,
        "page_size": pages.page_size,
    }


@router.post(
    "/meter-reads",
    response={201: MeterReadOut, **error_responses()},
    auth=api_access(permission=Permission.RECORD_METER_READS, scope=ApiScope.METER_READS_WRITE),
    summary="Record a meter read",
)
def create_meter_read(request: HttpRequest, read: MeterReadIn) -> Status[dict[str, object]]:
    """Record a register read of a meter in the caller's org units on the metering point it was
    installed on at ``read_at``; refused (422) as the reads import refuses it, 409 if the meter
    already has a read at that moment."""
    user = api_caller(request).user
    try:
        meter = queries.find_meter(user=user, asset_no=read.asset_no)
    except Meter.DoesNotExist:
        raise Http404(read.asset_no) from None
    recorded = record_meter_read(
        meter=meter,
        read_at=read.read_at,
        source=read.source,
        status=read.status,
        reason=read.reason,
        registers=RegisterValues(**read.registers.dict()),
        actor=user,
        now=timezone.now(),
    )
    return Status(201, _read_out(recorded))
