"""The prepaid accounts page: each user sees the arrangements of their org subtree (filtered by
org unit), with balance, estimate and cut-off state; switching from the page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from prepaid_world import at, make_account, pay

from gridcare.identity.models import Role
from gridcare.payments.models import PrepaidArrangement, PrepaidStatus
from gridcare.payments.prepaid import record_prepaid_estimates, start_prepaid

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_stations(org_tree: Any, cashier: Any, staff_user_factory: Any) -> tuple[Any, Any]:
    own = make_account(org_tree.station, sequence=61)
    pay(own, cashier, "80.00", at(1, 9), "P-61-1")
    start_prepaid(actor=cashier, account=own, now=at(1, 10))
    record_prepaid_estimates(estimates={own.pk: Decimal("35.50")}, through=at(4).date(), now=at(5, 8))
    other = make_account(org_tree.other_station, sequence=62)
    start_prepaid(actor=None, account=other, now=at(1, 10))
    return own, other


def test_the_station_sees_its_own_prepaid_accounts_only(
    client_of: Any, cashier: Any, two_stations: Any
) -> None:
    own, other = two_stations

    body = client_of(cashier).get("/prepaid/").content.decode()

    assert f'data-account="{own.account_no}"' in body
    assert f'data-account="{other.account_no}"' not in body
    assert "44.50" in body  # 80.00 − 35.50
    assert "2025-03-04" in body


def test_the_county_sees_both_and_filters_by_org_unit(
    client_of: Any, org_tree: Any, staff_user_factory: Any, two_stations: Any
) -> None:
    own, other = two_stations
    supervisor = staff_user_factory(
        username="supervisor", org_unit=org_tree.county, roles=[Role.MARKETING_SUPERVISOR]
    )
    client = client_of(supervisor)

    everything = client.get("/prepaid/").content.decode()
    filtered = client.get("/prepaid/", {"org_unit": org_tree.other_station.pk}).content.decode()

    assert f'data-account="{own.account_no}"' in everything
    assert f'data-account="{other.account_no}"' in everything
    assert f'data-account="{own.account_no}"' not in filtered
    assert f'data-account="{other.account_no}"' in filtered
    assert "data-prepaid-start" not in everything  # no permission to switch


def test_switching_from_the_page(client_of: Any, org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=63)
    client = client_of(cashier)

    started = client.post("/prepaid/start/", {"account_no": account.account_no})
    arrangement = PrepaidArrangement.objects.get(account=account)
    ended = client.post(f"/prepaid/{arrangement.pk}/end/")

    assert (started.status_code, ended.status_code) == (302, 302)
    arrangement.refresh_from_db()
    assert (arrangement.started_by, arrangement.ended_by, arrangement.status) == (
        cashier,
        cashier,
        PrepaidStatus.ENDED,
    )
