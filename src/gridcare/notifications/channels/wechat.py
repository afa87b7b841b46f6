"""WeChat Official Account template messages (微信公众号模板消息) over the platform's HTTP API.

An access token is fetched with ``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=``
and cached until shortly before it expires; ``POST /cgi-bin/message/template/send?access_token=``
sends ``{"touser", "template_id", "url", "data"}``. When the platform answers that the token is
invalid or expired (errcode 40001, 40014, 42001) the token is fetched again and the send retried
once. The platform has no idempotency key: a crash between send and record can resend
(at-least-once, docs/channels.md).

Message mapping: ``recipient`` is the user's openid; the template id is the message's
``X-WeChat-Template-Id`` header or the configured default; ``X-WeChat-Url`` is the link;
``data`` is ``{"first": subject, "keyword1": body, ...}`` unless ``body`` is a JSON object of
template fields (``{"thing1": "...", ...}``), which is sent as the data. Receipts come by the
TEMPLATESENDJOBFINISH event callback: :func:`verify_callback_signature` and
:func:`parse_template_send_event`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)

TEMPLATE_ID_HEADER = "X-WeChat-Template-Id"
URL_HEADER = "X-WeChat-Url"
_TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: Refresh the token this long before the platform says it expires.
_TOKEN_MARGIN_SECONDS = 300


@dataclass(frozen=True, kw_only=True)
class WeChatSettings:
    """The Official Account's credentials and the API's base URL."""

    app_id: str
    app_secret: str
    default_template_id: str = ""
    base_url: str = "https://api.weixin.qq.com"
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.base_url).scheme not in {"http", "https"}:
            raise ValueError(f"The WeChat API URL must be http or https: {self.base_url!r}")


def callback_signature(*, token: str, timestamp: str, nonce: str) -> str:
    """The platform's callback signature: SHA-1 of token, timestamp and nonce sorted and joined."""
    # SHA-1 is the platform's own callback scheme, not our choice of hash.
    return hashlib.sha1(
        "".join(sorted([token, timestamp, nonce])).encode(), usedforsecurity=False
    ).hexdigest()


def verify_callback_signature(*, token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """Whether a callback's ``signature`` query parameter is the platform's for our token."""
    return hmac.compare_digest(callback_signature(token=token, timestamp=timestamp, nonce=nonce), signature)


def parse_template_send_event(*, xml_body: bytes, received_at: datetime) -> DeliveryReceipt | None:
    """The receipt in a TEMPLATESENDJOBFINISH event (Status success / failed:...); ``None`` for
    other events."""
    root = ElementTree.fromstring(xml_body)  # noqa: S314 - a signature-verified callback; expat refuses entity expansion attacks  # nosec B314
    if root.findtext("Event") != "TEMPLATESENDJOBFINISH":
        return None
    status = root.findtext("Status") or ""
    return DeliveryReceipt(
        provider_message_id=root.findtext("MsgID") or root.findtext("MsgId") or "",
        delivered=status == "success",
        received_at=received_at,
        error="" if status == "success" else status,
    )


class WeChatTemplateAdapter:
    """Sends template messages for one Official Account."""

    kind = ChannelKind.WECHAT

    def __init__(self, *, settings: WeChatSettings) -> None:
        self._settings = settings
        self._access_token = ""
        self._token_expires_at = 0.0

    def send(self, message: OutgoingMessage) -> SendResult:
        """Send the template message; refetch the token once if the platform rejects it."""
        payload = json.dumps(self._payload(message), ensure_ascii=False).encode()
        answer = self._post_template(payload, token=self._token(force_refresh=False))
        if answer.get("errcode", 0) in _TOKEN_ERRORS:
            answer = self._post_template(payload, token=self._token(force_refresh=True))
        errcode = answer.get("errcode", 0)
        if errcode != 0:
            return SendResult(accepted=False, error=f"errcode {errcode}: {answer.get('errmsg', '')}")
        return SendResult(accepted=True, provider_message_id=str(answer.get("msgid", "")))

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """None here: receipts come by the event callback (:func:`parse_template_send_event`)."""
        return []

    def _payload(self, message: OutgoingMessage) -> dict[str, Any]:
        template_id = message.headers.get(TEMPLATE_ID_HEADER, self._settings.default_template_id)
        payload: dict[str, Any] = {
            "touser": message.recipient,
            "template_id": template_id,
            "data": _template_data(message),
        }
        if URL_HEADER in message.headers:
            payload["url"] = message.headers[URL_HEADER]
        return payload

    def _token(self, *, force_refresh: bool) -> str:
        if not force_refresh and self._access_token and time.monotonic() < self._token_expires_at:
            return self._access_token
        query = urllib.parse.urlencode(
            {
                "grant_type": "client_credential",
                "appid": self._settings.app_id,
                "secret": self._settings.app_secret,
            }
        )
        token_url = f"{self._settings.base_url}/cgi-bin/token?{query}"
        answer = self._request(urllib.request.Request(token_url))  # noqa: S310 - scheme checked in WeChatSettings
        if "access_token" not in answer:
            raise ChannelUnavailable(
                f"WeChat token refused: errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"
            )
        self._access_token = str(answer["access_token"])
        self._token_expires_at = (
            time.monotonic() + int(answer.get("expires_in", 7200)) - _TOKEN_MARGIN_SECONDS
        )
        return self._access_token

    def _post_template(self, payload: bytes, *, token: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"access_token": token})
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in WeChatSettings
            f"{self._settings.base_url}/cgi-bin/message/template/send?{query}",
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        return self._request(request)

    def _request(self, request: urllib.request.Request) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self._settings.timeout_seconds) as response:  # noqa: S310 - the configured platform URL (scheme checked)  # nosec B310
                answer: dict[str, Any] = json.loads(response.read())
        except (OSError, ValueError) as error:
            raise ChannelUnavailable(f"WeChat API unreachable: {error}") from error
        if answer.get("errcode") == -1:
            # -1 is "system busy": the platform asks to try again later.
            raise ChannelUnavailable(f"WeChat API busy: {answer.get('errmsg', '')}")
        return answer


def _template_data(message: OutgoingMessage) -> dict[str, dict[str, str]]:
    try:
        fields = json.loads(message.body)
    except ValueError:
        fields = None
    if isinstance(fields, dict):
        return {str(name): {"value": str(value)} for name, value in fields.items()}
    return {"first": {"value": message.subject}, "keyword1": {"value": message.body}}


__all__ = [
    "TEMPLATE_ID_HEADER",
    "URL_HEADER",
    "WeChatSettings",
    "WeChatTemplateAdapter",
    "callback_signature",
    "parse_template_send_event",
    "verify_callback_signature",
]
