"""The back office's home, account search and account page over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from web_world import (
    ACCOUNT_A1,
    ACCOUNT_A2,
    ACCOUNT_B1,
    ID_NUMBER_ZHANG,
    MOBILE_ZHANG,
    SHANGHAI,
    World,
    add_monthly_reads,
    install_new_meter,
    make_account,
    make_metering_point,
)

from gridcare.customers.models import Account
from gridcare.kit.ids import make_account_number

#: Queries of a back-office page before its own reads: session, user, whether the user must pass
#: MFA (their role groups, then their enrolled authenticators: a meter reader needs none), the
#: user's role groups (navigation) and org unit (top bar).
PAGE_OVERHEAD_QUERIES = 6


def listed_account_numbers(response: object) -> list[str]:
    return [account.account_no for account in response.context["page_obj"].object_list]  # type: ignore[attr-defined]


def add_accounts(world: World, *, count: int, name: str) -> list[str]:
    """``count`` more accounts of 张三 in station A, named ``name``; their 户号 sort after A1/A2."""
    accounts = [
        make_account(
            customer=world.zhang,
            account_no=make_account_number(sequence=3000 + number),
            name=name,
            service_address=f"历山路{number}号",
        )
        for number in range(count)
    ]
    return [account.account_no for account in accounts]


def test_home_shows_the_counts_of_the_users_units(station_a_client: Client) -> None:
    response = station_a_client.get("/")

    assert response.status_code == 200
    assert response.context["counts"] == {"accounts": 2, "metering_points": 2, "meters": 2, "reads": 14}
    assert '<span class="stat__value" data-stat="reads">14</span>' in response.content.decode()


def test_account_list_shows_only_the_users_station(station_a_client: Client) -> None:
    response = station_a_client.get("/accounts/")

    assert response.status_code == 200
    assert listed_account_numbers(response) == [ACCOUNT_A1, ACCOUNT_A2]
    assert ACCOUNT_B1 not in response.content.decode()


def test_search_by_name_does_not_list_another_stations_account(station_a_client: Client) -> None:
    response = station_a_client.get("/accounts/", {"q": "李四"})

    assert response.status_code == 200
    assert listed_account_numbers(response) == []
    assert response.context["page_obj"].paginator.count == 0
    assert 'class="empty-state"' in response.content.decode()


def test_search_by_mobile_finds_the_account(station_a_client: Client) -> None:
    response = station_a_client.get("/accounts/", {"q": MOBILE_ZHANG})

    assert listed_account_numbers(response) == [ACCOUNT_A1]
    assert f'href="/accounts/{ACCOUNT_A1}/"' in response.content.decode()


def test_county_user_sees_both_stations(client: Client, world: World, log_in) -> None:
    log_in(client, world.county_supervisor)

    response = client.get("/accounts/")

    assert listed_account_numbers(response) == [ACCOUNT_A1, ACCOUNT_A2, ACCOUNT_B1]


def test_search_text_longer_than_100_characters_is_refused(station_a_client: Client) -> None:
    response = station_a_client.get("/accounts/", {"q": "张" * 101})

    assert response.status_code == 200
    assert list(response.context["search_form"].errors) == ["q"]
    # An invalid search lists everything visible rather than guessing.
    assert listed_account_numbers(response) == [ACCOUNT_A1, ACCOUNT_A2]


def test_account_list_is_paginated_by_25(station_a_client: Client, world: World) -> None:
    added = add_accounts(world, count=60, name="历山路商户")
    all_numbers = [ACCOUNT_A1, ACCOUNT_A2, *added]
    station_a_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    first = station_a_client.get("/accounts/")
    third = station_a_client.get("/accounts/", {"page": 3})
    beyond = station_a_client.get("/accounts/", {"page": 99})

    assert listed_account_numbers(first) == all_numbers[:25]
    assert listed_account_numbers(third) == all_numbers[50:]
    assert listed_account_numbers(beyond) == all_numbers[50:]
    first_page = first.content.decode()
    assert "Showing 1–25 of 62" in first_page
    assert "Showing 51–62 of 62" in third.content.decode()
    assert 'href="?page=2" rel="next"' in first_page
    assert 'href="?page=2" rel="prev"' in third.content.decode()
    assert '<span aria-current="page">3</span>' in third.content.decode()


def test_page_links_keep_the_search_text(station_a_client: Client, world: World) -> None:
    add_accounts(world, count=30, name="历山路商户")

    response = station_a_client.get("/accounts/", {"q": "历山路商户"})

    assert response.context["page_obj"].paginator.count == 30
    assert len(listed_account_numbers(response)) == 25
    assert 'href="?q=%E5%8E%86%E5%B1%B1%E8%B7%AF%E5%95%86%E6%88%B7&amp;page=2" rel="next"' in (
        response.content.decode()
    )


def test_account_list_query_count_does_not_grow_with_rows(
    station_a_client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # The page counts the matches and reads one page of accounts with their customers and units.
    with django_assert_num_queries(PAGE_OVERHEAD_QUERIES + 2):
        station_a_client.get("/accounts/")
    add_accounts(world, count=60, name="历山路商户")
    with django_assert_num_queries(PAGE_OVERHEAD_QUERIES + 2):
        station_a_client.get("/accounts/", {"page": 2})
    with django_assert_num_queries(PAGE_OVERHEAD_QUERIES + 2):
        station_a_client.get("/accounts/", {"q": "商户"})


def test_home_query_count(
    station_a_client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(PAGE_OVERHEAD_QUERIES + 4):
        station_a_client.get("/")


def test_account_page_shows_account_customer_and_metering(station_a_client: Client) -> None:
    response = station_a_client.get(f"/accounts/{ACCOUNT_A2}/")
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["account"].account_no == ACCOUNT_A2
    assert "明湖机械一厂" in page
    assert "济南明湖机械有限公司" in page
    assert re.search(r'data-multiplier>2000 <span class="muted">\(CT 20 × PT 100\)', page)
    assert '<span class="mono" data-current-meter>M-A2-0001</span>' in page
    assert page.count("data-status-change>") == 2
    assert "设备检修暂停" in page
    assert "赵经理" in page  # the manager in force today


def test_account_page_lists_the_last_twelve_reads(station_a_client: Client) -> None:
    response = station_a_client.get(f"/accounts/{ACCOUNT_A1}/")
    page = response.content.decode()

    assert page.count("<tr data-read>") == 12
    assert "2024-02-05 08:00" in page  # the newest of the 14 reads
    assert "2023-03-05 08:00" in page  # the twelfth newest
    assert "2023-02-05 08:00" not in page
    assert ">2300.00<" in page


def test_account_page_masks_the_id_number_and_mobile(station_a_client: Client) -> None:
    page = station_a_client.get(f"/accounts/{ACCOUNT_A1}/").content.decode()

    masked_id = ID_NUMBER_ZHANG[:3] + "***********" + ID_NUMBER_ZHANG[-4:]
    assert f"data-masked>{masked_id}<" in page
    assert ID_NUMBER_ZHANG not in page
    assert "data-masked>138****5678<" in page
    assert MOBILE_ZHANG not in page


def test_account_of_another_station_is_not_found(
    station_a_client: Client, client: Client, world: World, log_in
) -> None:
    assert station_a_client.get(f"/accounts/{ACCOUNT_B1}/").status_code == 404
    assert station_a_client.get("/accounts/0000000000/").status_code == 404
    log_in(client, world.station_b_user)
    assert client.get(f"/accounts/{ACCOUNT_B1}/").status_code == 200


def test_account_page_query_count_does_not_grow_with_metering_points(
    station_a_client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # account, contacts, metering points + current installations + recent reads, status
    # history, account manager (the user's roles, read once for the permission check, also
    # answer whether they may reveal personal data).
    expected = PAGE_OVERHEAD_QUERIES + 7
    with django_assert_num_queries(expected):
        station_a_client.get(f"/accounts/{ACCOUNT_A1}/")
    for number in (2, 3, 4):
        point = make_metering_point(account=world.account_a1, code=f"MP-A1-0{number}")
        installation = install_new_meter(
            metering_point=point,
            asset_no=f"M-A1-000{number}",
            installed_at=dt.datetime(2023, 1, 1, tzinfo=SHANGHAI),
        )
        add_monthly_reads(
            installation=installation,
            count=20,
            first_read_at=dt.datetime(2023, 1, 5, tzinfo=SHANGHAI),
            start_total=Decimal("0.00"),
        )

    with django_assert_num_queries(expected):
        response = station_a_client.get(f"/accounts/{ACCOUNT_A1}/")

    assert response.content.decode().count("<tr data-read>") == 4 * 12


def test_account_without_metering_points_shows_an_empty_state(station_a_client: Client, world: World) -> None:
    account = make_account(
        customer=world.zhang,
        account_no=make_account_number(sequence=4001),
        name="新装户",
        service_address="历山路1号",
    )

    response = station_a_client.get(f"/accounts/{account.account_no}/")

    assert response.status_code == 200
    assert response.context["metering_points"] == []
    assert 'class="empty-state"' in response.content.decode()


@pytest.mark.parametrize("account_no", [ACCOUNT_A1, ACCOUNT_A2])
def test_account_page_has_breadcrumbs_back_to_the_list(station_a_client: Client, account_no: str) -> None:
    response = station_a_client.get(f"/accounts/{account_no}/")

    assert response.context["breadcrumbs"][0][1] == "/accounts/"
    assert f'<li aria-current="page">{account_no}</li>' in response.content.decode()


def test_long_lists_elide_the_middle_page_links(station_a_client: Client, world: World) -> None:
    Account.objects.bulk_create(
        Account(
            org_unit=world.station_a,
            account_no=make_account_number(sequence=5000 + number),
            customer=world.zhang,
            name="批量户",
            service_address="历山路",
            usage_category=world.account_a1.usage_category,
            voltage_level=world.account_a1.voltage_level,
            contract_capacity_kva=Decimal("8.00"),
            tariff_code="RES-TIER",
            reading_day=5,
            status_effective_date=dt.date(2020, 1, 1),
            opened_date=dt.date(2020, 1, 1),
        )
        for number in range(298)
    )

    page = station_a_client.get("/accounts/", {"page": 6}).content.decode()
    start = page.index('<ul class="pagination__pages">')
    page_links = page[start : page.index("</ul>", start)]

    # 300 accounts make 12 pages; around page 6: 1 … 4 5 [6] 7 8 … 12.
    assert re.findall(r">(\d+|…)</(?:a|span)>", page_links) == ["1", "…", "4", "5", "6", "7", "8", "…", "12"]
