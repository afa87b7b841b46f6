"""Integration credentials: creation, rotation and revocation as audited operations, tokens
stored hashed, nonces purged, and the ``gridcare integration`` command."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import (
    ApiNonceReplayed,
    ApiTokenInvalid,
    ApiTokenRevoked,
    IntegrationNameInvalid,
    IntegrationNameTaken,
    IntegrationOrgUnitOutOfScope,
    IntegrationRevoked,
    IntegrationScopeUnknown,
)
from gridcare.identity.integrations import (
    ApiScope,
    find_usable_token,
    hash_token_secret,
    integration_signing_key,
    remember_nonce,
)
from gridcare.identity.models import ApiNonce, ApiToken, Integration, IntegrationKind, Role, User
from gridcare.identity.operations import (
    create_integration,
    revoke_integration,
    rotate_integration_credentials,
)


@pytest.fixture
def admin(org_tree, staff_user_factory) -> User:
    return staff_user_factory(username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR])


def _create(org_tree, admin, now, name="ami-quancheng", scopes=(ApiScope.METER_READS_WRITE,)):
    return create_integration(
        name=name,
        kind=IntegrationKind.AMI,
        org_unit=org_tree.station,
        scopes=list(scopes),
        actor=admin,
        now=now,
    )


def test_creating_an_integration_issues_a_hashed_token_and_audits_no_secret(org_tree, admin, now: datetime):
    issued = _create(org_tree, admin, now, scopes=[ApiScope.METER_READS_WRITE, ApiScope.ACCOUNTS_READ])

    token_id, secret = issued.token.split(".")
    assert re.fullmatch(r"gct_[0-9a-f]{16}", token_id)
    stored = ApiToken.objects.get()
    assert (stored.token_id, stored.secret_hash) == (token_id, hash_token_secret(secret))
    assert secret not in stored.secret_hash
    integration = issued.integration
    assert integration.scopes == ["accounts:read", "meter_reads:write"]
    assert issued.signing_key == integration_signing_key(integration)
    service_user = integration.service_user
    assert (service_user.username, service_user.org_unit, service_user.has_usable_password()) == (
        "integration.ami-quancheng",
        org_tree.station,
        False,
    )
    event = AuditEvent.objects.get(action="create_integration")
    assert (event.actor, event.org_unit_id) == (admin, org_tree.station.pk)
    assert event.changes == {
        "name": "ami-quancheng",
        "kind": "ami",
        "org_unit": "37010201",
        "scopes": ["accounts:read", "meter_reads:write"],
        "token_id": token_id,
        "service_user": "integration.ami-quancheng",
    }
    assert secret not in str(event.changes)
    assert issued.signing_key not in str(event.changes)
    assert find_usable_token(token=issued.token) == stored


@pytest.mark.parametrize(
    ("name", "scopes", "error"),
    [
        ("AMI Jinan", [ApiScope.ACCOUNTS_READ], IntegrationNameInvalid),
        ("ami-quancheng", ["everything:write"], IntegrationScopeUnknown),
    ],
)
def test_a_bad_name_or_scope_creates_nothing(org_tree, admin, now, name, scopes, error):
    with pytest.raises(error):
        _create(org_tree, admin, now, name=name, scopes=scopes)

    assert not Integration.objects.exists()
    assert not User.objects.filter(username__startswith="integration.").exists()
    assert not AuditEvent.objects.filter(action="create_integration").exists()


def test_a_taken_name_is_refused(org_tree, admin, now):
    _create(org_tree, admin, now)

    with pytest.raises(IntegrationNameTaken):
        _create(org_tree, admin, now)
    assert Integration.objects.count() == 1


def test_rotation_revokes_the_old_token_and_changes_the_key(org_tree, admin, now):
    first = _create(org_tree, admin, now)
    later = now + timedelta(days=30)

    second = rotate_integration_credentials(integration=first.integration, actor=admin, now=later)

    with pytest.raises(ApiTokenRevoked):
        find_usable_token(token=first.token)
    assert find_usable_token(token=second.token).integration == first.integration
    assert second.signing_key != first.signing_key
    old_id, new_id = first.token.split(".")[0], second.token.split(".")[0]
    assert ApiToken.objects.get(token_id=old_id).revoked_at == later
    event = AuditEvent.objects.get(action="rotate_integration_credentials")
    assert event.changes == {"revoked_token_ids": [old_id], "token_id": new_id, "signing_key": "rotated"}


def test_revocation_is_final_and_audited(org_tree, admin, now):
    issued = _create(org_tree, admin, now)

    revoke_integration(integration=issued.integration, actor=admin, now=now)

    integration = Integration.objects.get()
    assert (integration.is_active, integration.revoked_at) == (False, now)
    assert integration.service_user.is_active is False
    with pytest.raises(ApiTokenRevoked):
        find_usable_token(token=issued.token)
    with pytest.raises(IntegrationRevoked):
        rotate_integration_credentials(integration=integration, actor=admin, now=now)
    with pytest.raises(IntegrationRevoked):
        revoke_integration(integration=integration, actor=admin, now=now)
    assert AuditEvent.objects.filter(action="revoke_integration").count() == 1
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_a_wrong_secret_is_invalid(org_tree, admin, now):
    issued = _create(org_tree, admin, now)
    token_id = issued.token.split(".")[0]

    with pytest.raises(ApiTokenInvalid):
        find_usable_token(token=f"{token_id}.{'x' * 43}")


def test_nonces_are_single_use_and_purged_after_twice_the_window(org_tree, admin, now):
    integration = _create(org_tree, admin, now).integration

    remember_nonce(integration=integration, nonce="n" * 32, now=now)
    with pytest.raises(ApiNonceReplayed):
        remember_nonce(integration=integration, nonce="n" * 32, now=now + timedelta(seconds=599))
    remember_nonce(integration=integration, nonce="m" * 32, now=now + timedelta(seconds=601))

    assert list(ApiNonce.objects.values_list("nonce", flat=True)) == ["m" * 32]


def test_the_command_creates_lists_rotates_and_revokes(org_tree, now):
    out = io.StringIO()
    call_command(
        "integration", "create", "bank-icbc", "--kind", "bank", "--org-unit", "370102",
        "--scope", "accounts:read", "--scope", "meter_reads:read", stdout=out,
    )  # fmt: skip
    created = dict(line.split(": ", 1) for line in out.getvalue().splitlines()[:3])
    assert created["integration"] == "bank-icbc"
    assert find_usable_token(token=created["token"]).integration.org_unit == org_tree.county

    rotated_out = io.StringIO()
    call_command("integration", "rotate", "bank-icbc", stdout=rotated_out)
    rotated = dict(line.split(": ", 1) for line in rotated_out.getvalue().splitlines()[:3])
    assert rotated["token"] != created["token"]

    call_command("integration", "revoke", "bank-icbc", stdout=io.StringIO())
    listing = io.StringIO()
    call_command("integration", "list", stdout=listing)
    assert listing.getvalue() == "bank-icbc\tbank\t370102\taccounts:read,meter_reads:read\trevoked\n"
    assert [
        event.action
        for event in AuditEvent.objects.filter(object_type="identity.integration").order_by("sequence")
    ] == [
        "create_integration",
        "rotate_integration_credentials",
        "revoke_integration",
    ]
    with pytest.raises(CommandError, match="There is no integration named nobody"):
        call_command("integration", "rotate", "nobody", stdout=io.StringIO())


def test_an_actor_cannot_create_an_integration_outside_their_units(org_tree, staff_user_factory, now):
    station_admin = staff_user_factory(
        username="station_admin", org_unit=org_tree.station, roles=[Role.SYSTEM_ADMINISTRATOR]
    )

    with pytest.raises(IntegrationOrgUnitOutOfScope):
        create_integration(
            name="ami-other", kind=IntegrationKind.AMI, org_unit=org_tree.other_station,
            scopes=[ApiScope.METER_READS_WRITE], actor=station_admin, now=now,
        )  # fmt: skip
    assert not Integration.objects.exists()


def test_the_signing_key_is_stored_encrypted_and_rotates_with_the_personal_data_keys(org_tree, admin, now):
    from django.db import connection

    from gridcare.identity.operations import rotate_pii_key
    from gridcare.kit.crypto import key_id_of

    issued = _create(org_tree, admin, now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT signing_key FROM identity_integration WHERE id = %s", [issued.integration.pk])
        [stored] = cursor.fetchone()

    assert issued.signing_key not in stored
    assert key_id_of(stored) == "demo1"
    assert integration_signing_key(Integration.objects.get()) == issued.signing_key
    # Nothing to re-encrypt: the ring's active key already encrypted it.
    assert rotate_pii_key(actor=admin, now=now)["identity_integration.signing_key"] == 0
