"""Staff sessions on the API (permission, CSRF), JSON errors, the schema and the docs page."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client
from web_world import ACCOUNT_A1, ACCOUNT_B1, World

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role
from gridcare.metering.models import MeterRead

READ = {
    "asset_no": "M-A1-0001",
    "read_at": "2024-03-05T08:00:00+08:00",
    "source": "manual",
    "registers": {"import_active_total": "2400.00"},
}


def _csrf_client(log_in, user) -> tuple[Client, str]:
    """A client enforcing CSRF, logged in as ``user``, and the CSRF token to send."""
    client = Client(enforce_csrf_checks=True)
    log_in(client, user)
    # Any back-office page (its logout form) sets the CSRF cookie.
    client.get("/")
    return client, client.cookies["csrftoken"].value


def test_a_meter_reader_session_records_a_read_with_the_csrf_token(world: World, log_in):
    client, csrf_token = _csrf_client(log_in, world.station_a_user)

    response = client.post(
        "/api/v1/meter-reads", READ, content_type="application/json", headers={"X-CSRFToken": csrf_token}
    )

    assert response.status_code == 201, response.content
    assert AuditEvent.objects.get(action="record_meter_read").actor == world.station_a_user


def test_a_session_write_without_the_csrf_token_is_refused(world: World, log_in):
    client, _token = _csrf_client(log_in, world.station_a_user)
    reads_before = MeterRead.objects.count()

    response = client.post("/api/v1/meter-reads", READ, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "api_csrf_failed"
    assert MeterRead.objects.count() == reads_before
    event = AuditEvent.objects.get(action="deny_api_request")
    assert (event.actor, event.org_unit_id, event.changes["code"]) == (
        world.station_a_user,
        world.station_a.pk,
        "api_csrf_failed",
    )


def test_a_role_without_the_permission_is_refused(world: World, log_in):
    client = log_in(Client(), world.station_a_user)

    response = client.get("/api/v1/audit/verify")

    assert response.status_code == 403
    assert response.json()["code"] == "api_permission_denied"
    assert response.json()["message_en"] == "You do not hold the permission audit.view"
    assert AuditEvent.objects.get(action="deny_api_request").changes["code"] == "api_permission_denied"


def test_an_auditor_verifies_the_audit_chain(world: World, log_in):
    world.county_supervisor.groups.add(Group.objects.get_or_create(name=Role.AUDITOR.value)[0])
    client = log_in(Client(), world.county_supervisor)

    response = client.get("/api/v1/audit/verify")

    assert response.status_code == 200
    body = response.json()
    assert body["intact"] is True
    assert body["problem"] is None


def test_a_portal_customer_is_refused(world: World, log_in):
    client = log_in(Client(), world.portal_user)

    response = client.get(f"/api/v1/accounts/{ACCOUNT_A1}")

    assert response.status_code == 403
    assert response.json()["code"] == "api_staff_required"


def test_a_staff_session_sees_its_own_station_only(world: World, log_in):
    client = log_in(Client(), world.station_b_user)

    assert client.get(f"/api/v1/accounts/{ACCOUNT_A1}").status_code == 404
    assert [item["account_no"] for item in client.get("/api/v1/accounts/").json()["items"]] == [ACCOUNT_B1]


def test_invalid_input_is_422_with_the_field_paths(world: World, log_in):
    client = log_in(Client(), world.station_a_user)
    bad = {**READ, "read_at": "2024-03-05T08:00:00", "registers": {"import_active_total": "-1"}}

    response = client.post("/api/v1/meter-reads", bad, content_type="application/json")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [error["field"] for error in body["errors"]] == [
        "body.read.read_at",
        "body.read.registers.import_active_total",
    ]


def test_a_query_out_of_range_is_422(world: World, log_in):
    client = log_in(Client(), world.station_a_user)

    response = client.get("/api/v1/accounts/?page=0&page_size=1000&q=%00")

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [
        "query.page",
        "query.page_size",
        "query.q",
    ]


def test_a_body_that_is_not_json_is_400(world: World, log_in):
    client = log_in(Client(), world.station_a_user)

    response = client.post("/api/v1/meter-reads", b"{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_a_rule_refusal_is_422_and_a_second_read_at_the_same_moment_409(world: World, log_in):
    client = log_in(Client(), world.station_a_user)
    future = {**READ, "read_at": "2099-01-01T00:00:00+08:00"}

    refused = client.post("/api/v1/meter-reads", future, content_type="application/json")
    first = client.post("/api/v1/meter-reads", READ, content_type="application/json")
    second = client.post("/api/v1/meter-reads", READ, content_type="application/json")

    assert refused.status_code == 422
    assert refused.json()["code"] == "moment_in_future"
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "read_time_taken"
    assert second.json()["message_en"] == "Meter M-A1-0001 already has a read at 2024-03-05 08:00:00."


def test_the_schema_and_the_docs_are_served_without_a_cdn(db: None):
    client = Client()

    schema = client.get("/api/v1/openapi.json").json()
    docs = client.get("/api/docs")

    assert sorted(schema["paths"]) == [
        "/api/v1/accounts/",
        "/api/v1/accounts/{account_no}",
        "/api/v1/accounts/{account_no}/meter-reads",
        "/api/v1/audit/verify",
        "/api/v1/billing/quote",  # billing (issue 5)
        "/api/v1/meter-reads",
        "/api/v1/payments/bank/accounts/{account_no}/amount-due",  # bank channels (issue 6)
        "/api/v1/payments/bank/payments",  # bank channels (issue 6)
        "/api/v1/payments/bank/reversals",  # bank channels (issue 6)
        "/api/v1/payments/late-fee-quote",  # payments (issue 6)
    ]
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
