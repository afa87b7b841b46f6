"""The integrations page: only integration managers; create shows the credentials once;
rotate and revoke are audited; other units' integrations are out of reach."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone
from web_world import World, make_staff_user

from gridcare.audit.models import AuditEvent
from gridcare.identity.integrations import ApiScope, find_usable_token
from gridcare.identity.models import Integration, IntegrationKind, Role
from gridcare.identity.operations import create_integration


def _admin(world: World):
    return make_staff_user(username="admin_a", org_unit=world.station_a, roles=(Role.SYSTEM_ADMINISTRATOR,))


def test_a_role_without_the_permission_is_refused(world: World, station_a_client: Client):
    assert station_a_client.get("/integrations/").status_code == 403
    response = station_a_client.post(
        "/integrations/",
        {"name": "x", "kind": "ami", "org_unit": world.station_a.pk, "scopes": ["accounts:read"]},
    )
    assert response.status_code == 403
    assert not Integration.objects.exists()


def test_an_administrator_creates_an_integration_and_sees_the_token_once(world: World, log_in):
    admin = _admin(world)
    client = log_in(Client(), admin)

    response = client.post(
        "/integrations/",
        {
            "name": "ami-jiefang",
            "kind": "ami",
            "org_unit": world.station_a.pk,
            "scopes": ["meter_reads:write"],
        },
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = response.context["issued"].token
    assert token in response.content.decode()
    assert find_usable_token(token=token).integration.name == "ami-jiefang"
    listing = client.get("/integrations/").content.decode()
    assert "ami-jiefang" in listing
    assert token not in listing
    assert AuditEvent.objects.get(action="create_integration").actor == admin


def test_the_form_reports_a_bad_name_and_offers_only_the_users_units(world: World, log_in):
    client = log_in(Client(), _admin(world))

    response = client.post(
        "/integrations/",
        {"name": "AMI!", "kind": "ami", "org_unit": world.station_a.pk, "scopes": ["accounts:read"]},
    )
    outside = client.post(
        "/integrations/",
        {"name": "ami-b", "kind": "ami", "org_unit": world.station_b.pk, "scopes": ["accounts:read"]},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert list(outside.context["form"].errors) == ["org_unit"]
    assert list(response.context["form"].fields["org_unit"].queryset) == [world.station_a]
    assert not Integration.objects.exists()


def test_rotate_and_revoke(world: World, log_in):
    admin = _admin(world)
    client = log_in(Client(), admin)
    issued = create_integration(
        name="sms-a", kind=IntegrationKind.SMS_GATEWAY, org_unit=world.station_a,
        scopes=[ApiScope.ACCOUNTS_READ], actor=admin, now=timezone.now(),
    )  # fmt: skip

    rotated = client.post("/integrations/sms-a/rotate")
    revoked = client.post("/integrations/sms-a/revoke", follow=True)

    assert rotated.context["issued"].token != issued.token
    assert revoked.status_code == 200
    assert Integration.objects.get().is_active is False
    assert [
        event.action
        for event in AuditEvent.objects.filter(actor=admin).exclude(action="login").order_by("sequence")
    ] == [
        "create_integration",
        "rotate_integration_credentials",
        "revoke_integration",
    ]


def test_another_units_integration_is_not_found(world: World, log_in):
    create_integration(
        name="bank-b", kind=IntegrationKind.BANK, org_unit=world.station_b,
        scopes=[ApiScope.ACCOUNTS_READ], actor=None, now=timezone.now(),
    )  # fmt: skip
    client = log_in(Client(), _admin(world))

    assert client.post("/integrations/bank-b/revoke").status_code == 404
    assert Integration.objects.get().is_active is True
    assert "bank-b" not in client.get("/integrations/").content.decode()
