"""Helpers of the staff-authentication HTTP tests: log in through the real forms, compute the
code an authenticator shows, read the audit events of interest."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.audit.models import AuditEvent

#: The password of every user made here.
PASSWORD = "Quancheng-Road-2025"
WRONG_PASSWORD = "Wrong-Password-99"


def post_login(client: Client, username: str, password: str = PASSWORD, **extra: str) -> HttpResponse:
    """Submit the staff login form."""
    return client.post("/login/", {"username": username, "password": password}, **extra)


def current_code(device: TOTPDevice) -> str:
    """The code the device's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def actions(*names: str) -> list[tuple[str, dict[str, object]]]:
    """The audit events with these actions, oldest first, as (action, changes)."""
    events = AuditEvent.objects.filter(action__in=names).order_by("sequence")
    return [(event.action, event.changes) for event in events]
