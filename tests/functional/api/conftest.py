"""Fixtures of the JSON API tests: the two-station world of tests/integration/web, integrations
created through the audited operation, and a helper that sends signed requests."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

# web_world is shared with tests/integration/web; pytest's importlib mode puts no test folder
# on sys.path, so the folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))

from web_world import World, build_world

from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration
from gridcare.identity.signing import sign_request
from gridcare.organization.models import OrgUnit

IntegrationFactory = Callable[..., IssuedCredentials]
SignedCall = Callable[..., Any]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def integration_factory(world: World) -> IntegrationFactory:
    """``make(name=..., org_unit=..., scopes=[ApiScope...])`` → the issued credentials."""

    def make(*, name: str, org_unit: OrgUnit, scopes: Iterable[ApiScope], kind: str = IntegrationKind.AMI):
        return create_integration(
            name=name, kind=kind, org_unit=org_unit, scopes=list(scopes), actor=None, now=timezone.now()
        )

    return make


@pytest.fixture
def station_a_ami(world: World, integration_factory: IntegrationFactory) -> IssuedCredentials:
    """An AMI integration of station A holding every scope."""
    return integration_factory(name="ami-station-a", org_unit=world.station_a, scopes=list(ApiScope))


@pytest.fixture
def signed_call() -> SignedCall:
    """``call(credentials, method, url, payload=None, headers=None)`` → the response of a
    request signed with ``credentials``; ``headers`` replace signed headers (to tamper)."""

    def call(
        credentials: IssuedCredentials,
        method: str,
        url: str,
        payload: object | None = None,
        headers: dict[str, str] | None = None,
    ):
        body = b"" if payload is None else json.dumps(payload).encode()
        signed = sign_request(
            method=method, url=url, body=body, token=credentials.token, signing_key=credentials.signing_key
        )
        signed.update(headers or {})
        return send(method=method, url=url, body=body, headers=signed)

    return call


def send(*, method: str, url: str, body: bytes, headers: dict[str, str], client: Client | None = None):
    """Send ``body`` as JSON with ``headers`` through a fresh test client."""
    client = client or Client()
    return client.generic(method, url, data=body, content_type="application/json", headers=headers)
