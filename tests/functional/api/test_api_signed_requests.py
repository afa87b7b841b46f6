"""Signed integration requests: accepted when everything holds, and each way of failing refused
with its own code, audited as ``deny_api_request``, with nothing changed."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone
from web_world import ACCOUNT_A1, ACCOUNT_A2, ACCOUNT_B1, World

from gridcare.audit.models import AuditEvent
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import ApiNonce
from gridcare.identity.operations import revoke_integration, rotate_integration_credentials
from gridcare.identity.signing import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_request
from gridcare.metering.models import MeterRead

from .conftest import send

READS_URL = "/api/v1/meter-reads"
NEW_READ = {
    "asset_no": "M-A1-0001",
    "read_at": "2024-03-05T08:00:00+08:00",
    "source": "ami",
    "registers": {"import_active_total": "2400.00"},
}


def denials() -> list[dict[str, object]]:
    return [
        event.changes for event in AuditEvent.objects.filter(action="deny_api_request").order_by("sequence")
    ]


def test_a_signed_search_sees_its_station_only_with_masked_personal_data(
    world: World, station_a_ami, signed_call
):
    response = signed_call(station_a_ami, "GET", "/api/v1/accounts/?q=&page=1&page_size=10")

    assert response.status_code == 200
    body = response.json()
    assert [item["account_no"] for item in body["items"]] == [ACCOUNT_A1, ACCOUNT_A2]
    assert (body["count"], body["page"], body["page_size"]) == (2, 1, 10)

    detail = signed_call(station_a_ami, "GET", f"/api/v1/accounts/{ACCOUNT_A1}").json()
    assert (
        detail["customer"]["id_number_masked"]
        == world.zhang.id_number[:3] + "*" * 11 + world.zhang.id_number[-4:]
    )
    assert detail["contacts"][0] == {"name": "张三", "is_primary": True, "mobile_masked": "138****5678"}
    assert world.zhang.id_number not in str(detail)


def test_a_signed_read_is_recorded_by_the_service_user_as_the_import_would(
    world: World, station_a_ami, signed_call
):
    response = signed_call(station_a_ami, "POST", READS_URL, NEW_READ)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["asset_no"], body["metering_point"], body["source"], body["status"], body["reason"]) == (
        "M-A1-0001",
        "MP-A1-01",
        "ami",
        "valid",
        "periodic",
    )
    assert body["registers"]["import_active_total"] == "2400.00"
    read = MeterRead.objects.get(pk=body["id"])
    assert read.import_active_total == Decimal("2400.00")
    event = AuditEvent.objects.get(action="record_meter_read")
    assert event.actor == station_a_ami.integration.service_user
    assert event.object_id == str(read.pk)
    assert ApiNonce.objects.filter(integration=station_a_ami.integration).count() == 1


def _refused_read(station_a_ami, *, headers, code, status=401):
    reads_before = MeterRead.objects.count()
    nonces_before = ApiNonce.objects.count()
    body = (
        b'{"asset_no": "M-A1-0001", "read_at": "2024-03-05T08:00:00+08:00", "source": "ami", '
        b'"registers": {"import_active_total": "2400.00"}}'
    )
    response = send(method="POST", url=READS_URL, body=body, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert MeterRead.objects.count() == reads_before
    assert ApiNonce.objects.count() == nonces_before
    assert denials()[-1] == {
        "code": code,
        "status": status,
        "method": "POST",
        "path": READS_URL,
        "ip_address": "127.0.0.1",
    }
    return response


def _signed(credentials, *, body_text: bytes | None = None, **overrides):
    body = (
        body_text
        if body_text is not None
        else (
            b'{"asset_no": "M-A1-0001", "read_at": "2024-03-05T08:00:00+08:00", "source": "ami", '
            b'"registers": {"import_active_total": "2400.00"}}'
        )
    )
    return sign_request(
        method="POST",
        url=READS_URL,
        body=body,
        token=credentials.token,
        signing_key=credentials.signing_key,
        **overrides,
    )


def test_a_wrong_signature_is_refused(station_a_ami):
    headers = _signed(station_a_ami)
    headers[SIGNATURE_HEADER] = sign_request(
        method="POST",
        url=READS_URL,
        body=b"{}",
        token=station_a_ami.token,
        signing_key=station_a_ami.signing_key,
        timestamp=int(headers[TIMESTAMP_HEADER]),
        nonce=headers[NONCE_HEADER],
    )[SIGNATURE_HEADER]

    _refused_read(station_a_ami, headers=headers, code="api_signature_invalid")
    event = AuditEvent.objects.filter(action="deny_api_request").get()
    assert (event.actor, event.object_type, event.org_unit_id) == (
        station_a_ami.integration.service_user,
        "identity.integration",
        station_a_ami.integration.org_unit_id,
    )


def test_a_body_signed_with_another_key_is_refused(station_a_ami):
    headers = sign_request(
        method="POST", url=READS_URL, body=b"", token=station_a_ami.token, signing_key="not-the-key"
    )
    _refused_read(station_a_ami, headers=headers, code="api_signature_invalid")


# Ten seconds past the 300-second window, not one: the timestamp is whole seconds and the server
# reads its clock a little later, so a timestamp 301 s ahead can be 300.0 s ahead on arrival.
@pytest.mark.parametrize("age", [310, -310])
def test_a_timestamp_outside_the_window_is_refused(station_a_ami, age):
    headers = _signed(station_a_ami, timestamp=int(time.time()) - age)
    response = _refused_read(station_a_ami, headers=headers, code="api_timestamp_stale")
    assert response.json()["message_en"].endswith("is more than 300 seconds from the server's clock")


def test_a_replayed_nonce_is_refused(station_a_ami):
    headers = _signed(station_a_ami)
    body = (
        b'{"asset_no": "M-A1-0001", "read_at": "2024-03-05T08:00:00+08:00", "source": "ami", '
        b'"registers": {"import_active_total": "2400.00"}}'
    )
    first = send(method="POST", url=READS_URL, body=body, headers=headers)
    assert first.status_code == 201

    _refused_read(station_a_ami, headers=headers, code="api_nonce_replayed")
    assert MeterRead.objects.filter(meter__asset_no="M-A1-0001").count() == 15


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER])
def test_a_request_without_a_signature_header_is_refused(station_a_ami, missing):
    headers = _signed(station_a_ami)
    del headers[missing]
    response = _refused_read(station_a_ami, headers=headers, code="api_signature_missing")
    assert missing in response.json()["message_en"]


def test_a_rotated_token_is_refused_and_the_new_one_accepted(station_a_ami, signed_call):
    new = rotate_integration_credentials(
        integration=station_a_ami.integration, actor=None, now=timezone.now()
    )

    _refused_read(station_a_ami, headers=_signed(station_a_ami), code="api_token_revoked")
    assert signed_call(new, "POST", READS_URL, NEW_READ).status_code == 201


def test_a_revoked_integration_is_refused(station_a_ami):
    revoke_integration(integration=station_a_ami.integration, actor=None, now=timezone.now())

    _refused_read(station_a_ami, headers=_signed(station_a_ami), code="api_token_revoked")


def test_an_unknown_or_malformed_token_is_refused(station_a_ami):
    token_id = station_a_ami.token.split(".")[0]
    for token in (f"{token_id}.{'A' * 43}", "gct_0000000000000000." + "A" * 43, "nonsense"):
        headers = _signed(station_a_ami)
        headers["Authorization"] = f"Bearer {token}"
        _refused_read(station_a_ami, headers=headers, code="api_token_invalid")
    # An unrecognised token names no integration: the denial has no actor.
    assert AuditEvent.objects.filter(action="deny_api_request", actor__isnull=True).count() == 3


def test_a_token_without_the_write_scope_cannot_record_reads(world: World, integration_factory):
    reader = integration_factory(name="bank-a", org_unit=world.station_a, scopes=[ApiScope.ACCOUNTS_READ])

    response = _refused_read(reader, headers=_signed(reader), code="api_scope_missing", status=403)
    assert response.json()["message_en"] == "Integration bank-a does not hold the scope meter_reads:write"


def test_an_endpoint_outside_the_scopes_is_refused(world: World, integration_factory, signed_call):
    ami = integration_factory(name="ami-a", org_unit=world.station_a, scopes=[ApiScope.METER_READS_WRITE])

    response = signed_call(ami, "GET", "/api/v1/audit/verify")
    assert response.status_code == 403
    assert response.json()["code"] == "api_scope_missing"
    assert denials()[-1]["path"] == "/api/v1/audit/verify"
    assert ApiNonce.objects.count() == 0


def test_a_station_a_token_cannot_read_or_write_station_b(world: World, station_a_ami, signed_call):
    assert signed_call(station_a_ami, "GET", f"/api/v1/accounts/{ACCOUNT_B1}").status_code == 404
    assert signed_call(station_a_ami, "GET", f"/api/v1/accounts/{ACCOUNT_B1}/meter-reads").status_code == 404
    reads_before = MeterRead.objects.count()

    response = signed_call(station_a_ami, "POST", READS_URL, {**NEW_READ, "asset_no": "M-B1-0001"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert MeterRead.objects.count() == reads_before
    assert not AuditEvent.objects.filter(action="record_meter_read").exists()


def test_a_county_token_sees_both_stations(world: World, integration_factory, signed_call):
    county = integration_factory(name="county-bank", org_unit=world.county, scopes=[ApiScope.ACCOUNTS_READ])

    body = signed_call(county, "GET", "/api/v1/accounts/").json()

    assert [item["account_no"] for item in body["items"]] == [ACCOUNT_A1, ACCOUNT_A2, ACCOUNT_B1]


def test_a_request_without_credentials_is_refused_and_audited(world: World):
    response = send(method="GET", url="/api/v1/accounts/", body=b"", headers={})

    assert response.status_code == 401
    assert response.json() == {
        "code": "api_credentials_missing",
        "field": None,
        "message_zh": "请求未认证：请登录，或携带接口令牌和签名",
        "message_en": "The request is not authenticated: log in, or send an API token and a signature",
    }
    assert denials() == [
        {
            "code": "api_credentials_missing",
            "status": 401,
            "method": "GET",
            "path": "/api/v1/accounts/",
            "ip_address": "127.0.0.1",
        }
    ]


def test_the_query_string_is_signed(station_a_ami):
    headers = sign_request(
        method="GET",
        url="/api/v1/accounts/?q=张",
        token=station_a_ami.token,
        signing_key=station_a_ami.signing_key,
    )
    response = send(method="GET", url="/api/v1/accounts/?q=李", body=b"", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "api_signature_invalid"
