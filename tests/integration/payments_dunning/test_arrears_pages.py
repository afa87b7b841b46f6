"""The arrears work list: overdue accounts of the viewer's units only, filtered by org unit and
stage, mobiles masked without pii.unmask; the orders page marks an order done."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from dunning_world import at, make_account, run_day

from gridcare.identity.models import Role
from gridcare.payments.arrears_protection import add_protected_account
from gridcare.payments.models import (
    DunningCase,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)

pytestmark = pytest.mark.django_db


def _accounts_shown(response: Any) -> list[str]:
    return re.findall(r'data-account="(\d+)"', response.content.decode())


@pytest.fixture
def overdue(org_tree: Any, manager: Any) -> dict[str, Any]:
    own = make_account(org_tree.station, sequence=31, now=at(0))
    protected = make_account(org_tree.station, sequence=32, now=at(0))
    sibling = make_account(org_tree.other_station, sequence=33, now=at(0))
    add_protected_account(actor=None, account=protected, reason="医院", now=at(0))
    for number in range(1, 4):
        run_day(number)
    # As if its first step were still to come: what the "no step yet" stage filter finds.
    DunningCase.objects.filter(account=protected).update(stage="")
    return {"own": own, "protected": protected, "sibling": sibling}


def test_the_work_list_shows_only_the_viewers_units(
    org_tree: Any, overdue: dict[str, Any], manager: Any, staff_user_factory: Any, client_of: Any
) -> None:
    county = staff_user_factory(
        username="county", org_unit=org_tree.county, roles=[Role.MARKETING_SUPERVISOR]
    )
    url = reverse("web:arrears_work_list")
    station_page = client_of(manager).get(url)
    assert station_page.status_code == 200
    assert _accounts_shown(station_page) == [overdue["own"].account_no, overdue["protected"].account_no]
    assert _accounts_shown(client_of(county).get(url)) == [
        overdue["own"].account_no,
        overdue["protected"].account_no,
        overdue["sibling"].account_no,
    ]
    by_unit = client_of(county).get(url, {"org_unit": org_tree.other_station.pk})
    assert _accounts_shown(by_unit) == [overdue["sibling"].account_no]
    by_stage = client_of(county).get(url, {"stage": "none"})
    assert _accounts_shown(by_stage) == [overdue["protected"].account_no]
    # Another station's unit is no choice for the station's manager: the filter is ignored.
    assert _accounts_shown(client_of(manager).get(url, {"org_unit": org_tree.other_station.pk})) == [
        overdue["own"].account_no,
        overdue["protected"].account_no,
    ]


def test_the_work_list_masks_mobiles_without_unmask_and_shows_the_flags(
    org_tree: Any, overdue: dict[str, Any], staff_user_factory: Any, client_of: Any
) -> None:
    supervisor = staff_user_factory(
        username="supervisor", org_unit=org_tree.station, roles=[Role.MARKETING_SUPERVISOR]
    )
    body = client_of(supervisor).get(reverse("web:arrears_work_list")).content.decode()
    assert "13800000031" not in body
    assert "138****0031" in body
    assert body.count("data-protected") == 1
    assert "100.00" in body


def test_a_cashier_without_the_permission_is_refused(
    overdue: dict[str, Any], org_tree: Any, staff_user_factory: Any, client_of: Any
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    assert client_of(reader).get(reverse("web:arrears_work_list")).status_code == 403


def test_marking_an_order_done_from_the_orders_page(
    org_tree: Any, overdue: dict[str, Any], manager: Any, client_of: Any
) -> None:
    case = DunningCase.objects.get(account=overdue["own"])
    order = SupplyOrder.objects.create(
        org_unit=org_tree.station,
        order_no="TD2025030100000001",
        account=overdue["own"],
        case=case,
        kind=SupplyOrderKind.DISCONNECTION,
        dispatch=SupplyOrderDispatch.FIELD,
        created_at=at(31),
    )
    client = client_of(manager)
    assert 'data-order="TD2025030100000001"' in client.get(reverse("web:supply_orders")).content.decode()
    response = client.post(reverse("web:supply_order_done", args=[order.pk]), {"done_at": "2025-02-21T10:30"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.done_by, order.done_at) == (
        SupplyOrderStatus.DONE,
        manager,
        at(32, 10) + timedelta(minutes=30),
    )


def test_the_work_list_reads_in_a_fixed_number_of_queries(
    org_tree: Any, overdue: dict[str, Any], manager: Any, client_of: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(manager)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:arrears_work_list")).status_code == 200
        return len(captured.captured_queries)

    two = page_queries()
    for sequence in range(60, 65):
        make_account(org_tree.station, sequence=sequence, now=at(0))
    run_day(3)
    assert DunningCase.objects.filter(org_unit=org_tree.station).count() == 7
    assert page_queries() == two
