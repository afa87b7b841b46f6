"""Schemathesis against the API's own OpenAPI schema, through the WSGI application: every
operation, with generated valid and invalid input, as a signed integration and as a staff
session. No response may be a server error, and every response must match the schema (status
code, content type, body)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import schemathesis
from django.contrib.auth.models import Group
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from web_world import World

from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import Role
from gridcare.identity.signing import canonical_path, sign_request
from gridcare.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 25

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def keeping_the_test_connection(app: WsgiApp) -> WsgiApp:
    """``app`` without Django's per-request connection clean-up, which would close the test's
    database connection inside its transaction (on PostgreSQL); Django's test client switches
    it off the same way. The response is read and closed inside, where the clean-up is off."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()  # type: ignore[attr-defined]
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return wrapped


API = keeping_the_test_connection(application)


def signing(app: WsgiApp, credentials: IssuedCredentials) -> WsgiApp:
    """``app`` behind a client that signs every request as it reaches the server (method,
    path, query and body exactly as Django sees them), the way an integration would."""

    def signed_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = WSGIRequest(environ.copy())
        body = request.body
        environ["wsgi.input"] = io.BytesIO(body)
        query = request.META.get("QUERY_STRING", "")
        # sign_request takes the URL as sent: percent-encoded.
        url = canonical_path(request.path) + (f"?{query}" if query else "")
        headers = sign_request(
            method=request.method or "GET",
            url=url,
            body=body,
            token=credentials.token,
            signing_key=credentials.signing_key,
        )
        for name, value in headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return app(environ, start_response)

    return signed_app


def run_every_operation(
    app: WsgiApp, *, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
) -> Counter[tuple[str, int]]:
    """Generate up to MAX_EXAMPLES positive and negative cases per operation, send them through
    ``app`` and check every response; returns how often each (operation, status) was seen.

    Schemathesis makes up credentials for the schema's security schemes (a random bearer
    token, a random session cookie); they are dropped so every request carries the caller's
    own (the refusals of made-up credentials are tested exactly elsewhere)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
            def check(case: schemathesis.Case) -> None:
                if case.headers:
                    case.headers.pop("Authorization", None)
                if case.cookies:
                    case.cookies.clear()
                response = case.call(headers=headers, cookies=cookies)
                seen[case.operation.label, response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            check()
    return seen


def statuses(seen: Counter[tuple[str, int]]) -> set[int]:
    return {status for _label, status in seen}


def test_signed_integration_requests_never_fail_the_server(world: World, integration_factory):
    credentials = integration_factory(name="fuzzer", org_unit=world.county, scopes=list(ApiScope))

    seen = run_every_operation(signing(API, credentials))

    # billing (issue 5): + POST /api/v1/billing/quote; payments (issue 6): + the late-fee quote;
    # bank channels (issue 6): + the bank's amount due, payment and reversal notifications
    assert len({label for label, _status in seen}) == 10
    # Every generated request got through authentication: the fuzzing reached the endpoints.
    assert statuses(seen) <= {200, 201, 400, 404, 409, 422}
    assert {200, 422} <= statuses(seen)


def test_staff_session_requests_never_fail_the_server(world: World, log_in):
    user = world.station_a_user
    user.groups.add(Group.objects.get_or_create(name=Role.AUDITOR.value)[0])
    # billing (issue 5): 核算员 holds billing.quote, so the quote endpoints are reached too.
    user.groups.add(Group.objects.get_or_create(name=Role.BILLING_CLERK.value)[0])
    client = log_in(Client(), user)
    client.get("/")
    session_id = client.cookies["sessionid"].value
    csrf_token = client.cookies["csrftoken"].value
    seen = run_every_operation(
        API,
        headers={"X-CSRFToken": csrf_token},
        cookies={"sessionid": session_id, "csrftoken": csrf_token},
    )
    # bank channels (issue 6): the bank endpoints take signed integrations only: a session is 401.
    bank = {key for key in seen if "/payments/bank/" in key[0]}
    assert {status for _label, status in bank} == {401}
    seen = Counter({key: count for key, count in seen.items() if key not in bank})

    # billing (issue 5): + POST /api/v1/billing/quote; payments (issue 6): + the late-fee quote
    assert len({label for label, _status in seen}) == 7
    assert statuses(seen) <= {200, 201, 400, 404, 409, 422}
    assert {200, 422} <= statuses(seen)


def test_the_signing_client_is_what_the_server_checks(world: World, integration_factory):
    """The adapter above is a faithful client: a request it signs passes, one it does not is refused."""
    credentials = integration_factory(name="probe", org_unit=world.station_a, scopes=[ApiScope.AUDIT_VERIFY])
    environ = Client()._base_environ(PATH_INFO="/api/v1/audit/verify", REQUEST_METHOD="GET")
    answers: list[str] = []

    def start_response(status: str, response_headers: Any) -> None:
        answers.append(status)

    signing(API, credentials)(dict(environ), start_response)
    API(dict(environ), start_response)

    assert [status.split()[0] for status in answers] == ["200", "401"]
