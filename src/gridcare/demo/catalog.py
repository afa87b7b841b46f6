"""Fixed facts of the demo utility: its org tree, logins, customer mix and equipment tables.

Everything here is data, not behaviour; :mod:`gridcare.demo.seeding` combines it with a seeded
random generator. The province, cities and counties are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gridcare.customers.models import UsageCategory
from gridcare.identity.models import Role
from gridcare.organization.models import AreaType, OrgLevel

#: The password of every demo login. Printed by ``gridcare demo_logins``; never use it elsewhere.
#: It satisfies the password policy (length, character classes), and demo users are not asked
#: to change it.
DEMO_PASSWORD = "GridCare-Demo-2026"  # noqa: S105  # a published demo password  # nosec B105


@dataclass(frozen=True)
class OrgUnitSpec:
    """One unit of the demo org tree; ``parent_code`` is None for the province."""

    code: str
    name: str
    level: OrgLevel
    area_type: AreaType
    parent_code: str | None
    #: Place name used in service addresses (city, county or town).
    place: str
    #: Share of the province's accounts served by this unit (stations only).
    account_weight: int = 0


ORG_TREE: tuple[OrgUnitSpec, ...] = (
    OrgUnitSpec("37", "示范省电力公司", OrgLevel.PROVINCE, AreaType.URBAN, None, "示范省"),
    OrgUnitSpec("3701", "明湖市供电公司", OrgLevel.CITY, AreaType.URBAN, "37", "明湖市"),
    OrgUnitSpec("3702", "云岭市供电公司", OrgLevel.CITY, AreaType.URBAN, "37", "云岭市"),
    OrgUnitSpec("370101", "明湖市城区供电公司", OrgLevel.COUNTY, AreaType.URBAN, "3701", "湖滨区"),
    OrgUnitSpec("370102", "清河县供电公司", OrgLevel.COUNTY, AreaType.RURAL, "3701", "清河县"),
    OrgUnitSpec("370201", "云岭市城区供电公司", OrgLevel.COUNTY, AreaType.URBAN, "3702", "岭南区"),
    OrgUnitSpec("370202", "石门县供电公司", OrgLevel.COUNTY, AreaType.REMOTE, "3702", "石门县"),
    OrgUnitSpec("37010101", "城东供电所", OrgLevel.STATION, AreaType.URBAN, "370101", "城东街道", 19),
    OrgUnitSpec("37010102", "城西供电所", OrgLevel.STATION, AreaType.URBAN, "370101", "城西街道", 17),
    OrgUnitSpec("37010201", "清河镇供电所", OrgLevel.STATION, AreaType.RURAL, "370102", "清河镇", 10),
    OrgUnitSpec("37010202", "柳庄供电所", OrgLevel.STATION, AreaType.RURAL, "370102", "柳庄镇", 8),
    OrgUnitSpec("37020101", "城南供电所", OrgLevel.STATION, AreaType.URBAN, "370201", "城南街道", 18),
    OrgUnitSpec("37020102", "开发区供电所", OrgLevel.STATION, AreaType.URBAN, "370201", "高新街道", 13),
    OrgUnitSpec("37020201", "石门镇供电所", OrgLevel.STATION, AreaType.RURAL, "370202", "石门镇", 9),
    OrgUnitSpec("37020202", "青山乡供电所", OrgLevel.STATION, AreaType.REMOTE, "370202", "青山乡", 6),
)

PROVINCE_CODE = "37"
STATIONS: tuple[OrgUnitSpec, ...] = tuple(spec for spec in ORG_TREE if spec.level == OrgLevel.STATION)


@dataclass(frozen=True)
class DemoLoginSpec:
    """A demo staff login: one per role, plus the superuser."""

    username: str
    role: Role
    org_unit_code: str
    is_superuser: bool = False


DEMO_STAFF: tuple[DemoLoginSpec, ...] = (
    DemoLoginSpec("admin", Role.SYSTEM_ADMINISTRATOR, "37", is_superuser=True),
    DemoLoginSpec("sysadmin", Role.SYSTEM_ADMINISTRATOR, "37"),
    DemoLoginSpec("supervisor", Role.MARKETING_SUPERVISOR, "3701"),
    DemoLoginSpec("manager", Role.ACCOUNT_MANAGER, "3701"),
    DemoLoginSpec("expansion", Role.BUSINESS_EXPANSION_CLERK, "370101"),
    DemoLoginSpec("billing", Role.BILLING_CLERK, "370101"),
    DemoLoginSpec("inspector", Role.USAGE_INSPECTOR, "370101"),
    DemoLoginSpec("reader", Role.METER_READER, "37010101"),
    DemoLoginSpec("cashier", Role.CASHIER, "37010101"),
    DemoLoginSpec("agent", Role.SERVICE_DESK_AGENT, "37"),
    DemoLoginSpec("auditor", Role.AUDITOR, "37"),
)
#: The 网上营业厅 login, linked to the first residential customer of the first station.
DEMO_PORTAL_USERNAME = "portal"
DEMO_PORTAL_STATION_CODE = "37010101"


@dataclass(frozen=True)
class CategorySpec:
    """How accounts of one usage category look."""

    category: UsageCategory
    #: Share of all accounts, in ten-thousandths.
    share: int
    tariff_code: str
    #: (payment method, weight) pairs.
    payment_methods: tuple[tuple[str, int], ...]


CATEGORY_SPECS: tuple[CategorySpec, ...] = (
    CategorySpec(
        UsageCategory.RESIDENTIAL,
        9200,
        "CN-BJ-RES-2012",
        (("prepaid", 50), ("bank_debit", 30), ("postpaid", 20)),
    ),
    CategorySpec(
        UsageCategory.GENERAL_COMMERCIAL,
        550,
        "DEMO-GC-FLAT",
        (("postpaid", 60), ("bank_debit", 30), ("prepaid", 10)),
    ),
    CategorySpec(UsageCategory.LARGE_INDUSTRY, 80, "DEMO-GD-LI-2P", (("postpaid", 80), ("bank_debit", 20))),
    CategorySpec(UsageCategory.AGRICULTURE, 170, "DEMO-AGR-FLAT", (("postpaid", 70), ("prepaid", 30))),
)
SHARE_DENOMINATOR = 10_000

#: GB/T 4754-2017 classes by category, with the trade word used in enterprise names.
INDUSTRIES: dict[UsageCategory, tuple[tuple[str, str], ...]] = {
    UsageCategory.GENERAL_COMMERCIAL: (
        ("F5211", "商贸"),
        ("F5212", "超市"),
        ("H6110", "酒店"),
        ("H6210", "餐饮"),
        ("I6513", "软件"),
        ("K7020", "物业"),
        ("Q8411", "医院"),
        ("C1810", "服装"),
        ("C2110", "家具"),
        ("C3311", "钢结构"),
    ),
    UsageCategory.LARGE_INDUSTRY: (
        ("C3110", "钢铁"),
        ("C3120", "特钢"),
        ("C3216", "铝业"),
        ("C3011", "水泥"),
        ("C2614", "化工"),
        ("C2211", "纸业"),
        ("C3611", "汽车"),
        ("C2929", "塑胶"),
        ("C1711", "纺织"),
        ("B0610", "煤业"),
    ),
    UsageCategory.AGRICULTURE: (
        ("A0111", "稻米"),
        ("A0112", "小麦"),
        ("A0141", "蔬菜"),
        ("A0313", "养殖"),
        ("A0412", "水产"),
        ("A0513", "灌溉"),
    ),
}

#: Region codes (GB/T 2260, Shandong) that python-stdnum accepts for births in each band:
#: older county codes for births up to 1990, current district codes from 1991.
RESIDENT_REGION_CODES_UNTIL_1990 = ("370123", "372321", "372323", "372324", "372922", "372923")
RESIDENT_REGION_CODES_FROM_1991 = ("370102", "370103", "370112", "370202", "370211", "370303")
ENTERPRISE_REGION_CODES = RESIDENT_REGION_CODES_FROM_1991

#: Mobile prefixes of the three carriers.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

#: Standard CT primary currents (A); every demo CT has a 5 A secondary.
CT_PRIMARY_AMPERES = (
    10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 600, 750, 800, 1000, 1200, 1500, 2000, 2500,
    3000, 4000,
)  # fmt: skip
#: PT ratio by supply voltage (kV): primary / 100 V secondary.
PT_RATIO_BY_KV = {10: 100, 35: 350, 110: 1100}

#: S13-type distribution transformer losses: capacity kVA → (no-load kW, load kW).
TRANSFORMER_LOSSES: dict[int, tuple[Decimal, Decimal]] = {
    100: (Decimal("0.150"), Decimal("1.580")),
    160: (Decimal("0.200"), Decimal("2.310")),
    200: (Decimal("0.240"), Decimal("2.730")),
    250: (Decimal("0.290"), Decimal("3.200")),
    315: (Decimal("0.340"), Decimal("3.830")),
    400: (Decimal("0.410"), Decimal("4.520")),
    500: (Decimal("0.480"), Decimal("5.410")),
    630: (Decimal("0.570"), Decimal("6.200")),
}
#: Capacities of public distribution transformers (台区).
TRANSFORMER_AREA_CAPACITIES = (200, 315, 400, 630)
#: Low-voltage accounts behind one 台区.
ACCOUNTS_PER_TRANSFORMER_AREA = 150
#: Low-voltage accounts per reading route (抄表段).
ACCOUNTS_PER_READING_ROUTE = 2000
#: Reading days of low-voltage routes; HV accounts are read on the 1st.
LOW_VOLTAGE_READING_DAYS = (5, 8, 10, 12, 15, 18, 20, 22, 25)
HIGH_VOLTAGE_READING_DAY = 1
LAST_READING_DAY = max(LOW_VOLTAGE_READING_DAYS)
FEEDERS_PER_STATION = 4
FEEDER_NAMES = (
    "东风",
    "红旗",
    "光明",
    "建设",
    "胜利",
    "和平",
    "幸福",
    "前进",
    "新华",
    "朝阳",
    "长江",
    "黄河",
)

#: Meter makes: (model, meter type, accuracy class).
SINGLE_PHASE_MODELS = ("DDZY102", "DDZY285", "DDZY719")
THREE_PHASE_MODELS = ("DTZY341", "DTZY719")
CT_METER_MODELS = ("DTZY341-Z", "DTSD341")
HV_METER_MODELS = ("DSZY331", "DSSD331")
METER_INTEGER_DIGITS = 6
METER_DECIMAL_DIGITS = 2
