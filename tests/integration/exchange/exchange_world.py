"""The world of the exchange tests, built with the ORM: an org tree with two counties, staff
users, a customer file, metering points and meters, and helpers that write and import files.

Org tree: 37 → 3701 → 370102 (stations 37010201 "station", 37010202 "other_station") and
370103 (station 37010301 "far_station"). ``county_clerk`` works at 370102 and so sees both of
its stations but not the far station; ``station_clerk`` sees only 37010201.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
from django.contrib.auth.models import Group
from stdnum.cn import ric, uscc

from gridcare.customers.models import (
    Account,
    Contact,
    Customer,
    CustomerKind,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.exchange.operations import ImportReport, import_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.identity.models import Role, User, UserKind
from gridcare.kit.ids import make_account_number
from gridcare.metering.models import (
    Feeder,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterStatus,
    MeterType,
    TransformerArea,
)
from gridcare.organization.models import OrgLevel, OrgUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=SHANGHAI)
INSTALLED_AT = datetime(2020, 1, 1, 8, 0, tzinfo=SHANGHAI)


def id_number(sequence: int) -> str:
    """A valid 身份证号 (Beijing Chaoyang, born 1980-01-01) for a sequence of 1–999."""
    body = f"11010519800101{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(sequence: int) -> str:
    """A valid 统一社会信用代码 for a sequence of 1–99999."""
    body = f"91370100MA3C{sequence:05d}"
    return body + uscc.calc_check_digit(body)


def account_no(sequence: int) -> str:
    return make_account_number(sequence=sequence)


@dataclass
class World:
    province: OrgUnit
    county: OrgUnit
    station: OrgUnit
    other_station: OrgUnit
    far_station: OrgUnit
    county_clerk: User
    station_clerk: User
    route: ReadingRoute
    person: Customer
    enterprise: Customer
    far_customer: Customer
    account: Account
    other_account: Account
    far_account: Account
    feeder: Feeder
    area: TransformerArea
    point: MeteringPoint
    other_point: MeteringPoint
    free_point: MeteringPoint
    far_point: MeteringPoint
    meter: Meter
    other_meter: Meter
    scrapped_meter: Meter
    stock_meter: Meter
    far_meter: Meter

    def scope(self, user: User | None = None, org_unit: OrgUnit | None = None) -> ExchangeScope:
        return ExchangeScope(user=user if user is not None else self.county_clerk, org_unit=org_unit)


#: Between them they import every kind (customers, accounts, metering) and reads, and export.
IMPORTING_ROLES = (Role.BUSINESS_EXPANSION_CLERK, Role.METER_READER)


def make_unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    path = f"{parent.path if parent else '/'}{code}/"
    return OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)


def make_staff(username: str, org_unit: OrgUnit, roles: tuple[Role, ...] = IMPORTING_ROLES) -> User:
    """A staff user of ``org_unit``; by default one who may import and export every kind."""
    user = User.objects.create(
        username=username, kind=UserKind.STAFF, org_unit=org_unit, is_staff=True, password="!"
    )
    user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in roles])
    return user


def make_account(sequence: int, customer: Customer, org_unit: OrgUnit, **fields: object) -> Account:
    defaults: dict[str, object] = {
        "name": customer.name,
        "service_address": "济南市历下区泉城路 1 号",
        "usage_category": UsageCategory.RESIDENTIAL,
        "voltage_level": VoltageLevel.V220,
        "contract_capacity_kva": Decimal("8.00"),
        "tariff_code": "RES-1",
        "reading_day": 5,
        "status_effective_date": date(2019, 6, 1),
        "opened_date": date(2019, 6, 1),
    }
    return Account.objects.create(
        org_unit=org_unit, account_no=account_no(sequence), customer=customer, **{**defaults, **fields}
    )


def make_point(code: str, account: Account, **fields: object) -> MeteringPoint:
    defaults: dict[str, object] = {
        "name": f"计量点 {code}",
        "metering_arrangement": MeteringArrangement.LV_SUPPLY_LV_METERING,
    }
    return MeteringPoint.objects.create(
        org_unit=account.org_unit, code=code, account=account, **{**defaults, **fields}
    )


def make_meter(asset_no: str, org_unit: OrgUnit, *, status: str, **fields: object) -> Meter:
    return Meter.objects.create(
        org_unit=org_unit,
        asset_no=asset_no,
        meter_type=MeterType.SINGLE_PHASE,
        manufacturer="威胜集团",
        accuracy_class="2",
        status=status,
        status_changed_at=INSTALLED_AT,
        **fields,
    )


def install(meter: Meter, point: MeteringPoint, *, at: datetime = INSTALLED_AT) -> MeterInstallation:
    return MeterInstallation.objects.create(
        org_unit=point.org_unit, meter=meter, metering_point=point, installed_at=at
    )


def build_world() -> World:
    province = make_unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None)
    city = make_unit("3701", "国网济南供电公司", OrgLevel.CITY, province)
    county = make_unit("370102", "历下区供电中心", OrgLevel.COUNTY, city)
    station = make_unit("37010201", "泉城路供电所", OrgLevel.STATION, county)
    other_station = make_unit("37010202", "解放路供电所", OrgLevel.STATION, county)
    far_county = make_unit("370103", "市中区供电中心", OrgLevel.COUNTY, city)
    far_station = make_unit("37010301", "大观园供电所", OrgLevel.STATION, far_county)
    route = ReadingRoute.objects.create(org_unit=station, code="R0101", name="泉城路一段", reading_day=5)
    person = Customer.objects.create(
        org_unit=county,
        customer_no="C000000001",
        kind=CustomerKind.PERSON,
        name="张伟",
        id_number=id_number(1),
        created_at=INSTALLED_AT,
    )
    Contact.objects.create(
        customer=person, name="张伟", is_primary=True, mobile="13800138000", consents_to_sms=True
    )
    enterprise = Customer.objects.create(
        org_unit=other_station,
        customer_no="C000000002",
        kind=CustomerKind.ENTERPRISE,
        name="济南明湖机械有限公司",
        credit_code=credit_code(1),
        postal_address="济南市历下区解放路 9 号",
        created_at=INSTALLED_AT,
    )
    far_customer = Customer.objects.create(
        org_unit=far_station,
        customer_no="C000000003",
        kind=CustomerKind.PERSON,
        name="李娜",
        id_number=id_number(3),
        created_at=INSTALLED_AT,
    )
    account = make_account(1, person, station, reading_route=route)
    other_account = make_account(
        2,
        enterprise,
        other_station,
        usage_category=UsageCategory.GENERAL_COMMERCIAL,
        voltage_level=VoltageLevel.V380,
        contract_capacity_kva=Decimal("50.00"),
        tariff_code="GC-1",
    )
    far_account = make_account(3, far_customer, far_station)
    feeder = Feeder.objects.create(
        org_unit=county, code="F10", name="10kV 泉城线", voltage_kv=Decimal("10.00")
    )
    area = TransformerArea.objects.create(
        org_unit=station, code="T0101", name="泉城路 1 号台区", feeder=feeder, capacity_kva=Decimal("400.00")
    )
    point = make_point("MP0001", account, transformer_area=area, feeder=feeder)
    other_point = make_point("MP0002", other_account)
    free_point = make_point("MP0003", account)
    far_point = make_point("MP0004", far_account)
    meter = make_meter("M0001", station, status=MeterStatus.INSTALLED, has_time_of_use=True)
    other_meter = make_meter("M0002", other_station, status=MeterStatus.INSTALLED)
    scrapped_meter = make_meter("M0003", station, status=MeterStatus.SCRAPPED)
    stock_meter = make_meter("M0004", station, status=MeterStatus.IN_STOCK)
    far_meter = make_meter("M0005", far_station, status=MeterStatus.INSTALLED)
    install(meter, point)
    install(other_meter, other_point)
    install(far_meter, far_point)
    return World(
        province=province,
        county=county,
        station=station,
        other_station=other_station,
        far_station=far_station,
        county_clerk=make_staff("county_clerk", county),
        station_clerk=make_staff("station_clerk", station),
        route=route,
        person=person,
        enterprise=enterprise,
        far_customer=far_customer,
        account=account,
        other_account=other_account,
        far_account=far_account,
        feeder=feeder,
        area=area,
        point=point,
        other_point=other_point,
        free_point=free_point,
        far_point=far_point,
        meter=meter,
        other_meter=other_meter,
        scrapped_meter=scrapped_meter,
        stock_meter=stock_meter,
        far_meter=far_meter,
    )


Table = Sequence[Sequence[str]]


def csv_bytes(rows: Table, *, encoding: str = "utf-8") -> bytes:
    """``rows`` (the header first) as CSV bytes; ``utf-8-sig`` writes Excel's BOM."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: Table) -> bytes:
    """``rows`` (the header first) as an XLSX workbook of one sheet, every cell as text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def run_import(
    kind: str,
    content: bytes,
    *,
    scope: ExchangeScope,
    file_name: str = "file.csv",
    partial: bool = False,
    chunk_size: int = 5000,
) -> ImportReport:
    return import_file(
        kind=kind,
        stream=io.BytesIO(content),
        file_name=file_name,
        scope=scope,
        partial=partial,
        now=NOW,
        chunk_size=chunk_size,
    )


def problems_of(report: ImportReport) -> list[tuple[int, str, str, str]]:
    """The report's problems as (row, column, value, code)."""
    return [(problem.row, problem.column, problem.value, problem.code) for problem in report.problems]
