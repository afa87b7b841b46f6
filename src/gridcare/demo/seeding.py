"""The demo utility's generator: deterministic stations, customers, accounts, meters and reads.

Everything random comes from :class:`~gridcare.demo.draws.Draws` streams seeded from the run's
seed (one stream per concern, each consumed in account order) and the name pools from a seeded
Faker, so the same seed and options give the same rows whatever the chunk size. Energy is
generated as integers (hundredths of a kWh on the dial, watt-hours for intervals); floats only
shape the synthetic load before it is rounded.

Rows come out per chunk of accounts as plain tuples for :mod:`gridcare.demo.bulk`, with primary
keys assigned here so children can reference parents without reading them back.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gridcare.customers.models import AccountStatus, Contact, ContactKind, Customer, CustomerKind
from gridcare.customers.operations import make_customer_number
from gridcare.demo import catalog
from gridcare.demo.drafts import (
    AGRICULTURE,
    CATEGORY_ORDER,
    DRAFTERS,
    GENERAL,
    LARGE,
    LOW_VOLTAGES,
    RESIDENTIAL,
    SINGLE_PHASE_METERS,
    THREE_PHASE_TOU_METERS,
    AccountProfile,
    MeterDraft,
    child_profile,
)
from gridcare.demo.draws import Draws, Weighted
from gridcare.demo.identifiers import CreditCodes, ResidentIdNumbers
from gridcare.demo.pools import NamePools
from gridcare.demo.profiles import INTERVAL_SHAPES, daily_weight, period_weight, split_exactly
from gridcare.demo.registers import DIAL_CAPACITY, Anomaly, AnomalyKind, RegisterSeries
from gridcare.demo.tables import Rows
from gridcare.identity.pii import column_context, pii_key_ring
from gridcare.kit.clock import SHANGHAI, require_aware
from gridcare.kit.ids import make_account_number
from gridcare.metering.intervals import intervals_per_day, missing_bitmap_length
from gridcare.metering.models import (
    ChildRelation,
    IntervalQuantity,
    MeteringArrangement,
    MeterStatus,
    ReadReason,
    ReadSource,
    ReadStatus,
)

_READ_TIME = time(0, 0)  # AMI daily freeze at local midnight (日冻结)
_REMOVAL_TIME = time(10, 0)
_INSTALL_TIME = time(10, 30)
_CREATED_TIME = time(9, 0)
_VISIT_TIME = time(10, 0)
_FIRST_OPENING = date(1998, 1, 1)
_SMART_METER_ROLLOUT = (date(2015, 1, 1), date(2019, 12, 31))
_INTERVAL_MINUTES = 15
_INTERVAL_DAYS = 30
_INTERVAL_SHAPE_VARIANTS = 24
_ANOMALIES_PER_KIND = (2, 100)
_ACCOUNTS_PER_ANOMALY = 500
_STOCK_THREE_PHASE_EVERY = 4
_KEY_GENERAL_CAPACITY_KVA = 200


@dataclass(frozen=True)
class SeedOptions:
    """What to seed: ``accounts`` accounts with ``months`` monthly reads ending in ``end_month``."""

    accounts: int
    seed: int
    months: int
    end_month: date
    chunk_size: int


@dataclass(frozen=True)
class Route:
    """A reading route (抄表段) as the accounts need it."""

    id: int
    reading_day: int


@dataclass
class StationPlan:
    """One supply station's share of the accounts, and its grid and routes."""

    code: str
    org_unit_id: int
    address_prefix: str
    place: str
    #: The county's name without 区 or 县, as enterprises put it in front of their names.
    county_short_name: str
    is_urban: bool
    is_remote: bool
    in_manager_city: bool
    region_code: str
    first_index: int
    account_count: int
    high_voltage_route: Route
    low_voltage_routes: list[Route]
    feeder_ids: list[int]
    line_35kv_id: int
    line_110kv_id: int
    #: (transformer area id, its feeder id)
    transformer_areas: list[tuple[int, int]]


@dataclass(frozen=True)
class IntervalShape:
    """A day's load shape: each quarter hour's fraction of the day's energy."""

    fractions: tuple[float, ...]
    #: The busiest quarter hour, which absorbs the rounding.
    peak: int

    def spread(self, energy: int) -> list[int]:
        """``energy`` (Wh) over the quarter hours, in whole Wh adding up to ``energy`` exactly."""
        values = [round(energy * fraction) for fraction in self.fractions]
        values[self.peak] += energy - sum(values)
        return values


class Ids:
    """The next primary key per table."""

    def __init__(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    def take(self, table: str) -> int:
        """A fresh primary key of ``table``."""
        value = self._next[table]
        self._next[table] = value + 1
        return value


@dataclass(frozen=True)
class GeneratorInputs:
    """Everything the generator needs from the database, as plain picklable values: the first
    free primary key per table, org unit ids by code, demo user ids by username, and the
    reserved blocks of 户号 and customer number sequences."""

    options: SeedOptions
    first_ids: dict[str, int]
    org_unit_ids: dict[str, int]
    user_ids: dict[str, int]
    account_sequences: range
    customer_sequences: range
    stock_meters: int
    recorded_at: datetime


@dataclass(frozen=True)
class Batch:
    """Rows to write, completing ``accounts`` more accounts (0 for the grid and the stock)."""

    accounts: int
    rows: Rows


@dataclass(frozen=True)
class Outcome:
    """What the run needs after the rows: the planted anomalies and the portal's customer."""

    anomaly_accounts: dict[str, list[str]]
    suspended_accounts: list[str]
    portal_customer_id: int | None


def generate(inputs: GeneratorInputs) -> Iterator[Batch | Outcome]:
    """The demo utility as a stream: the grid and routes, the accounts chunk by chunk, the
    stock meters, then the :class:`Outcome`. Touches no database, so it can run anywhere."""
    generator = Generator(inputs)
    yield Batch(accounts=0, rows=generator.plan_structure())
    for accounts, rows in generator.chunks():
        yield Batch(accounts=accounts, rows=rows)
    yield Batch(accounts=0, rows=generator.stock_meters(inputs.stock_meters))
    yield Outcome(
        anomaly_accounts=generator.anomaly_accounts,
        suspended_accounts=generator.suspended_accounts,
        portal_customer_id=generator.portal_customer_id,
    )


class Generator:
    """Generates the demo utility's rows: :meth:`plan_structure`, then :meth:`chunks`, then
    :meth:`stock_meters` (see :func:`generate`)."""

    def __init__(self, inputs: GeneratorInputs) -> None:
        options = inputs.options
        self.options = options
        self.pools = NamePools.build(seed=options.seed)
        self._ids = Ids(inputs.first_ids)
        self._org_unit_ids = inputs.org_unit_ids
        self._user_ids = inputs.user_ids
        self._account_sequences = inputs.account_sequences
        self._customer_sequences = inputs.customer_sequences
        self._recorded_at = _utc_text(inputs.recorded_at)
        seed = options.seed
        self._structure = Draws(seed=seed, stream="structure")
        self._attributes = Draws(seed=seed, stream="accounts")
        self._usage = Draws(seed=seed, stream="reads")
        self._intervals = Draws(seed=seed, stream="intervals")
        self._resident_ids = ResidentIdNumbers(
            first_birth_date=date(1945, 1, 1),
            last_birth_date=date(2004, 12, 31),
            region_codes_by_band=(
                (date(1945, 1, 1), catalog.RESIDENT_REGION_CODES_UNTIL_1990),
                (date(1991, 1, 1), catalog.RESIDENT_REGION_CODES_FROM_1991),
            ),
            multiplier_draw=self._structure.bits(40),
            offset_draw=self._structure.bits(40),
        )
        self._credit_codes = CreditCodes(
            multiplier_draw=self._structure.bits(40), offset_draw=self._structure.bits(40)
        )
        self._persons = 0
        self._enterprises = 0
        self._meter_serial = 0
        self._payment_methods = [Weighted.of(spec.payment_methods) for spec in catalog.CATEGORY_SPECS]
        self._window_start = _month_shift(options.end_month, -options.months)
        self._read_dates = {
            day: _read_dates(options.end_month, options.months, day)
            for day in (catalog.HIGH_VOLTAGE_READING_DAY, *catalog.LOW_VOLTAGE_READING_DAYS)
        }
        self._read_times = {
            day: [_local_text(read_date, _READ_TIME) for read_date in dates]
            for day, dates in self._read_dates.items()
        }
        self._instants: dict[tuple[date, time], str] = {}
        self.categories = self._plan_categories()
        self.anomalies, self.suspensions = self._plan_anomalies()
        self._interval_shapes = self._plan_interval_shapes()
        self.stations: list[StationPlan] = []
        self.anomaly_accounts: dict[str, list[str]] = {kind: [] for kind in AnomalyKind.ALL}
        self.suspended_accounts: list[str] = []
        self.portal_customer_id: int | None = None

    # --- plan ---------------------------------------------------------------------------

    def _plan_categories(self) -> bytearray:
        """Each account's category (index into the catalogue): exactly the catalogue's shares
        (largest remainder), shuffled."""
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
        accounts are suspended from which read, by account index."""
        accounts, months = self.options.accounts, self.options.months
        low, high = _ANOMALIES_PER_KIND
        per_kind = max(low, min(high, accounts // _ACCOUNTS_PER_ANOMALY))
        kinds = AnomalyKind.ALL
        residential = _indices_of(self.categories, RESIDENTIAL, self._structure, per_kind * len(kinds))
        anomalies = {}
        for position, index in enumerate(residential):
            kind = kinds[position % len(kinds)]
            period = self._structure.integer(1, months - 1)
            length = (
                self._structure.integer(1, min(3, months - period)) if kind == AnomalyKind.ZERO_USAGE else 1
            )
            anomalies[index] = Anomaly(kind=kind, period=period, length=length)
        general = _indices_of(self.categories, GENERAL, self._structure, per_kind)
        suspensions = {index: self._structure.integer(1, months - 1) for index in general}
        return anomalies, suspensions

    def _plan_interval_shapes(self) -> list[list[IntervalShape]]:
        """Per load shape, jittered variants (no two days alike)."""
        variants = []
        for shape in INTERVAL_SHAPES:
            shape_variants = []
            for _ in range(_INTERVAL_SHAPE_VARIANTS):
                jittered = [weight * self._structure.uniform(0.9, 1.1) for weight in shape]
                total = math.fsum(jittered)
                fractions = tuple(weight / total for weight in jittered)
                shape_variants.append(IntervalShape(fractions, fractions.index(max(fractions))))
            variants.append(shape_variants)
        return variants

    def plan_structure(self) -> Rows:
        """The stations' share of the accounts, feeders, 台区 and reading routes; returns the
        rows of the feeders, transformer areas and routes."""
        rows = Rows()
        specs = {spec.code: spec for spec in catalog.ORG_TREE}
        weights = [spec.account_weight for spec in catalog.STATIONS]
        counts = largest_remainder(self.options.accounts, weights, sum(weights))
        staff = {spec.username: spec.org_unit_code for spec in catalog.DEMO_STAFF}
        lines = self._plan_lines(rows)
        feeder_names = list(catalog.FEEDER_NAMES)
        first_index = 0
        for number, (spec, count) in enumerate(zip(catalog.STATIONS, counts, strict=True)):
            county = specs[spec.parent_code or ""]
            city = specs[county.parent_code or ""]
            org_unit_id = self._org_unit_ids[spec.code]
            self._structure.shuffle(feeder_names)
            feeder_ids = []
            for feeder_number in range(catalog.FEEDERS_PER_STATION):
                feeder_id = self._ids.take("feeder")
                feeder_ids.append(feeder_id)
                code, name = f"{spec.code}F{feeder_number + 1:02d}", f"10kV{feeder_names[feeder_number]}线"
                rows.feeder.append((feeder_id, org_unit_id, code, name, "10.00"))
            reader_id = self._user_ids.get("reader") if spec.code == staff["reader"] else None
            high_voltage_route = self._route(
                rows, spec, org_unit_id, 1, "专变用户", catalog.HIGH_VOLTAGE_READING_DAY, reader_id
            )
            low_voltage_routes = []
            for route_number in range(max(1, math.ceil(count / catalog.ACCOUNTS_PER_READING_ROUTE))):
                days = catalog.LOW_VOLTAGE_READING_DAYS
                reading_day = days[(number + route_number) % len(days)]
                low_voltage_routes.append(
                    self._route(
                        rows,
                        spec,
                        org_unit_id,
                        route_number + 2,
                        f"低压{route_number + 1}段",
                        reading_day,
                        reader_id,
                    )
                )
            transformer_areas = []
            for area_number in range(max(1, math.ceil(count / catalog.ACCOUNTS_PER_TRANSFORMER_AREA))):
                area_id = self._ids.take("transformer_area")
                feeder_id = feeder_ids[area_number % len(feeder_ids)]
                capacity = self._structure.pick(catalog.TRANSFORMER_AREA_CAPACITIES)
                code, name = f"{spec.code}T{area_number + 1:05d}", f"{spec.place}{area_number + 1}号台区"
                rows.transformer_area.append((area_id, org_unit_id, code, name, feeder_id, f"{capacity}.00"))
                transformer_areas.append((area_id, feeder_id))
            self.stations.append(
                StationPlan(
                    code=spec.code,
                    org_unit_id=org_unit_id,
                    address_prefix=f"{specs[catalog.PROVINCE_CODE].place}{city.place}{county.place}",
                    place=spec.place,
                    county_short_name=county.place[:-1],
                    is_urban=spec.area_type == "urban",
                    is_remote=spec.area_type == "remote",
                    in_manager_city=spec.code.startswith(staff["manager"]),
                    region_code=catalog.ENTERPRISE_REGION_CODES[
                        number % len(catalog.ENTERPRISE_REGION_CODES)
                    ],
                    first_index=first_index,
                    account_count=count,
                    high_voltage_route=high_voltage_route,
                    low_voltage_routes=low_voltage_routes,
                    feeder_ids=feeder_ids,
                    line_35kv_id=lines[county.code],
                    line_110kv_id=lines[city.code],
                    transformer_areas=transformer_areas,
                )
            )
            first_index += count
        return rows

    def _plan_lines(self, rows: Rows) -> dict[str, int]:
        """A 35 kV line per county and a 110 kV line per city, for the high-voltage customers."""
        lines = {}
        for spec in catalog.ORG_TREE:
            if spec.level not in ("county", "city"):
                continue
            voltage = "35" if spec.level == "county" else "110"
            feeder_id = self._ids.take("feeder")
            lines[spec.code] = feeder_id
            code, name = f"{spec.code}L{voltage}", f"{voltage}kV{spec.place}线"
            rows.feeder.append((feeder_id, self._org_unit_ids[spec.code], code, name, f"{voltage}.00"))
        return lines

    def _route(
        self,
        rows: Rows,
        spec: catalog.OrgUnitSpec,
        org_unit_id: int,
        number: int,
        label: str,
        reading_day: int,
        reader_id: int | None,
    ) -> Route:
        route_id = self._ids.take("reading_route")
        code, name = f"{spec.code}R{number:02d}", f"{spec.name}{label}"
        rows.reading_route.append((route_id, org_unit_id, code, name, reading_day, reader_id))
        return Route(id=route_id, reading_day=reading_day)

    # --- accounts -----------------------------------------------------------------------

    def chunks(self) -> Iterator[tuple[int, Rows]]:
        """``(accounts in the chunk, their rows)`` per chunk of accounts, in account order."""
        stations = iter(self.stations)
        station = next(stations)
        for chunk_start in range(0, self.options.accounts, self.options.chunk_size):
            rows = Rows()
            chunk_end = min(chunk_start + self.options.chunk_size, self.options.accounts)
            for index in range(chunk_start, chunk_end):
                while index >= station.first_index + station.account_count:
                    station = next(stations)
                self._account(index, station, rows)
            yield chunk_end - chunk_start, rows

    def _account(self, index: int, station: StationPlan, rows: Rows) -> None:
        attributes = self._attributes
        category = self.categories[index]
        spec = catalog.CATEGORY_SPECS[category]
        position = index - station.first_index
        account_id = self._ids.take("account")
        customer_id = self._ids.take("customer")
        account_no = make_account_number(sequence=self._account_sequences[index])
        profile = DRAFTERS[category](attributes)
        kind, customer_name, account_name, identity = self._customer_identity(category, station, profile)
        address = self._service_address(station, category)
        opened = _draw_date(attributes, _FIRST_OPENING, self._window_start - timedelta(days=120))
        is_person = kind == CustomerKind.PERSON
        rows.customer.append(
            (
                customer_id,
                station.org_unit_id,
                make_customer_number(sequence=self._customer_sequences[index]),
                kind,
                customer_name,
                *(
                    _sealed(identity, column=_ID_NUMBER_COLUMN, kind="id_number")
                    if is_person
                    else (None, None)
                ),
                None if is_person else identity,
                address,
                self._instant(opened, _CREATED_TIME),
            )
        )
        self._contacts(customer_id, is_person, customer_name, rows)
        if profile.voltage_level in LOW_VOLTAGES:
            routes = station.low_voltage_routes
            route = routes[position * len(routes) // station.account_count]
        else:
            route = station.high_voltage_route
        read_dates = self._read_dates[route.reading_day]
        status, status_date = AccountStatus.NORMAL, opened
        suspension = self.suspensions.get(index)
        if suspension is not None:
            status, status_date = AccountStatus.SUSPENDED, read_dates[suspension]
            self._status_history(account_id, opened, status_date, rows)
            self.suspended_accounts.append(account_no)
        is_key = category == LARGE or (
            category == GENERAL and profile.capacity_kva >= _KEY_GENERAL_CAPACITY_KVA
        )
        rows.account.append(
            (
                account_id,
                station.org_unit_id,
                account_no,
                customer_id,
                account_name,
                address,
                spec.category.value,
                profile.industry_code,
                profile.voltage_level,
                f"{profile.capacity_kva}.00",
                spec.tariff_code,
                attributes.weighted(self._payment_methods[category]),
                route.id,
                route.reading_day,
                status,
                status_date.isoformat(),
                opened.isoformat(),
                is_key,
            )
        )
        if category == LARGE:
            # Two-part tariff terms: basic charge by demand, contract demand 80 % of capacity
            # (above the 40 % floor), running capacity = contract capacity.
            rows.billing_terms.append(
                (
                    self._ids.take("billing_terms"),
                    station.org_unit_id,
                    account_id,
                    "demand",
                    f"{profile.capacity_kva * 4 // 5}.00",
                    None,
                    False,
                    False,
                    self._instant(opened, _CREATED_TIME),
                )
            )
        if is_key and station.in_manager_city:
            self._account_manager(account_id, station, opened, read_dates, rows)
        anomaly = self.anomalies.get(index)
        if anomaly is not None:
            self.anomaly_accounts[anomaly.kind].append(account_no)
        elif (
            self.portal_customer_id is None
            and category == RESIDENTIAL
            and station.code == catalog.DEMO_PORTAL_STATION_CODE
        ):
            self.portal_customer_id = customer_id
        self._metering(
            account_id, account_no, station, position, profile, opened, route, anomaly, suspension, rows
        )

    def _customer_identity(
        self, category: int, station: StationPlan, profile: AccountProfile
    ) -> tuple[str, str, str, str]:
        """(kind, customer name, account name, 身份证号 or 统一社会信用代码)."""
        attributes = self._attributes
        pools = self.pools
        if profile.is_person:
            name = attributes.pick(pools.surnames) + attributes.pick(pools.given_names)
            identity = self._resident_ids.number(self._persons)
            self._persons += 1
            account_name = name if category == RESIDENTIAL else f"{name}（{profile.trade}）"
            return CustomerKind.PERSON, name, account_name, identity
        brand = station.county_short_name + attributes.pick(pools.company_words) + profile.trade
        if category == AGRICULTURE:
            name, entity_type = f"{brand}专业合作社", "3"
        elif profile.is_individual_business:
            name, entity_type = f"{brand}店", "2"
        else:
            name, entity_type = f"{brand}有限公司", "1"
        identity = self._credit_codes.code(
            self._enterprises, region_code=station.region_code, entity_type=entity_type
        )
        self._enterprises += 1
        return CustomerKind.ENTERPRISE, name, name, identity

    def _service_address(self, station: StationPlan, category: int) -> str:
        attributes = self._attributes
        pools = self.pools
        number = attributes.integer(1, 399)
        if not station.is_urban:
            return f"{station.address_prefix}{station.place}{attributes.pick(pools.villages)}{number}号"
        street = attributes.pick(pools.streets)
        if category != RESIDENTIAL:
            return f"{station.address_prefix}{street}{number}号"
        community = attributes.pick(pools.communities)
        building, unit = attributes.integer(1, 36), attributes.integer(1, 4)
        floor, room = attributes.integer(1, 30), attributes.integer(1, 4)
        return (
            f"{station.address_prefix}{street}{number}号{community}{building}栋{unit}单元{floor}{room:02d}室"
        )

    def _contacts(self, customer_id: int, is_person: bool, customer_name: str, rows: Rows) -> None:
        """The customer's primary contact (the person, or an enterprise's electrician) and an
        enterprise's second contact (its accountant), with consents per channel."""
        attributes = self._attributes
        pools = self.pools
        names = (
            [customer_name]
            if is_person
            else [attributes.pick(pools.surnames) + attributes.pick(pools.given_names) for _ in range(2)]
        )
        for position, name in enumerate(names):
            mobile = attributes.pick(catalog.MOBILE_PREFIXES) + f"{int(attributes.fraction() * 10**8):08d}"
            has_wechat = attributes.chance(0.4)
            has_email = attributes.chance(0.05 if is_person else 0.3)
            rows.contact.append(
                (
                    self._ids.take("contact"),
                    customer_id,
                    name,
                    position == 0,
                    *_sealed(mobile, column=_MOBILE_COLUMN, kind="mobile"),
                    "",
                    # Not the mobile: an address made of it would keep the number in plaintext.
                    f"c{customer_id}.{position}@example.com" if has_email else "",
                    f"o{attributes.bits(108):027x}" if has_wechat else "",
                    attributes.chance(0.85),
                    attributes.chance(0.6),
                    has_email and attributes.chance(0.7),
                    has_wechat and attributes.chance(0.8),
                )
            )

    def _status_history(self, account_id: int, opened: date, suspended_on: date, rows: Rows) -> None:
        for status, effective, reason in (
            (AccountStatus.NORMAL, opened, "新装立户"),
            (AccountStatus.SUSPENDED, suspended_on, "客户申请暂停用电"),
        ):
            row_id = self._ids.take("status_change")
            rows.status_change.append(
                (row_id, account_id, status, effective.isoformat(), reason, self._recorded_at, None)
            )

    def _account_manager(
        self, account_id: int, station: StationPlan, opened: date, read_dates: list[date], rows: Rows
    ) -> None:
        """The demo 客户经理 takes the key account on, and has visited it once."""
        manager_id = self._user_ids["manager"]
        valid_from = max(opened, self._window_start - timedelta(days=365))
        row_id = self._ids.take("manager_assignment")
        rows.manager_assignment.append((row_id, account_id, manager_id, valid_from.isoformat(), None))
        visited_on = read_dates[-1] - timedelta(days=self._attributes.integer(3, 20))
        rows.contact_log.append(
            (
                self._ids.take("contact_log"),
                station.org_unit_id,
                account_id,
                ContactKind.VISIT,
                self._instant(visited_on, _VISIT_TIME),
                manager_id,
                "客户经理走访：用电情况与电费回收",
                "了解生产计划和用电负荷，提醒按期缴纳电费。",
                None,
                None,
            )
        )

    # --- metering -----------------------------------------------------------------------

    def _metering(
        self,
        account_id: int,
        account_no: str,
        station: StationPlan,
        position: int,
        profile: AccountProfile,
        opened: date,
        route: Route,
        anomaly: Anomaly | None,
        suspension: int | None,
        rows: Rows,
    ) -> None:
        """The main metering point with its meter(s), installations and reads; the interval
        reads and the 分表 of a large customer."""
        usage = self._usage
        read_dates = self._read_dates[route.reading_day]
        metering_point_id = self._ids.take("metering_point")
        transformer_area_id, feeder_id = self._grid_position(station, position, profile)
        is_low_metered = profile.arrangement == MeteringArrangement.HV_SUPPLY_LV_METERING
        losses = catalog.TRANSFORMER_LOSSES.get(profile.capacity_kva) if is_low_metered else None
        rows.metering_point.append(
            (
                metering_point_id,
                station.org_unit_id,
                f"{account_no}01",
                account_id,
                "主计量点",
                profile.arrangement,
                profile.ct_ratio,
                profile.pt_ratio,
                f"{profile.capacity_kva}.00" if is_low_metered else None,
                str(losses[0]) if losses else None,
                str(losses[1]) if losses else None,
                "0.00",
                None,
                "",
                transformer_area_id,
                feeder_id,
            )
        )
        multiplier = profile.multiplier
        install_day = self._install_day(opened, read_dates[0], profile.daily_kwh / multiplier)
        energies = self._period_energies(profile, install_day, read_dates, anomaly, suspension)
        deltas = [round(energy * 100 / multiplier) for energy in energies]
        series = RegisterSeries.build(
            draws=usage,
            profile=profile,
            meter=profile.meter,
            deltas=deltas,
            read_dates=read_dates,
            anomaly=anomaly,
        )
        source = ReadSource.MANUAL if station.is_remote and usage.chance(0.3) else ReadSource.AMI
        read_times = self._read_times[route.reading_day]
        if anomaly is not None and anomaly.kind == AnomalyKind.METER_EXCHANGE:
            self._exchanged_meters(
                station, metering_point_id, install_day, read_dates, read_times, series, anomaly, source, rows
            )
        else:
            self._fitted_meter(station, metering_point_id, install_day, read_times, series, source, rows)
        if profile.category == LARGE:
            self._interval_days(station, metering_point_id, profile, read_dates, deltas, rows)
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
                    read_times,
                    energies,
                    source,
                    rows,
                )

    def _grid_position(
        self, station: StationPlan, position: int, profile: AccountProfile
    ) -> tuple[int | None, int]:
        """(transformer area, feeder): low-voltage accounts hang on a 台区, the rest on a line."""
        if profile.voltage_level in LOW_VOLTAGES:
            return station.transformer_areas[position // catalog.ACCOUNTS_PER_TRANSFORMER_AREA]
        if profile.voltage_level == "35kV":
            return None, station.line_35kv_id
        if profile.voltage_level == "110kV":
            return None, station.line_110kv_id
        return None, station.feeder_ids[position % len(station.feeder_ids)]

    def _install_day(self, opened: date, first_read: date, daily_dial_kwh: float) -> date:
        """When today's meter went in: at opening, or in the smart-meter rollout for older
        accounts, and late enough that its dial has not wrapped since."""
        rollout = _draw_date(self._usage, *_SMART_METER_ROLLOUT)
        install_day = min(max(opened, rollout), first_read - timedelta(days=60))
        # A busy season runs at up to 1.6 times the usual day.
        longest = int(DIAL_CAPACITY * 0.5 / max(daily_dial_kwh * 100 * 1.6, 1))
        return max(install_day, first_read - timedelta(days=longest))

    def _period_energies(
        self,
        profile: AccountProfile,
        install_day: date,
        read_dates: list[date],
        anomaly: Anomaly | None,
        suspension: int | None,
    ) -> list[float]:
        """kWh used from install to the first read, then in each period between reads."""
        usage = self._usage
        category = CATEGORY_ORDER[profile.category]
        noise = 0.08 if profile.category == RESIDENTIAL else 0.05
        daily = profile.daily_kwh
        energies = [daily * (read_dates[0] - install_day).days * usage.uniform(0.95, 1.05)]
        for period in range(1, len(read_dates)):
            weight = period_weight(category, read_dates[period - 1], read_dates[period])
            energies.append(daily * weight * usage.lognormal(0, noise))
        if anomaly is not None and anomaly.kind == AnomalyKind.ZERO_USAGE:
            for period in range(anomaly.period, anomaly.period + anomaly.length):
                energies[period] = 0.0
        elif anomaly is not None and anomaly.kind == AnomalyKind.SPIKE:
            energies[anomaly.period] *= usage.uniform(6, 10)
        if suspension is not None:
            for period in range(suspension + 1, len(read_dates)):
                energies[period] = 0.0
        return energies

    def _new_meter(
        self, org_unit_id: int, meter: MeterDraft, status: str, changed_at: str, rows: Rows
    ) -> int:
        meter_id = self._ids.take("meter")
        self._meter_serial += 1
        rows.meter.append(
            (
                meter_id,
                org_unit_id,
                f"37{self._meter_serial:020d}",
                meter.meter_type,
                self.pools.manufacturers[self._meter_serial % len(self.pools.manufacturers)],
                meter.model,
                meter.accuracy_class,
                meter.has_time_of_use,
                False,
                meter.has_reactive,
                meter.has_demand,
                catalog.METER_INTEGER_DIGITS,
                catalog.METER_DECIMAL_DIGITS,
                status,
                changed_at,
            )
        )
        return meter_id

    def _read(
        self,
        org_unit_id: int,
        meter_id: int,
        metering_point_id: int,
        read_at: str,
        source: str,
        reason: str,
        registers: tuple[str | None, ...],
        rows: Rows,
    ) -> int:
        read_id = self._ids.take("meter_read")
        row = (read_id, org_unit_id, meter_id, metering_point_id, read_at, source, ReadStatus.VALID, reason)
        rows.meter_read.append(row + registers)
        return read_id

    def _installation(
        self,
        org_unit_id: int,
        meter_id: int,
        metering_point_id: int,
        installed_at: str,
        removed_at: str | None,
        install_read_id: int,
        removal_read_id: int | None,
        rows: Rows,
    ) -> None:
        row_id = self._ids.take("installation")
        rows.installation.append(
            (
                row_id,
                org_unit_id,
                meter_id,
                metering_point_id,
                installed_at,
                removed_at,
                install_read_id,
                removal_read_id,
            )
        )

    def _fitted_meter(
        self,
        station: StationPlan,
        metering_point_id: int,
        install_day: date,
        read_times: list[str],
        series: RegisterSeries,
        source: str,
        rows: Rows,
    ) -> None:
        """A meter installed on ``install_day`` and still there, with its install and periodic reads."""
        org_unit_id = station.org_unit_id
        installed_at = self._instant(install_day, _INSTALL_TIME)
        meter_id = self._new_meter(org_unit_id, series.meter, MeterStatus.INSTALLED, installed_at, rows)
        install_read_id = self._read(
            org_unit_id,
            meter_id,
            metering_point_id,
            installed_at,
            ReadSource.MANUAL,
            ReadReason.INSTALL,
            series.install_values(),
            rows,
        )
        for period, read_at in enumerate(read_times):
            self._read(
                org_unit_id,
                meter_id,
                metering_point_id,
                read_at,
                source,
                ReadReason.PERIODIC,
                series.values_at(period),
                rows,
            )
        self._installation(
            org_unit_id, meter_id, metering_point_id, installed_at, None, install_read_id, None, rows
        )

    def _exchanged_meters(
        self,
        station: StationPlan,
        metering_point_id: int,
        install_day: date,
        read_dates: list[date],
        read_times: list[str],
        series: RegisterSeries,
        anomaly: Anomaly,
        source: str,
        rows: Rows,
    ) -> None:
        """The old meter, read until the middle of period ``anomaly.period`` and removed with a
        removal read; the new meter fitted the same morning, starting from zero."""
        org_unit_id = station.org_unit_id
        period_start, period_end = read_dates[anomaly.period - 1], read_dates[anomaly.period]
        exchange_day = period_start + (period_end - period_start) // 2
        old_part = round(
            series.deltas[anomaly.period] * (exchange_day - period_start) / (period_end - period_start)
        )
        installed_at = self._instant(install_day, _INSTALL_TIME)
        removed_at = self._instant(exchange_day, _REMOVAL_TIME)
        replaced_at = self._instant(exchange_day, _INSTALL_TIME)

        old_meter_id = self._new_meter(org_unit_id, series.meter, MeterStatus.REMOVED, removed_at, rows)
        install_read_id = self._read(
            org_unit_id,
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
                org_unit_id,
                old_meter_id,
                metering_point_id,
                read_times[period],
                source,
                ReadReason.PERIODIC,
                series.values_at(period),
                rows,
            )
        removal_read_id = self._read(
            org_unit_id,
            old_meter_id,
            metering_point_id,
            removed_at,
            ReadSource.MANUAL,
            ReadReason.REMOVAL,
            series.values_at(anomaly.period - 1, extra=old_part),
            rows,
        )
        self._installation(
            org_unit_id,
            old_meter_id,
            metering_point_id,
            installed_at,
            removed_at,
            install_read_id,
            removal_read_id,
            rows,
        )

        new_meter_id = self._new_meter(org_unit_id, series.meter, MeterStatus.INSTALLED, replaced_at, rows)
        new_install_read_id = self._read(
            org_unit_id,
            new_meter_id,
            metering_point_id,
            replaced_at,
            ReadSource.MANUAL,
            ReadReason.INSTALL,
            series.install_values(start=0),
            rows,
        )
        new_series = series.restarted(at_period=anomaly.period, already_counted=old_part)
        for period in range(anomaly.period, len(read_times)):
            self._read(
                org_unit_id,
                new_meter_id,
                metering_point_id,
                read_times[period],
                source,
                ReadReason.PERIODIC,
                new_series.values_at(period),
                rows,
            )
        self._installation(
            org_unit_id, new_meter_id, metering_point_id, replaced_at, None, new_install_read_id, None, rows
        )

    def _child_point(
        self,
        account_id: int,
        account_no: str,
        station: StationPlan,
        parent_id: int,
        feeder_id: int,
        parent: AccountProfile,
        install_day: date,
        read_dates: list[date],
        read_times: list[str],
        energies: list[float],
        source: str,
        rows: Rows,
    ) -> None:
        """A 分表 (offices and canteen) under the main meter, deducted from it."""
        child_id = self._ids.take("metering_point")
        share = self._usage.uniform(0.04, 0.10)
        profile = child_profile(parent, share=share)
        rows.metering_point.append(
            (
                child_id,
                station.org_unit_id,
                f"{account_no}02",
                account_id,
                "办公生活分表",
                profile.arrangement,
                profile.ct_ratio,
                profile.pt_ratio,
                None,
                None,
                None,
                "0.00",
                parent_id,
                ChildRelation.SUBTRACT,
                None,
                feeder_id,
            )
        )
        deltas = [round(energy * share * 100 / profile.multiplier) for energy in energies]
        series = RegisterSeries.build(
            draws=self._usage,
            profile=profile,
            meter=profile.meter,
            deltas=deltas,
            read_dates=read_dates,
            anomaly=None,
        )
        self._fitted_meter(station, child_id, install_day, read_times, series, source, rows)

    def _interval_days(
        self,
        station: StationPlan,
        metering_point_id: int,
        profile: AccountProfile,
        read_dates: list[date],
        deltas: list[int],
        rows: Rows,
    ) -> None:
        """The 30 days before the final read, every quarter hour (Wh). Each period's energy
        (dial advance × multiplier) is spread over its days by the daily weights and each day
        over its quarter hours by the customer's load shape, exactly: the intervals of a period
        add up to what its reads say."""
        intervals = self._intervals
        category = CATEGORY_ORDER[profile.category]
        shape_variants = intervals.pick(self._interval_shapes)
        first_day = read_dates[-1] - timedelta(days=_INTERVAL_DAYS)
        daily_wh: dict[date, int] = {}
        for period in range(len(read_dates) - 1, 0, -1):
            start, end = read_dates[period - 1], read_dates[period]
            if end <= first_day:
                break
            days = [start + timedelta(days=offset) for offset in range((end - start).days)]
            weights = [daily_weight(category, day) * intervals.uniform(0.95, 1.05) for day in days]
            period_wh = deltas[period] * profile.multiplier * 10
            daily_wh.update(zip(days, split_exactly(period_wh, weights), strict=True))
        count = intervals_per_day(interval_minutes=_INTERVAL_MINUTES)
        missing = bytes(missing_bitmap_length(interval_count=count))
        packing = struct.Struct(f"<{count}i")
        for offset in range(_INTERVAL_DAYS):
            day = first_day + timedelta(days=offset)
            energy = daily_wh.get(day)
            if energy is None:
                # Before the window's first read: a usual day, not tied to any read.
                energy = round(profile.daily_kwh * daily_weight(category, day) * 1000)
            values = intervals.pick(shape_variants).spread(energy)
            rows.interval_day.append(
                (
                    self._ids.take("interval_day"),
                    station.org_unit_id,
                    metering_point_id,
                    day.isoformat(),
                    IntervalQuantity.ENERGY_KWH,
                    _INTERVAL_MINUTES,
                    packing.pack(*values),
                    missing,
                    ReadSource.AMI,
                )
            )

    def stock_meters(self, count: int) -> Rows:
        """``count`` meters in the stations' stores, delivered before the read window."""
        rows = Rows()
        delivered = self._instant(self._window_start, _CREATED_TIME)
        for number in range(count):
            station = self.stations[number % len(self.stations)]
            meters = THREE_PHASE_TOU_METERS if number % _STOCK_THREE_PHASE_EVERY == 3 else SINGLE_PHASE_METERS
            self._new_meter(station.org_unit_id, meters[0], MeterStatus.IN_STOCK, delivered, rows)
        return rows

    def _instant(self, day: date, at: time) -> str:
        key = (day, at)
        text = self._instants.get(key)
        if text is None:
            text = self._instants[key] = _local_text(day, at)
        return text


# --- helpers ---------------------------------------------------------------------------


def largest_remainder(total: int, weights: list[int], denominator: int) -> list[int]:
    """``total`` split by ``weights / denominator`` into whole counts adding up to ``total``
    (largest remainder; ties go to the earlier weight)."""
    exact = [total * weight for weight in weights]
    counts = [value // denominator for value in exact]
    by_remainder = sorted(
        range(len(weights)), key=lambda position: (-(exact[position] % denominator), position)
    )
    for position in by_remainder[: total - sum(counts)]:
        counts[position] += 1
    return counts


def _indices_of(categories: bytearray, category: int, draws: Draws, count: int) -> list[int]:
    """``count`` distinct random account indices of ``category`` (fewer if there are fewer)."""
    wanted = min(count, categories.count(category))
    chosen: dict[int, None] = {}
    while len(chosen) < wanted:
        index = draws.integer(0, len(categories) - 1)
        if categories[index] == category:
            chosen[index] = None
    return list(chosen)


def _draw_date(draws: Draws, first: date, last: date) -> date:
    return date.fromordinal(draws.integer(first.toordinal(), max(last.toordinal(), first.toordinal())))


def _month_shift(month: date, months: int) -> date:
    """The first of the month ``months`` after ``month`` (negative: before)."""
    month_index = month.year * 12 + month.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _read_dates(end_month: date, months: int, reading_day: int) -> list[date]:
    """The reading days of the ``months`` months ending in ``end_month``."""
    return [_month_shift(end_month, offset).replace(day=reading_day) for offset in range(1 - months, 1)]


def _local_text(day: date, at: time) -> str:
    """The Asia/Shanghai wall-clock time ``at`` on ``day``, as naive UTC text."""
    return _utc_text(datetime.combine(day, at, tzinfo=SHANGHAI))


def _utc_text(moment: datetime) -> str:
    """An aware instant as naive UTC text, the way Django stores datetimes on SQLite."""
    return str(require_aware(moment).astimezone(UTC).replace(tzinfo=None))


__all__ = ["Batch", "GeneratorInputs", "Outcome", "SeedOptions", "generate", "largest_remainder"]


#: The encrypted columns the seeder writes past the ORM (ADR 0004): encrypted and hashed here.
_ID_NUMBER_COLUMN = column_context(table=Customer._meta.db_table, column="id_number")
_MOBILE_COLUMN = column_context(table=Contact._meta.db_table, column="mobile")


def _sealed(value: str, *, column: str, kind: str) -> tuple[str, str]:
    """``value`` as the ORM would store it in ``column``: its ciphertext and its keyed hash."""
    ring = pii_key_ring()
    return ring.encrypt(value, context=column), ring.keyed_hash(value, kind=kind)
