"""Back-office security pages: a user's own password and authenticator (MFA), the second step
of logging in, and the lockouts page of administrators.

:class:`~gridcare.identity.middleware.AuthenticationWallMiddleware` sends a user here until the
MFA step and any forced password change are done.
"""

from __future__ import annotations

from typing import Any

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridcare.identity import lockout, mfa, operations
from gridcare.identity.access import ensure_permission, request_operation, staff_required
from gridcare.identity.errors import (
    CurrentPasswordWrong,
    MfaCodeInvalid,
    MfaEnrolmentNotStarted,
    MfaNotEnrolled,
    MfaThrottled,
    NotLockedOut,
    PasswordRejected,
)
from gridcare.identity.passwords import password_change_required, password_expires_at
from gridcare.identity.permissions import Permission, requires_mfa


class PasswordChangeForm(forms.Form):
    """The current password, and the new one typed twice."""

    current_password = forms.CharField(
        label=gettext_lazy("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 12 characters, using at least three of: upper-case letters, lower-case letters, "
            "digits and symbols; not one of your last 5 passwords."
        ),
    )
    new_password_again = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


class CodeForm(forms.Form):
    """A second-factor code: six digits from the authenticator, or a recovery code."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


@staff_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the only page a user with a forced change may open."""
    user: Any = request.user
    now = timezone.now()
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            operations.change_password(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                now=now,
            )
        except CurrentPasswordWrong as error:
            form.add_error("current_password", error.message(get_language()))
        except PasswordRejected as error:
            form.add_error("new_password", error.message(get_language()))
        else:
            # Keep this session (and its MFA verification) logged in with the new password.
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect(_next_url(request))
    return render(
        request,
        "web/backoffice/security/password_change.html",
        {
            "form": form,
            "is_required": password_change_required(user=user, now=now),
            "is_new_or_reset": user.must_change_password,
            "next": _next_url(request),
        },
    )


@staff_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: scan the QR code (or type the secret), confirm with a first code;
    the recovery codes are then shown once."""
    user: Any = request.user
    now = timezone.now()
    if mfa.has_enrolled_mfa(user) and not user.is_verified():
        # Replacing an authenticator needs the old one (or a recovery code) first.
        return redirect("web:mfa_verify")
    device = operations.start_mfa_enrolment(user=user, now=now)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = operations.confirm_mfa_enrolment(
                user=user, token=form.cleaned_data["code"], now=now
            )
        except (MfaCodeInvalid, MfaThrottled, MfaEnrolmentNotStarted) as error:
            form.add_error("code", error.message(get_language()))
        else:
            django_otp.login(request, device)
            return render(
                request,
                "web/backoffice/security/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "is_enrolment": True},
            )
    return render(
        request,
        "web/backoffice/security/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": mfa.totp_qr_svg(device),
            "secret": mfa.totp_secret(device),
            "is_required": requires_mfa(user),
            "next": _next_url(request),
        },
    )


@staff_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator, or a recovery code."""
    user: Any = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not mfa.has_enrolled_mfa(user):
        return redirect("web:mfa_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = operations.verify_mfa(user=user, token=form.cleaned_data["code"], now=timezone.now())
        except (MfaCodeInvalid, MfaThrottled, MfaNotEnrolled) as error:
            form.add_error("code", error.message(get_language()))
        else:
            django_otp.login(request, device)
            left = mfa.recovery_codes_left(user)
            if device.persistent_id.startswith("otp_static"):
                messages.warning(
                    request,
                    _("You used a recovery code: %(count)d left. Make new ones on the security page.")
                    % {"count": left},
                )
            return redirect(_next_url(request))
    return render(
        request, "web/backoffice/security/mfa_verify.html", {"form": form, "next": _next_url(request)}
    )


@staff_required
def security_overview(request: HttpRequest) -> HttpResponse:
    """The user's own password age and authenticator, with what they can do about them."""
    user: Any = request.user
    return render(
        request,
        "web/backoffice/security/overview.html",
        {
            "totp_device": mfa.confirmed_totp_device(user),
            "recovery_codes_left": mfa.recovery_codes_left(user),
            "requires_mfa": requires_mfa(user),
            "password_changed_at": user.password_changed_at,
            "password_expires_at": password_expires_at(user),
        },
    )


@require_POST
@staff_required
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponseBase:
    """Replace one's recovery codes and show the new ones once."""
    try:
        codes = operations.regenerate_recovery_codes(user=request.user, now=timezone.now())  # type: ignore[arg-type]
    except MfaNotEnrolled as error:
        messages.error(request, error.message(get_language()))
        return redirect("web:security")
    return render(
        request,
        "web/backoffice/security/recovery_codes.html",
        {"codes": codes, "next": reverse("web:security"), "is_enrolment": False},
    )


@staff_required
def lockouts(request: HttpRequest) -> HttpResponse:
    """Failed logins inside the cool-off by username and by IP address, with the lockouts among
    them, for holders of the unlock permission."""
    _require_unlock_permission(request)
    now = timezone.now()
    return render(
        request,
        "web/backoffice/security/lockouts.html",
        {
            "by_username": lockout.failed_logins_by_username(viewer=request.user, now=now),
            "by_ip_address": lockout.failed_logins_by_ip_address(viewer=request.user, now=now),
            "failure_limit": lockout.failure_limit(),
            "cool_off_minutes": int(lockout.cool_off().total_seconds() // 60),
        },
    )


@require_POST
@staff_required
def unlock(request: HttpRequest) -> HttpResponseBase:
    """Unlock a username or an IP address (an audited operation)."""
    _require_unlock_permission(request)
    actor: Any = request.user
    username = request.POST.get("username", "")
    ip_address = request.POST.get("ip_address", "")
    try:
        if username:
            operations.unlock_user(actor=actor, username=username, now=timezone.now())
            messages.success(request, _("Unlocked username %(username)s.") % {"username": username})
        elif ip_address:
            operations.unlock_ip_address(actor=actor, ip_address=ip_address, now=timezone.now())
            messages.success(request, _("Unlocked IP address %(ip_address)s.") % {"ip_address": ip_address})
    except NotLockedOut as error:
        messages.error(request, error.message(get_language()))
    return redirect("web:lockouts")


def _require_unlock_permission(request: HttpRequest) -> None:
    # An audited denial (deny_permission), which staff_required turns into a 403.
    ensure_permission(
        user=request.user, permission=Permission.UNLOCK_USERS, operation=request_operation(request)
    )


def _next_url(request: HttpRequest) -> str:
    """The page to go on to: ``next`` when it is on this site, else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home")
