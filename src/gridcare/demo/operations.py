"""Seeding the demo utility: one operation, audited once for the whole run."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import (
    Customer,
)
from gridcare.customers.operations import (
    ACCOUNT_NUMBER_SEQUENCE,
    CUSTOMER_NUMBER_SEQUENCE,
    link_portal_user,
)
from gridcare.demo import catalog
from gridcare.demo.bulk import (
    BulkWriter,
    cyclic_gc_paused,
    fast_sqlite_load,
    indexes_built_after_load,
    next_id,
    produced_in_subprocess,
    reset_sequences,
)
from gridcare.demo.errors import DemoDatabaseNotEmpty, DemoSeedOptionInvalid
from gridcare.demo.pools import NamePools
from gridcare.demo.queries import utility_data_counts
from gridcare.demo.seeding import GeneratorInputs, Outcome, SeedOptions, generate
from gridcare.demo.tables import bulk_tables
from gridcare.identity.models import User
from gridcare.identity.operations import (
    create_portal_user,
    create_staff_user,
    enrol_preset_totp_device,
    ensure_role_groups,
)
from gridcare.identity.permissions import requires_mfa
from gridcare.kit.clock import local_date
from gridcare.organization.models import OrgUnit
from gridcare.organization.operations import check_org_unit_placement, reserve_sequence_numbers

MIN_ACCOUNTS = 100
MAX_ACCOUNTS = 10_000_000
MIN_MONTHS = 2
MAX_MONTHS = 120
DEFAULT_CHUNK_SIZE = 20_000
#: From this many accounts on, the rows are generated in a second process by default.
SUBPROCESS_MIN_ACCOUNTS = 50_000
#: The demo province's 户号 and customer numbers start after this sequence value (37…).
NUMBER_SEQUENCE_BASE = 370_000_000
#: One stock meter per this many accounts.
ACCOUNTS_PER_STOCK_METER = 100


@dataclass(frozen=True)
class SeedSummary:
    """What a seed run wrote: rows per model, and the accounts that got each planted anomaly."""

    row_counts: dict[str, int]
    anomalies: dict[str, list[str]]
    suspended_accounts: list[str]
    portal_customer_no: str


def latest_complete_reading_month(*, now: datetime) -> date:
    """The latest month whose every reading day has come by ``now``'s local date: the current
    month from its last reading day on, else the previous month."""
    today = local_date(now)
    if today.day >= catalog.LAST_READING_DAY:
        return today.replace(day=1)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def seed_demo_utility(
    *,
    accounts: int,
    seed: int,
    months: int,
    end_month: date,
    now: datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    generate_in_subprocess: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Seed the demo utility into an empty database, deterministically for ``seed``.

    Writes the org tree (1 province, 2 cities, 4 counties, 8 stations), the role groups and
    a demo login per role, grid topology and reading routes, ``accounts`` customers and
    accounts with metering points, meters and installations, ``months`` monthly reads per
    meter ending in ``end_month`` and 30 days of 15-minute interval reads for the large
    customers; then one ``seed_demo_utility`` audit event with the counts and the planted
    anomalies. ``progress`` is called with the number of accounts written after each chunk.

    The rows are generated in a second process while this one writes when
    ``generate_in_subprocess`` is true, or, by default, when there are at least
    :data:`SUBPROCESS_MIN_ACCOUNTS` accounts (below that, starting the process costs more than
    it saves). Either way the rows are the same.

    Raises :class:`DemoDatabaseNotEmpty` if any org unit, account, meter or demo username
    exists, and :class:`DemoSeedOptionInvalid` for options out of range. All or nothing.
    """
    _check_options(accounts=accounts, months=months, end_month=end_month, now=now, chunk_size=chunk_size)
    connection = connections[DEFAULT_DB_ALIAS]
    with fast_sqlite_load(connection), transaction.atomic():
        return _seed(
            options=SeedOptions(
                accounts=accounts, seed=seed, months=months, end_month=end_month, chunk_size=chunk_size
            ),
            now=now,
            in_subprocess=(
                accounts >= SUBPROCESS_MIN_ACCOUNTS
                if generate_in_subprocess is None
                else generate_in_subprocess
            ),
            progress=progress,
        )


def _check_options(*, accounts: int, months: int, end_month: date, now: datetime, chunk_size: int) -> None:
    if not MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS:
        raise DemoSeedOptionInvalid(
            field="accounts",
            option="--accounts",
            value=accounts,
            reason_zh=(
                f"用电户数应在 {MIN_ACCOUNTS} 到 {MAX_ACCOUNTS} 之间"
                f"（少于 {MIN_ACCOUNTS} 户时各类别和异常无法齐全）"
            ),
            reason_en=(
                f"the account count must be {MIN_ACCOUNTS} to {MAX_ACCOUNTS} "
                f"(below {MIN_ACCOUNTS} not every category and anomaly can be present)"
            ),
        )
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise DemoSeedOptionInvalid(
            field="months",
            option="--months",
            value=months,
            reason_zh=f"月数应在 {MIN_MONTHS} 到 {MAX_MONTHS} 之间（一个抄表周期需要两次抄表）",
            reason_en=f"the months must be {MIN_MONTHS} to {MAX_MONTHS} (a billing period needs two reads)",
        )
    last_reading_day = end_month.replace(day=catalog.LAST_READING_DAY)
    if end_month.day != 1 or last_reading_day > local_date(now):
        raise DemoSeedOptionInvalid(
            field="end_month",
            option="--end-month",
            value=f"{end_month:%Y-%m}",
            reason_zh=f"该月的抄表例日（最晚 {last_reading_day}）尚未到来，示数不能在未来",
            reason_en=(
                f"its reading days (up to {last_reading_day}) have not come yet; "
                "reads cannot be in the future"
            ),
        )
    if chunk_size < 1:
        raise DemoSeedOptionInvalid(
            field="chunk_size",
            option="--chunk-size",
            value=chunk_size,
            reason_zh="每批户数至少为 1",
            reason_en="a chunk holds at least one account",
        )


def _seed(
    *, options: SeedOptions, now: datetime, in_subprocess: bool, progress: Callable[[int], None] | None
) -> SeedSummary:
    counts = utility_data_counts()
    if not counts.is_empty:
        raise DemoDatabaseNotEmpty(
            org_units=counts.org_units,
            accounts=counts.accounts,
            meters=counts.meters,
            usernames=", ".join(counts.demo_usernames_taken) or "-",
        )
    pools = NamePools.build(seed=options.seed)
    org_units = _create_org_tree()
    users = _create_staff(pools=pools, seed=options.seed, org_units=org_units, now=now)
    connection = connections[DEFAULT_DB_ALIAS]
    tables = bulk_tables(connection)
    inputs = GeneratorInputs(
        options=options,
        first_ids={name: next_id(table.model) for name, table in tables.items()},
        org_unit_ids={code: org_unit.pk for code, org_unit in org_units.items()},
        user_ids={username: user.pk for username, user in users.items()},
        account_sequences=reserve_sequence_numbers(
            name=ACCOUNT_NUMBER_SEQUENCE, count=options.accounts, above=NUMBER_SEQUENCE_BASE
        ),
        customer_sequences=reserve_sequence_numbers(
            name=CUSTOMER_NUMBER_SEQUENCE, count=options.accounts, above=NUMBER_SEQUENCE_BASE
        ),
        stock_meters=max(len(catalog.STATIONS), options.accounts // ACCOUNTS_PER_STOCK_METER),
        recorded_at=now,
    )
    if in_subprocess:
        stream = produced_in_subprocess(f"{generate.__module__}.{generate.__name__}", inputs)
    else:
        stream = generate(inputs)
    writer = BulkWriter(connection)
    models = [table.model for table in tables.values()]
    with cyclic_gc_paused(), indexes_built_after_load(connection, models):
        for message in stream:
            if isinstance(message, Outcome):
                outcome = message
                continue
            for name, rows in message.rows.by_table().items():
                writer.write(tables[name], rows)
            if progress is not None and message.accounts:
                progress(message.accounts)
    reset_sequences(connection, models)
    if outcome.portal_customer_id is None:
        # Station 37010101 holds a fifth of the accounts, nine in ten of them residential.
        raise RuntimeError("the seed produced no residential customer for the portal login")
    portal_customer = _create_portal_login(customer_id=outcome.portal_customer_id, now=now)
    summary = SeedSummary(
        row_counts=dict(sorted(writer.row_counts.items())),
        anomalies=outcome.anomaly_accounts,
        suspended_accounts=outcome.suspended_accounts,
        portal_customer_no=portal_customer.customer_no,
    )
    record_audit_event(
        actor=None,
        action="seed_demo_utility",
        target=org_units[catalog.PROVINCE_CODE],
        occurred_at=now,
        changes={
            "seed": options.seed,
            "accounts": options.accounts,
            "months": options.months,
            "end_month": f"{options.end_month:%Y-%m}",
            "rows": summary.row_counts,
            "anomalies": summary.anomalies,
            "suspended_accounts": summary.suspended_accounts,
            "portal_customer": summary.portal_customer_no,
        },
    )
    return summary


def _create_org_tree() -> dict[str, OrgUnit]:
    """The province, its cities, counties and stations, with their materialized paths."""
    org_units: dict[str, OrgUnit] = {}
    for spec in catalog.ORG_TREE:
        parent = org_units[spec.parent_code] if spec.parent_code else None
        path = check_org_unit_placement(
            code=spec.code, name=spec.name, level=spec.level, parent=parent, area_type=spec.area_type
        )
        org_units[spec.code] = OrgUnit.objects.create(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            parent=parent,
            path=path,
            area_type=spec.area_type,
        )
    return org_units


def _create_staff(
    *, pools: NamePools, seed: int, org_units: dict[str, OrgUnit], now: datetime
) -> dict[str, User]:
    """The role groups and one demo login per role (plus the superuser), with Chinese names.
    Logins whose role needs MFA get an authenticator secret, which ``gridcare demo_logins``
    prints, so a person trying the demo can add it to an app (or use ``gridcare demo_totp``)."""
    ensure_role_groups()
    names = random.Random(f"{seed}/staff")  # noqa: S311 - demo names, not secrets  # nosec B311
    users = {}
    for spec in catalog.DEMO_STAFF:
        users[spec.username] = create_staff_user(
            username=spec.username,
            password=catalog.DEMO_PASSWORD,
            org_unit=org_units[spec.org_unit_code],
            roles=[spec.role],
            display_name=names.choice(pools.surnames) + names.choice(pools.given_names),
            actor=None,
            now=now,
            is_superuser=spec.is_superuser,
            must_change_password=False,
        )
        if requires_mfa(users[spec.username]):
            enrol_preset_totp_device(user=users[spec.username], actor=None, now=now)
    return users


def _create_portal_login(*, customer_id: int, now: datetime) -> Customer:
    """The 网上营业厅 login of a residential customer, with the customer's mobile."""
    customer = Customer.objects.get(pk=customer_id)
    contact = customer.contacts.get(is_primary=True)
    user = create_portal_user(
        username=catalog.DEMO_PORTAL_USERNAME,
        password=catalog.DEMO_PASSWORD,
        mobile=contact.mobile,
        actor=None,
        now=now,
    )
    link_portal_user(user=user, customer=customer, actor=None, now=now)
    return customer
