"""The world of the authorization matrix (built once per module by the ``matrix_world``
fixture of this folder's conftest).

省公司 P → 地市 C → 县 K → 供电所 S1 and S2. Every seeded role has a user at S1 (the *own*
org); S2 is the *sibling* org, K the *parent* org. Each of the three holds a customer with an
account (with a metering point and an installed meter), a meter reader (the subject of user
pages), an AMI integration and a pending role-change request filed by a province 系统管理员. The
own meter reader is locked out (failed logins recorded by django-axes). A 审计员 and a 营销主管
at the province see the whole province; a superuser, a staff user bound to no org unit, a
portal customer (of the own account) and anonymous complete the actors.

"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from stdnum.cn import ric

from gridcare.customers.models import (
    Account,
    CustomerKind,
    PaymentMethod,
    PortalLink,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.customers.operations import create_reading_route, open_account, register_customer
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import ApprovalRequest, Integration, IntegrationKind, Role, User, UserKind
from gridcare.identity.operations import create_integration, request_role_change
from gridcare.kit.ids import make_account_number
from gridcare.metering.models import Meter, MeteringArrangement, MeterType, ReadSource
from gridcare.metering.operations import create_metering_point, install_meter, register_meter
from gridcare.metering.rules import RegisterValues
from gridcare.organization.models import AreaType, OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
#: When the meters of the world were installed (with a zero install read).
INSTALLED_AT = datetime(2025, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
#: Failed logins of the locked-out own meter reader.
LOCKOUT_FAILURES = 5
#: The org units records lie in, as seen from the actors at S1.
SCOPES = ("own", "sibling", "parent")


def valid_id_number(first_17: str) -> str:
    """A valid 身份证号 starting with ``first_17``."""
    for check in "0123456789X":
        if ric.is_valid(first_17 + check):
            return first_17 + check
    raise ValueError(first_17)


@dataclass(frozen=True)
class Place:
    """What one org unit holds."""

    org_unit: OrgUnit
    account: Account
    meter: Meter
    reader: User
    integration: Integration
    pending_request: ApprovalRequest


@dataclass(frozen=True)
class MatrixWorld:
    province: OrgUnit
    county: OrgUnit
    own_station: OrgUnit
    sibling_station: OrgUnit
    places: dict[str, Place]
    actors: dict[str, User | None]
    requester: User

    def place(self, scope: str) -> Place:
        return self.places[scope]


def _staff(
    username: str, org_unit: OrgUnit | None, roles: tuple[Role, ...] = (), superuser: bool = False
) -> User:
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        is_staff=True,
        is_superuser=superuser,
        first_name=username,
    )
    user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in roles])
    return user


def _unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    return create_org_unit(
        code=code, name=name, level=level, parent=parent, area_type=AreaType.URBAN, actor=None, now=NOW
    )


def _account(org_unit: OrgUnit, *, number: int, customer_org_unit: OrgUnit) -> Account:
    customer = register_customer(
        org_unit=customer_org_unit,
        kind=CustomerKind.PERSON,
        name=f"客户{number}",
        id_number=valid_id_number(f"3701021990021500{number}"),
        actor=None,
        now=NOW,
    )
    fields = {
        "name": f"用电户{number}",
        "service_address": f"泉城路 {number} 号",
        "usage_category": UsageCategory.RESIDENTIAL,
        "voltage_level": VoltageLevel.V220,
        "contract_capacity_kva": Decimal("8"),
        "tariff_code": "RES-TIER",
        "payment_method": PaymentMethod.POSTPAID,
        "reading_day": 5,
        "opened_date": date(2024, 1, 2),
    }
    if org_unit.level == OrgLevel.STATION:
        return open_account(customer=customer, org_unit=org_unit, actor=None, now=NOW, **fields)
    # Accounts belong to stations; one at the county is made directly, to have a record in
    # the parent org of the actors.
    return Account.objects.create(
        customer=customer,
        org_unit=org_unit,
        account_no=make_account_number(sequence=99999),
        status_effective_date=date(2024, 1, 2),
        **fields,
    )


def _installed_meter(account: Account, *, number: int) -> Meter:
    """A meter installed on a new metering point of ``account`` at :data:`INSTALLED_AT`."""
    metering_point = create_metering_point(
        account=account,
        code=f"MP{number}",
        name=f"{account.name} 计量点",
        metering_arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        actor=None,
        now=NOW,
    )
    meter = register_meter(
        org_unit=account.org_unit,
        asset_no=f"371000100000{number}",
        meter_type=MeterType.SINGLE_PHASE,
        manufacturer="威胜集团",
        accuracy_class="2",
        actor=None,
        now=NOW,
    )
    install_meter(
        meter=meter,
        metering_point=metering_point,
        installed_at=INSTALLED_AT,
        registers=RegisterValues(import_active_total=Decimal("0")),
        source=ReadSource.MANUAL,
        actor=None,
        now=NOW,
    )
    return meter


def _integration(org_unit: OrgUnit, *, scope: str) -> Integration:
    issued = create_integration(
        name=f"ami-{scope}",
        kind=IntegrationKind.AMI,
        org_unit=org_unit,
        scopes=[ApiScope.METER_READS_WRITE],
        actor=None,
        now=NOW,
    )
    return issued.integration


def _reading_route(org_unit: OrgUnit, *, number: int) -> ReadingRoute:
    if org_unit.level == OrgLevel.STATION:
        return create_reading_route(
            org_unit=org_unit,
            code=f"R{number}",
            name=f"{number} 号抄表段",
            reading_day=5,
            actor=None,
            now=NOW,
        )
    return ReadingRoute.objects.create(
        org_unit=org_unit, code=f"R{number}", name=f"{number} 号抄表段", reading_day=5
    )


def _actors(world_units: dict[str, OrgUnit], own_account: Account) -> dict[str, User | None]:
    actors: dict[str, User | None] = {
        f"{role.name.lower()}@S1": _staff(f"{role.name.lower()}_s1", world_units["S1"], (role,))
        for role in Role
    }
    actors["auditor@P"] = _staff("auditor_p", world_units["P"], (Role.AUDITOR,))
    actors["marketing_supervisor@P"] = _staff("supervisor_p", world_units["P"], (Role.MARKETING_SUPERVISOR,))
    actors["superuser"] = _staff("root", None, superuser=True)
    actors["unbound_staff"] = _staff("unbound", None)
    portal = User(username="portal_customer", kind=UserKind.PORTAL)
    portal.set_unusable_password()
    portal.save()
    PortalLink.objects.create(user=portal, customer=own_account.customer)
    actors["portal"] = portal
    actors["anonymous"] = None
    return actors


def build_world() -> MatrixWorld:
    """The org tree, records, actors and pending requests described above."""
    province = _unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None)
    city = _unit("3701", "国网济南供电公司", OrgLevel.CITY, province)
    county = _unit("370102", "历下区供电中心", OrgLevel.COUNTY, city)
    own_station = _unit("37010201", "泉城路供电所", OrgLevel.STATION, county)
    sibling_station = _unit("37010202", "解放路供电所", OrgLevel.STATION, county)
    units = {"own": own_station, "sibling": sibling_station, "parent": county}
    requester = _staff("requester_p", province, (Role.SYSTEM_ADMINISTRATOR,))
    places: dict[str, Place] = {}
    for number, scope in enumerate(SCOPES, start=1):
        org_unit = units[scope]
        reader = _staff(f"reader_{scope}", org_unit, (Role.METER_READER,))
        _reading_route(org_unit, number=number)
        account = _account(org_unit, number=number, customer_org_unit=org_unit)
        places[scope] = Place(
            org_unit=org_unit,
            account=account,
            meter=_installed_meter(account, number=number),
            reader=reader,
            integration=_integration(org_unit, scope=scope),
            pending_request=request_role_change(
                user=reader,
                roles=[Role.METER_READER, Role.CASHIER],
                justification="顶岗收费",
                actor=requester,
                now=NOW,
            ),
        )
    AccessAttempt.objects.create(
        username=places["own"].reader.username,
        ip_address="198.51.100.7",
        user_agent="matrix",
        http_accept="*/*",
        path_info="/login/",
        get_data="",
        post_data="",
        failures_since_start=LOCKOUT_FAILURES,
    )
    return MatrixWorld(
        province=province,
        county=county,
        own_station=own_station,
        sibling_station=sibling_station,
        places=places,
        actors=_actors({"P": province, "S1": own_station}, places["own"].account),
        requester=requester,
    )
