"""The authorization matrix (issue 3 acceptance).

Every seeded role (at the own station S1), a province 审计员 and 营销主管, a superuser, a staff
user bound to no org unit, a portal customer and anonymous × every page and endpoint in the URL
configuration × a record in the actor's own org (S1), a sibling org (S2) and the parent org
(county K), asserting allowed or denied: 403 for a missing permission (recorded as a
``deny_permission`` audit event), 404 for a record outside the actor's org subtree (the admin
sends such a user back to its index), a redirect to the right login for those not logged in.
The JSON API answers with JSON instead: 401 without a login, 403 for portal customers, staff
bound to no org unit and a missing permission (each recorded as a ``deny_api_request`` audit
event), 404 outside the org subtree. After a refused state-changing POST, nothing changed.

``test_every_url_is_classified`` walks the URL resolver: a page added without a row here fails
it. Expected outcomes are written from the permission table (docs/permissions.md), not read
from the views.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from access_world import LOCKOUT_FAILURES, SCOPES, MatrixWorld, valid_id_number
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from gridcare.audit.models import AuditEvent
from gridcare.billing.models import (
    Bill,
    BillKind,
    BillLine,
    BillRun,
    BillRunStatus,
    BillStatus,
)  # billing pages
from gridcare.customers.models import Account, Customer, PortalLink, ReadingRoute
from gridcare.identity.approvals import UNMASK_PII_IN_BULK
from gridcare.identity.mfa import RECOVERY_CODE_COUNT, recovery_codes_left
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, Integration, OneTimeCode, User, UserKind
from gridcare.identity.permissions import Permission, permissions_of, requires_mfa
from gridcare.identity.pii import pii_hash
from gridcare.jobs.models import JobRun
from gridcare.jobs.operations import store_run
from gridcare.jobs.tasks import verify_audit_log
from gridcare.metering.models import MeterRead
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.letters import move_message  # letters (issue 4)
from gridcare.notifications.models import (  # letters (issue 4)
    DeliveryPolicy,
    LetterBatch,
    LetterBatchEntry,
    LetterService,
    MessageState,
    NotificationTemplate,
    OutboxMessage,
)
from gridcare.notifications.operations import (  # letters (issue 4)
    create_delivery_policy,
    create_notification_template,
    notify,
    queue_composed_message,
    unsubscribe_token,
)
from gridcare.notifications.recipients import Recipient
from gridcare.payments.models import (  # dunning (issue 6)  # statements (issue 6 §6)  # cashier (issue 6)
    BankStatement,
    CashierShift,
    DebitBatch,  # bank channels (issue 6)
    DunningCase,
    DunningPlanVersion,
    Payment,
    PaymentChannel,
    PrepaidArrangement,  # prepaid (issue 6)
    PrepaidStatus,  # prepaid (issue 6)
    ProviderOrder,  # provider payments (portalpay)
    ShiftKind,
    ShiftPayment,
    StatementLine,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
    TenderMethod,
)
from gridcare.payments.operations import record_payment  # cashier (issue 6)

pytestmark = pytest.mark.django_db


class Outcome(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    REFUSED_IN_FORM = "refused on the page (200), nothing changed"
    TO_STAFF_LOGIN = "302 to the staff login"
    TO_PORTAL = "302 to the portal"
    TO_PORTAL_LOGIN = "302 to the portal login"
    TO_BACKOFFICE = "302 to the back office"
    TO_ADMIN_LOGIN = "302 to the admin login"
    TO_ADMIN_INDEX = "302 to the admin index (not found)"
    TO_MFA_ENROL = "302 to the MFA enrolment"
    TO_SECURITY = "302 to the security page"
    ANY = "200 or 302"
    API_NOT_AUTHENTICATED = "401 api_credentials_missing"
    API_STAFF_REQUIRED = "403 api_staff_required"
    API_PERMISSION_DENIED = "403 api_permission_denied"


#: The JSON error code of each API refusal (``NOT_FOUND`` in the API too).
API_ERROR_CODES = {
    Outcome.API_NOT_AUTHENTICATED: (401, "api_credentials_missing"),
    Outcome.API_STAFF_REQUIRED: (403, "api_staff_required"),
    Outcome.API_PERMISSION_DENIED: (403, "api_permission_denied"),
    Outcome.NOT_FOUND: (404, "not_found"),
}
#: The audit event each refusal records (exactly one; every other outcome records none).
DENIAL_ACTIONS = {
    Outcome.FORBIDDEN: "deny_permission",
    Outcome.API_NOT_AUTHENTICATED: "deny_api_request",
    Outcome.API_STAFF_REQUIRED: "deny_api_request",
    Outcome.API_PERMISSION_DENIED: "deny_api_request",
}


@dataclass(frozen=True)
class Actor:
    key: str
    user: User | None
    permissions: frozenset[Permission]
    sees_whole_province: bool

    @property
    def is_superuser(self) -> bool:
        return self.user is not None and self.user.is_superuser

    def sees(self, scope: str | None) -> bool:
        return scope is None or scope == "own" or self.sees_whole_province


ACTOR_KEYS = (
    *(
        f"{role}@S1"
        for role in (
            "business_expansion_clerk",
            "meter_reader",
            "billing_clerk",
            "cashier",
            "account_manager",
            "usage_inspector",
            "service_desk_agent",
            "marketing_supervisor",
            "auditor",
            "system_administrator",
        )
    ),
    "auditor@P",
    "marketing_supervisor@P",
    "superuser",
    "unbound_staff",
    "portal",
    "anonymous",
)

World = MatrixWorld
Build = Callable[[World, Actor], Any]
Decide = Callable[[Actor], Outcome]


@dataclass(frozen=True)
class Case:
    """One concrete request and who may make it.

    ``area`` decides the handling of those not logged in and of portal customers; for staff,
    ``permission`` (any staff if ``None``) then the record's ``scope`` decide, unless
    ``decide`` does (after the area's gate). A portal page's ``scope`` is the account's: a
    portal customer's own account is the own one. A public page is open to all (200 or 302)
    unless ``decide`` says more exactly."""

    label: str
    url_name: str
    area: str  # public | portal | staff | admin | api
    path: Build
    method: str = "GET"
    data: Build | None = None
    content_type: str | None = None
    scope: str | None = None
    permission: Permission | None = None
    out_of_scope: Outcome = Outcome.NOT_FOUND
    decide: Decide | None = None
    outsider_outcome: Outcome | None = None
    allowed_status: int = 200
    state: Callable[[World], object] | None = None
    check_allowed: Callable[[HttpResponse, World, Actor], None] | None = None
    check_refused: Callable[[HttpResponse, World, Actor], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def expected(case: Case, actor: Actor) -> Outcome:
    if case.area == "public":
        return case.decide(actor) if case.decide is not None else Outcome.ANY
    if case.area == "api":
        return _api_expected(case, actor)
    if case.outsider_outcome is not None and (actor.user is None or actor.user.kind == UserKind.PORTAL):
        return case.outsider_outcome
    if actor.user is None:
        return {
            "portal": Outcome.TO_PORTAL_LOGIN,
            "admin": Outcome.TO_ADMIN_LOGIN,
            "staff": Outcome.TO_STAFF_LOGIN,
        }[case.area]
    if actor.user.kind == UserKind.PORTAL:
        if case.area == "portal":
            return Outcome.ALLOWED if actor.sees(case.scope) else case.out_of_scope
        return {"admin": Outcome.TO_ADMIN_LOGIN, "staff": Outcome.TO_PORTAL}[case.area]
    if case.area == "portal":
        return Outcome.TO_BACKOFFICE
    if case.area == "staff" and actor.user.org_unit_id is None and not actor.is_superuser:
        return Outcome.FORBIDDEN  # staff bound to no org unit enter no back-office page
    if case.area == "admin" and Permission.MANAGE_USERS not in actor.permissions:
        return Outcome.FORBIDDEN
    if case.decide is not None:
        return case.decide(actor)
    if case.permission is not None and case.permission not in actor.permissions:
        return Outcome.FORBIDDEN
    if not actor.sees(case.scope):
        return case.out_of_scope
    return Outcome.ALLOWED


def _api_expected(case: Case, actor: Actor) -> Outcome:
    """The JSON API: a staff session (bound to an org unit, or a superuser) holding the
    endpoint's permission, then the record's org scope. (Integrations' tokens are not actors
    here: tests/functional/api covers them.)"""
    # bank channels (issue 6): the bank endpoints take a signed integration only, no session.
    if case.extra.get("integration_only"):
        return Outcome.API_NOT_AUTHENTICATED
    if actor.user is None:
        return Outcome.API_NOT_AUTHENTICATED
    if actor.user.kind != UserKind.STAFF or (actor.user.org_unit_id is None and not actor.is_superuser):
        return Outcome.API_STAFF_REQUIRED
    if case.permission is not None and case.permission not in actor.permissions:
        return Outcome.API_PERMISSION_DENIED
    if not actor.sees(case.scope):
        return case.out_of_scope
    return Outcome.ALLOWED


# --- content checks -----------------------------------------------------------------------


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return str(response.content.decode())


def _shows_scopes(marker: Callable[[World, str], str]) -> Callable[[HttpResponse, World, Actor], None]:
    """A check that the page shows the own record, and the others only to province-wide actors."""

    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        body = _body(response)
        shown = [scope for scope in SCOPES if marker(world, scope) in body]
        assert shown == [scope for scope in SCOPES if actor.sees(scope)], (actor.key, shown)

    return check


def _account_no(world: World, scope: str) -> str:
    return str(world.place(scope).account.account_no)


def _request_state(scope: str) -> Callable[[World], object]:
    def state(world: World) -> object:
        place = world.place(scope)
        request = ApprovalRequest.objects.get(pk=place.pending_request.pk)
        return (request.status, request.decided_by_id, User.objects.get(pk=place.reader.pk).roles())

    return state


def _approval_executed(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        place = world.place(scope)
        assert ApprovalRequest.objects.get(pk=place.pending_request.pk).status == ApprovalStatus.EXECUTED
        assert User.objects.get(pk=place.reader.pk).roles() == ["抄表员", "收费员"]

    return check


def _customers_csv(world: World, scope: str) -> SimpleUploadedFile:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["customer_no", "kind", "name", "id_number", "org_unit"])
    org_unit_code = world.place(scope).org_unit.code
    writer.writerow(["C90000001", "person", "王五", valid_id_number("37010219900215009"), org_unit_code])
    return SimpleUploadedFile("customers.csv", text.getvalue().encode())


def _imported(response: HttpResponse, world: World, actor: Actor) -> None:
    assert 'data-import-result="committed"' in _body(response)
    assert Customer.objects.filter(customer_no="C90000001").count() == 1


def _import_outcome(scope: str) -> Decide:
    def decide(actor: Actor) -> Outcome:
        if not {Permission.IMPORT_DATA, Permission.CHANGE_CUSTOMERS} <= actor.permissions:
            return Outcome.FORBIDDEN
        return Outcome.ALLOWED if actor.sees(scope) else Outcome.REFUSED_IN_FORM

    return decide


def _my_request_path(world: World, actor: Actor) -> str:
    """The actor's own pending request (made for this request), or the requester's."""
    if actor.user is None or actor.user.kind != UserKind.STAFF:
        return reverse("web:approval_cancel", args=[world.place("own").pending_request.pk])
    mine = ApprovalRequest.objects.create(
        kind="change_user_roles",
        payload=world.place("own").pending_request.payload,
        org_unit=world.own_station,
        requested_by=actor.user,
        requested_at=world.place("own").pending_request.requested_at,
        justification="x",
    )
    return reverse("web:approval_cancel", args=[mine.pk])


def _approved_bulk_unmask(world: World, *, requested_by: User, decided_by: User) -> ApprovalRequest:
    """An approved bulk-unmask request (a grant of one unmasked export) of the own account."""
    moment = world.place("own").pending_request.requested_at
    return ApprovalRequest.objects.create(
        kind=UNMASK_PII_IN_BULK,
        payload={"account_nos": [_account_no(world, "own")]},
        org_unit=world.own_station,
        requested_by=requested_by,
        requested_at=moment,
        justification="稽查",
        status=ApprovalStatus.APPROVED,
        decided_by=decided_by,
        decided_at=moment,
    )


def _unmasked_export_path(*, mine: bool) -> Build:
    """The unmasked export of the actor's own grant (made for this request), or of the
    requester's (for those who cannot have one)."""

    def build(world: World, actor: Actor) -> str:
        own_grant = mine and actor.user is not None and actor.user.kind == UserKind.STAFF
        grant = _approved_bulk_unmask(
            world,
            requested_by=actor.user if own_grant and actor.user is not None else world.requester,
            decided_by=world.requester if own_grant else world.place("own").reader,
        )
        return reverse("exchange:export_unmasked", args=[grant.pk, "customers"])

    return build


def _grant_states(world: World) -> object:
    return sorted(ApprovalRequest.objects.filter(kind=UNMASK_PII_IN_BULK).values_list("pk", "status"))


def _exported_unmasked(response: HttpResponse, world: World, actor: Actor) -> None:
    customer = world.place("own").account.customer
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [(row["customer_no"], row["id_number"]) for row in rows] == [
        (customer.customer_no, customer.id_number)
    ]
    assert ApprovalRequest.objects.get(kind=UNMASK_PII_IN_BULK, requested_by=actor.user).status == (
        ApprovalStatus.EXECUTED
    )


def _reading_route(world: World, scope: str) -> ReadingRoute:
    return ReadingRoute.objects.get(org_unit=world.place(scope).org_unit)


# --- the cases ------------------------------------------------------------------------------


def _constant(path: str) -> Build:
    return lambda world, actor: path


def _web_cases() -> Iterator[Case]:
    for name, method in (
        ("web:login", "GET"),
        ("web:logout", "POST"),
        ("portal:login", "GET"),
        ("portal:logout", "POST"),
        ("admin:login", "GET"),
    ):
        yield Case(label=name, url_name=name, area="public", method=method, path=_constant(reverse(name)))
    yield Case(
        label="set_language",
        url_name="set_language",
        area="public",
        method="POST",
        path=_constant(reverse("set_language")),
        data=lambda world, actor: {"language": "en", "next": "/"},
    )
    yield Case(
        label="portal home", url_name="portal:home", area="portal", path=_constant(reverse("portal:home"))
    )
    yield Case(label="home", url_name="web:home", area="staff", path=_constant("/"))
    yield Case(label="my requests", url_name="web:my_requests", area="staff", path=_constant("/my-requests/"))
    yield Case(
        label="account search",
        url_name="web:account_search",
        area="staff",
        permission=Permission.VIEW_CUSTOMERS,
        path=_constant("/accounts/"),
        check_allowed=_shows_scopes(_account_no),
    )
    yield Case(
        label="audit log",
        url_name="web:audit_log",
        area="staff",
        permission=Permission.VIEW_AUDIT_LOG,
        path=_constant("/audit/"),
    )
    yield Case(
        label="audit log CSV",
        url_name="web:audit_log_csv",
        area="staff",
        permission=Permission.EXPORT_AUDIT_LOG,
        path=_constant("/audit/export.csv"),
    )
    # jobs (issue 4): the job runs page and a run's progress fragment
    yield Case(
        label="job runs",
        url_name="web:job_runs",
        area="staff",
        permission=Permission.VIEW_JOBS,
        path=_constant("/jobs/"),
    )
    yield Case(
        label="job run progress",
        url_name="web:job_progress",
        area="staff",
        permission=Permission.VIEW_JOBS,
        path=lambda world, actor: reverse("web:job_progress", args=[_job_run().pk]),
    )
    yield Case(
        label="user list",
        url_name="web:user_list",
        area="staff",
        permission=Permission.MANAGE_USERS,
        path=_constant("/users/"),
        check_allowed=_shows_scopes(lambda world, scope: f'data-user="reader_{scope}"'),
    )
    yield Case(
        label="approval inbox",
        url_name="web:approval_inbox",
        area="staff",
        permission=Permission.APPROVE,
        path=_constant("/approvals/"),
        check_allowed=_shows_scopes(
            lambda world, scope: f'data-request="{world.place(scope).pending_request.pk}"'
        ),
    )
    yield Case(
        label="bulk unmask request page",
        url_name="web:bulk_unmask_request",
        area="staff",
        permission=Permission.UNMASK_PII_IN_BULK,
        path=_constant("/my-requests/bulk-unmask/"),
    )
    yield Case(
        label="import and export page",
        url_name="exchange:upload",
        area="staff",
        path=_constant("/exchange/"),
        decide=lambda actor: (
            Outcome.ALLOWED
            if actor.permissions & {Permission.IMPORT_DATA, Permission.EXPORT_DATA}
            else Outcome.FORBIDDEN
        ),
    )
    yield Case(
        label="accounts export",
        url_name="exchange:export",
        area="staff",
        permission=Permission.EXPORT_DATA,
        path=_constant("/exchange/export/accounts.csv"),
        check_allowed=_shows_scopes(_account_no),
    )
    yield Case(
        label="cancel someone else's request",
        url_name="web:approval_cancel",
        area="staff",
        method="POST",
        path=lambda world, actor: reverse(
            "web:approval_cancel", args=[world.place("own").pending_request.pk]
        ),
        decide=lambda actor: Outcome.NOT_FOUND,
        state=_request_state("own"),
    )
    yield Case(
        label="cancel my own request",
        url_name="web:approval_cancel",
        area="staff",
        method="POST",
        path=_my_request_path,
        allowed_status=302,
        check_allowed=lambda response, world, actor: (
            None
            if ApprovalRequest.objects.get(requested_by=actor.user).status == ApprovalStatus.CANCELLED
            else pytest.fail("not cancelled")
        ),
    )
    yield Case(
        label="download my unmasked export",
        url_name="exchange:export_unmasked",
        area="staff",
        method="POST",
        permission=Permission.UNMASK_PII_IN_BULK,
        path=_unmasked_export_path(mine=True),
        state=_grant_states,
        check_allowed=_exported_unmasked,
    )
    yield Case(
        label="download someone else's unmasked export",
        url_name="exchange:export_unmasked",
        area="staff",
        method="POST",
        path=_unmasked_export_path(mine=False),
        decide=lambda actor: Outcome.FORBIDDEN,  # an approval serves its requester alone
        state=_grant_states,
    )
    for scope in SCOPES:
        yield Case(
            label=f"account page ({scope})",
            url_name="web:account_detail",
            area="staff",
            scope=scope,
            permission=Permission.VIEW_CUSTOMERS,
            path=lambda world, actor, scope=scope: f"/accounts/{_account_no(world, scope)}/",
        )
        yield Case(
            label=f"user page ({scope})",
            url_name="web:user_detail",
            area="staff",
            scope=scope,
            permission=Permission.MANAGE_USERS,
            path=lambda world, actor, scope=scope: f"/users/{world.place(scope).reader.pk}/",
        )
        yield Case(
            label=f"request a role change ({scope})",
            url_name="web:user_detail",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_USERS,
            path=lambda world, actor, scope=scope: f"/users/{world.place(scope).reader.pk}/",
            data=lambda world, actor: {
                "change": "roles",
                "roles-roles": ["抄表员", "核算员"],
                "roles-justification": "轮岗",
            },
            allowed_status=302,
            state=lambda world: ApprovalRequest.objects.count(),
            check_allowed=lambda response, world, actor: (
                None
                if ApprovalRequest.objects.filter(
                    requested_by=actor.user, status=ApprovalStatus.PENDING
                ).count()
                == 1
                else pytest.fail("no request filed")
            ),
        )
        yield Case(
            label=f"approve a request ({scope})",
            url_name="web:approval_decide",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.APPROVE,
            path=lambda world, actor, scope=scope: (
                f"/approvals/{world.place(scope).pending_request.pk}/decide/"
            ),
            data=lambda world, actor: {"decision": "approve", "reason": "同意"},
            allowed_status=302,
            state=_request_state(scope),
            check_allowed=_approval_executed(scope),
        )
        yield Case(
            label=f"request an unmasked export ({scope})",
            url_name="web:bulk_unmask_request",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.UNMASK_PII_IN_BULK,
            out_of_scope=Outcome.REFUSED_IN_FORM,
            path=_constant("/my-requests/bulk-unmask/"),
            data=lambda world, actor, scope=scope: {
                "account_nos": _account_no(world, scope),
                "justification": "稽查",
            },
            allowed_status=302,
            state=lambda world: ApprovalRequest.objects.count(),
        )
        yield Case(
            label=f"import a customer into the {scope} org",
            url_name="exchange:upload",
            area="staff",
            method="POST",
            scope=scope,
            path=_constant("/exchange/"),
            data=lambda world, actor, scope=scope: {
                "kind": "customers",
                "file": _customers_csv(world, scope),
            },
            decide=_import_outcome(scope),
            state=lambda world: sorted(Customer.objects.values_list("customer_no", flat=True)),
            check_allowed=_imported,
        )


def _logged_in_goes_to_portal(actor: Actor) -> Outcome:
    """A portal login or registration page: open to those not logged in; the logged in go home
    (staff on from /portal/ to the back office)."""
    return Outcome.ALLOWED if actor.user is None else Outcome.TO_PORTAL


def _portal_links(world: World) -> object:
    return sorted(PortalLink.objects.values_list("user_id", "customer_id"))


def _binding_refused(response: HttpResponse, world: World, actor: Actor) -> None:
    """Refused for its proof (audited), not for some other fault of the form."""
    assert AuditEvent.objects.filter(action="refuse_portal_account_binding", actor=actor.user).count() == 1


def _mobile_change_codes(world: World) -> object:
    return OneTimeCode.objects.count(), OutboxMessage.objects.count()


def _mobile_change_code_queued(response: HttpResponse, world: World, actor: Actor) -> None:
    message = OutboxMessage.objects.get(address="13900009999")
    assert (message.event, message.channel) == ("one_time_code", "sms")


def _portal_mobiles(world: World) -> object:
    return sorted(User.objects.filter(kind=UserKind.PORTAL).values_list("pk", "mobile_hash"))


def _mobile_unchanged(response: HttpResponse, world: World, actor: Actor) -> None:
    assert not User.objects.filter(mobile_hash=pii_hash("13900009999", kind="mobile")).exists()


def _portal_cases() -> Iterator[Case]:
    for name in ("portal:login_code", "portal:register"):
        yield Case(
            label=name,
            url_name=name,
            area="public",
            path=_constant(reverse(name)),
            decide=_logged_in_goes_to_portal,
        )
    yield Case(
        label="portal bind page",
        url_name="portal:bind_account",
        area="portal",
        path=_constant(reverse("portal:bind_account")),
    )
    yield Case(
        label="portal bind the sibling account with a wrong proof",
        url_name="portal:bind_account",
        area="portal",
        method="POST",
        scope="sibling",
        out_of_scope=Outcome.REFUSED_IN_FORM,
        path=_constant(reverse("portal:bind_account")),
        data=lambda world, actor: {"account_no": _account_no(world, "sibling"), "proof": "000000"},
        state=_portal_links,
        check_refused=_binding_refused,
    )
    # Changing the portal login's mobile (issue 4): a code goes to the new mobile.
    yield Case(
        label="portal change-mobile page",
        url_name="portal:change_mobile",
        area="portal",
        path=_constant(reverse("portal:change_mobile")),
    )
    yield Case(
        label="portal change-mobile code request",
        url_name="portal:change_mobile",
        area="portal",
        method="POST",
        path=_constant(reverse("portal:change_mobile")),
        data=lambda world, actor: {"mobile": "13900009999", "action": "send_code"},
        state=_mobile_change_codes,
        check_allowed=_mobile_change_code_queued,
    )
    yield Case(
        label="portal change-mobile confirmation with a wrong code",
        url_name="portal:change_mobile",
        area="portal",
        method="POST",
        path=_constant(reverse("portal:change_mobile")),
        data=lambda world, actor: {"mobile": "13900009999", "code": "000000", "action": "change"},
        state=_portal_mobiles,
        check_allowed=_mobile_unchanged,
    )
    for scope in SCOPES:
        yield Case(
            label=f"portal account page ({scope})",
            url_name="portal:account_detail",
            area="portal",
            scope=scope,
            path=lambda world, actor, scope=scope: reverse(
                "portal:account_detail", args=[_account_no(world, scope)]
            ),
        )
    yield from _portal_payment_cases()  # provider payments (portalpay)


# --- provider payments (portalpay) ------------------------------------------------------------


def _provider_orders(world: World) -> object:
    return sorted(ProviderOrder.objects.values_list("account_id", "amount", "status"))


def _portal_payment_cases() -> Iterator[Case]:
    """The portal's balance, pay, top-up, payment history and provider-return pages (the
    customer's own accounts only: another 户号 is a 404), the provider's notification callback
    and the demo's sandbox provider (public: signatures authenticate them)."""
    for scope in SCOPES:
        for label, name in (("balance", "portal:balance"), ("top-up page", "portal:top_up")):
            yield Case(
                label=f"portal {label} ({scope})",
                url_name=name,
                area="portal",
                scope=scope,
                path=lambda world, actor, scope=scope, name=name: reverse(
                    name, args=[_account_no(world, scope)]
                ),
            )
        # The own account owes nothing here: "Pay" goes back to the balance, no order made.
        yield Case(
            label=f"portal pay ({scope})",
            url_name="portal:pay",
            area="portal",
            method="POST",
            scope=scope,
            allowed_status=302,
            path=lambda world, actor, scope=scope: reverse("portal:pay", args=[_account_no(world, scope)]),
            state=_provider_orders,
        )
    yield Case(
        label="portal payments",
        url_name="portal:payments",
        area="portal",
        path=_constant(reverse("portal:payments")),
    )
    # Without the provider's signature the return page shows nothing (400).
    yield Case(
        label="portal payment return without a signature",
        url_name="portal:payment_return",
        area="portal",
        allowed_status=400,
        path=_constant(reverse("portal:payment_return")),
    )
    # The provider's notification without a valid signature: "failure" (400) for everyone,
    # audited as a refused notification (not a permission denial), nothing posted.
    yield Case(
        label="provider notification callback without a signature",
        url_name="web:provider_notification_callback",
        area="public",
        method="POST",
        path=_constant(reverse("web:provider_notification_callback")),
        allowed_status=400,
        decide=lambda actor: Outcome.ALLOWED,
        state=_provider_orders,
    )
    yield Case(
        label="sandbox provider home",
        url_name="sandbox_pay:home",
        area="public",
        path=_constant(reverse("sandbox_pay:home")),
        decide=lambda actor: Outcome.ALLOWED,
    )
    yield Case(
        label="sandbox provider gateway without a signed request",
        url_name="sandbox_pay:gateway",
        area="public",
        path=_constant(reverse("sandbox_pay:gateway")),
        allowed_status=400,
        decide=lambda actor: Outcome.ALLOWED,
    )


def _unmask_events(world: World) -> object:
    return AuditEvent.objects.filter(action="unmask_pii").count()


def _revealed(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        customer = world.place(scope).account.customer
        assert f"data-unmasked>{customer.id_number}<" in _body(response), "ID number not shown"
        events = AuditEvent.objects.filter(action="unmask_pii", actor=actor.user)
        assert [(event.object_id, event.changes["fields"]) for event in events] == [
            (str(customer.pk), ["id_number"])
        ]

    return check


def _mfa_verify_outcome(actor: Actor) -> Outcome:
    """Verified at login if the role needs MFA: on to the home page; else nothing to verify."""
    return Outcome.TO_BACKOFFICE if requires_mfa(actor.user) else Outcome.TO_MFA_ENROL


def _recovery_codes_outcome(actor: Actor) -> Outcome:
    """New codes for those enrolled (every role that needs MFA); the others have none."""
    return Outcome.ALLOWED if requires_mfa(actor.user) else Outcome.TO_SECURITY


def _lockout_state(world: World) -> object:
    return sorted(AccessAttempt.objects.values_list("username", "failures_since_start"))


def _unlocked(response: HttpResponse, world: World, actor: Actor) -> None:
    reader = world.place("own").reader
    assert not AccessAttempt.objects.filter(username=reader.username).exists(), "still locked"
    event = AuditEvent.objects.get(action="unlock_user", actor=actor.user)
    assert event.changes == {"username": reader.username, "cleared_failures": LOCKOUT_FAILURES}


def _integration_state(world: World) -> object:
    return sorted(
        (integration.name, integration.is_active, integration.signing_key, tuple(tokens))
        for integration in Integration.objects.all()
        for tokens in [integration.tokens.order_by("pk").values_list("token_id", "revoked_at")]
    )


def _rotated(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        integration = Integration.objects.get(pk=world.place(scope).integration.pk)
        tokens = list(integration.tokens.order_by("pk").values_list("revoked_at", flat=True))
        assert [revoked_at is None for revoked_at in tokens] == [False, True]
        assert integration.signing_key != world.place(scope).integration.signing_key

    return check


def _revoked(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        integration = Integration.objects.get(pk=world.place(scope).integration.pk)
        assert not integration.is_active
        assert not integration.tokens.filter(revoked_at=None).exists()

    return check


def _security_cases() -> Iterator[Case]:
    """The staff's own security pages (every logged-in staff user: they are the login steps),
    lockouts, integrations and the audited reveal of personal data."""
    for name in ("web:security", "web:password_change", "web:mfa_enrol"):
        yield Case(label=name, url_name=name, area="staff", path=_constant(reverse(name)))
    yield Case(
        label="web:mfa_verify",
        url_name="web:mfa_verify",
        area="staff",
        path=_constant(reverse("web:mfa_verify")),
        decide=_mfa_verify_outcome,
    )
    yield Case(
        label="regenerate recovery codes",
        url_name="web:mfa_recovery_codes_regenerate",
        area="staff",
        method="POST",
        path=_constant(reverse("web:mfa_recovery_codes_regenerate")),
        decide=_recovery_codes_outcome,
        check_allowed=lambda response, world, actor: (
            None
            if recovery_codes_left(actor.user) == RECOVERY_CODE_COUNT
            else pytest.fail("no new recovery codes")
        ),
    )
    yield Case(
        label="lockouts",
        url_name="web:lockouts",
        area="staff",
        permission=Permission.UNLOCK_USERS,
        path=_constant(reverse("web:lockouts")),
        check_allowed=lambda response, world, actor: (
            None
            if world.place("own").reader.username in _body(response)
            else pytest.fail("lockout not listed")
        ),
    )
    yield Case(
        label="unlock a user",
        url_name="web:unlock",
        area="staff",
        method="POST",
        permission=Permission.UNLOCK_USERS,
        path=_constant(reverse("web:unlock")),
        data=lambda world, actor: {"username": world.place("own").reader.username},
        allowed_status=302,
        state=_lockout_state,
        check_allowed=_unlocked,
    )
    yield Case(
        label="integrations",
        url_name="web:integrations",
        area="staff",
        permission=Permission.MANAGE_INTEGRATIONS,
        path=_constant(reverse("web:integrations")),
        check_allowed=_shows_scopes(lambda world, scope: f">{world.place(scope).integration.name}<"),
    )
    for scope in SCOPES:
        yield Case(
            label=f"reveal personal data ({scope})",
            url_name="web:account_pii",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.UNMASK_PII,
            path=lambda world, actor, scope=scope: reverse(
                "web:account_pii", args=[_account_no(world, scope)]
            ),
            state=_unmask_events,
            check_allowed=_revealed(scope),
        )
        yield Case(
            label=f"rotate an integration ({scope})",
            url_name="web:integration_rotate",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_INTEGRATIONS,
            path=lambda world, actor, scope=scope: reverse(
                "web:integration_rotate", args=[world.place(scope).integration.name]
            ),
            state=_integration_state,
            check_allowed=_rotated(scope),
        )
        yield Case(
            label=f"revoke an integration ({scope})",
            url_name="web:integration_revoke",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_INTEGRATIONS,
            path=lambda world, actor, scope=scope: reverse(
                "web:integration_revoke", args=[world.place(scope).integration.name]
            ),
            allowed_status=302,
            state=_integration_state,
            check_allowed=_revoked(scope),
        )


def _json(response: HttpResponse) -> Any:
    return json.loads(response.content)


def _api_account(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        body = _json(response)
        customer = world.place(scope).account.customer
        assert body["account_no"] == _account_no(world, scope)
        assert (
            body["customer"]["id_number_masked"]
            == f"{customer.id_number[:3]}{'*' * 11}{customer.id_number[-4:]}"
        )

    return check


def _api_reads(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        body = _json(response)
        assert (body["count"], [item["asset_no"] for item in body["items"]]) == (
            1,
            [world.place(scope).meter.asset_no],
        )

    return check


def _api_read_recorded(scope: str) -> Callable[[HttpResponse, World, Actor], None]:
    def check(response: HttpResponse, world: World, actor: Actor) -> None:
        read = MeterRead.objects.get(pk=_json(response)["id"])
        assert (read.meter_id, read.import_active_total) == (world.place(scope).meter.pk, 1234)

    return check


def _meter_reads(world: World) -> object:
    return sorted(MeterRead.objects.values_list("pk", flat=True))


def _api_cases() -> Iterator[Case]:
    """The JSON API at /api/v1/ (a staff session; see :func:`_api_expected`), its schema and docs."""
    for name in ("api-v1:openapi-json", "api_docs"):
        yield Case(
            label=name,
            url_name=name,
            area="public",
            path=_constant(reverse(name)),
            decide=lambda actor: Outcome.ALLOWED,
        )
    yield Case(
        label="api root",
        url_name="api-v1:api-root",
        area="public",
        path=_constant(reverse("api-v1:api-root")),
        decide=lambda actor: Outcome.NOT_FOUND,  # no docs page under v1
    )
    yield Case(
        label="api search accounts",
        url_name="api-v1:search_accounts",
        area="api",
        permission=Permission.VIEW_CUSTOMERS,
        path=_constant(reverse("api-v1:search_accounts")),
        check_allowed=_shows_scopes(_account_no),
    )
    yield Case(
        label="api verify the audit chain",
        url_name="api-v1:verify_chain",
        area="api",
        permission=Permission.VIEW_AUDIT_LOG,
        path=_constant(reverse("api-v1:verify_chain")),
        check_allowed=lambda response, world, actor: (
            None if _json(response)["intact"] is True else pytest.fail(str(_json(response)))
        ),
    )
    # billing (issue 5): quotes change nothing and read no org-scoped record.
    yield Case(
        label="api quote a bill",
        url_name="api-v1:quote",
        area="api",
        method="POST",
        content_type="application/json",
        permission=Permission.QUOTE_BILLS,
        path=_constant(reverse("api-v1:quote")),
        data=_constant(
            {
                "tariff": "CN-BJ-RES-2012",
                "period_start": "2025-01-01",
                "period_end": "2025-02-01",
                "energy_kwh": {"total": "450"},
            }
        ),
        check_allowed=lambda response, world, actor: (
            None if _json(response)["total"] == "242.74" else pytest.fail(str(_json(response)))
        ),
    )
    # payments (issue 6): the late-fee quote has the bill quote's access.
    yield Case(
        label="api quote late fees",
        url_name="api-v1:late_fee_quote",
        area="api",
        method="POST",
        content_type="application/json",
        permission=Permission.QUOTE_BILLS,
        path=_constant(reverse("api-v1:late_fee_quote")),
        data=_constant(
            {
                "customer_class": "residential",
                "paid_date": "2026-03-20",
                "bills": [{"amount": "1000.00", "due_date": "2026-03-10"}],
            }
        ),
        # 10 days × 0.001 × 1,000.00 = 10.00.
        check_allowed=lambda response, world, actor: (
            None if _json(response)["late_fee"] == "10.00" else pytest.fail(str(_json(response)))
        ),
    )
    for scope in SCOPES:
        yield Case(
            label=f"api account ({scope})",
            url_name="api-v1:account_detail",
            area="api",
            scope=scope,
            permission=Permission.VIEW_CUSTOMERS,
            path=lambda world, actor, scope=scope: reverse(
                "api-v1:account_detail", args=[_account_no(world, scope)]
            ),
            check_allowed=_api_account(scope),
        )
        yield Case(
            label=f"api account meter reads ({scope})",
            url_name="api-v1:account_meter_reads",
            area="api",
            scope=scope,
            permission=Permission.VIEW_METERING,
            path=lambda world, actor, scope=scope: reverse(
                "api-v1:account_meter_reads", args=[_account_no(world, scope)]
            ),
            check_allowed=_api_reads(scope),
        )
        yield Case(
            label=f"api record a meter read ({scope})",
            url_name="api-v1:create_meter_read",
            area="api",
            method="POST",
            content_type="application/json",
            scope=scope,
            permission=Permission.RECORD_METER_READS,
            path=_constant(reverse("api-v1:create_meter_read")),
            data=lambda world, actor, scope=scope: {
                "asset_no": world.place(scope).meter.asset_no,
                "read_at": "2025-03-05T09:00:00+08:00",
                "source": "manual",
                "registers": {"import_active_total": "1234"},
            },
            allowed_status=201,
            state=_meter_reads,
            check_allowed=_api_read_recorded(scope),
        )


#: Admin pages every holder of identity.manage_users may not open: Django's own auth groups
#: (roles change only through approvals) and the number sequences (superusers only).
SUPERUSER_ONLY_ADMIN_MODELS = {"auth.group", "organization.numbersequence"}
#: The only models the admin adds rows of: users (a new user has no role and no org unit until
#: approved requests give them) and, for superusers, Django's groups.
ADDABLE_ADMIN_MODELS = {
    "identity.user": False,
    "auth.group": True,
    # notifications (issue 4): a new template version (versions are never edited)
    "notifications.notificationtemplate": False,
    # tariffs (issue 5): a new tariff version, by holders of tariffs.change who see the whole
    # org tree (the catalog is the province's): of the matrix's actors, the superuser alone
    "tariffs.tariffversion": True,
}


def _admin_cases() -> Iterator[Case]:
    admin_only = Outcome.ALLOWED
    for name in ("admin:index", "admin:password_change", "admin:password_change_done", "admin:jsi18n"):
        yield Case(label=name, url_name=name, area="admin", path=_constant(reverse(name)))
    yield Case(
        label="admin logout",
        url_name="admin:logout",
        area="admin",
        method="POST",
        path=_constant(reverse("admin:logout")),
        outsider_outcome=Outcome.TO_ADMIN_INDEX,  # Django's admin sends outsiders logging out there
    )
    yield Case(
        label="admin autocomplete without a field",
        url_name="admin:autocomplete",
        area="admin",
        path=_constant(reverse("admin:autocomplete")),
        decide=lambda actor: Outcome.FORBIDDEN,
    )
    yield Case(
        label="admin view on site",
        url_name="admin:view_on_site",
        area="admin",
        path=lambda world, actor: reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(Account).pk, world.place("own").account.pk],
        ),
        decide=lambda actor: Outcome.NOT_FOUND,  # no model has a page outside the admin
    )
    yield Case(
        label="admin catch-all",
        url_name="admin/(?P<url>.*)$",
        area="admin",
        path=_constant("/admin/nowhere/"),
        decide=lambda actor: Outcome.NOT_FOUND,
    )
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        yield Case(
            label=f"admin app {app_label}",
            url_name="admin:app_list",
            area="admin",
            path=_constant(reverse("admin:app_list", args=[app_label])),
            decide=lambda actor, app_label=app_label: (
                Outcome.NOT_FOUND if app_label == "auth" and not actor.is_superuser else admin_only
            ),
        )
    for model in admin.site._registry:
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        yield Case(
            label=f"admin list of {label}",
            url_name="admin:{}_{}_changelist".format(*info),
            area="admin",
            path=_constant(reverse("admin:{}_{}_changelist".format(*info))),
            decide=lambda actor, label=label: (
                Outcome.FORBIDDEN
                if label in SUPERUSER_ONLY_ADMIN_MODELS and not actor.is_superuser
                else Outcome.ALLOWED
            ),
        )
        yield Case(
            label=f"admin add {label}",
            url_name="admin:{}_{}_add".format(*info),
            area="admin",
            path=_constant(reverse("admin:{}_{}_add".format(*info))),
            decide=lambda actor, label=label: (
                Outcome.ALLOWED
                if label in ADDABLE_ADMIN_MODELS and (actor.is_superuser or not ADDABLE_ADMIN_MODELS[label])
                else Outcome.FORBIDDEN
            ),
        )
    for scope in SCOPES:

        def found_or_index(actor: Actor, scope: str = scope) -> Outcome:
            return Outcome.ALLOWED if actor.sees(scope) else Outcome.TO_ADMIN_INDEX

        yield Case(
            label=f"admin account page ({scope})",
            url_name="admin:customers_account_change",
            area="admin",
            path=lambda world, actor, scope=scope: reverse(
                "admin:customers_account_change", args=[world.place(scope).account.pk]
            ),
            decide=found_or_index,
        )
        yield Case(
            label=f"admin user page ({scope})",
            url_name="admin:identity_user_change",
            area="admin",
            path=lambda world, actor, scope=scope: reverse(
                "admin:identity_user_change", args=[world.place(scope).reader.pk]
            ),
            decide=found_or_index,
        )
        yield Case(
            label=f"admin reading route correction ({scope})",
            url_name="admin:customers_readingroute_change",
            area="admin",
            method="POST",
            path=lambda world, actor, scope=scope: reverse(
                "admin:customers_readingroute_change", args=[_reading_route(world, scope).pk]
            ),
            data=lambda world, actor: {"name": "改名的抄表段"},
            # Django's admin checks the change permission before it looks the record up.
            decide=lambda actor, scope=scope: (
                Outcome.FORBIDDEN
                if Permission.CHANGE_CUSTOMERS not in actor.permissions
                else (Outcome.ALLOWED if actor.sees(scope) else Outcome.TO_ADMIN_INDEX)
            ),
            allowed_status=302,
            state=lambda world, scope=scope: _reading_route(world, scope).name,
        )
    yield Case(
        label="admin account history",
        url_name="admin:customers_account_history",
        area="admin",
        path=lambda world, actor: reverse(
            "admin:customers_account_history", args=[world.place("own").account.pk]
        ),
    )
    yield Case(
        label="admin account delete",
        url_name="admin:customers_account_delete",
        area="admin",
        method="POST",
        path=lambda world, actor: reverse(
            "admin:customers_account_delete", args=[world.place("own").account.pk]
        ),
        data=lambda world, actor: {"post": "yes"},
        decide=lambda actor: Outcome.FORBIDDEN,
        state=lambda world: Account.objects.count(),
    )
    yield Case(
        label="admin user password",
        url_name="admin:auth_user_password_change",
        area="admin",
        path=lambda world, actor: reverse(
            "admin:auth_user_password_change", args=[world.place("own").reader.pk]
        ),
    )
    yield Case(
        label="admin object shortcut",
        url_name="admin/customers/account/<path:object_id>/",
        area="admin",
        path=lambda world, actor: f"/admin/customers/account/{world.place('own').account.pk}/",
        allowed_status=302,
    )


# --- notifications (issue 4) ---------------------------------------------------------------


def _notification_message(world: World, scope: str) -> OutboxMessage:
    """A queued message to a recipient of the scope's org unit (made once per test)."""
    org_unit = world.place(scope).org_unit
    existing = OutboxMessage.objects.filter(org_unit=org_unit).first()
    if existing is not None:
        return existing
    recipient = Recipient(
        key=f"customer:{scope}",
        addresses={ChannelKind.SMS: "13800001111"},
        consents=frozenset({ChannelKind.SMS}),
        org_unit_id=org_unit.pk,
    )
    return queue_composed_message(
        event="outage_notice",
        recipient=recipient,
        channel=ChannelKind.SMS,
        body=f"停电通知 {scope}",
        lifetime=timedelta(days=1),
        now=world.place("own").pending_request.requested_at,
    )


def _notification_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _notification_message(world, scope)
    return reverse("web:notification_list")


def _notification_template(world: World) -> NotificationTemplate:
    return NotificationTemplate.objects.first() or create_notification_template(
        actor=None,
        event="bill_reminder",
        channel=ChannelKind.SMS,
        language="zh-hans",
        subject="",
        body="{{ customer_name }}：{{ amount }}元",
        valid_from=world.place("own").pending_request.requested_at,
        now=world.place("own").pending_request.requested_at,
    )


def _notification_cases() -> Iterator[Case]:
    yield Case(
        label="notification list",
        url_name="web:notification_list",
        area="staff",
        permission=Permission.VIEW_NOTIFICATIONS,
        path=_notification_list_path,
        check_allowed=_shows_scopes(
            lambda world, scope: f'data-message="{_notification_message(world, scope).pk}"'
        ),
    )
    for scope in SCOPES:
        yield Case(
            label=f"notification path ({scope})",
            url_name="web:notification_detail",
            area="staff",
            scope=scope,
            permission=Permission.VIEW_NOTIFICATIONS,
            path=lambda world, actor, scope=scope: reverse(
                "web:notification_detail", args=[_notification_message(world, scope).pk]
            ),
        )
    for name in ("web:notification_counts", "web:notification_templates"):
        yield Case(
            label=name,
            url_name=name,
            area="staff",
            permission=Permission.VIEW_NOTIFICATIONS,
            path=_constant(reverse(name)),
        )
    yield Case(
        label="notification template preview",
        url_name="web:notification_template_preview",
        area="staff",
        permission=Permission.VIEW_NOTIFICATIONS,
        path=lambda world, actor: reverse(
            "web:notification_template_preview", args=[_notification_template(world).pk]
        ),
    )
    yield Case(
        label="unsubscribe page",
        url_name="web:notification_unsubscribe",
        area="public",
        path=_constant(
            reverse(
                "web:notification_unsubscribe",
                args=[unsubscribe_token(recipient_key="customer:1", channel=ChannelKind.EMAIL)],
            )
        ),
        decide=lambda actor: Outcome.ALLOWED,
    )
    # Gateway callbacks are authenticated by the gateway's signature, not a session: with no
    # gateway configured (as here) they do not exist for anyone; their signature checks have
    # their own tests (tests/functional/notifications/test_gateway_callbacks.py).
    for label, name, method in (
        ("SMS gateway receipt callback", "web:notification_sms_callback", "POST"),
        ("WeChat event callback", "web:notification_wechat_callback", "GET"),
    ):
        yield Case(
            label=label,
            url_name=name,
            area="public",
            method=method,
            path=_constant(reverse(name)),
            decide=lambda actor: Outcome.NOT_FOUND,
        )


# --- letters (issue 4) ----------------------------------------------------------------------


def _letter_policy(world: World) -> None:
    """The arrears notice by letter (template and policy), made once per case."""
    moment = world.place("own").pending_request.requested_at
    if DeliveryPolicy.objects.filter(event="arrears_notice").exists():
        return
    create_notification_template(
        actor=None,
        event="arrears_notice",
        channel=ChannelKind.LETTER,
        language="zh-hans",
        subject="停电通知书",
        body="{{ customer_name }}：户号{{ account_no }}欠费{{ amount }}元，{{ disconnect_date }}停电。",
        valid_from=moment,
        now=moment,
    )
    create_delivery_policy(
        actor=None,
        event="arrears_notice",
        steps=[{"channels": ["letter"]}],
        urgent=True,
        legally_required=True,
        valid_from=moment,
        now=moment,
    )


def _queued_letter(world: World, scope: str) -> OutboxMessage:
    """A queued arrears letter to a customer of the scope's org unit."""
    _letter_policy(world)
    org_unit = world.place(scope).org_unit
    (letter,) = notify(
        event="arrears_notice",
        recipients=[
            Recipient(
                key=f"letter:{scope}",
                addresses={ChannelKind.LETTER: f"济南市历下区{scope}路1号\n王五 收"},
                consents=frozenset(),
                org_unit_id=org_unit.pk,
            )
        ],
        context={
            "customer_name": "王五",
            "account_no": _account_no(world, scope),
            "amount": "100.00",
            "due_date": "2025-03-20",
            "disconnect_date": "2025-03-25",
        },
        now=world.place("own").pending_request.requested_at,
        dedupe_key=f"letters-{scope}",
    )
    return letter


def _letter_batch(world: World, scope: str) -> LetterBatch:
    """A printed batch of one letter at the scope's org unit, made once per case (written
    directly: rendering a PDF per case would slow the matrix down; the operation is tested in
    tests/integration/notifications_letters)."""
    org_unit = world.place(scope).org_unit
    existing = LetterBatch.objects.filter(org_unit=org_unit).first()
    if existing is not None:
        return existing
    letter = _queued_letter(world, scope)
    moment = world.place("own").pending_request.requested_at
    batch = LetterBatch.objects.create(
        batch_no=f"{org_unit.code}-matrix",
        org_unit=org_unit,
        created_at=moment,
        letter_count=1,
        pdf=b"%PDF-1.7 matrix",
        pdf_sha256="0" * 64,
    )
    LetterBatchEntry.objects.create(batch=batch, message=letter, position=1)
    move_message(
        message=letter,
        to_state=MessageState.SENT,
        now=moment,
        detail="printed",
        provider_message_id=f"{batch.batch_no}-p1",
        sent_at=moment,
    )
    return batch


def _letter_batch_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _letter_batch(world, scope)
    return reverse("web:letter_batches")


def _served_path(scope: str) -> Build:
    def build(world: World, actor: Actor) -> str:
        batch = _letter_batch(world, scope)
        return reverse("web:letter_served", args=[batch.pk, batch.entries.get().message_id])

    return build


def _served_form(scope: str) -> Build:
    def build(world: World, actor: Actor) -> dict[str, str]:
        prefix = f"m{_letter_batch(world, scope).entries.get().message_id}"
        return {f"{prefix}-method": "posted", f"{prefix}-served_at": "2025-03-11T10:00", f"{prefix}-note": ""}

    return build


def _served(response: HttpResponse, world: World, actor: Actor) -> None:
    assert LetterService.objects.filter(served_by=actor.user).count() == 1


def _printed(response: HttpResponse, world: World, actor: Actor) -> None:
    assert LetterBatch.objects.filter(created_by=actor.user).count() == 1


def _letter_batch_marker(world: World, scope: str) -> str:
    return f'data-batch="{_letter_batch(world, scope).batch_no}"'


def _print_form(world: World, actor: Actor) -> dict[str, object]:
    _queued_letter(world, "own")
    return {"org_unit": world.own_station.pk}


def _letter_cases() -> Iterator[Case]:
    yield Case(
        label="letter batches",
        url_name="web:letter_batches",
        area="staff",
        permission=Permission.RECORD_LETTER_SERVED,
        path=_letter_batch_list_path,
        check_allowed=_shows_scopes(_letter_batch_marker),
    )
    yield Case(
        label="print a letter batch",
        url_name="web:letter_batch_print",
        area="staff",
        method="POST",
        permission=Permission.PRINT_LETTERS,
        path=_constant(reverse("web:letter_batch_print")),
        data=_print_form,
        allowed_status=302,
        state=lambda world: LetterBatch.objects.count(),
        check_allowed=_printed,
    )
    for scope in SCOPES:
        yield Case(
            label=f"letter batch ({scope})",
            url_name="web:letter_batch_detail",
            area="staff",
            scope=scope,
            permission=Permission.RECORD_LETTER_SERVED,
            path=lambda world, actor, scope=scope: reverse(
                "web:letter_batch_detail", args=[_letter_batch(world, scope).pk]
            ),
        )
        yield Case(
            label=f"letter batch PDF ({scope})",
            url_name="web:letter_batch_pdf",
            area="staff",
            scope=scope,
            permission=Permission.PRINT_LETTERS,
            path=lambda world, actor, scope=scope: reverse(
                "web:letter_batch_pdf", args=[_letter_batch(world, scope).pk]
            ),
        )
        yield Case(
            label=f"record a letter served ({scope})",
            url_name="web:letter_served",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.RECORD_LETTER_SERVED,
            path=_served_path(scope),
            data=_served_form(scope),
            allowed_status=302,
            state=lambda world: LetterService.objects.count(),
            check_allowed=_served,
        )


# --- billing pages (issue 5) -------------------------------------------------------------------

BILLING_PERIOD = (date(2025, 2, 1), date(2025, 3, 1))


def _bill_run(world: World, scope: str) -> BillRun:
    """A run in review at the scope's org unit with one flagged calculated bill of the scope's
    account, made once per case (written directly: calculating needs reads; the pages are
    tested in tests/integration/billing_pages)."""
    org_unit = world.place(scope).org_unit
    existing = BillRun.objects.filter(org_unit=org_unit).first()
    if existing is not None:
        return existing
    moment = world.place("own").pending_request.requested_at
    run = BillRun.objects.create(
        org_unit=org_unit,
        number=f"HS2025020{org_unit.code}"[:20],
        period_start=BILLING_PERIOD[0],
        period_end=BILLING_PERIOD[1],
        status=BillRunStatus.IN_REVIEW,
        accounts_total=1,
        accounts_done=1,
        bills_flagged=1,
        created_by=world.requester,
        created_at=moment,
    )
    _billing_bill(world, scope, run=run, status=BillStatus.CALCULATED)
    return run


def _billing_bill(world: World, scope: str, *, run: BillRun | None, status: str) -> Bill:
    account = world.place(scope).account
    moment = world.place("own").pending_request.requested_at
    issued = status == BillStatus.ISSUED
    bill = Bill.objects.create(
        org_unit=account.org_unit,
        run=run,
        account=account,
        # The issued bill is January's, beside the run's February bill.
        period_start=date(2025, 1, 1) if issued else BILLING_PERIOD[0],
        period_end=date(2025, 2, 1) if issued else BILLING_PERIOD[1],
        status=status,
        number=f"20250200{account.account_no}" if issued else None,
        issued_at=moment if issued else None,
        due_date=date(2025, 2, 20) if issued else None,
        tariff_code="RES-TIER",
        energy_kwh=Decimal("100.000") if issued else Decimal("0.000"),
        total=Decimal("48.83") if issued else Decimal("0.00"),
        exceptions=[]
        if issued
        else [{"code": "zero_usage", "message_zh": "零电量", "message_en": "Zero usage", "blocking": False}],
        calculated_at=moment,
    )
    if issued:
        BillLine.objects.create(
            bill=bill,
            position=1,
            code="energy.tier1",
            name_zh="电度电费（第1档）",
            name_en="Energy charge (tier 1)",
            quantity=Decimal("100"),
            unit="kWh",
            unit_price=Decimal("0.4883"),
            amount=Decimal("48.83"),
            rule="tier",
            inputs={"tier_kwh": "100"},
        )
    return bill


def _run_bill(world: World, scope: str) -> Bill:
    return Bill.objects.get(run=_bill_run(world, scope))


def _approved_run_bill(world: World, scope: str) -> Bill:
    bill = _run_bill(world, scope)
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.APPROVED)
    return bill


def _issued_bill(world: World, scope: str) -> Bill:
    """An issued regular bill (January) of the scope's account, made once per case."""
    account = world.place(scope).account
    existing = Bill.objects.filter(account=account, status=BillStatus.ISSUED, kind=BillKind.REGULAR).first()
    return existing or _billing_bill(world, scope, run=None, status=BillStatus.ISSUED)


def _bill_run_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _bill_run(world, scope)
    return reverse("web:bill_runs")


def _bill_run_marker(world: World, scope: str) -> str:
    return f'data-run="{_bill_run(world, scope).number}"'


def _portal_bill_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _issued_bill(world, scope)
    return reverse("portal:bills")


def _portal_bill_marker(world: World, scope: str) -> str:
    return f'data-bill="{_issued_bill(world, scope).number}"'


def _run_path(name: str, scope: str) -> Build:
    return lambda world, actor: reverse(name, args=[_bill_run(world, scope).pk])


def _bill_path(name: str, scope: str, bill: Callable[[World, str], Bill] = _run_bill) -> Build:
    return lambda world, actor: reverse(name, args=[bill(world, scope).pk])


def _bill_states(world: World) -> object:
    return sorted(Bill.objects.values_list("pk", "status", "review_note"))


def _run_states(world: World) -> object:
    return sorted(BillRun.objects.values_list("pk", "status"))


def _new_run_created(response: HttpResponse, world: World, actor: Actor) -> None:
    assert BillRun.objects.filter(created_by=actor.user, period_start=date(2025, 4, 1)).count() == 1


def _billing_cases() -> Iterator[Case]:
    yield Case(
        label="bill runs",
        url_name="web:bill_runs",
        area="staff",
        permission=Permission.RUN_BILLING,
        path=_bill_run_list_path,
        check_allowed=_shows_scopes(_bill_run_marker),
    )
    yield Case(
        label="new bill run",
        url_name="web:bill_run_create",
        area="staff",
        method="POST",
        permission=Permission.RUN_BILLING,
        path=_constant(reverse("web:bill_run_create")),
        data=lambda world, actor: {
            "org_unit": world.own_station.pk,
            "period_start": "2025-04-01",
            "period_end": "2025-05-01",
        },
        allowed_status=302,
        state=_run_states,
        check_allowed=_new_run_created,
    )
    for name, method, data in (
        ("web:bill_run_progress", "GET", None),
        ("web:bill_run_review", "GET", None),
        ("web:bill_run_approve", "POST", None),
        ("web:bill_run_issue", "POST", None),
    ):
        yield Case(
            label=f"{name} (own)",
            url_name=name,
            area="staff",
            method=method,
            scope="own",
            permission=Permission.RUN_BILLING,
            path=_run_path(name, "own"),
            data=data,
            allowed_status=200 if method == "GET" else 302,
            state=_bill_states if method == "POST" else None,
        )
    yield Case(
        label="approve chosen bills (own)",
        url_name="web:bill_run_approve_selected",
        area="staff",
        method="POST",
        scope="own",
        permission=Permission.RUN_BILLING,
        path=_run_path("web:bill_run_approve_selected", "own"),
        data=lambda world, actor: {"bills": [_run_bill(world, "own").pk]},
        allowed_status=302,
        state=_bill_states,
    )
    for name, bill in (
        ("web:bill_release", _run_bill),
        ("web:bill_send_back", _run_bill),
        ("web:bill_recalculate", _approved_run_bill),
    ):
        # Releasing the calculated bill and recalculating the approved one are refused on the
        # page (nothing calculates here: that needs reads); sending back changes the bill.
        yield Case(
            label=f"{name} (own)",
            url_name=name,
            area="staff",
            method="POST",
            scope="own",
            permission=Permission.RUN_BILLING,
            path=_bill_path(name, "own", bill),
            data=lambda world, actor: {"note": "复核"},
            allowed_status=302,
            state=_bill_states,
        )
    for scope in SCOPES:
        yield Case(
            label=f"bill run ({scope})",
            url_name="web:bill_run_detail",
            area="staff",
            scope=scope,
            permission=Permission.RUN_BILLING,
            path=_run_path("web:bill_run_detail", scope),
        )
        yield Case(
            label=f"cancel a bill run ({scope})",
            url_name="web:bill_run_cancel",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.RUN_BILLING,
            path=_run_path("web:bill_run_cancel", scope),
            data=lambda world, actor: {"reason": "重算"},
            allowed_status=302,
            state=_run_states,
        )
        yield Case(
            label=f"hold a bill ({scope})",
            url_name="web:bill_hold",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.RUN_BILLING,
            path=_bill_path("web:bill_hold", scope),
            data=lambda world, actor: {"note": "待核实"},
            allowed_status=302,
            state=_bill_states,
        )
        yield Case(
            label=f"bill ({scope})",
            url_name="web:bill_detail",
            area="staff",
            scope=scope,
            permission=Permission.VIEW_BILLS,
            path=_bill_path("web:bill_detail", scope),
        )
        yield Case(
            label=f"adjust a bill ({scope})",
            url_name="web:bill_adjust",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.ADJUST_BILLS,
            path=_bill_path("web:bill_adjust", scope, _issued_bill),
            data=lambda world, actor: {"reason": "错抄", "mode": "cancel"},
            allowed_status=302,
            state=lambda world: Bill.objects.filter(kind=BillKind.ADJUSTMENT).count(),
        )
        yield Case(
            label=f"portal bill ({scope})",
            url_name="portal:bill_detail",
            area="portal",
            scope=scope,
            path=lambda world, actor, scope=scope: reverse(
                "portal:bill_detail", args=[_issued_bill(world, scope).number]
            ),
        )
    # PDFs (WeasyPrint) only where they differ: the own bill and one out of scope.
    for scope in ("own", "sibling"):
        yield Case(
            label=f"bill PDF ({scope})",
            url_name="web:bill_pdf",
            area="staff",
            scope=scope,
            permission=Permission.VIEW_BILLS,
            path=_bill_path("web:bill_pdf", scope, _issued_bill),
        )
        yield Case(
            label=f"portal bill PDF ({scope})",
            url_name="portal:bill_pdf",
            area="portal",
            scope=scope,
            path=lambda world, actor, scope=scope: reverse(
                "portal:bill_pdf", args=[_issued_bill(world, scope).number]
            ),
        )
    yield Case(
        label="portal bills",
        url_name="portal:bills",
        area="portal",
        path=_portal_bill_list_path,
        check_allowed=_shows_scopes(_portal_bill_marker),
    )
    # ledger reports (issue 6): read-only reports and the day's GL export (audited), org-scoped
    yield Case(
        label="ledger reports",
        url_name="web:ledger_reports",
        area="staff",
        permission=Permission.VIEW_LEDGER,
        path=_constant(reverse("web:ledger_reports") + "?on=2025-03-10&year=2025"),
    )
    yield Case(
        label="general-ledger export",
        url_name="web:general_ledger_csv",
        area="staff",
        permission=Permission.VIEW_LEDGER,
        path=_constant(reverse("web:general_ledger_csv") + "?on=2025-03-10"),
    )


# --- statements (issue 6 §6): bank statements and reconciliation ------------------------------


def _bank_statement(world: World, scope: str) -> BankStatement:
    """A statement of the scope's org unit with one unmatched credit line, made once per case
    (written directly; importing is tested in tests/integration/payments_statements)."""
    org_unit = world.place(scope).org_unit
    existing = BankStatement.objects.filter(org_unit=org_unit).first()
    if existing is not None:
        return existing
    moment = world.place("own").pending_request.requested_at
    statement = BankStatement.objects.create(
        org_unit=org_unit,
        bank="中国工商银行",
        account_no="1602000109200012345",
        statement_id=f"MATRIX-{org_unit.code}",
        file_format="camt.053",
        file_name="matrix.xml",
        sha256=f"{org_unit.code:0>64}",
        period_start=moment.date(),
        period_end=moment.date(),
        imported_at=moment,
    )
    StatementLine.objects.create(
        org_unit=org_unit,
        statement=statement,
        position=1,
        direction="credit",
        amount=Decimal("12.00"),
        booking_date=moment.date(),
        end_to_end_id=f"MATRIX-{scope}",
        matched_reference=f"MATRIX-{scope}",
        found_status="unmatched",
        status="unmatched",
    )
    return statement


def _statement_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _bank_statement(world, scope)
    return reverse("web:statement_list")


def _statement_marker(world: World, scope: str) -> str:
    return f'data-statement="{_bank_statement(world, scope).statement_id}"'


def _statement_line_states(world: World) -> object:
    return sorted(StatementLine.objects.values_list("pk", "status", "resolution"))


def _statement_cases() -> Iterator[Case]:
    yield Case(
        label="reconciliation statements",
        url_name="web:statement_list",
        area="staff",
        permission=Permission.RECONCILE,
        path=_statement_list_path,
        check_allowed=_shows_scopes(_statement_marker),
    )
    yield Case(
        label="statement upload",
        url_name="exchange:statement_upload",
        area="staff",
        permission=Permission.RECONCILE,
        path=_constant(reverse("exchange:statement_upload")),
    )
    for scope in SCOPES:
        yield Case(
            label=f"statement ({scope})",
            url_name="web:statement_detail",
            area="staff",
            scope=scope,
            permission=Permission.RECONCILE,
            path=lambda world, actor, scope=scope: reverse(
                "web:statement_detail", args=[_bank_statement(world, scope).pk]
            ),
        )
        yield Case(
            label=f"dismiss a statement line ({scope})",
            url_name="web:statement_line_resolve",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.RECONCILE,
            path=lambda world, actor, scope=scope: reverse(
                "web:statement_line_resolve", args=[_bank_statement(world, scope).lines.get().pk, "dismiss"]
            ),
            data=lambda world, actor, scope=scope: {
                f"dismiss-{_bank_statement(world, scope).lines.get().pk}-reason": "不是本单位款项"
            },
            allowed_status=302,
            state=_statement_line_states,
        )


def _job_run() -> JobRun:
    """A queued job run (jobs, issue 4), made on first use."""
    run, _created = store_run(
        task=verify_audit_log, args=(), kwargs={}, idempotency_key="authorization-matrix", now=timezone.now()
    )
    return run


# --- cashier (issue 6): the cashier screen, its shift, receipts and the payment history --------


def _cashier_user(world: World, actor: Actor) -> User:
    """The actor when staff (their own shift), else a staff user of the world (a shift must
    belong to someone; the actor is refused before it matters)."""
    user = actor.user
    return user if user is not None and user.kind == UserKind.STAFF else world.requester


def _open_shift_for(world: World, actor: Actor) -> CashierShift:
    moment = world.place("own").pending_request.requested_at
    return CashierShift.objects.create(
        org_unit=world.own_station,
        number=f"BC{CashierShift.objects.count() + 1:014d}",
        kind=ShiftKind.COUNTER,
        cashier=_cashier_user(world, actor),
        opening_float=Decimal("0.00"),
        opened_at=moment,
    )


def _scope_payment(world: World, scope: str, serial: str) -> Payment:
    moment = world.place("own").pending_request.requested_at
    return record_payment(
        actor=None,
        account=world.place(scope).account,
        amount=Decimal("1.00"),
        channel=PaymentChannel.BANK_REALTIME,
        idempotency_key=f"matrix-{scope}-{serial}",
        received_at=moment,
        now=moment,
    )


def _shift_close_path(world: World, actor: Actor) -> str:
    _open_shift_for(world, actor)
    return reverse("web:cashier_shift_close")


def _take_payment_path(scope: str) -> Build:
    def build(world: World, actor: Actor) -> str:
        _open_shift_for(world, actor)
        return reverse("web:cashier_take_payment", args=[_account_no(world, scope)])

    return build


def _receipt_path(name: str, scope: str) -> Build:
    return lambda world, actor: reverse(name, args=[_scope_payment(world, scope, "receipt").receipt_no])


def _reverse_path(scope: str) -> Build:
    """A payment of the scope's account taken in the actor's open shift."""

    def build(world: World, actor: Actor) -> str:
        shift = _open_shift_for(world, actor)
        payment = _scope_payment(world, scope, "reverse")
        ShiftPayment.objects.create(shift=shift, payment=payment, sequence=1, method=TenderMethod.CARD)
        return reverse("web:payment_reverse", args=[payment.receipt_no])

    return build


def _payment_history_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _scope_payment(world, scope, "history")
    return reverse("web:payment_history")


def _payment_marker(world: World, scope: str) -> str:
    payment = Payment.objects.get(idempotency_key=f"bank_realtime:matrix-{scope}-history")
    return f'data-payment="{payment.receipt_no}"'


def _scope_shift(world: World, scope: str) -> CashierShift:
    """A shift of the scope's org unit closed 1.00 short, awaiting review (its cashier is the
    world's requester, no actor here)."""
    moment = world.place("own").pending_request.requested_at
    number = f"BCM{scope}"
    existing = CashierShift.objects.filter(number=number).first()
    return existing or CashierShift.objects.create(
        org_unit=world.place(scope).org_unit,
        number=number,
        kind=ShiftKind.COUNTER,
        cashier=world.requester,
        status="closed",
        opening_float=Decimal("10.00"),
        opened_at=moment,
        closed_at=moment,
        expected_cash=Decimal("10.00"),
        counted_cash=Decimal("9.00"),
        difference=Decimal("-1.00"),
        close_reason="x",
        needs_review=True,
    )


def _shift_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _scope_shift(world, scope)
    return reverse("web:cashier_shifts")


def _cashier_cases() -> Iterator[Case]:
    yield Case(
        label="cashier shifts",
        url_name="web:cashier_shifts",
        area="staff",
        permission=Permission.VIEW_PAYMENTS,
        path=_shift_list_path,
        check_allowed=_shows_scopes(lambda world, scope: f'data-shift="BCM{scope}"'),
    )
    for scope in SCOPES:
        yield Case(
            label=f"review a shift ({scope})",
            url_name="web:cashier_shift_review",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.APPROVE,
            path=lambda world, actor, scope=scope: reverse(
                "web:cashier_shift_review", args=[_scope_shift(world, scope).number]
            ),
            data=lambda world, actor: {"note": "复核"},
            allowed_status=302,
            state=lambda world: sorted(CashierShift.objects.values_list("number", "needs_review")),
        )
    for name in ("web:cashier", "web:cashier_search"):
        yield Case(
            label=name,
            url_name=name,
            area="staff",
            permission=Permission.COLLECT_PAYMENTS,
            path=_constant(reverse(name)),
        )
    yield Case(
        label="open a shift",
        url_name="web:cashier_shift_open",
        area="staff",
        method="POST",
        permission=Permission.COLLECT_PAYMENTS,
        path=_constant(reverse("web:cashier_shift_open")),
        data=lambda world, actor: {
            "counter": world.own_station.pk,
            "kind": "counter",
            "opening_float": "0.00",
        },
        allowed_status=302,
        state=lambda world: CashierShift.objects.count(),
    )
    yield Case(
        label="close the shift",
        url_name="web:cashier_shift_close",
        area="staff",
        method="POST",
        permission=Permission.COLLECT_PAYMENTS,
        path=_shift_close_path,
        data=lambda world, actor: {"counted_cash": "0.00", "reason": ""},
        allowed_status=302,
        state=lambda world: sorted(CashierShift.objects.values_list("pk", "status")),
    )
    yield Case(
        label="payment history",
        url_name="web:payment_history",
        area="staff",
        permission=Permission.VIEW_PAYMENTS,
        path=_payment_history_path,
        check_allowed=_shows_scopes(_payment_marker),
    )
    for scope in SCOPES:
        yield Case(
            label=f"take a payment ({scope})",
            url_name="web:cashier_take_payment",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.COLLECT_PAYMENTS,
            path=_take_payment_path(scope),
            data=lambda world, actor: {"submission": "s", "amount": "1.00", "method": "card", "tendered": ""},
            allowed_status=302,
            state=lambda world: Payment.objects.count(),
        )
        for name in ("web:payment_receipt", "web:payment_receipt_pdf"):
            yield Case(
                label=f"{name} ({scope})",
                url_name=name,
                area="staff",
                scope=scope,
                permission=Permission.VIEW_PAYMENTS,
                path=_receipt_path(name, scope),
            )
        yield Case(
            label=f"reverse a payment of the shift ({scope})",
            url_name="web:payment_reverse",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.COLLECT_PAYMENTS,
            path=_reverse_path(scope),
            data=lambda world, actor: {"reason": "错收"},
            allowed_status=302,
            state=lambda world: sorted(Payment.objects.values_list("pk", "status")),
        )


CASES: list[Case] = []


def _cases() -> list[Case]:
    if not CASES:
        CASES.extend([*_web_cases(), *_portal_cases(), *_security_cases(), *_api_cases(), *_admin_cases()])
        CASES.extend(_notification_cases())  # notifications (issue 4)
        CASES.extend(_letter_cases())  # letters (issue 4)
        CASES.extend(_billing_cases())  # billing pages (issue 5)
        CASES.extend(_dunning_cases())  # dunning (issue 6)
        CASES.extend(_statement_cases())  # statements (issue 6 §6)
        CASES.extend(_cashier_cases())  # cashier (issue 6)
        CASES.extend(_bank_channel_cases())  # bank channels (issue 6)
        CASES.extend(_prepaid_cases())  # prepaid (issue 6)
    return CASES


def _payments(world: World) -> object:
    return sorted(Payment.objects.values_list("pk", flat=True))


def _debit_batch(world: World, scope: str) -> DebitBatch:
    place = world.place(scope)
    return DebitBatch.objects.create(
        org_unit=place.org_unit,
        bank=place.integration,
        batch_no=f"DD20250310{SCOPES.index(scope) + 1:06d}",
        debit_date=date(2025, 3, 10),
        file_name="DD.txt",
        line_count=0,
        total=Decimal("0.00"),
        created_at=timezone.now(),
    )


def _bank_channel_cases() -> Iterator[Case]:
    """bank channels (issue 6): the direct-debit pages (payments.direct_debit, org-scoped), and
    the bank collection API, which answers signed integrations only
    (tests/integration/payments_bankchannels covers them): every session is 401, audited."""
    yield Case(
        label="debit batches",
        url_name="web:debit_batches",
        area="staff",
        permission=Permission.MANAGE_DIRECT_DEBIT,
        path=_constant(reverse("web:debit_batches")),
    )
    for scope in SCOPES:
        yield Case(
            label=f"debit batch ({scope})",
            url_name="web:debit_batch_detail",
            area="staff",
            scope=scope,
            permission=Permission.MANAGE_DIRECT_DEBIT,
            path=lambda world, actor, scope=scope: reverse(
                "web:debit_batch_detail", args=[_debit_batch(world, scope).pk]
            ),
        )
    yield Case(
        label="api bank amount due",
        url_name="api-v1:bank_amount_due",
        area="api",
        path=lambda world, actor: reverse("api-v1:bank_amount_due", args=[_account_no(world, "own")]),
        extra={"integration_only": True},
    )
    for name, data in (
        (
            "bank_payment_notification",
            {
                "serial": "S1",
                "account_no": "0000000018",
                "amount": "1.00",
                "paid_at": "2025-03-10T10:00:00+08:00",
            },
        ),
        ("bank_reversal_notification", {"serial": "S2", "original_serial": "S1", "reason": "x"}),
    ):
        yield Case(
            label=f"api {name}",
            url_name=f"api-v1:{name}",
            area="api",
            method="POST",
            content_type="application/json",
            path=_constant(reverse(f"api-v1:{name}")),
            data=_constant(data),
            state=_payments,
            extra={"integration_only": True},
        )


# --- dunning (issue 6): the arrears work list and supply orders ----------------------------------


def _dunning_case(world: World, scope: str) -> DunningCase:
    """An open dunning case of the scope's account, made once per case."""
    account = world.place(scope).account
    moment = world.place("own").pending_request.requested_at
    plan = DunningPlanVersion.objects.order_by("version").first() or DunningPlanVersion.objects.create(
        version=1,
        valid_from=date(2024, 1, 1),
        document={"steps": []},
        document_sha256="0" * 64,
        source="matrix",
        created_at=moment,
    )
    case, _created = DunningCase.objects.get_or_create(
        account=account,
        defaults={
            "org_unit": account.org_unit,
            "plan_version": plan,
            "oldest_due_date": date(2025, 1, 20),
            "amount_overdue": Decimal("100.00"),
            "opened_at": moment,
        },
    )
    return case


def _supply_order(world: World, scope: str) -> SupplyOrder:
    """An open field disconnection order of the scope's account, made once per case."""
    case = _dunning_case(world, scope)
    order, _created = SupplyOrder.objects.get_or_create(
        account=case.account,
        kind=SupplyOrderKind.DISCONNECTION,
        defaults={
            "org_unit": case.org_unit,
            "order_no": f"TD-matrix-{scope}",
            "case": case,
            "dispatch": SupplyOrderDispatch.FIELD,
            "created_at": case.opened_at,
        },
    )
    return order


def _arrears_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _dunning_case(world, scope)
    return reverse("web:arrears_work_list")


def _supply_orders_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _supply_order(world, scope)
    return reverse("web:supply_orders")


def _order_done(response: HttpResponse, world: World, actor: Actor) -> None:
    assert SupplyOrder.objects.filter(done_by=actor.user, status=SupplyOrderStatus.DONE).count() == 1


def _dunning_cases() -> Iterator[Case]:
    yield Case(
        label="arrears work list",
        url_name="web:arrears_work_list",
        area="staff",
        permission=Permission.VIEW_ARREARS,
        path=_arrears_list_path,
        check_allowed=_shows_scopes(lambda world, scope: f'data-account="{_account_no(world, scope)}"'),
    )
    yield Case(
        label="supply orders",
        url_name="web:supply_orders",
        area="staff",
        permission=Permission.VIEW_ARREARS,
        path=_supply_orders_path,
        check_allowed=_shows_scopes(lambda world, scope: f'data-order="TD-matrix-{scope}"'),
    )
    for scope in SCOPES:
        yield Case(
            label=f"mark a supply order done ({scope})",
            url_name="web:supply_order_done",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_ARREARS,
            path=lambda world, actor, scope=scope: reverse(
                "web:supply_order_done", args=[_supply_order(world, scope).pk]
            ),
            data=lambda world, actor: {"done_at": "2025-03-10T09:00"},
            allowed_status=302,
            state=lambda world: sorted(SupplyOrder.objects.values_list("pk", "status", "done_by_id")),
            check_allowed=_order_done,
        )


# --- prepaid (issue 6): prepaid accounts, switching to prepaid and back ----------------------------


def _prepaid_arrangement(world: World, scope: str) -> PrepaidArrangement:
    """An active prepaid arrangement of the scope's account, made once per case."""
    account = world.place(scope).account
    moment = world.place("own").pending_request.requested_at
    arrangement, _created = PrepaidArrangement.objects.get_or_create(
        account=account,
        status=PrepaidStatus.ACTIVE,
        defaults={
            "org_unit": account.org_unit,
            "started_on": date(2025, 3, 1),
            "started_at": moment,
            "alert_thresholds": ["50.00", "20.00", "0.00"],
            "allowed_overdraft": Decimal("0.00"),
            "balance_at": moment,
        },
    )
    return arrangement


def _prepaid_list_path(world: World, actor: Actor) -> str:
    for scope in SCOPES:
        _prepaid_arrangement(world, scope)
    return reverse("web:prepaid_accounts")


def _prepaid_states(world: World) -> object:
    return sorted(
        PrepaidArrangement.objects.values_list("account_id", "status", "started_by_id", "ended_by_id")
    )


def _prepaid_started(response: HttpResponse, world: World, actor: Actor) -> None:
    assert PrepaidArrangement.objects.filter(started_by=actor.user, status=PrepaidStatus.ACTIVE).count() == 1


def _prepaid_ended(response: HttpResponse, world: World, actor: Actor) -> None:
    assert PrepaidArrangement.objects.filter(ended_by=actor.user, status=PrepaidStatus.ENDED).count() == 1


def _prepaid_cases() -> Iterator[Case]:
    yield Case(
        label="prepaid accounts",
        url_name="web:prepaid_accounts",
        area="staff",
        permission=Permission.VIEW_ARREARS,
        path=_prepaid_list_path,
        check_allowed=_shows_scopes(lambda world, scope: f'data-account="{_account_no(world, scope)}"'),
    )
    for scope in SCOPES:
        yield Case(
            label=f"switch an account to prepaid ({scope})",
            url_name="web:prepaid_start",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_PREPAID,
            path=lambda world, actor: reverse("web:prepaid_start"),
            data=lambda world, actor, scope=scope: {"account_no": _account_no(world, scope)},
            allowed_status=302,
            state=_prepaid_states,
            check_allowed=_prepaid_started,
        )
        yield Case(
            label=f"switch an account back to postpaid ({scope})",
            url_name="web:prepaid_end",
            area="staff",
            method="POST",
            scope=scope,
            permission=Permission.MANAGE_PREPAID,
            path=lambda world, actor, scope=scope: reverse(
                "web:prepaid_end", args=[_prepaid_arrangement(world, scope).pk]
            ),
            allowed_status=302,
            state=_prepaid_states,
            check_allowed=_prepaid_ended,
        )


#: Admin pages of one object of any model: probed above on accounts, reading routes and
#: users; every model's admin shares the base classes of gridcare.organization.admin.
ADMIN_OBJECT_PAGES = re.compile(r"^(admin:\w+_(change|history|delete)|admin/\w+/\w+/<path:object_id>/)$")


def _url_identities(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[str]:
    """Every URL's namespaced name, or its full route when it has none."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_identities(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)


def test_every_url_is_classified() -> None:
    probed = {case.url_name for case in _cases()}
    unclassified = [
        identity
        for identity in _url_identities(get_resolver().url_patterns)
        if identity not in probed and not ADMIN_OBJECT_PAGES.match(identity)
    ]
    assert unclassified == []


def _actor(world: World, key: str) -> Actor:
    user = world.actors[key]
    if user is not None:
        user = User.objects.get(pk=user.pk)  # fresh: no permissions cached by an earlier case
    return Actor(
        key=key,
        user=user,
        permissions=permissions_of(user) if user is not None else frozenset(),
        sees_whole_province=user is not None and (user.is_superuser or user.org_unit == world.province),
    )


def _api_error_code(response: Any) -> str | None:
    if response.get("Content-Type", "") != "application/json; charset=utf-8":
        return None
    return str(json.loads(response.content).get("code"))


def _verify(outcome: Outcome, response: Any, case: Case) -> bool:
    status, location = response.status_code, response.get("Location", "")
    if case.area == "api" and outcome in API_ERROR_CODES:
        return (status, _api_error_code(response)) == API_ERROR_CODES[outcome]
    return {
        Outcome.ALLOWED: lambda: status == case.allowed_status,
        Outcome.FORBIDDEN: lambda: status == 403,
        Outcome.NOT_FOUND: lambda: status == 404,
        Outcome.REFUSED_IN_FORM: lambda: status == 200,
        Outcome.TO_STAFF_LOGIN: lambda: status == 302 and location.startswith("/login/?next="),
        Outcome.TO_PORTAL: lambda: status == 302 and location == "/portal/",
        Outcome.TO_PORTAL_LOGIN: lambda: status == 302 and location.startswith("/portal/login/?next="),
        Outcome.TO_BACKOFFICE: lambda: status == 302 and location == "/",
        Outcome.TO_ADMIN_LOGIN: lambda: status == 302 and location.startswith("/admin/login/?next="),
        Outcome.TO_ADMIN_INDEX: lambda: status == 302 and location == "/admin/",
        Outcome.TO_MFA_ENROL: lambda: status == 302 and location == "/security/mfa/enrol/",
        Outcome.TO_SECURITY: lambda: status == 302 and location == "/security/",
        Outcome.ANY: lambda: status in (200, 302),
    }[outcome]()


def _denials() -> dict[str, int]:
    """How many denials of each kind the audit log holds."""
    return {
        action: AuditEvent.objects.filter(action=action).count()
        for action in sorted(set(DENIAL_ACTIONS.values()))
    }


@pytest.mark.parametrize("key", ACTOR_KEYS)
def test_authorization_matrix(
    key: str, matrix_world: World, log_in: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """One actor through every case; each case in a savepoint, with the actor's cookies as
    they were (a logout or a language switch must not leak into the next case)."""
    caplog.set_level(logging.ERROR, logger="django.request")  # 403s and 404s are expected here
    actor = _actor(matrix_world, key)
    client = Client()
    if actor.user is not None:
        log_in(client, actor.user)
    cookies = client.cookies
    problems: list[str] = []
    for case in _cases():
        client.cookies = copy.deepcopy(cookies)
        with transaction.atomic():
            problems.extend(f"{case.label}: {problem}" for problem in _run(case, actor, client, matrix_world))
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def _run(case: Case, actor: Actor, client: Client, world: World) -> Iterator[str]:
    """Make the case's request as ``actor``; say what went other than expected."""
    outcome = expected(case, actor)
    path = case.path(world, actor)
    data = case.data(world, actor) if case.data else {}
    before = case.state(world) if case.state else None
    denials = _denials()
    if case.method == "POST" and case.content_type is not None:
        response = client.post(path, data, content_type=case.content_type)
    elif case.method == "POST":
        response = client.post(path, data)
    else:
        response = client.get(path, data)
    if not _verify(outcome, response, case):
        yield f"expected {outcome.value}, got {response.status_code} {response.get('Location', '')}"
    elif outcome is Outcome.ALLOWED and case.check_allowed is not None:
        try:
            case.check_allowed(response, world, actor)
        except AssertionError as failure:
            yield f"allowed, but {failure}"
    elif outcome is Outcome.REFUSED_IN_FORM and case.check_refused is not None:
        try:
            case.check_refused(response, world, actor)
        except AssertionError as failure:
            yield f"refused, but {failure}"
    if outcome is not Outcome.ALLOWED and case.state is not None and case.state(world) != before:
        yield "refused, yet the state changed"
    recorded = {action: count - denials[action] for action, count in _denials().items()}
    denial = DENIAL_ACTIONS.get(outcome)
    if recorded != {action: int(action == denial) for action in recorded}:
        yield f"{outcome.value}, but the denials recorded are {recorded}"
