"""The demo utility's generator: deterministic customers, accounts, meters and reads.

Everything random comes from :class:`random.Random` streams seeded from the run's seed (one
stream per concern, each consumed in account order), and the name pools from a seeded Faker,
so the same seed and options give the same rows whatever the chunk size. Energy is generated
as integers (hundredths of a kWh on the dial, watt-hours for intervals), never as floats in
the database: floats only shape the synthetic load before it is rounded.

Rows are produced per chunk of accounts as plain tuples for :mod:`gridcare.demo.bulk`.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate, pairwise
from typing import Any

from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatus,
    AccountStatusChange,
    Contact,
    ContactKind,
    ContactLogEntry,
    Customer,
    CustomerKind,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.demo import catalog
from gridcare.demo.bulk import BulkTable, ValueText, hundredths_text, ten_thousandths_text, utc_text
from gridcare.demo.identifiers import CreditCodes, ResidentIdNumbers
from gridcare.demo.pools import NamePools
from gridcare.demo.profiles import (
    INTERVAL_SHAPES,
    daily_weight,
    period_weight,
    split_exactly,
)
from gridcare.metering.intervals import intervals_per_day, missing_bitmap_length
from gridcare.metering.models import (
    ChildRelation,
    Feeder,
    IntervalQuantity,
    IntervalReadDay,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadReason,
    ReadSource,
    ReadStatus,
    TransformerArea,
)

CATEGORY_ORDER: tuple[UsageCategory, ...] = tuple(spec.category for spec in catalog.CATEGORY_SPECS)
_RESIDENTIAL, _GENERAL, _LARGE, _AGRICULTURE = range(4)
_DIAL_CAPACITY = 10**catalog.METER_INTEGER_DIGITS * 100  # in hundredths
_INTERVAL_MINUTES = 15
_INTERVAL_DAYS = 30
_READ_TIME = time(0, 0)  # AMI daily freeze at local midnight (日冻结)
_REMOVAL_TIME = time(10, 0)
_INSTALL_TIME = time(10, 30)
_CREATED_TIME = time(9, 0)
_FIRST_OPENING = date(1998, 1, 1)
_SMART_METER_ROLLOUT = (date(2015, 1, 1), date(2019, 12, 31))
_INTERVAL_SHAPE_VARIANTS = 24


class AnomalyKind:
    """The read anomalies the demo plants, by the name they are recorded under."""

    ROLLOVER = "rollover"
    ZERO_USAGE = "zero_usage"
    SPIKE = "spike"
    METER_EXCHANGE = "meter_exchange"
    ALL = (ROLLOVER, ZERO_USAGE, SPIKE, METER_EXCHANGE)


@dataclass(frozen=True)
class SeedOptions:
    """What to seed: ``accounts`` accounts with ``months`` monthly reads ending in ``end_month``."""

    accounts: int
    seed: int
    months: int
    end_month: date
    chunk_size: int


@dataclass(frozen=True)
class Tables:
    """The bulk tables the seeder writes, in dependency order."""

    feeder: BulkTable
    transformer_area: BulkTable
    reading_route: BulkTable
    customer: BulkTable
    contact: BulkTable
    account: BulkTable
    status_change: BulkTable
    manager_assignment: BulkTable
    contact_log: BulkTable
    metering_point: BulkTable
    meter: BulkTable
    meter_read: BulkTable
    installation: BulkTable
    interval_day: BulkTable

    @classmethod
    def for_connection(cls, connection: Any) -> Tables:
        """The tables with their columns resolved on ``connection``."""

        def table(model: Any, *names: str) -> BulkTable:
            return BulkTable(model, names, connection)

        return cls(
            feeder=table(Feeder, "id", "org_unit", "code", "name", "voltage_kv"),
            transformer_area=table(
                TransformerArea, "id", "org_unit", "code", "name", "feeder", "capacity_kva"
            ),
            reading_route=table(ReadingRoute, "id", "org_unit", "code", "name", "reading_day", "reader"),
            customer=table(
                Customer,
                "id",
                "org_unit",
                "customer_no",
                "kind",
                "name",
                "id_number",
                "credit_code",
                "postal_address",
                "created_at",
            ),
            contact=table(
                Contact,
                "id",
                "customer",
                "name",
                "is_primary",
                "mobile",
                "landline",
                "email",
                "wechat_openid",
                "consents_to_sms",
                "consents_to_phone",
                "consents_to_email",
                "consents_to_wechat",
            ),
            account=table(
                Account,
                "id",
                "org_unit",
                "account_no",
                "customer",
                "name",
                "service_address",
                "usage_category",
                "industry_code",
                "voltage_level",
                "contract_capacity_kva",
                "tariff_code",
                "payment_method",
                "reading_route",
                "reading_day",
                "status",
                "status_effective_date",
                "opened_date",
                "is_key_account",
            ),
            status_change=table(
                AccountStatusChange,
                "id",
                "account",
                "status",
                "effective_date",
                "reason",
                "recorded_at",
                "recorded_by",
            ),
            manager_assignment=table(
                AccountManagerAssignment, "id", "account", "manager", "valid_from", "valid_to"
            ),
            contact_log=table(
                ContactLogEntry,
                "id",
                "org_unit",
                "account",
                "kind",
                "occurred_at",
                "staff",
                "summary",
                "notes",
                "follow_up_date",
                "follow_up_done_at",
            ),
            metering_point=table(
                MeteringPoint,
                "id",
                "org_unit",
                "code",
                "account",
                "name",
                "metering_arrangement",
                "ct_ratio",
                "pt_ratio",
                "transformer_capacity_kva",
                "transformer_no_load_loss_kw",
                "transformer_load_loss_kw",
                "line_loss_percent",
                "parent",
                "child_relation",
                "transformer_area",
                "feeder",
            ),
            meter=table(
                Meter,
                "id",
                "org_unit",
                "asset_no",
                "meter_type",
                "manufacturer",
                "model",
                "accuracy_class",
                "has_time_of_use",
                "has_export",
                "has_reactive",
                "has_demand",
                "integer_digits",
                "decimal_digits",
                "status",
                "status_changed_at",
            ),
            meter_read=table(
                MeterRead,
                "id",
                "org_unit",
                "meter",
                "metering_point",
                "read_at",
                "source",
                "status",
                "reason",
                "import_active_total",
                "import_active_sharp",
                "import_active_peak",
                "import_active_flat",
                "import_active_valley",
                "export_active_total",
                "reactive_import_total",
                "reactive_export_total",
                "maximum_demand_kw",
            ),
            installation=table(
                MeterInstallation,
                "id",
                "org_unit",
                "meter",
                "metering_point",
                "installed_at",
                "removed_at",
                "install_read",
                "removal_read",
            ),
            interval_day=table(
                IntervalReadDay,
                "id",
                "org_unit",
                "metering_point",
                "read_date",
                "quantity",
                "interval_minutes",
                "values",
                "missing",
                "source",
            ),
        )

    def in_order(self) -> tuple[BulkTable, ...]:
        """Parents before children, so foreign keys resolve as each table is written."""
        return (
            self.customer,
            self.contact,
            self.account,
            self.status_change,
            self.manager_assignment,
            self.contact_log,
            self.metering_point,
            self.meter,
            self.meter_read,
            self.installation,
            self.interval_day,
        )


@dataclass
class Route:
    id: int
    reading_day: int


@dataclass
class StationPlan:
    """One supply station's share of the accounts and its grid and routes."""

    code: str
    org_unit_id: int
    address_prefix: str
    place: str
    is_urban: bool
    is_remote: bool
    in_manager_city: bool
    first_index: int
    account_count: int
    high_voltage_route: Route
    low_voltage_routes: list[Route]
    feeder_ids: list[int]
    line_35kv_id: int
    line_110kv_id: int
    transformer_areas: list[tuple[int, int]]  # (id, feeder id)
    region_code: str


@dataclass
class ChunkRows:
    """The rows of one chunk of accounts, per table."""

    by_table: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: BulkTable, row: tuple[Any, ...]) -> None:
        self.by_table.setdefault(table.table, []).append(row)


@dataclass(frozen=True)
class Anomaly:
    """A planted anomaly: ``kind`` in period ``period`` (between reads ``period - 1`` and ``period``)."""

    kind: str
    period: int
    length: int = 1


@dataclass
class IdCounter:
    """Hands out the next primary key of one table."""

    next_value: int

    def take(self) -> int:
        value = self.next_value
        self.next_value += 1
        return value


@dataclass
class MeterDraft:
    """The meter fitted to a metering point and how its registers run."""

    meter_type: str
    model: str
    accuracy_class: str
    has_time_of_use: bool = False
    has_reactive: bool = False
    has_demand: bool = False


@dataclass
class AccountOutcome:
    """What the rest of the run needs to know about a generated account."""

    account_no: str
    customer_id: int
    category: int
    station_code: str


class Generator:
    """Generates the demo utility's rows chunk by chunk.

    ``ids`` gives the first free primary key per table; ``org_unit_ids`` maps org codes to ids;
    ``user_ids`` maps demo usernames to ids; ``account_number`` and ``customer_number`` give
    the 户号 and customer number of the n-th account (from the reserved blocks).
    """

    def __init__(
        self,
        *,
        options: SeedOptions,
        tables: Tables,
        ids: dict[str, int],
        org_unit_ids: dict[str, int],
        user_ids: dict[str, int],
        pools: NamePools,
        account_number: Callable[[int], str],
        customer_number: Callable[[int], str],
        recorded_at: datetime,
    ) -> None:
        self.options = options
        self.tables = tables
        self.pools = pools
        self._ids = {name: IdCounter(value) for name, value in ids.items()}
        self._org_unit_ids = org_unit_ids
        self._user_ids = user_ids
        self._account_number = account_number
        self._customer_number = customer_number
        self._recorded_at = utc_text(recorded_at)
        self._text = ValueText()
        seed = options.seed
        self._structure = random.Random(f"{seed}/structure")
        self._attributes = random.Random(f"{seed}/accounts")
        self._usage = random.Random(f"{seed}/reads")
        self._intervals = random.Random(f"{seed}/intervals")
        self._resident_ids = ResidentIdNumbers(
            first_birth_date=date(1945, 1, 1),
            last_birth_date=date(2004, 12, 31),
            region_codes_by_band=(
                (date(1945, 1, 1), catalog.RESIDENT_REGION_CODES_UNTIL_1990),
                (date(1991, 1, 1), catalog.RESIDENT_REGION_CODES_FROM_1991),
            ),
            multiplier_draw=self._structure.getrandbits(40),
            offset_draw=self._structure.getrandbits(40),
        )
        self._credit_codes = CreditCodes(
            multiplier_draw=self._structure.getrandbits(40), offset_draw=self._structure.getrandbits(40)
        )
        self._persons = 0
        self._enterprises = 0
        self._meter_serial = 0
        self.read_dates_by_day = {
            reading_day: _read_dates(options.end_month, options.months, reading_day)
            for reading_day in (catalog.HIGH_VOLTAGE_READING_DAY, *catalog.LOW_VOLTAGE_READING_DAYS)
        }
        self.categories = self._plan_categories()
        self.anomalies, self.suspensions = self._plan_anomalies()
        self._interval_cumulative_shapes = self._plan_interval_shapes()
        self.stations: list[StationPlan] = []
        self.structure_rows = ChunkRows()
        self.outcomes_by_anomaly: dict[str, list[str]] = {kind: [] for kind in AnomalyKind.ALL}
        self.suspended_accounts: list[str] = []
        self.portal_customer_id: int | None = None

    # --- plan ---------------------------------------------------------------------------

    def _plan_categories(self) -> bytearray:
        """Exactly the catalogue's share of each category (largest remainder), shuffled."""
        counts = largest_remainder(
            self.options.accounts, [spec.share for spec in catalog.CATEGORY_SPECS], catalog.SHARE_DENOMINATOR
        )
        categories = bytearray()
        for category, count in enumerate(counts):
            categories.extend(bytes([category]) * count)
        self._structure.shuffle(categories)
        return categories

    def _plan_anomalies(self) -> tuple[dict[int, Anomaly], dict[int, int]]:
        """Which residential accounts get which read anomaly, and which general commercial
        accounts are suspended from which read (by account index)."""
        accounts, months = self.options.accounts, self.options.months
        per_kind = max(2, min(100, accounts // 500))
        residential = _indices_of(
            self.categories, _RESIDENTIAL, self._structure, per_kind * len(AnomalyKind.ALL)
        )
        anomalies: dict[int, Anomaly] = {}
        for position, index in enumerate(residential):
            kind = AnomalyKind.ALL[position % len(AnomalyKind.ALL)]
            period = self._structure.randint(1, months - 1)
            length = (
                self._structure.randint(1, min(3, months - period)) if kind == AnomalyKind.ZERO_USAGE else 1
            )
            anomalies[index] = Anomaly(kind=kind, period=period, length=length)
        general = _indices_of(self.categories, _GENERAL, self._structure, per_kind)
        suspensions = {index: self._structure.randint(1, months - 1) for index in general}
        return anomalies, suspensions

    def _plan_interval_shapes(self) -> list[list[tuple[float, ...]]]:
        """Per load shape, a few jittered variants as cumulative fractions (days differ a little)."""
        variants = []
        for shape in INTERVAL_SHAPES:
            shape_variants = []
            for _ in range(_INTERVAL_SHAPE_VARIANTS):
                jittered = [weight * self._structure.uniform(0.9, 1.1) for weight in shape]
                total = math.fsum(jittered)
                running = 0.0
                cumulative = []
                for weight in jittered:
                    running += weight
                    cumulative.append(running / total)
                cumulative[-1] = 1.0
                shape_variants.append(tuple(cumulative))
            variants.append(shape_variants)
        return variants

    def plan_structure(self) -> None:
        """Stations, their feeders, transformer areas and reading routes (rows kept for writing)."""
        specs = {spec.code: spec for spec in catalog.ORG_TREE}
        counts = largest_remainder(
            self.options.accounts,
            [spec.account_weight for spec in catalog.STATIONS],
            sum(spec.account_weight for spec in catalog.STATIONS),
        )
        manager_city = next(spec.org_unit_code for spec in catalog.DEMO_STAFF if spec.username == "manager")
        reader_station = next(spec.org_unit_code for spec in catalog.DEMO_STAFF if spec.username == "reader")
        lines = self._plan_lines(specs)
        first_index = 0
        feeder_names = list(catalog.FEEDER_NAMES)
        for station_number, (spec, count) in enumerate(zip(catalog.STATIONS, counts, strict=True)):
            county = specs[spec.parent_code or ""]
            city = specs[county.parent_code or ""]
            org_unit_id = self._org_unit_ids[spec.code]
            self._structure.shuffle(feeder_names)
            feeder_ids = []
            for number in range(catalog.FEEDERS_PER_STATION):
                feeder_id = self._ids["feeder"].take()
                feeder_ids.append(feeder_id)
                self.structure_rows.add(
                    self.tables.feeder,
                    (
                        feeder_id,
                        org_unit_id,
                        f"{spec.code}F{number + 1:02d}",
                        f"10kV{feeder_names[number]}线",
                        "10.00",
                    ),
                )
            reader_id = self._user_ids.get("reader") if spec.code == reader_station else None
            high_voltage_route = self._route(
                spec, org_unit_id, 1, "专变用户", catalog.HIGH_VOLTAGE_READING_DAY, reader_id
            )
            low_voltage_routes = []
            for number in range(max(1, math.ceil(count / catalog.ACCOUNTS_PER_READING_ROUTE))):
                reading_day = catalog.LOW_VOLTAGE_READING_DAYS[
                    (station_number + number) % len(catalog.LOW_VOLTAGE_READING_DAYS)
                ]
                low_voltage_routes.append(
                    self._route(spec, org_unit_id, number + 2, f"低压{number + 1}段", reading_day, reader_id)
                )
            transformer_areas = []
            for number in range(max(1, math.ceil(count / catalog.ACCOUNTS_PER_TRANSFORMER_AREA))):
                area_id = self._ids["transformer_area"].take()
                feeder_id = feeder_ids[number % len(feeder_ids)]
                capacity = self._structure.choice(catalog.TRANSFORMER_AREA_CAPACITIES)
                self.structure_rows.add(
                    self.tables.transformer_area,
                    (
                        area_id,
                        org_unit_id,
                        f"{spec.code}T{number + 1:05d}",
                        f"{spec.place}{number + 1}号台区",
                        feeder_id,
                        f"{capacity}.00",
                    ),
                )
                transformer_areas.append((area_id, feeder_id))
            self.stations.append(
                StationPlan(
                    code=spec.code,
                    org_unit_id=org_unit_id,
                    address_prefix=f"{specs[catalog.PROVINCE_CODE].place}{city.place}{county.place}",
                    place=spec.place,
                    is_urban=spec.area_type == "urban",
                    is_remote=spec.area_type == "remote",
                    in_manager_city=spec.code.startswith(manager_city),
                    first_index=first_index,
                    account_count=count,
                    high_voltage_route=high_voltage_route,
                    low_voltage_routes=low_voltage_routes,
                    feeder_ids=feeder_ids,
                    line_35kv_id=lines[county.code],
                    line_110kv_id=lines[city.code],
                    transformer_areas=transformer_areas,
                    region_code=catalog.ENTERPRISE_REGION_CODES[
                        station_number % len(catalog.ENTERPRISE_REGION_CODES)
                    ],
                )
            )
            first_index += count

    def _plan_lines(self, specs: dict[str, catalog.OrgUnitSpec]) -> dict[str, int]:
        """A 35 kV line per county and a 110 kV line per city, for the high-voltage customers."""
        lines = {}
        for spec in catalog.ORG_TREE:
            if spec.level not in ("county", "city"):
                continue
            voltage = "35" if spec.level == "county" else "110"
            feeder_id = self._ids["feeder"].take()
            lines[spec.code] = feeder_id
            self.structure_rows.add(
                self.tables.feeder,
                (
                    feeder_id,
                    self._org_unit_ids[spec.code],
                    f"{spec.code}L{voltage}",
                    f"{voltage}kV{spec.place}线",
                    f"{voltage}.00",
                ),
            )
        return lines

    def _route(
        self,
        spec: catalog.OrgUnitSpec,
        org_unit_id: int,
        number: int,
        label: str,
        reading_day: int,
        reader_id: int | None,
    ) -> Route:
        route_id = self._ids["reading_route"].take()
        self.structure_rows.add(
            self.tables.reading_route,
            (
                route_id,
                org_unit_id,
                f"{spec.code}R{number:02d}",
                f"{spec.name}{label}",
                reading_day,
                reader_id,
            ),
        )
        return Route(id=route_id, reading_day=reading_day)

    # --- accounts -----------------------------------------------------------------------

    def chunks(self) -> Iterator[tuple[int, ChunkRows]]:
        """Yield ``(account count, ChunkRows)`` per chunk of accounts, in account order."""
        station_iter = iter(self.stations)
        station = next(station_iter)
        chunk_size = self.options.chunk_size
        for chunk_start in range(0, self.options.accounts, chunk_size):
            rows = ChunkRows()
            chunk_end = min(chunk_start + chunk_size, self.options.accounts)
            for index in range(chunk_start, chunk_end):
                while index >= station.first_index + station.account_count:
                    station = next(station_iter)
                self._account(index, station, rows)
            yield chunk_end - chunk_start, rows

    def _account(self, index: int, station: StationPlan, rows: ChunkRows) -> None:
        attributes = self._attributes
        category = self.categories[index]
        spec = catalog.CATEGORY_SPECS[category]
        position = index - station.first_index
        account_id = self._ids["account"].take()
        customer_id = self._ids["customer"].take()
        account_no = self._account_number(index)

        profile = _DRAFTERS[category](attributes)
        customer_kind, customer_name, account_name, identity = self._customer_identity(
            category, station, profile
        )
        service_address = self._service_address(station, category)
        opened = _random_date(attributes, _FIRST_OPENING, self._window_start() - timedelta(days=120))
        rows.add(
            self.tables.customer,
            (
                customer_id,
                station.org_unit_id,
                self._customer_number(index),
                customer_kind,
                customer_name,
                identity if customer_kind == CustomerKind.PERSON else None,
                identity if customer_kind == CustomerKind.ENTERPRISE else None,
                service_address,
                self._text.local_instant(opened, _CREATED_TIME),
            ),
        )
        self._contacts(customer_id, customer_kind, customer_name, rows)
        if profile.voltage_level in (VoltageLevel.V220, VoltageLevel.V380):
            route = station.low_voltage_routes[
                position * len(station.low_voltage_routes) // station.account_count
            ]
        else:
            route = station.high_voltage_route
        suspension = self.suspensions.get(index)
        read_dates = self.read_dates_by_day[route.reading_day]
        status, status_date = AccountStatus.NORMAL, opened
        if suspension is not None:
            status, status_date = AccountStatus.SUSPENDED, read_dates[suspension]
            self._status_history(account_id, opened, status_date, rows)
            self.suspended_accounts.append(account_no)
        is_key = category == _LARGE or (category == _GENERAL and profile.capacity_kva >= 200)
        payment_method = _weighted(attributes, spec.payment_methods)
        rows.add(
            self.tables.account,
            (
                account_id,
                station.org_unit_id,
                account_no,
                customer_id,
                account_name,
                service_address,
                spec.category.value,
                profile.industry_code,
                profile.voltage_level,
                f"{profile.capacity_kva}.00",
                spec.tariff_code,
                payment_method,
                route.id,
                route.reading_day,
                status,
                status_date.isoformat(),
                opened.isoformat(),
                is_key,
            ),
        )
        if is_key and station.in_manager_city:
            self._manager(account_id, station, opened, read_dates, rows)
        if (
            category == _RESIDENTIAL
            and self.portal_customer_id is None
            and station.code == catalog.DEMO_PORTAL_STATION_CODE
            and index not in self.anomalies
        ):
            self.portal_customer_id = customer_id
        self._metering(
            index=index,
            account_id=account_id,
            account_no=account_no,
            station=station,
            position=position,
            profile=profile,
            opened=opened,
            read_dates=read_dates,
            suspension=suspension,
            rows=rows,
        )
        if index in self.anomalies:
            self.outcomes_by_anomaly[self.anomalies[index].kind].append(account_no)

    def _window_start(self) -> date:
        return _month_shift(self.options.end_month, -self.options.months)

    def _customer_identity(
        self, category: int, station: StationPlan, profile: AccountProfile
    ) -> tuple[str, str, str, str]:
        """(kind, customer name, account name, 身份证号 or 统一社会信用代码)."""
        attributes = self._attributes
        pools = self.pools
        if profile.is_person:
            name = attributes.choice(pools.surnames) + attributes.choice(pools.given_names)
            identity = self._resident_ids.number(self._persons)
            self._persons += 1
            account_name = name if category == _RESIDENTIAL else f"{name}（{profile.trade}）"
            return CustomerKind.PERSON, name, account_name, identity
        word = attributes.choice(pools.company_words)
        place = station.address_prefix[-3:-1]
        if category == _AGRICULTURE:
            name = f"{place}{word}{profile.trade}专业合作社"
            entity_type = "3"
        elif profile.is_individual_business:
            name = f"{place}{word}{profile.trade}店"
            entity_type = "2"
        else:
            name = f"{place}{word}{profile.trade}有限公司"
            entity_type = "1"
        identity = self._credit_codes.code(
            self._enterprises, region_code=station.region_code, entity_type=entity_type
        )
        self._enterprises += 1
        return CustomerKind.ENTERPRISE, name, name, identity

    def _service_address(self, station: StationPlan, category: int) -> str:
        attributes = self._attributes
        pools = self.pools
        number = attributes.randint(1, 399)
        if station.is_urban:
            street = attributes.choice(pools.streets)
            if category == _RESIDENTIAL:
                community = attributes.choice(pools.communities)
                building, unit = attributes.randint(1, 36), attributes.randint(1, 4)
                floor, room = attributes.randint(1, 30), attributes.randint(1, 4)
                flat = f"{community}{building}栋{unit}单元{floor}{room:02d}室"
                return f"{station.address_prefix}{street}{number}号{flat}"
            return f"{station.address_prefix}{street}{number}号"
        village = attributes.choice(pools.villages)
        return f"{station.address_prefix}{station.place}{village}{number}号"

    def _contacts(self, customer_id: int, kind: str, customer_name: str, rows: ChunkRows) -> None:
        attributes = self._attributes
        contact_names = [customer_name]
        if kind == CustomerKind.ENTERPRISE:
            contact_names = [
                attributes.choice(self.pools.surnames) + attributes.choice(self.pools.given_names)
                for _ in range(2)
            ]
        for position, name in enumerate(contact_names):
            mobile = attributes.choice(catalog.MOBILE_PREFIXES) + f"{attributes.randrange(10**8):08d}"
            has_wechat = attributes.random() < 0.4
            has_email = attributes.random() < (0.3 if kind == CustomerKind.ENTERPRISE else 0.05)
            rows.add(
                self.tables.contact,
                (
                    self._ids["contact"].take(),
                    customer_id,
                    name,
                    position == 0,
                    mobile,
                    "",
                    f"{mobile}@example.com" if has_email else "",
                    f"o{attributes.getrandbits(120):030x}"[:28] if has_wechat else "",
                    attributes.random() < 0.85,
                    attributes.random() < 0.6,
                    has_email and attributes.random() < 0.7,
                    has_wechat and attributes.random() < 0.8,
                ),
            )

    def _status_history(self, account_id: int, opened: date, suspended_on: date, rows: ChunkRows) -> None:
        for status, effective, reason in (
            (AccountStatus.NORMAL, opened, "新装立户"),
            (AccountStatus.SUSPENDED, suspended_on, "客户申请暂停用电"),
        ):
            rows.add(
                self.tables.status_change,
                (
                    self._ids["status_change"].take(),
                    account_id,
                    status,
                    effective.isoformat(),
                    reason,
                    self._recorded_at,
                    None,
                ),
            )

    def _manager(
        self, account_id: int, station: StationPlan, opened: date, read_dates: list[date], rows: ChunkRows
    ) -> None:
        manager_id = self._user_ids["manager"]
        valid_from = max(opened, self._window_start() - timedelta(days=365))
        rows.add(
            self.tables.manager_assignment,
            (self._ids["manager_assignment"].take(), account_id, manager_id, valid_from.isoformat(), None),
        )
        visited_on = read_dates[-1] - timedelta(days=self._attributes.randint(3, 20))
        rows.add(
            self.tables.contact_log,
            (
                self._ids["contact_log"].take(),
                station.org_unit_id,
                account_id,
                ContactKind.VISIT,
                self._text.local_instant(visited_on, time(10, 0)),
                manager_id,
                "客户经理走访：用电情况与电费回收",
                "了解生产计划和用电负荷，提醒按期缴纳电费。",
                None,
                None,
            ),
        )

    # --- metering -----------------------------------------------------------------------

    def _metering(
        self,
        *,
        index: int,
        account_id: int,
        account_no: str,
        station: StationPlan,
        position: int,
        profile: AccountProfile,
        opened: date,
        read_dates: list[date],
        suspension: int | None,
        rows: ChunkRows,
    ) -> None:
        usage = self._usage
        metering_point_id = self._ids["metering_point"].take()
        transformer_area_id, feeder_id = self._grid_position(station, position, profile)
        losses = (
            catalog.TRANSFORMER_LOSSES.get(profile.capacity_kva) if profile.arrangement == "hv_lv" else None
        )
        rows.add(
            self.tables.metering_point,
            (
                metering_point_id,
                station.org_unit_id,
                f"{account_no}01",
                account_id,
                "主计量点",
                profile.arrangement,
                profile.ct_ratio,
                profile.pt_ratio,
                f"{profile.capacity_kva}.00" if profile.arrangement == "hv_lv" else None,
                str(losses[0]) if losses else None,
                str(losses[1]) if losses else None,
                "0.00",
                None,
                "",
                transformer_area_id,
                feeder_id,
            ),
        )
        multiplier = profile.ct_ratio * profile.pt_ratio
        install_day = self._install_day(opened, read_dates[0], profile, multiplier)
        anomaly = self.anomalies.get(index)
        energies = self._period_energies(profile, install_day, read_dates, anomaly, suspension)
        dial = [round(energy * 100 / multiplier) for energy in energies]
        source = ReadSource.MANUAL if station.is_remote and usage.random() < 0.3 else ReadSource.AMI
        series = RegisterSeries.draw(usage, profile, dial, read_dates, anomaly)
        if anomaly is not None and anomaly.kind == AnomalyKind.METER_EXCHANGE:
            self._exchanged_meters(
                station, metering_point_id, profile, install_day, read_dates, series, anomaly, source, rows
            )
        else:
            self._fitted_meter(
                station, metering_point_id, profile, install_day, read_dates, series, source, rows
            )
        if profile.category == _LARGE:
            self._interval_days(
                station, metering_point_id, profile, read_dates, series.deltas, multiplier, rows
            )
            if profile.has_child:
                self._child_point(
                    account_id,
                    account_no,
                    station,
                    metering_point_id,
                    feeder_id,
                    profile,
                    install_day,
                    read_dates,
                    energies,
                    source,
                    rows,
                )

    def _grid_position(
        self, station: StationPlan, position: int, profile: AccountProfile
    ) -> tuple[int | None, int]:
        """(transformer area, feeder): low-voltage accounts hang on a 台区, the rest on a line."""
        if profile.voltage_level in (VoltageLevel.V220, VoltageLevel.V380):
            area_id, feeder_id = station.transformer_areas[position // catalog.ACCOUNTS_PER_TRANSFORMER_AREA]
            return area_id, feeder_id
        if profile.voltage_level == VoltageLevel.KV35:
            return None, station.line_35kv_id
        if profile.voltage_level == VoltageLevel.KV110:
            return None, station.line_110kv_id
        return None, station.feeder_ids[position % len(station.feeder_ids)]

    def _install_day(self, opened: date, first_read: date, profile: AccountProfile, multiplier: int) -> date:
        """When today's meter went in: at opening, or in the smart-meter rollout for older
        accounts, and late enough that the dial has not wrapped since."""
        rollout = _random_date(self._usage, *_SMART_METER_ROLLOUT)
        install_day = min(max(opened, rollout), first_read - timedelta(days=60))
        daily_dial = profile.daily_kwh * 100 * 1.6 / multiplier
        longest = int(_DIAL_CAPACITY * 0.5 / max(daily_dial, 1))
        return max(install_day, first_read - timedelta(days=longest))

    def _period_energies(
        self,
        profile: AccountProfile,
        install_day: date,
        read_dates: list[date],
        anomaly: Anomaly | None,
        suspension: int | None,
    ) -> list[float]:
        """kWh used before the first read (since install) and in each period between reads."""
        usage = self._usage
        category = CATEGORY_ORDER[profile.category]
        noise = 0.08 if profile.category in (_RESIDENTIAL, _AGRICULTURE) else 0.05
        energies = [profile.daily_kwh * (read_dates[0] - install_day).days * usage.uniform(0.95, 1.05)]
        for period in range(1, len(read_dates)):
            weight = period_weight(category, read_dates[period - 1], read_dates[period])
            energies.append(profile.daily_kwh * weight * usage.lognormvariate(0, noise))
        if anomaly is not None and anomaly.kind == AnomalyKind.ZERO_USAGE:
            for period in range(anomaly.period, anomaly.period + anomaly.length):
                energies[period] = 0.0
        if anomaly is not None and anomaly.kind == AnomalyKind.SPIKE:
            energies[anomaly.period] *= usage.uniform(6, 10)
        if suspension is not None:
            for period in range(suspension + 1, len(read_dates)):
                energies[period] = 0.0
        return energies

    def _new_meter(
        self, station: StationPlan, profile_meter: MeterDraft, status: str, changed_at: str, rows: ChunkRows
    ) -> int:
        meter_id = self._ids["meter"].take()
        self._meter_serial += 1
        manufacturer = self.pools.manufacturers[self._meter_serial % len(self.pools.manufacturers)]
        rows.add(
            self.tables.meter,
            (
                meter_id,
                station.org_unit_id,
                f"37{self._meter_serial:020d}",
                profile_meter.meter_type,
                manufacturer,
                profile_meter.model,
                profile_meter.accuracy_class,
                profile_meter.has_time_of_use,
                False,
                profile_meter.has_reactive,
                profile_meter.has_demand,
                catalog.METER_INTEGER_DIGITS,
                catalog.METER_DECIMAL_DIGITS,
                status,
                changed_at,
            ),
        )
        return meter_id

    def _fitted_meter(
        self,
        station: StationPlan,
        metering_point_id: int,
        profile: AccountProfile,
        install_day: date,
        read_dates: list[date],
        series: RegisterSeries,
        source: str,
        rows: ChunkRows,
    ) -> None:
        installed_at = self._text.local_instant(install_day, _INSTALL_TIME)
        meter_id = self._new_meter(station, profile.meter, MeterStatus.INSTALLED, installed_at, rows)
        install_read_id = self._read(
            station,
            meter_id,
            metering_point_id,
            installed_at,
            ReadSource.MANUAL,
            ReadReason.INSTALL,
            series.install_values(),
            rows,
        )
        for period, read_day in enumerate(read_dates):
            self._read(
                station,
                meter_id,
                metering_point_id,
                self._text.local_instant(read_day, _READ_TIME),
                source,
                ReadReason.PERIODIC,
                series.values_at(period),
                rows,
            )
        rows.add(
            self.tables.installation,
            (
                self._ids["installation"].take(),
                station.org_unit_id,
                meter_id,
                metering_point_id,
                installed_at,
                None,
                install_read_id,
                None,
            ),
        )

    def _exchanged_meters(
        self,
        station: StationPlan,
        metering_point_id: int,
        profile: AccountProfile,
        install_day: date,
        read_dates: list[date],
        series: RegisterSeries,
        anomaly: Anomaly,
        source: str,
        rows: ChunkRows,
    ) -> None:
        """The old meter read until mid-period ``anomaly.period``, removed and replaced by a new
        meter starting from zero."""
        period_start, period_end = read_dates[anomaly.period - 1], read_dates[anomaly.period]
        exchange_day = period_start + (period_end - period_start) // 2
        old_share = (exchange_day - period_start).days / (period_end - period_start).days
        installed_at = self._text.local_instant(install_day, _INSTALL_TIME)
        removed_at = self._text.local_instant(exchange_day, _REMOVAL_TIME)
        replaced_at = self._text.local_instant(exchange_day, _INSTALL_TIME)
        old_meter_id = self._new_meter(station, profile.meter, MeterStatus.REMOVED, removed_at, rows)
        install_read_id = self._read(
            station,
            old_meter_id,
            metering_point_id,
            installed_at,
            ReadSource.MANUAL,
            ReadReason.INSTALL,
            series.install_values(),
            rows,
        )
        for period in range(anomaly.period):
            self._read(
                station,
                old_meter_id,
                metering_point_id,
                self._text.local_instant(read_dates[period], _READ_TIME),
                source,
                ReadReason.PERIODIC,
                series.values_at(period),
                rows,
            )
        old_part = round(series.deltas[anomaly.period] * old_share)
        removal_values = series.values_at(anomaly.period - 1, extra=old_part)
        removal_read_id = self._read(
            station,
            old_meter_id,
            metering_point_id,
            removed_at,
            ReadSource.MANUAL,
            ReadReason.REMOVAL,
            removal_values,
            rows,
        )
        rows.add(
            self.tables.installation,
            (
                self._ids["installation"].take(),
                station.org_unit_id,
                old_meter_id,
                metering_point_id,
                installed_at,
                removed_at,
                install_read_id,
                removal_read_id,
            ),
        )
        new_meter_id = self._new_meter(station, profile.meter, MeterStatus.INSTALLED, replaced_at, rows)
        new_install_read_id = self._read(
            station,
            new_meter_id,
            metering_point_id,
            replaced_at,
            ReadSource.MANUAL,
            ReadReason.INSTALL,
            series.install_values(start=0),
            rows,
        )
        new_series = series.restarted(at_period=anomaly.period, already_counted=old_part)
        for period in range(anomaly.period, len(read_dates)):
            self._read(
                station,
                new_meter_id,
                metering_point_id,
                self._text.local_instant(read_dates[period], _READ_TIME),
                source,
                ReadReason.PERIODIC,
                new_series.values_at(period),
                rows,
            )
        rows.add(
            self.tables.installation,
            (
                self._ids["installation"].take(),
                station.org_unit_id,
                new_meter_id,
                metering_point_id,
                replaced_at,
                None,
                new_install_read_id,
                None,
            ),
        )

    def _child_point(
        self,
        account_id: int,
        account_no: str,
        station: StationPlan,
        parent_id: int,
        feeder_id: int,
        profile: AccountProfile,
        install_day: date,
        read_dates: list[date],
        energies: list[float],
        source: str,
        rows: ChunkRows,
    ) -> None:
        """A 分表 under the main meter (offices and canteen), deducted from the parent."""
        child_id = self._ids["metering_point"].take()
        ct_ratio = 40
        rows.add(
            self.tables.metering_point,
            (
                child_id,
                station.org_unit_id,
                f"{account_no}02",
                account_id,
                "办公生活分表",
                MeteringArrangement.LV_SUPPLY_LV_METERING,
                ct_ratio,
                1,
                None,
                None,
                None,
                "0.00",
                parent_id,
                ChildRelation.SUBTRACT,
                None,
                feeder_id,
            ),
        )
        share = self._usage.uniform(0.04, 0.10)
        child_profile = AccountProfile(
            category=_GENERAL,
            voltage_level=VoltageLevel.V380,
            capacity_kva=100,
            daily_kwh=profile.daily_kwh * share,
            arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
            ct_ratio=ct_ratio,
            pt_ratio=1,
            meter=MeterDraft(MeterType.THREE_PHASE_CT, catalog.CT_METER_MODELS[0], "0.5S"),
        )
        dial = [round(energy * share * 100 / ct_ratio) for energy in energies]
        series = RegisterSeries.draw(self._usage, child_profile, dial, read_dates, None)
        self._fitted_meter(station, child_id, child_profile, install_day, read_dates, series, source, rows)

    def _read(
        self,
        station: StationPlan,
        meter_id: int,
        metering_point_id: int,
        read_at: str,
        source: str,
        reason: str,
        values: tuple[Any, ...],
        rows: ChunkRows,
    ) -> int:
        read_id = self._ids["meter_read"].take()
        rows.add(
            self.tables.meter_read,
            (
                read_id,
                station.org_unit_id,
                meter_id,
                metering_point_id,
                read_at,
                source,
                ReadStatus.VALID,
                reason,
                *values,
            ),
        )
        return read_id

    def _interval_days(
        self,
        station: StationPlan,
        metering_point_id: int,
        profile: AccountProfile,
        read_dates: list[date],
        deltas: list[int],
        multiplier: int,
        rows: ChunkRows,
    ) -> None:
        """The last 30 days before the final read, every quarter hour: each period's energy
        (dial advance × multiplier) spread over its days by the daily weights, each day over its
        quarter hours by the customer's load shape, so the intervals add up to the reads."""
        intervals = self._intervals
        category = CATEGORY_ORDER[profile.category]
        shape_variants = self._interval_cumulative_shapes[
            intervals.randrange(len(self._interval_cumulative_shapes))
        ]
        first_day = read_dates[-1] - timedelta(days=_INTERVAL_DAYS)
        daily_wh: dict[date, int] = {}
        for period in range(len(read_dates) - 1, 0, -1):
            start, end = read_dates[period - 1], read_dates[period]
            if end <= first_day:
                break
            days = [start + timedelta(days=offset) for offset in range((end - start).days)]
            weights = [daily_weight(category, day) * intervals.uniform(0.95, 1.05) for day in days]
            for day, energy in zip(
                days, split_exactly(deltas[period] * multiplier * 10, weights), strict=True
            ):
                daily_wh[day] = energy
        count = intervals_per_day(interval_minutes=_INTERVAL_MINUTES)
        missing = bytes(missing_bitmap_length(interval_count=count))
        packing = struct.Struct(f"<{count}i")
        for offset in range(_INTERVAL_DAYS):
            day = first_day + timedelta(days=offset)
            energy = daily_wh.get(day)
            if energy is None:
                # Before the window's first read: a usual day, not tied to any read.
                energy = round(profile.daily_kwh * daily_weight(category, day) * 1000)
            cumulative = shape_variants[intervals.randrange(len(shape_variants))]
            boundaries = [round(energy * fraction) for fraction in cumulative]
            values = [boundaries[0]] + [high - low for low, high in pairwise(boundaries)]
            rows.add(
                self.tables.interval_day,
                (
                    self._ids["interval_day"].take(),
                    station.org_unit_id,
                    metering_point_id,
                    day.isoformat(),
                    IntervalQuantity.ENERGY_KWH,
                    _INTERVAL_MINUTES,
                    packing.pack(*values),
                    missing,
                    ReadSource.AMI,
                ),
            )

    def stock_meters(self, count: int) -> ChunkRows:
        """Meters in the stations' stores, not yet installed."""
        rows = ChunkRows()
        delivered = self._text.local_instant(self._window_start(), time(9, 0))
        for number in range(count):
            station = self.stations[number % len(self.stations)]
            meter = MeterDraft(MeterType.SINGLE_PHASE, catalog.SINGLE_PHASE_MODELS[0], "A")
            if number % 4 == 3:
                meter = MeterDraft(
                    MeterType.THREE_PHASE, catalog.THREE_PHASE_MODELS[0], "B", has_time_of_use=True
                )
            self._new_meter(station, meter, MeterStatus.IN_STOCK, delivered, rows)
        return rows


@dataclass
class AccountProfile:
    """The electrical side of an account as drafted for its category."""

    category: int
    voltage_level: str
    capacity_kva: int
    daily_kwh: float
    arrangement: str
    ct_ratio: int
    pt_ratio: int
    meter: MeterDraft
    industry_code: str = ""
    trade: str = ""
    is_person: bool = False
    is_individual_business: bool = False
    has_child: bool = False
    #: Shares of the sharp, peak and valley registers (flat takes the rest).
    time_of_use_shares: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power_factor: float = 0.95
    peak_to_average: float = 1.5


def _ct_ratio(current_amperes: float) -> int:
    """The ratio of the smallest standard CT (x/5 A) rated for 1.2 × the full-load current."""
    needed = current_amperes * 1.2
    primary = next((amperes for amperes in catalog.CT_PRIMARY_AMPERES if amperes >= needed), 4000)
    return primary // 5


def _low_voltage_current(capacity_kva: int) -> float:
    return capacity_kva / (math.sqrt(3) * 0.4)


def _draft_residential(attributes: random.Random) -> AccountProfile:
    capacity = _weighted(attributes, ((4, 2), (6, 4), (8, 3), (10, 1)))
    return AccountProfile(
        category=_RESIDENTIAL,
        voltage_level=VoltageLevel.V220,
        capacity_kva=capacity,
        daily_kwh=attributes.lognormvariate(math.log(6.0), 0.45) * (capacity / 6) ** 0.3,
        arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1,
        pt_ratio=1,
        meter=MeterDraft(MeterType.SINGLE_PHASE, attributes.choice(catalog.SINGLE_PHASE_MODELS), "A"),
        is_person=True,
    )


def _draft_general(attributes: random.Random) -> AccountProfile:
    industry_code, trade = attributes.choice(catalog.INDUSTRIES[UsageCategory.GENERAL_COMMERCIAL])
    high_voltage = attributes.random() < 0.15
    capacity = attributes.choice((160, 200, 250, 315) if high_voltage else (20, 30, 40, 50, 63, 80, 100, 125))
    direct = capacity <= 40
    meter = (
        MeterDraft(
            MeterType.THREE_PHASE, attributes.choice(catalog.THREE_PHASE_MODELS), "B", has_time_of_use=True
        )
        if direct
        else MeterDraft(
            MeterType.THREE_PHASE_CT, attributes.choice(catalog.CT_METER_MODELS), "0.5S", has_time_of_use=True
        )
    )
    return AccountProfile(
        category=_GENERAL,
        voltage_level=VoltageLevel.KV10 if high_voltage else VoltageLevel.V380,
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * attributes.uniform(0.08, 0.28),
        arrangement=MeteringArrangement.HV_SUPPLY_LV_METERING
        if high_voltage
        else MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1 if direct else _ct_ratio(_low_voltage_current(capacity)),
        pt_ratio=1,
        meter=meter,
        industry_code=industry_code,
        trade=trade,
        is_individual_business=not high_voltage and attributes.random() < 0.3,
        time_of_use_shares=_time_of_use_shares(attributes, sharp=0.06, peak=0.30, valley=0.26),
    )


def _draft_large(attributes: random.Random) -> AccountProfile:
    industry_code, trade = attributes.choice(catalog.INDUSTRIES[UsageCategory.LARGE_INDUSTRY])
    draw = attributes.random()
    if draw < 0.80:
        kilovolts = 10
        capacity = attributes.choice(
            (315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000)
        )
    elif draw < 0.95:
        kilovolts = 35
        capacity = attributes.choice((5000, 6300, 8000, 10000, 12500, 16000, 20000, 31500))
    else:
        kilovolts = 110
        capacity = attributes.choice((31500, 40000, 50000, 63000))
    low_side_metering = kilovolts == 10 and capacity <= 500
    if low_side_metering:
        arrangement = MeteringArrangement.HV_SUPPLY_LV_METERING
        ct_ratio, pt_ratio = _ct_ratio(_low_voltage_current(capacity)), 1
        meter = MeterDraft(MeterType.THREE_PHASE_CT, attributes.choice(catalog.CT_METER_MODELS), "0.5S")
    else:
        arrangement = MeteringArrangement.HV_SUPPLY_HV_METERING
        ct_ratio = _ct_ratio(capacity / (math.sqrt(3) * kilovolts))
        pt_ratio = catalog.PT_RATIO_BY_KV[kilovolts]
        meter = MeterDraft(
            MeterType.HV_CT_PT,
            attributes.choice(catalog.HV_METER_MODELS),
            "0.5S" if kilovolts == 10 else "0.2S",
        )
    meter.has_time_of_use = meter.has_reactive = meter.has_demand = True
    return AccountProfile(
        category=_LARGE,
        voltage_level={10: VoltageLevel.KV10, 35: VoltageLevel.KV35, 110: VoltageLevel.KV110}[kilovolts],
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * attributes.uniform(0.30, 0.60),
        arrangement=arrangement,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
        meter=meter,
        industry_code=industry_code,
        trade=trade,
        has_child=attributes.random() < 0.25,
        time_of_use_shares=_time_of_use_shares(attributes, sharp=0.08, peak=0.30, valley=0.30),
        power_factor=attributes.uniform(0.88, 0.97),
        peak_to_average=attributes.uniform(1.3, 1.8),
    )


def _draft_agriculture(attributes: random.Random) -> AccountProfile:
    industry_code, trade = attributes.choice(catalog.INDUSTRIES[UsageCategory.AGRICULTURE])
    capacity = attributes.choice((10, 15, 20, 30, 40, 50, 63))
    direct = capacity <= 40
    meter = (
        MeterDraft(MeterType.THREE_PHASE, attributes.choice(catalog.THREE_PHASE_MODELS), "B")
        if direct
        else MeterDraft(MeterType.THREE_PHASE_CT, attributes.choice(catalog.CT_METER_MODELS), "0.5S")
    )
    return AccountProfile(
        category=_AGRICULTURE,
        voltage_level=VoltageLevel.V380,
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * attributes.uniform(0.04, 0.15),
        arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1 if direct else _ct_ratio(_low_voltage_current(capacity)),
        pt_ratio=1,
        meter=meter,
        industry_code=industry_code,
        trade=trade,
        is_person=attributes.random() < 0.6,
    )


_DRAFTERS: tuple[Callable[[random.Random], AccountProfile], ...] = (
    _draft_residential,
    _draft_general,
    _draft_large,
    _draft_agriculture,
)


def _time_of_use_shares(
    attributes: random.Random, *, sharp: float, peak: float, valley: float
) -> tuple[float, float, float]:
    return (
        sharp * attributes.uniform(0.8, 1.2),
        peak * attributes.uniform(0.9, 1.1),
        valley * attributes.uniform(0.9, 1.1),
    )


@dataclass
class RegisterSeries:
    """The dial values of one meter at its install read and at each periodic read, kept as
    integers: hundredths of kWh / kvarh, ten-thousandths of kW for demand."""

    profile: AccountProfile
    start: int
    #: Dial advance before the first read (since install) and in each period after.
    deltas: list[int]
    #: Cumulative advance up to each periodic read.
    totals: list[int]
    #: Cumulative sharp, peak, flat, valley registers at each read (TOU meters).
    time_of_use: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: Cumulative reactive forward and reverse registers at each read.
    reactive: list[tuple[int, int]] = field(default_factory=list)
    #: Maximum demand of the period ending at each read (0 for the first).
    demand: list[int] = field(default_factory=list)

    @classmethod
    def draw(
        cls,
        usage: random.Random,
        profile: AccountProfile,
        deltas: list[int],
        read_dates: list[date],
        anomaly: Anomaly | None,
    ) -> RegisterSeries:
        """The series for ``deltas``; a rollover anomaly starts the dial high enough to wrap
        during its period."""
        series = cls(profile=profile, start=0, deltas=deltas, totals=list(accumulate(deltas)))
        if anomaly is not None and anomaly.kind == AnomalyKind.ROLLOVER:
            before_wrap = round(deltas[anomaly.period] * usage.uniform(0.2, 0.8))
            series.start = _DIAL_CAPACITY - before_wrap - series.totals[anomaly.period - 1]
        meter = profile.meter
        if meter.has_time_of_use:
            sharp_share, peak_share, valley_share = profile.time_of_use_shares
            parts = []
            for delta in deltas:
                sharp, peak, valley = (
                    round(delta * sharp_share),
                    round(delta * peak_share),
                    round(delta * valley_share),
                )
                parts.append((sharp, peak, delta - sharp - peak - valley, valley))
            series.time_of_use = list(accumulate(parts, _add_registers))
        if meter.has_reactive:
            reactive_ratio = math.tan(math.acos(profile.power_factor))
            parts_reactive = [
                (
                    round(delta * reactive_ratio * usage.uniform(0.95, 1.05)),
                    round(delta * usage.uniform(0.0, 0.01)),
                )
                for delta in deltas
            ]
            series.reactive = list(accumulate(parts_reactive, _add_registers))
        if meter.has_demand:
            for period in range(1, len(deltas)):
                hours = (read_dates[period] - read_dates[period - 1]).days * 24
                peak_ratio = profile.peak_to_average * usage.uniform(0.95, 1.05)
                series.demand.append(round(deltas[period] / hours * peak_ratio * 100))
            # The first read closes a period before the window: show a month like the next.
            series.demand.insert(0, series.demand[0])
        return series

    def restarted(self, *, at_period: int, already_counted: int) -> RegisterSeries:
        """The series of a new meter fitted during ``at_period``, starting from zero: its first
        periodic read shows only what ran through it after the exchange (total register only)."""
        deltas = [0] * at_period + [self.deltas[at_period] - already_counted] + self.deltas[at_period + 1 :]
        return RegisterSeries(profile=self.profile, start=0, deltas=deltas, totals=list(accumulate(deltas)))

    def install_values(self, *, start: int | None = None) -> tuple[Any, ...]:
        """The registers when the meter was fitted."""
        return self._format(self.start if start is None else start, (0, 0, 0, 0), (0, 0), 0)

    def values_at(self, period: int, *, extra: int = 0) -> tuple[Any, ...]:
        """The registers at periodic read ``period`` (plus ``extra`` hundredths run since)."""
        total = (self.start + self.totals[period] + extra) % _DIAL_CAPACITY
        time_of_use = self.time_of_use[period] if self.time_of_use else (0, 0, 0, 0)
        reactive = self.reactive[period] if self.reactive else (0, 0)
        demand = self.demand[period] if self.demand else 0
        return self._format(total, time_of_use, reactive, demand)

    def _format(
        self, total: int, time_of_use: tuple[int, ...], reactive: tuple[int, ...], demand: int
    ) -> tuple[Any, ...]:
        """The register columns of a read row, as decimal text (None where the meter has no
        such register)."""
        meter = self.profile.meter
        sharp = peak = flat = valley = reactive_import = reactive_export = maximum_demand = None
        if meter.has_time_of_use:
            sharp, peak, flat, valley = (hundredths_text(value) for value in time_of_use)
        if meter.has_reactive:
            reactive_import, reactive_export = (hundredths_text(value) for value in reactive)
        if meter.has_demand:
            maximum_demand = ten_thousandths_text(demand)
        return (
            hundredths_text(total),
            sharp,
            peak,
            flat,
            valley,
            None,
            reactive_import,
            reactive_export,
            maximum_demand,
        )


# --- helpers ---------------------------------------------------------------------------


def _add_registers(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a + b for a, b in zip(left, right, strict=True))


def largest_remainder(total: int, weights: list[int], denominator: int) -> list[int]:
    """``total`` split by ``weights / denominator`` into whole counts adding up to ``total``
    (largest remainder; ties go to the earlier weight)."""
    exact = [total * weight for weight in weights]
    counts = [value // denominator for value in exact]
    short = total - sum(counts)
    by_remainder = sorted(
        range(len(weights)), key=lambda position: (-(exact[position] % denominator), position)
    )
    for position in by_remainder[:short]:
        counts[position] += 1
    return counts


def _indices_of(categories: bytearray, category: int, rng: random.Random, count: int) -> list[int]:
    """``count`` distinct random account indices of ``category`` (fewer if there are fewer)."""
    available = categories.count(category)
    wanted = min(count, available)
    chosen: dict[int, None] = {}
    while len(chosen) < wanted:
        index = rng.randrange(len(categories))
        if categories[index] == category:
            chosen[index] = None
    return list(chosen)


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    total = sum(weight for _value, weight in pairs)
    draw = rng.randrange(total)
    for value, weight in pairs:
        if draw < weight:
            return value
        draw -= weight
    raise AssertionError("unreachable")


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _month_shift(month: date, months: int) -> date:
    """The first of the month ``months`` after ``month`` (negative: before)."""
    month_index = month.year * 12 + month.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _read_dates(end_month: date, months: int, reading_day: int) -> list[date]:
    """The reading days of the ``months`` months ending in ``end_month``."""
    return [_month_shift(end_month, offset).replace(day=reading_day) for offset in range(-(months - 1), 1)]


__all__ = ["AnomalyKind", "Generator", "SeedOptions", "Tables", "largest_remainder"]
