"""The reads behind the account pages: customers.queries and metering.queries, org-scoped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from web_world import (
    ACCOUNT_A1,
    ACCOUNT_A2,
    ACCOUNT_B1,
    ID_NUMBER_LI,
    MOBILE_LI,
    MOBILE_ZHANG,
    SHANGHAI,
    World,
    add_monthly_reads,
    install_new_meter,
    make_metering_point,
    make_portal_user,
)

from gridcare.customers import queries as customer_queries
from gridcare.customers.models import Account, AccountStatus, Contact
from gridcare.metering import queries as metering_queries


def account_numbers(accounts: QuerySet[Account]) -> list[str]:
    return [account.account_no for account in accounts]


def test_blank_search_lists_the_accounts_of_the_users_units(world: World) -> None:
    assert account_numbers(customer_queries.search_accounts(user=world.station_a_user, text="")) == [
        ACCOUNT_A1,
        ACCOUNT_A2,
    ]
    assert account_numbers(customer_queries.search_accounts(user=world.station_b_user, text="  ")) == [
        ACCOUNT_B1
    ]
    assert account_numbers(customer_queries.search_accounts(user=world.county_supervisor, text="")) == [
        ACCOUNT_A1,
        ACCOUNT_A2,
        ACCOUNT_B1,
    ]
    assert account_numbers(customer_queries.search_accounts(user=world.superuser, text="")) == [
        ACCOUNT_A1,
        ACCOUNT_A2,
        ACCOUNT_B1,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ACCOUNT_A1, [ACCOUNT_A1]),  # exact 户号
        (ACCOUNT_A1[:7], [ACCOUNT_A1, ACCOUNT_A2]),  # 户号 prefix: 0000010…
        ("1381234", []),  # a mobile prefix: encrypted mobiles are found by their full number only
        (MOBILE_LI, [ACCOUNT_B1]),  # contact mobile, full (by keyed hash)
        ("139 8765-4321", [ACCOUNT_B1]),  # spaces and hyphens as people type them
        ("13", []),  # no 户号 starts with 13
        (ID_NUMBER_LI, [ACCOUNT_B1]),  # 身份证号, exact (by keyed hash)
        (ID_NUMBER_LI[:-1] + "0", []),  # another 身份证号
        ("机械一厂", [ACCOUNT_A2]),  # account name
        ("有限公司", [ACCOUNT_A2]),  # customer name only
        ("明湖", [ACCOUNT_A2]),  # account and customer name: listed once
        ("解放路", [ACCOUNT_A1]),  # service address
        ("千佛山路", [ACCOUNT_B1]),
        ("无此客户", []),
    ],
)
def test_search_matches_account_number_mobile_names_and_address(
    world: World, text: str, expected: list[str]
) -> None:
    assert (
        account_numbers(customer_queries.search_accounts(user=world.county_supervisor, text=text)) == expected
    )


def test_search_does_not_list_accounts_of_another_station(world: World) -> None:
    assert account_numbers(customer_queries.search_accounts(user=world.station_a_user, text="李四")) == []
    assert account_numbers(customer_queries.search_accounts(user=world.station_a_user, text=MOBILE_LI)) == []
    assert account_numbers(customer_queries.search_accounts(user=world.station_a_user, text=ACCOUNT_B1)) == []
    assert account_numbers(customer_queries.search_accounts(user=world.station_b_user, text="李四")) == [
        ACCOUNT_B1
    ]


def test_search_lists_an_account_once_when_several_contacts_match(world: World) -> None:
    Contact.objects.create(customer=world.zhang, name="张三家属", mobile=MOBILE_ZHANG)

    assert account_numbers(
        customer_queries.search_accounts(user=world.station_a_user, text=MOBILE_ZHANG)
    ) == [ACCOUNT_A1]


def test_users_outside_the_org_tree_see_no_accounts(world: World) -> None:
    for user in (AnonymousUser(), world.unbound_staff, world.portal_user):
        assert account_numbers(customer_queries.search_accounts(user=user, text="")) == []
        assert customer_queries.count_accounts(user=user) == 0


def test_get_account_returns_visible_accounts_only(world: World) -> None:
    account = customer_queries.get_account(user=world.station_a_user, account_no=ACCOUNT_A1)

    assert account == world.account_a1
    assert account.customer.name == "张三"
    with pytest.raises(Account.DoesNotExist):
        customer_queries.get_account(user=world.station_b_user, account_no=ACCOUNT_A1)
    with pytest.raises(Account.DoesNotExist):
        customer_queries.get_account(user=world.station_a_user, account_no="0000000000")


def test_customer_contacts_primary_first_and_scoped(world: World) -> None:
    contacts = customer_queries.customer_contacts(user=world.station_a_user, customer=world.zhang)

    assert [(contact.name, contact.is_primary) for contact in contacts] == [("张三", True), ("张小三", False)]
    assert list(customer_queries.customer_contacts(user=world.station_b_user, customer=world.zhang)) == []


def test_account_status_history_newest_first_and_scoped(world: World) -> None:
    history = customer_queries.account_status_history(user=world.station_a_user, account=world.account_a2)

    assert [(change.effective_date, change.status, change.reason) for change in history] == [
        (dt.date(2022, 6, 1), AccountStatus.NORMAL, "恢复用电"),
        (dt.date(2022, 3, 1), AccountStatus.SUSPENDED, "设备检修暂停"),
    ]
    assert (
        list(customer_queries.account_status_history(user=world.station_b_user, account=world.account_a2))
        == []
    )


@pytest.mark.parametrize(
    ("as_of", "expected_username"),
    [
        (dt.date(2020, 12, 31), None),  # before any assignment
        (dt.date(2021, 1, 1), "reader_a"),
        (dt.date(2022, 12, 31), "reader_a"),
        (dt.date(2023, 1, 1), "manager_a"),  # periods are half-open: the first ended that day
        (dt.date(2030, 1, 1), "manager_a"),
    ],
)
def test_current_account_manager_as_of_a_date(
    world: World, as_of: dt.date, expected_username: str | None
) -> None:
    assignment = customer_queries.current_account_manager(
        user=world.station_a_user, account=world.account_a2, as_of=as_of
    )

    assert (assignment.manager.username if assignment else None) == expected_username


def test_current_account_manager_is_hidden_outside_the_scope(world: World) -> None:
    assert (
        customer_queries.current_account_manager(
            user=world.station_b_user, account=world.account_a2, as_of=dt.date(2024, 1, 1)
        )
        is None
    )


def test_portal_user_sees_the_accounts_of_their_customer_only(world: World) -> None:
    assert account_numbers(customer_queries.accounts_of_portal_user(user=world.portal_user)) == [ACCOUNT_A1]
    assert customer_queries.portal_customer(user=world.portal_user) == world.zhang

    unlinked = make_portal_user(username="nobody", customer=None)
    assert account_numbers(customer_queries.accounts_of_portal_user(user=unlinked)) == []
    assert customer_queries.portal_customer(user=unlinked) is None
    assert account_numbers(customer_queries.accounts_of_portal_user(user=world.station_a_user)) == []
    assert account_numbers(customer_queries.accounts_of_portal_user(user=AnonymousUser())) == []


def test_metering_points_carry_current_meter_and_last_twelve_reads(world: World) -> None:
    (metering_point,) = metering_queries.metering_points_of_account(
        user=world.station_a_user, account=world.account_a1
    )

    assert metering_point == world.point_a1
    assert [installation.meter.asset_no for installation in metering_point.current_installations] == [
        "M-A1-0001"
    ]
    newest_twelve = sorted(world.reads_a1, key=lambda read: read.read_at, reverse=True)[:12]
    assert [read.pk for read in metering_point.recent_reads] == [read.pk for read in newest_twelve]
    assert metering_point.recent_reads[0].import_active_total == Decimal("2300.00")
    assert metering_point.recent_reads[-1].import_active_total == Decimal("1200.00")


def test_metering_point_multiplier_is_ct_times_pt(world: World) -> None:
    (metering_point,) = metering_queries.metering_points_of_account(
        user=world.station_a_user, account=world.account_a2
    )

    assert (metering_point.ct_ratio, metering_point.pt_ratio, metering_point.multiplier) == (20, 100, 2000)
    assert metering_point.recent_reads == []


def test_metering_points_of_account_take_three_queries_however_many_points(world: World) -> None:
    with CaptureQueriesContext(connection) as one_point:
        metering_queries.metering_points_of_account(user=world.station_a_user, account=world.account_a1)
    for number in (2, 3):
        point = make_metering_point(account=world.account_a1, code=f"MP-A1-0{number}")
        installation = install_new_meter(
            metering_point=point,
            asset_no=f"M-A1-000{number}",
            installed_at=dt.datetime(2023, 1, 1, tzinfo=SHANGHAI),
        )
        add_monthly_reads(
            installation=installation,
            count=15,
            first_read_at=dt.datetime(2023, 1, 5, tzinfo=SHANGHAI),
            start_total=Decimal("0.00"),
        )

    with CaptureQueriesContext(connection) as three_points:
        metering_points = metering_queries.metering_points_of_account(
            user=world.station_a_user, account=world.account_a1
        )

    assert len(one_point.captured_queries) == 3
    assert len(three_points.captured_queries) == 3
    assert [(point.code, len(point.recent_reads)) for point in metering_points] == [
        ("MP-A1-01", 12),
        ("MP-A1-02", 12),
        ("MP-A1-03", 12),
    ]


def test_metering_queries_hide_other_stations(world: World) -> None:
    assert (
        metering_queries.metering_points_of_account(user=world.station_b_user, account=world.account_a1) == []
    )
    assert metering_queries.recent_reads(user=world.station_b_user, metering_point=world.point_a1) == []
    assert (
        metering_queries.current_installation(user=world.station_b_user, metering_point=world.point_a1)
        is None
    )


def test_recent_reads_newest_first_up_to_the_limit(world: World) -> None:
    reads = metering_queries.recent_reads(user=world.station_a_user, metering_point=world.point_a1, limit=3)

    assert [read.import_active_total for read in reads] == [
        Decimal("2300.00"),
        Decimal("2200.00"),
        Decimal("2100.00"),
    ]
    assert len(metering_queries.recent_reads(user=world.station_a_user, metering_point=world.point_a1)) == 12


def test_current_installation_ends_with_removal(world: World) -> None:
    assert metering_queries.current_installation(
        user=world.station_a_user, metering_point=world.point_a1
    ) == (world.installation_a1)

    world.installation_a1.removed_at = dt.datetime(2024, 6, 1, tzinfo=SHANGHAI)
    world.installation_a1.save(update_fields=["removed_at"])

    assert (
        metering_queries.current_installation(user=world.station_a_user, metering_point=world.point_a1)
        is None
    )
    (metering_point,) = metering_queries.metering_points_of_account(
        user=world.station_a_user, account=world.account_a1
    )
    assert metering_point.current_installations == []


@pytest.mark.parametrize(
    ("user_attribute", "expected"),
    [
        ("station_a_user", (2, 2, 2, 14)),
        ("station_b_user", (1, 1, 1, 3)),
        ("county_supervisor", (3, 3, 3, 17)),
        ("superuser", (3, 3, 3, 17)),
        ("unbound_staff", (0, 0, 0, 0)),
    ],
)
def test_dashboard_counts_are_scoped(
    world: World, user_attribute: str, expected: tuple[int, int, int, int]
) -> None:
    user = getattr(world, user_attribute)

    counts = (
        customer_queries.count_accounts(user=user),
        metering_queries.count_metering_points(user=user),
        metering_queries.count_meters(user=user),
        metering_queries.count_meter_reads(user=user),
    )

    assert counts == expected
