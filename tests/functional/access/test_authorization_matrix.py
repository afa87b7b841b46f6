"""The authorization matrix (issue 3 acceptance).

Every seeded role (at the own station S1), a province 审计员 and 营销主管, a superuser, a staff
user bound to no org unit, a portal customer and anonymous × every page and endpoint in the URL
configuration × a record in the actor's own org (S1), a sibling org (S2) and the parent org
(county K), asserting allowed or denied: 403 for a missing permission (recorded as a
``deny_permission`` audit event), 404 for a record outside the actor's org subtree (the admin
sends such a user back to its index), a redirect to the right login for those not logged in.
After a refused state-changing POST, nothing changed.

``test_every_url_is_classified`` walks the URL resolver: a page added without a row here fails
it. Expected outcomes are written from the permission table (docs/permissions.md), not read
from the views.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest
from access_world import SCOPES, MatrixWorld, valid_id_number
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, Customer, ReadingRoute
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, User, UserKind
from gridcare.identity.permissions import Permission, permissions_of

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
    ANY = "200 or 302"


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
    ``decide`` does (after the area's gate)."""

    label: str
    url_name: str
    area: str  # public | portal | staff | admin
    path: Build
    method: str = "GET"
    data: Build | None = None
    scope: str | None = None
    permission: Permission | None = None
    out_of_scope: Outcome = Outcome.NOT_FOUND
    decide: Decide | None = None
    outsider_outcome: Outcome | None = None
    allowed_status: int = 200
    state: Callable[[World], object] | None = None
    check_allowed: Callable[[HttpResponse, World, Actor], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def expected(case: Case, actor: Actor) -> Outcome:
    if case.area == "public":
        return Outcome.ANY
    if case.outsider_outcome is not None and (actor.user is None or actor.user.kind == UserKind.PORTAL):
        return case.outsider_outcome
    if actor.user is None:
        return {
            "portal": Outcome.TO_PORTAL_LOGIN,
            "admin": Outcome.TO_ADMIN_LOGIN,
            "staff": Outcome.TO_STAFF_LOGIN,
        }[case.area]
    if actor.user.kind == UserKind.PORTAL:
        return {"portal": Outcome.ALLOWED, "admin": Outcome.TO_ADMIN_LOGIN, "staff": Outcome.TO_PORTAL}[
            case.area
        ]
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


#: Admin pages every holder of identity.manage_users may not open: Django's own auth groups
#: (roles change only through approvals) and the number sequences (superusers only).
SUPERUSER_ONLY_ADMIN_MODELS = {"auth.group", "organization.numbersequence"}
#: The only models the admin adds rows of: users (a new user has no role and no org unit until
#: approved requests give them) and, for superusers, Django's groups.
ADDABLE_ADMIN_MODELS = {"identity.user": False, "auth.group": True}


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


CASES: list[Case] = []


def _cases() -> list[Case]:
    if not CASES:
        CASES.extend([*_web_cases(), *_admin_cases()])
    return CASES


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


def _verify(outcome: Outcome, response: Any, case: Case) -> bool:
    status, location = response.status_code, response.get("Location", "")
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
        Outcome.ANY: lambda: status in (200, 302),
    }[outcome]()


def _denials() -> int:
    return int(AuditEvent.objects.filter(action="deny_permission").count())


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
    response = client.post(path, data) if case.method == "POST" else client.get(path, data)
    if not _verify(outcome, response, case):
        yield f"expected {outcome.value}, got {response.status_code} {response.get('Location', '')}"
    elif outcome is Outcome.ALLOWED and case.check_allowed is not None:
        try:
            case.check_allowed(response, world, actor)
        except AssertionError as failure:
            yield f"allowed, but {failure}"
    if outcome is not Outcome.ALLOWED and case.state is not None and case.state(world) != before:
        yield "refused, yet the state changed"
    if outcome is Outcome.FORBIDDEN and _denials() != denials + 1:
        yield "refused with 403 but no deny_permission audit event"
