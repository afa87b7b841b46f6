"""Test data for the web shell's tests, built directly with the ORM.

Shared by tests/integration/web and tests/functional/web (their conftests put this folder on
``sys.path``). The scenario, :func:`build_world`, is a county with two supply stations:

- station A: a person (张三, account ``ACCOUNT_A1``, one metering point, 14 monthly reads)
  and an enterprise (account ``ACCOUNT_A2``, key account with a manager, a CT/PT metering
  point with multiplier 2000, a status history);
- station B: a person (李四, account ``ACCOUNT_B1``);
- users: one per station, a county supervisor, a superuser, staff bound to no unit and a
  portal customer linked to 张三.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from stdnum.cn import ric, uscc

from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatus,
    AccountStatusChange,
    Contact,
    Customer,
    CustomerKind,
    PortalLink,
    UsageCategory,
    VoltageLevel,
)
from gridcare.identity.models import Role, User, UserKind
from gridcare.kit.ids import make_account_number
from gridcare.metering.models import (
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadSource,
)
from gridcare.organization.models import OrgLevel, OrgUnit

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CREATED_AT = dt.datetime(2024, 1, 2, 9, 0, tzinfo=SHANGHAI)
PASSWORD = "Grid-care-2024!"

ACCOUNT_A1 = make_account_number(sequence=1001)
ACCOUNT_A2 = make_account_number(sequence=1002)
ACCOUNT_B1 = make_account_number(sequence=2001)
MOBILE_ZHANG = "13812345678"
MOBILE_LI = "13987654321"
ID_NUMBER_ZHANG = "11010119900307123" + ric.calc_check_digit("11010119900307123")
ID_NUMBER_LI = "11010219850512456" + ric.calc_check_digit("11010219850512456")
CREDIT_CODE_FACTORY = "91370102MA3C0000" + "0" + uscc.calc_check_digit("91370102MA3C00000")
READS_ON_A1 = 14


def make_org_unit(*, code: str, name: str, level: OrgLevel, parent: OrgUnit | None) -> OrgUnit:
    """An org unit under ``parent`` with its materialized path."""
    path = f"{parent.path if parent else '/'}{code}/"
    return OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)


def make_staff_user(
    *,
    username: str,
    org_unit: OrgUnit | None,
    roles: tuple[Role, ...] = (),
    is_superuser: bool = False,
    display_name: str = "",
    password: str | None = None,
) -> User:
    """A staff user holding ``roles``; with ``password`` it can log in through the form."""
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=display_name,
        is_staff=True,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in roles])
    return user


def make_portal_user(*, username: str, customer: Customer | None, password: str | None = None) -> User:
    """A portal customer, linked to ``customer`` when given."""
    user = User(username=username, kind=UserKind.PORTAL)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if customer is not None:
        PortalLink.objects.create(user=user, customer=customer)
    return user


def make_person(*, org_unit: OrgUnit, customer_no: str, name: str, id_number: str) -> Customer:
    return Customer.objects.create(
        org_unit=org_unit,
        customer_no=customer_no,
        kind=CustomerKind.PERSON,
        name=name,
        id_number=id_number,
        created_at=CREATED_AT,
    )


def make_account(
    *,
    customer: Customer,
    account_no: str,
    name: str,
    service_address: str,
    usage_category: str = UsageCategory.RESIDENTIAL,
    voltage_level: str = VoltageLevel.V220,
    contract_capacity_kva: Decimal = Decimal("8.00"),
    is_key_account: bool = False,
) -> Account:
    """An account of ``customer`` in the customer's org unit."""
    return Account.objects.create(
        org_unit=customer.org_unit,
        account_no=account_no,
        customer=customer,
        name=name,
        service_address=service_address,
        usage_category=usage_category,
        voltage_level=voltage_level,
        contract_capacity_kva=contract_capacity_kva,
        tariff_code="RES-TIER",
        reading_day=5,
        status_effective_date=dt.date(2020, 1, 1),
        opened_date=dt.date(2020, 1, 1),
        is_key_account=is_key_account,
    )


def make_metering_point(
    *,
    account: Account,
    code: str,
    ct_ratio: int = 1,
    pt_ratio: int = 1,
    arrangement: str = MeteringArrangement.LV_SUPPLY_LV_METERING,
) -> MeteringPoint:
    return MeteringPoint.objects.create(
        org_unit=account.org_unit,
        account=account,
        code=code,
        name=f"{account.name} 计量点",
        metering_arrangement=arrangement,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
    )


def install_new_meter(
    *, metering_point: MeteringPoint, asset_no: str, installed_at: dt.datetime
) -> MeterInstallation:
    """A new meter installed on ``metering_point`` at ``installed_at``."""
    meter = Meter.objects.create(
        org_unit=metering_point.org_unit,
        asset_no=asset_no,
        meter_type=MeterType.SINGLE_PHASE,
        manufacturer="威胜集团",
        model="DDZY102",
        accuracy_class="2",
        status=MeterStatus.INSTALLED,
        status_changed_at=installed_at,
    )
    return MeterInstallation.objects.create(
        org_unit=metering_point.org_unit,
        meter=meter,
        metering_point=metering_point,
        installed_at=installed_at,
    )


def months_after(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` moved ``months`` calendar months on (the day of month is kept)."""
    month_index = moment.month - 1 + months
    return moment.replace(year=moment.year + month_index // 12, month=month_index % 12 + 1)


def add_monthly_reads(
    *, installation: MeterInstallation, count: int, first_read_at: dt.datetime, start_total: Decimal
) -> list[MeterRead]:
    """``count`` monthly reads, one per month from ``first_read_at``, each 100 kWh above the last."""
    reads = [
        MeterRead(
            org_unit=installation.org_unit,
            meter=installation.meter,
            metering_point=installation.metering_point,
            read_at=months_after(first_read_at, month),
            source=ReadSource.AMI,
            import_active_total=start_total + 100 * month,
        )
        for month in range(count)
    ]
    return MeterRead.objects.bulk_create(reads)


@dataclass(frozen=True, kw_only=True)
class World:
    province: OrgUnit
    county: OrgUnit
    station_a: OrgUnit
    station_b: OrgUnit
    zhang: Customer
    factory: Customer
    li: Customer
    account_a1: Account
    account_a2: Account
    account_b1: Account
    point_a1: MeteringPoint
    point_a2: MeteringPoint
    installation_a1: MeterInstallation
    reads_a1: list[MeterRead]
    station_a_user: User
    station_b_user: User
    county_supervisor: User
    superuser: User
    unbound_staff: User
    portal_user: User
    manager: User


def build_world(*, with_passwords: bool = False) -> World:
    """The two-station scenario of this module's docstring. With ``with_passwords`` the users
    get :data:`PASSWORD` (argon2 hashing is slow, so only login tests ask for it)."""
    password = PASSWORD if with_passwords else None
    province = make_org_unit(code="37", name="山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    city = make_org_unit(code="3701", name="济南供电公司", level=OrgLevel.CITY, parent=province)
    county = make_org_unit(code="370102", name="历下区供电中心", level=OrgLevel.COUNTY, parent=city)
    station_a = make_org_unit(code="37010201", name="解放路供电所", level=OrgLevel.STATION, parent=county)
    station_b = make_org_unit(code="37010202", name="千佛山供电所", level=OrgLevel.STATION, parent=county)

    zhang = make_person(org_unit=station_a, customer_no="C0001", name="张三", id_number=ID_NUMBER_ZHANG)
    Contact.objects.create(
        customer=zhang, name="张三", is_primary=True, mobile=MOBILE_ZHANG, consents_to_sms=True
    )
    Contact.objects.create(customer=zhang, name="张小三", landline="0531-88886666")
    factory = Customer.objects.create(
        org_unit=station_a,
        customer_no="C0002",
        kind=CustomerKind.ENTERPRISE,
        name="济南明湖机械有限公司",
        credit_code=CREDIT_CODE_FACTORY,
        created_at=CREATED_AT,
    )
    li = make_person(org_unit=station_b, customer_no="C0003", name="李四", id_number=ID_NUMBER_LI)
    Contact.objects.create(customer=li, name="李四", is_primary=True, mobile=MOBILE_LI)

    account_a1 = make_account(
        customer=zhang, account_no=ACCOUNT_A1, name="张三", service_address="解放路12号3单元201"
    )
    account_a2 = make_account(
        customer=factory,
        account_no=ACCOUNT_A2,
        name="明湖机械一厂",
        service_address="工业南路88号",
        usage_category=UsageCategory.LARGE_INDUSTRY,
        voltage_level=VoltageLevel.KV10,
        contract_capacity_kva=Decimal("630.00"),
        is_key_account=True,
    )
    account_b1 = make_account(customer=li, account_no=ACCOUNT_B1, name="李四", service_address="千佛山路7号")

    point_a1 = make_metering_point(account=account_a1, code="MP-A1-01")
    point_a2 = make_metering_point(
        account=account_a2,
        code="MP-A2-01",
        ct_ratio=20,
        pt_ratio=100,
        arrangement=MeteringArrangement.HV_SUPPLY_HV_METERING,
    )
    installation_a1 = install_new_meter(
        metering_point=point_a1, asset_no="M-A1-0001", installed_at=dt.datetime(2023, 1, 1, tzinfo=SHANGHAI)
    )
    install_new_meter(
        metering_point=point_a2, asset_no="M-A2-0001", installed_at=dt.datetime(2023, 1, 1, tzinfo=SHANGHAI)
    )
    reads_a1 = add_monthly_reads(
        installation=installation_a1,
        count=READS_ON_A1,
        first_read_at=dt.datetime(2023, 1, 5, 8, 0, tzinfo=SHANGHAI),
        start_total=Decimal("1000.00"),
    )
    point_b1 = make_metering_point(account=account_b1, code="MP-B1-01")
    installation_b1 = install_new_meter(
        metering_point=point_b1, asset_no="M-B1-0001", installed_at=dt.datetime(2023, 1, 1, tzinfo=SHANGHAI)
    )
    add_monthly_reads(
        installation=installation_b1,
        count=3,
        first_read_at=dt.datetime(2023, 1, 5, 8, 0, tzinfo=SHANGHAI),
        start_total=Decimal("500.00"),
    )

    station_a_user = make_staff_user(
        username="reader_a",
        org_unit=station_a,
        roles=(Role.METER_READER,),
        display_name="王抄表",
        password=password,
    )
    manager = make_staff_user(
        username="manager_a", org_unit=station_a, roles=(Role.ACCOUNT_MANAGER,), display_name="赵经理"
    )
    AccountManagerAssignment.objects.create(
        account=account_a2,
        manager=station_a_user,
        valid_from=dt.date(2021, 1, 1),
        valid_to=dt.date(2023, 1, 1),
    )
    AccountManagerAssignment.objects.create(
        account=account_a2, manager=manager, valid_from=dt.date(2023, 1, 1)
    )
    AccountStatusChange.objects.create(
        account=account_a2,
        status=AccountStatus.SUSPENDED,
        effective_date=dt.date(2022, 3, 1),
        reason="设备检修暂停",
        recorded_at=CREATED_AT,
        recorded_by=manager,
    )
    AccountStatusChange.objects.create(
        account=account_a2,
        status=AccountStatus.NORMAL,
        effective_date=dt.date(2022, 6, 1),
        reason="恢复用电",
        recorded_at=CREATED_AT,
        recorded_by=manager,
    )
    return World(
        province=province,
        county=county,
        station_a=station_a,
        station_b=station_b,
        zhang=zhang,
        factory=factory,
        li=li,
        account_a1=account_a1,
        account_a2=account_a2,
        account_b1=account_b1,
        point_a1=point_a1,
        point_a2=point_a2,
        installation_a1=installation_a1,
        reads_a1=reads_a1,
        station_a_user=station_a_user,
        station_b_user=make_staff_user(
            username="reader_b", org_unit=station_b, roles=(Role.METER_READER,), password=password
        ),
        county_supervisor=make_staff_user(
            username="supervisor", org_unit=county, roles=(Role.MARKETING_SUPERVISOR,), password=password
        ),
        superuser=make_staff_user(username="root", org_unit=None, is_superuser=True, password=password),
        unbound_staff=make_staff_user(username="unbound", org_unit=None, password=password),
        portal_user=make_portal_user(username="zhang_portal", customer=zhang, password=password),
        manager=manager,
    )
