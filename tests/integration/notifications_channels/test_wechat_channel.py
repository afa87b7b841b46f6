"""The WeChat template message adapter against a local stub of the platform's API."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
)
from gridcare.notifications.channels.wechat import (
    WeChatSettings,
    WeChatTemplateAdapter,
    callback_signature,
    parse_template_send_event,
    verify_callback_signature,
)

from .conftest import RecordedRequest, RunningHttpStub, StubResponder, free_port

StartStub = Callable[[StubResponder], RunningHttpStub]


class FakeWeChatPlatform:
    """The token and template endpoints; tokens issued before ``expire_tokens_issued_before`` are
    answered with errcode 40001, as the platform does for a token it no longer accepts."""

    def __init__(self) -> None:
        self.tokens_issued = 0
        self.expired_tokens: set[str] = set()

    def __call__(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        url = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/cgi-bin/token":
            if (query.get("grant_type"), query.get("appid"), query.get("secret")) != (
                "client_credential",
                "wx-app",
                "wx-secret",
            ):
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            self.tokens_issued += 1
            return 200, {"access_token": f"TOKEN-{self.tokens_issued}", "expires_in": 7200}
        if url.path == "/cgi-bin/message/template/send":
            if query["access_token"] in self.expired_tokens:
                return 200, {
                    "errcode": 40001,
                    "errmsg": "invalid credential, access_token is invalid or not latest",
                }
            payload = json.loads(request.body)
            if payload["touser"] == "blocked-openid":
                return 200, {"errcode": 43004, "errmsg": "require subscribe"}
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332 + self.tokens_issued}
        return 404, {"errcode": 404}


APP_SECRET = "wx-secret"


def adapter_for(stub: RunningHttpStub, *, secret: str = APP_SECRET) -> WeChatTemplateAdapter:
    return WeChatTemplateAdapter(
        settings=WeChatSettings(
            app_id="wx-app",
            app_secret=secret,
            default_template_id="TPL-BILL",
            base_url=stub.base_url,
            timeout_seconds=5,
        )
    )


def notice(
    *, recipient: str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", body: str = "本月电费 128.50 元"
) -> OutgoingMessage:
    return OutgoingMessage(
        message_id="wx-1",
        channel=ChannelKind.WECHAT,
        recipient=recipient,
        subject="电费账单提醒",
        body=body,
        headers={"X-WeChat-Url": "https://gridcare.example/portal/bills/1"},
    )


def template_requests(stub: RunningHttpStub) -> list[RecordedRequest]:
    return [request for request in stub.requests if request.path.startswith("/cgi-bin/message/template/send")]


def test_the_token_is_fetched_once_and_cached_across_sends(http_stub_factory: StartStub) -> None:
    platform = FakeWeChatPlatform()
    stub = http_stub_factory(platform)
    adapter = adapter_for(stub)

    first = adapter.send(notice())
    second = adapter.send(notice())

    assert [(result.accepted, result.provider_message_id) for result in (first, second)] == [
        (True, "200228333"),
        (True, "200228333"),
    ]
    assert platform.tokens_issued == 1
    request = template_requests(stub)[0]
    assert request.path == "/cgi-bin/message/template/send?access_token=TOKEN-1"
    assert json.loads(request.body) == {
        "touser": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        "template_id": "TPL-BILL",
        "url": "https://gridcare.example/portal/bills/1",
        "data": {"first": {"value": "电费账单提醒"}, "keyword1": {"value": "本月电费 128.50 元"}},
    }


def test_an_expired_token_is_refreshed_once_and_the_send_retried(http_stub_factory: StartStub) -> None:
    platform = FakeWeChatPlatform()
    stub = http_stub_factory(platform)
    adapter = adapter_for(stub)
    adapter.send(notice())
    platform.expired_tokens.add("TOKEN-1")

    result = adapter.send(
        notice(body=json.dumps({"thing1": "停电通知", "time2": "2026-12-01 08:00"}, ensure_ascii=False))
    )

    assert (result.accepted, result.provider_message_id) == (True, "200228334")
    assert platform.tokens_issued == 2
    assert [request.path.rpartition("=")[2] for request in template_requests(stub)] == [
        "TOKEN-1",
        "TOKEN-1",
        "TOKEN-2",
    ]
    assert json.loads(template_requests(stub)[-1].body)["data"] == {
        "thing1": {"value": "停电通知"},
        "time2": {"value": "2026-12-01 08:00"},
    }


def test_a_platform_refusal_is_not_accepted(http_stub_factory: StartStub) -> None:
    stub = http_stub_factory(FakeWeChatPlatform())
    result = adapter_for(stub).send(notice(recipient="blocked-openid"))

    assert (result.accepted, result.error) == (False, "errcode 43004: require subscribe")


def test_refused_credentials_or_a_platform_that_is_down_make_the_channel_unavailable(
    http_stub_factory: StartStub,
) -> None:
    stub = http_stub_factory(FakeWeChatPlatform())
    with pytest.raises(ChannelUnavailable, match="40125"):
        adapter_for(stub, secret="wrong").send(notice())
    assert template_requests(stub) == []
    down = WeChatTemplateAdapter(
        settings=WeChatSettings(
            app_id="wx-app", app_secret="wx-secret", base_url=f"http://127.0.0.1:{free_port()}"
        )
    )
    with pytest.raises(ChannelUnavailable, match="unreachable"):
        down.send(notice())


def test_the_callback_signature_is_the_sha1_of_the_sorted_token_timestamp_and_nonce() -> None:
    expected = hashlib.sha1(b"".join(sorted([b"gridcare-token", b"1764400000", b"nonce42"]))).hexdigest()  # noqa: S324

    assert callback_signature(token="gridcare-token", timestamp="1764400000", nonce="nonce42") == expected
    assert (
        verify_callback_signature(
            token="gridcare-token", timestamp="1764400000", nonce="nonce42", signature=expected
        )
        is True
    )
    assert (
        verify_callback_signature(
            token="gridcare-token", timestamp="1764400001", nonce="nonce42", signature=expected
        )
        is False
    )


def test_template_send_events_become_receipts() -> None:
    received_at = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    event = b"""<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName><CreateTime>1395658920</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
<MsgID>200163836</MsgID><Status><![CDATA[failed:user block]]></Status></xml>"""

    assert parse_template_send_event(xml_body=event, received_at=received_at) == DeliveryReceipt(
        provider_message_id="200163836", delivered=False, received_at=received_at, error="failed:user block"
    )
    delivered = event.replace(b"failed:user block", b"success")
    assert parse_template_send_event(xml_body=delivered, received_at=received_at) == DeliveryReceipt(
        provider_message_id="200163836", delivered=True, received_at=received_at
    )
    subscribe = event.replace(b"TEMPLATESENDJOBFINISH", b"subscribe")
    assert parse_template_send_event(xml_body=subscribe, received_at=received_at) is None
