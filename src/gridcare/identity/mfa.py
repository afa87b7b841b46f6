"""Reads of TOTP multi-factor authentication (django-otp): a user's devices, what an enrolling
user is shown (QR code and secret), and who must verify before reaching any page.

State changes (enrol, verify, recovery codes, reset) are operations in
:mod:`gridcare.identity.operations`.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.identity.models import UserKind
from gridcare.identity.permissions import requires_mfa

#: How many single-use recovery codes a user gets at once.
RECOVERY_CODE_COUNT = 10
#: The name of the TOTP device a user enrols (a user has at most one).
TOTP_DEVICE_NAME = "authenticator"
#: The name of the device holding a user's recovery codes.
RECOVERY_DEVICE_NAME = "recovery codes"
#: Digits of a TOTP code (django-otp's default).
TOTP_DIGITS = 6


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    """The user's enrolled (confirmed) TOTP device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp_device(user: Any) -> TOTPDevice | None:
    """The TOTP device the user started to enrol but has not confirmed with a first code."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def recovery_device(user: Any) -> StaticDevice | None:
    """The device holding the user's recovery codes, if they have one."""
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()


def recovery_codes_left(user: Any) -> int:
    """How many unused recovery codes the user has."""
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def has_enrolled_mfa(user: Any) -> bool:
    """Whether the user has a confirmed TOTP device."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def must_enrol_mfa(user: Any) -> bool:
    """Whether the user's role needs MFA and they have not enrolled yet."""
    return requires_mfa(user) and not has_enrolled_mfa(user)


def must_verify_mfa(user: Any) -> bool:
    """Whether this request's user must pass a TOTP (or recovery) code before any page: staff
    whose role needs MFA, and staff who enrolled of their own accord, until verified in this
    session (django-otp's middleware sets ``is_verified``)."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.STAFF:
        return False
    if user.is_verified():
        return False
    return requires_mfa(user) or has_enrolled_mfa(user)


def totp_secret(device: TOTPDevice) -> str:
    """The device's secret in base32, as authenticator apps take it when typed in by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an inline SVG QR code (no external image, no script)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, omitsize=False))
