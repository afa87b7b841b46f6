"""Hostile input: the texts an attacker or a careless import types into names and addresses,
and a customer file holding them, created through the real operations.

Decision (documented in gridcare.kit.text): markup, SQL, spreadsheet formulas and emoji are
ordinary text — stored exactly and made harmless where they are shown or exported. Control
characters (NUL, escape, line breaks) and the bidirectional override/isolate characters are
refused with a clear error naming the character and its position; so is text longer than its
column. Nothing is stripped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from gridcare.customers.models import Account, Customer
from gridcare.customers.operations import add_contact, open_account, register_customer
from gridcare.identity.models import Role, User
from gridcare.identity.operations import create_staff_user
from gridcare.organization.models import AreaType, OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

#: Stored exactly, shown escaped, exported with formulas guarded.
HOSTILE_TEXTS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "image_onerror": '<img src=x onerror="alert(1)">',
    "sql_or": "' OR 1=1 --",
    "sql_drop": '"; DROP TABLE customers_customer; --',
    "hyperlink_formula": '=HYPERLINK("http://evil","x")',
    "dde_formula": "+cmd|' /C calc'!A0",
    "at_formula": "@SUM(1+1)",
    "minus_formula": "-2+3",
    "template": "{{ settings.SECRET_KEY }}{% debug %}",
    "emoji": "张三👨‍👩‍👧🔌⚡",
    "uyghur": "ئابدۇرېھىم",
}
#: Refused: the character's position (1-based) and code point the error names.
REFUSED_TEXTS: dict[str, tuple[str, int, str]] = {
    "nul": ("张\x00三", 2, "U+0000"),
    "escape": ("张三\x1b[31m", 3, "U+001B"),
    "line_break": ("张三\n李四", 3, "U+000A"),
    "right_to_left_override": ("invoice\u202etxt.exe", 8, "U+202E"),
    "isolate": ("张三\u2067", 3, "U+2067"),
}


def id_number(sequence: int) -> str:
    """A valid 身份证号 (Beijing Chaoyang, born 1980-01-01) for a sequence of 1–999."""
    body = f"11010519800101{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class HostileRecord:
    text: str
    customer: Customer
    account: Account


@dataclass(frozen=True)
class HostileFile:
    county: OrgUnit
    station: OrgUnit
    clerk: User
    auditor: User
    records: dict[str, HostileRecord]


def create_hostile_record(*, sequence: int, text: str, station: OrgUnit, actor: User) -> HostileRecord:
    """A customer, its primary contact and an account, every free-text field set to ``text``."""
    customer = register_customer(
        org_unit=station,
        kind="person",
        name=text,
        id_number=id_number(sequence),
        postal_address=text,
        actor=actor,
        now=NOW,
    )
    add_contact(
        customer=customer,
        name=text,
        mobile=f"138{sequence:08d}",
        consents_to_sms=True,
        is_primary=True,
        actor=actor,
        now=NOW,
    )
    account = open_account(
        customer=customer,
        org_unit=station,
        name=text,
        service_address=text,
        usage_category="residential",
        voltage_level="220V",
        contract_capacity_kva=Decimal("8.00"),
        tariff_code="RES-1",
        payment_method="postpaid",
        reading_day=5,
        opened_date=date(2025, 3, 1),
        actor=actor,
        now=NOW,
    )
    return HostileRecord(text=text, customer=customer, account=account)


def build_hostile_file() -> HostileFile:
    """Every hostile text as a customer, contact and account at a supply station, created by a
    business expansion clerk of its county; an auditor of the province."""

    def unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
        return create_org_unit(
            code=code, name=name, level=level, parent=parent, area_type=AreaType.URBAN, actor=None, now=NOW
        )

    province = unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None)
    city = unit("3701", "国网济南供电公司", OrgLevel.CITY, province)
    county = unit("370102", "历下区供电中心", OrgLevel.COUNTY, city)
    station = unit("37010201", "泉城路供电所", OrgLevel.STATION, county)

    def staff(username: str, org_unit: OrgUnit, role: Role) -> User:
        return create_staff_user(
            username=username,
            password=f"{username}-Secret-2025",
            org_unit=org_unit,
            roles=[role],
            display_name=username,
            actor=None,
            now=NOW,
            must_change_password=False,
        )

    clerk = staff("clerk", county, Role.BUSINESS_EXPANSION_CLERK)
    auditor = staff("auditor", province, Role.AUDITOR)
    records = {
        key: create_hostile_record(sequence=index, text=text, station=station, actor=clerk)
        for index, (key, text) in enumerate(HOSTILE_TEXTS.items(), start=1)
    }
    return HostileFile(county=county, station=station, clerk=clerk, auditor=auditor, records=records)
