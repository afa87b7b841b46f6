"""Gateway callbacks: delivery receipts the HTTP SMS gateway posts, and WeChat's event push
(TEMPLATESENDJOBFINISH). The callers are gateways, not users: the URLs are public and exempt
from CSRF, and each request is authenticated by the gateway's own signature instead (a wrong
one is refused with 403 and changes nothing). A callback whose gateway is not configured does
not exist (404)."""

from __future__ import annotations

import logging
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.channels.http_sms import InvalidCallback, parse_receipt_callback
from gridcare.notifications.channels.wechat import parse_template_send_event, verify_callback_signature
from gridcare.notifications.operations import accept_callback_nonce, record_receipts

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def sms_gateway_receipt(request: HttpRequest) -> HttpResponse:
    """A receipt from the HTTP SMS gateway, signed with the shared secret (docs/channels.md)."""
    secret = str(settings.NOTIFICATION_CHANNELS["sms"]["HTTP_SECRET"])
    if not secret:
        raise Http404
    now = timezone.now()
    try:
        receipt = parse_receipt_callback(
            body=request.body,
            timestamp=request.headers.get("X-GridCare-Timestamp", ""),
            signature=request.headers.get("X-GridCare-Signature", ""),
            secret=secret,
            now=now,
        )
    except InvalidCallback as error:
        logger.warning("SMS gateway receipt refused: %s", error)
        return JsonResponse({"error": str(error)}, status=403)
    applied = record_receipts(receipts=[receipt], now=now, channels={ChannelKind.SMS, ChannelKind.MMS})
    return JsonResponse({"applied": applied})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_event(request: HttpRequest) -> HttpResponse:
    """WeChat's server check (GET: echo ``echostr``) and event push (POST: a template message's
    delivery report), both signed with the configured callback token."""
    token = str(settings.NOTIFICATION_CHANNELS["wechat"]["CALLBACK_TOKEN"])
    if not token:
        raise Http404
    timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
    if not verify_callback_signature(
        token=token, timestamp=timestamp, nonce=nonce, signature=request.GET.get("signature", "")
    ):
        logger.warning("WeChat callback with a wrong signature refused")
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    now = timezone.now()
    # The signature covers the query, not the body: a stale or repeated query is refused so a
    # signed URL seen once cannot carry another event later.
    if not accept_callback_nonce(source="wechat", nonce=nonce, timestamp=timestamp, now=now):
        logger.warning("WeChat callback with a stale timestamp or a used nonce refused")
        return HttpResponse("stale or repeated callback", status=403, content_type="text/plain")
    if request.method == "GET":
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
    try:
        receipt = parse_template_send_event(xml_body=request.body, received_at=now)
    except ParseError:
        return HttpResponse("malformed event", status=400, content_type="text/plain")
    if receipt is not None:
        record_receipts(receipts=[receipt], now=now, channels={ChannelKind.WECHAT})
    # The platform expects "success" (or an empty body) for every event it pushes.
    return HttpResponse("success", content_type="text/plain")
