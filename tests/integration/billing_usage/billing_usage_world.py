"""Helpers of the usage loader's tests: a small metering world: one station, one customer with accounts
made on demand, metering points, meters, installations and reads made through the metering
operations (as the server's operator, ``actor=None``), and a fixed clock after the periods billed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gridcare
from gridcare.billing.engine.tariff import TariffDocument, parse_tariff_document
from gridcare.customers.models import Account, Customer, UsageCategory, VoltageLevel
from gridcare.kit.ids import make_account_number
from gridcare.metering import operations
from gridcare.metering.models import (
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterType,
    ReadSource,
    ReadStatus,
)
from gridcare.metering.rules import RegisterValues
from gridcare.organization.models import OrgUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: After every read the tests take: reads cannot be dated after ``now``.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=SHANGHAI)
CATALOG = Path(gridcare.__file__).parent / "tariffs" / "catalog"


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


def registers(total: str, **others: str) -> RegisterValues:
    """Register values from strings: ``registers("100.50", import_active_peak="40")``."""
    return RegisterValues(
        import_active_total=Decimal(total), **{name: Decimal(value) for name, value in others.items()}
    )


def catalog_tariff(code: str) -> TariffDocument:
    """A reference tariff of the packaged catalog."""
    return parse_tariff_document(json.loads((CATALOG / f"{code}.json").read_text(encoding="utf-8")))


@dataclass
class UsageWorld:
    station: OrgUnit
    customer: Customer
    accounts: list[Account]

    def account(self, *, name: str = "泉城机械") -> Account:
        """A new account of the customer."""
        account = Account.objects.create(
            org_unit=self.station,
            account_no=make_account_number(sequence=len(self.accounts) + 1),
            customer=self.customer,
            name=name,
            service_address="济南市历下区泉城路 1 号",
            usage_category=UsageCategory.LARGE_INDUSTRY,
            voltage_level=VoltageLevel.KV10,
            contract_capacity_kva=Decimal("630"),
            tariff_code="DEMO-GD-LI-2P",
            reading_day=1,
            status_effective_date=date(2024, 1, 1),
            opened_date=date(2024, 1, 1),
        )
        self.accounts.append(account)
        return account

    def point(self, account: Account, code: str, **overrides: Any) -> MeteringPoint:
        """A metering point (低供低计 unless overridden) of ``account``."""
        arguments: dict[str, Any] = {
            "account": account,
            "code": code,
            "name": f"计量点 {code}",
            "metering_arrangement": MeteringArrangement.LV_SUPPLY_LV_METERING,
            "actor": None,
            "now": NOW,
        }
        arguments.update(overrides)
        return operations.create_metering_point(**arguments)

    def meter(self, asset_no: str, **overrides: Any) -> Meter:
        """A meter in stock (6 integer digits, 2 decimals unless overridden)."""
        arguments: dict[str, Any] = {
            "org_unit": self.station,
            "asset_no": asset_no,
            "meter_type": MeterType.THREE_PHASE_CT,
            "manufacturer": "威胜集团",
            "accuracy_class": "0.5S",
            "actor": None,
            "now": NOW,
        }
        arguments.update(overrides)
        return operations.register_meter(**arguments)

    def install(
        self, meter: Meter, point: MeteringPoint, installed_at: datetime, read: RegisterValues
    ) -> MeterInstallation:
        return operations.install_meter(
            meter=meter,
            metering_point=point,
            installed_at=installed_at,
            registers=read,
            source=ReadSource.MANUAL,
            actor=None,
            now=NOW,
        )

    def read(
        self, meter: Meter, read_at: datetime, values: RegisterValues, *, status: str = ReadStatus.VALID
    ) -> MeterRead:
        source = ReadSource.ESTIMATED if status == ReadStatus.ESTIMATED else ReadSource.AMI
        return operations.record_meter_read(
            meter=meter, read_at=read_at, source=source, registers=values, status=status, actor=None, now=NOW
        )
