"""The local sandbox payment provider shipped with the demo (docs/provider-payments.md): it plays
the third-party provider so the portal's "Pay" works end to end without one. Mounted at
/sandbox-pay/ and answering only while ``settings.GRIDCARE_PAYMENT_SANDBOX`` is on (the demo and
the tests; off by default in production).

It speaks the provider's side of the protocol with its own RSA key (var/payment-sandbox/
provider.pem, made on first use): the gateway page verifies our signed payment request with our
public key and shows the merchant, the order and the amount with "Pay" and "Cancel"; either
signs a notification (paid, or closed) with the sandbox's key and POSTs it to the request's
``notify_url`` — a real HTTP request, from a thread, retried like a provider retries until it
reads ``success`` — and sends the browser back to the ``return_url`` with signed parameters.

The notification is sent from a thread, not within the "Pay" request: the server answering
"Pay" need not be free to answer the notification too (``make demo`` serves with gunicorn's sync
workers; pytest-django's live server is threaded).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from gridcare.payments.provider import (
    MERCHANT_NAME,
    TRADE_CLOSED,
    TRADE_SUCCESS,
    provider_config,
    provider_time,
)
from gridcare.payments.provider_protocol import ensure_private_key_file, signature_is_valid, signed

logger = logging.getLogger(__name__)

#: Seconds before each delivery attempt of a notification (a provider retries for hours; the
#: sandbox a few times).
DELIVERY_DELAYS = (0.0, 1.0, 3.0, 10.0)
DELIVERY_TIMEOUT_SECONDS = 10


def _provider_key() -> rsa.RSAPrivateKey:
    return ensure_private_key_file(Path(str(settings.PAYMENT_PROVIDER["SANDBOX_KEY_DIR"])) / "provider.pem")


def _merchant_public_key() -> rsa.RSAPublicKey:
    # The sandbox runs inside our own server: it takes our public key from our key pair.
    return provider_config().private_key.public_key()


def _verified_request(parameters: Mapping[str, str]) -> dict[str, str] | None:
    """The order of a payment request signed by the merchant for its app id, else ``None``."""
    if not signature_is_valid(parameters, public_key=_merchant_public_key()):
        return None
    if parameters.get("app_id") != provider_config().app_id:
        return None
    try:
        order = json.loads(parameters.get("biz_content", ""))
        amount = Decimal(order["total_amount"])
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return None
    if not all(_is_web_url(parameters.get(name, "")) for name in ("notify_url", "return_url")):
        return None
    return {
        "out_trade_no": str(order["out_trade_no"]),
        "total_amount": f"{amount:.2f}",
        "subject": str(order.get("subject", "")),
    }


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def trade_number(*, app_id: str, out_trade_no: str, paid_at: datetime) -> str:
    """The sandbox's trade number of an order: one per order, however often "Pay" is pressed
    (a provider takes one payment per merchant order)."""
    digest = hashlib.sha256(f"{app_id}:{out_trade_no}".encode()).hexdigest()[:16].upper()
    return f"{paid_at:%Y%m%d}{digest}"


@require_http_methods(["GET", "POST"])
def gateway(request: HttpRequest) -> HttpResponseBase:
    """GET: the payment page of a signed payment request. POST: "Pay" or "Cancel" it."""
    if not settings.GRIDCARE_PAYMENT_SANDBOX:
        raise Http404
    source = request.GET if request.method == "GET" else request.POST
    parameters = {
        name: source.get(name, "") for name in source if name not in ("csrfmiddlewaretoken", "action")
    }
    order = _verified_request(parameters)
    if order is None:
        return render(request, "demo/sandbox_pay/refused.html", status=400)
    if request.method == "GET":
        context = {"merchant": MERCHANT_NAME, "order": order, "parameters": parameters}
        return render(request, "demo/sandbox_pay/gateway.html", context)
    now = timezone.now()
    paid = request.POST.get("action") == "pay"
    key = _provider_key()
    app_id = parameters["app_id"]
    result = {"app_id": app_id, "out_trade_no": order["out_trade_no"], "total_amount": order["total_amount"]}
    if paid:
        result["trade_no"] = trade_number(app_id=app_id, out_trade_no=order["out_trade_no"], paid_at=now)
    notification = {
        **result,
        "trade_status": TRADE_SUCCESS if paid else TRADE_CLOSED,
        "gmt_payment": provider_time(now) if paid else "",
        "notify_time": provider_time(now),
        "notify_type": "trade_status_sync",
        "notify_id": hashlib.sha256(f"{order['out_trade_no']}:{now.isoformat()}".encode()).hexdigest()[:32],
        "charset": "utf-8",
        "version": "1.0",
    }
    deliver_in_background(url=parameters["notify_url"], parameters=signed(notification, private_key=key))
    back = signed(
        {**result, "method": "trade.page.pay.return", "timestamp": provider_time(now), "charset": "utf-8"},
        private_key=key,
    )
    separator = "&" if "?" in parameters["return_url"] else "?"
    return redirect(f"{parameters['return_url']}{separator}{urlencode(back)}")


def deliver_in_background(*, url: str, parameters: Mapping[str, str]) -> threading.Thread:
    """Start a thread POSTing the signed notification ``parameters`` to ``url`` until it is
    answered ``success`` or the attempts run out."""
    thread = threading.Thread(
        target=deliver_notification, kwargs={"url": url, "parameters": dict(parameters)}, daemon=True
    )
    thread.start()
    return thread


def deliver_notification(*, url: str, parameters: Mapping[str, str]) -> bool:
    """POST the notification to ``url`` (form-encoded), retried after each of
    :data:`DELIVERY_DELAYS`; whether it was answered ``success``."""
    body = urlencode(parameters).encode("utf-8")
    for delay in DELIVERY_DELAYS:
        time.sleep(delay)
        request = Request(  # noqa: S310 — the URL is http(s), checked when the request was verified
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        try:
            with urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # nosec B310  # noqa: S310
                if response.read().decode("utf-8", "replace").strip() == "success":
                    return True
        except (URLError, OSError) as error:
            logger.warning("Sandbox notification to %s failed: %s", url, error)
    return False


def sandbox_home(request: HttpRequest) -> HttpResponse:
    """What the sandbox is, for someone who opens /sandbox-pay/ itself."""
    if not settings.GRIDCARE_PAYMENT_SANDBOX:
        raise Http404
    return render(request, "demo/sandbox_pay/home.html", {"merchant": MERCHANT_NAME})
