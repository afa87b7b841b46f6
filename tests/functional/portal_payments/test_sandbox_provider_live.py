"""The sandbox provider's "Cancel" against a live server: the sandbox signs a TRADE_CLOSED
notification and POSTs it, as a real HTTP request, to the notify_url of our request (the live
server's callback); the order is closed, nothing is posted, and the browser goes back to our
return page with the provider's signature."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from web_world import ACCOUNT_A1, World, build_world

from gridcare.payments.models import Payment, ProviderOrder, ProviderOrderStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _order_status(out_trade_no: str, *, becomes: str, within_seconds: float) -> str:
    deadline = time.monotonic() + within_seconds
    status = ProviderOrder.objects.get(out_trade_no=out_trade_no).status
    while status != becomes and time.monotonic() < deadline:
        time.sleep(0.2)
        status = ProviderOrder.objects.get(out_trade_no=out_trade_no).status
    return status


def test_cancel_at_the_sandbox_closes_the_order_through_a_real_notification(live_server: object) -> None:
    world: World = build_world()
    host = urlsplit(str(live_server)).netloc
    client = Client(HTTP_HOST=host)
    client.force_login(world.portal_user)

    to_gateway = client.post(f"/portal/accounts/{ACCOUNT_A1}/top-up/", {"amount": "30.00"})
    assert to_gateway.status_code == 302
    parameters = dict(parse_qsl(urlsplit(to_gateway["Location"]).query, keep_blank_values=True))
    assert parameters["notify_url"] == f"http://{host}/payments/callbacks/provider/"
    order = ProviderOrder.objects.get()
    assert client.get(to_gateway["Location"]).status_code == 200

    back = client.post("/sandbox-pay/gateway/", {**parameters, "action": "cancel"})

    assert back.status_code == 302
    returned = urlsplit(back["Location"])
    assert f"{returned.scheme}://{returned.netloc}{returned.path}" == f"http://{host}/portal/payments/return/"
    assert (
        _order_status(order.out_trade_no, becomes=ProviderOrderStatus.CLOSED, within_seconds=10) == "closed"
    )
    assert Payment.objects.count() == 0
    page = client.get(f"{returned.path}?{returned.query}")
    assert page.status_code == 200
    assert 'data-order-status="closed"' in page.content.decode()
