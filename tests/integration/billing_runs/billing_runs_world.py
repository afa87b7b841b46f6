"""Helpers of the billing-run tests (fixtures in conftest.py): a small utility to bill — one
station with residential accounts on the Beijing tiered tariff
(CN-BJ-RES-2012), one on Zhejiang's annual tiers (CN-ZJ-RES-TIER) and a large-industry account on
the demonstration two-part tariff (DEMO-GD-LI-2P), each with a meter installed on 1 Jan 2025 and
read on the first of every month; a 核算员 at the county and a fixed clock (10 Mar 2025).

The reference tariffs come from the catalog's data migration, as on a freshly migrated database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gridcare.billing.models import AccountBillingTerms
from gridcare.customers.models import Account, Customer, UsageCategory, VoltageLevel
from gridcare.identity.models import User
from gridcare.kit.ids import make_account_number
from gridcare.metering import operations as metering
from gridcare.metering.models import Meter, MeteringArrangement, MeterType, ReadSource
from gridcare.metering.rules import RegisterValues

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The clock of every billing-run test: after February's reads, before March's bills are due.
BILLING_NOW = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
FEBRUARY = (date(2025, 2, 1), date(2025, 3, 1))
JANUARY = (date(2025, 1, 1), date(2025, 2, 1))


def first_of(month: int, *, year: int = 2025, hour: int = 8) -> datetime:
    """The periodic read moment: the first of ``month`` at 08:00 Beijing time."""
    return datetime(year, month, 1, hour, 0, tzinfo=SHANGHAI)


@dataclass
class BillingWorld:
    tree: Any
    clerk: User
    other_clerk: User
    customer: Customer
    accounts: dict[str, Account] = field(default_factory=dict)
    meters: dict[str, Meter] = field(default_factory=dict)
    sequence: int = 0

    def add_account(
        self,
        name: str,
        *,
        tariff_code: str = "CN-BJ-RES-2012",
        usage_category: str = UsageCategory.RESIDENTIAL,
        capacity_kva: str = "8",
        org_unit: Any = None,
        meter_type: str = MeterType.SINGLE_PHASE,
        multiplier: tuple[int, int] = (1, 1),
        **meter_flags: Any,
    ) -> Account:
        """An account with one metering point and a meter installed at 1 Jan 2025 08:00 at zero."""
        self.sequence += 1
        account = Account.objects.create(
            org_unit=org_unit or self.tree.station,
            account_no=make_account_number(sequence=self.sequence),
            customer=self.customer,
            name=name,
            service_address="济南市历下区泉城路 1 号",
            usage_category=usage_category,
            voltage_level=VoltageLevel.V220
            if usage_category == UsageCategory.RESIDENTIAL
            else VoltageLevel.KV10,
            contract_capacity_kva=Decimal(capacity_kva),
            tariff_code=tariff_code,
            reading_day=1,
            status_effective_date=date(2024, 1, 1),
            opened_date=date(2024, 1, 1),
        )
        point = metering.create_metering_point(
            account=account,
            code=f"MP{self.sequence:04d}",
            name=f"计量点 {self.sequence}",
            metering_arrangement=(
                MeteringArrangement.LV_SUPPLY_LV_METERING
                if multiplier == (1, 1)
                else MeteringArrangement.HV_SUPPLY_HV_METERING
            ),
            ct_ratio=multiplier[0],
            pt_ratio=multiplier[1],
            actor=None,
            now=BILLING_NOW,
        )
        meter = metering.register_meter(
            org_unit=account.org_unit,
            asset_no=f"37100010{self.sequence:05d}",
            meter_type=meter_type,
            manufacturer="威胜集团",
            accuracy_class="1" if meter_flags else "2",
            actor=None,
            now=BILLING_NOW,
            **meter_flags,
        )
        metering.install_meter(
            meter=meter,
            metering_point=point,
            installed_at=first_of(1),
            registers=zero_registers(meter),
            source=ReadSource.MANUAL,
            actor=None,
            now=BILLING_NOW,
        )
        self.accounts[name] = account
        self.meters[name] = meter
        return account

    def read(self, name: str, month: int, total: str, **others: str) -> None:
        """Record the periodic read of account ``name``'s meter on the first of ``month``."""
        metering.record_meter_read(
            meter=self.meters[name],
            read_at=first_of(month),
            source=ReadSource.MANUAL,
            registers=RegisterValues(
                import_active_total=Decimal(total), **{key: Decimal(value) for key, value in others.items()}
            ),
            actor=None,
            now=BILLING_NOW,
        )

    def terms(self, name: str, **values: Any) -> AccountBillingTerms:
        account = self.accounts[name]
        return AccountBillingTerms.objects.create(
            org_unit=account.org_unit, account=account, changed_at=BILLING_NOW, **values
        )


def zero_registers(meter: Meter) -> RegisterValues:
    """An all-zero install read for every register the meter has."""
    tou = Decimal(0) if meter.has_time_of_use else None
    return RegisterValues(
        import_active_total=Decimal(0),
        import_active_sharp=tou,
        import_active_peak=tou,
        import_active_flat=tou,
        import_active_valley=tou,
        reactive_import_total=Decimal(0) if meter.has_reactive else None,
        reactive_export_total=Decimal(0) if meter.has_reactive else None,
        maximum_demand_kw=Decimal(0) if meter.has_demand else None,
    )
