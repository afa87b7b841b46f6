"""Forms of the portal (网上营业厅): the two logins, registration, account binding and the
change of mobile.

The logins go through :func:`django.contrib.auth.authenticate` with the request, so every
authentication backend (and a lockout backend placed first) sees each attempt. Failed logins
are also counted per IP address (:data:`~gridcare.identity.rate_limits.PORTAL_LOGIN_FAILURES_PER_ADDRESS`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gridcare.identity.errors import MobileInvalid, RateLimited
from gridcare.identity.models import User, UserKind
from gridcare.identity.portal_auth import code_refusal_of
from gridcare.identity.rate_limits import (
    PORTAL_LOGIN_FAILURES_PER_ADDRESS,
    check_rate_limits,
    record_rate_limit_hit,
)
from gridcare.identity.validators import validate_mobile
from gridcare.kit.errors import GridCareError
from gridcare.web.forms import PortalAuthenticationForm

#: The submit button's ``action`` value that asks for a code instead of submitting the form.
SEND_CODE = "send_code"


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address (REMOTE_ADDR only: X-Forwarded-For is whatever the client says
    unless a trusted proxy rewrites it)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def error_text(error: GridCareError) -> str:
    """``error``'s message in the active language."""
    return error.message(get_language() or "zh-hans")


def _check_login_address(request: HttpRequest | None) -> None:
    address = client_address(request)
    if not address:
        return
    try:
        check_rate_limits(checks=[(PORTAL_LOGIN_FAILURES_PER_ADDRESS, address)], now=timezone.now())
    except RateLimited as refusal:
        raise forms.ValidationError(error_text(refusal), code="rate_limited") from refusal


def _count_login_failure(request: HttpRequest | None) -> None:
    address = client_address(request)
    if address:
        record_rate_limit_hit(scope=PORTAL_LOGIN_FAILURES_PER_ADDRESS.scope, key=address, now=timezone.now())


class MobileField(forms.CharField):
    """A mainland mobile number, normalized to 11 digits."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        try:
            return validate_mobile(text)
        except MobileInvalid as error:
            raise forms.ValidationError(error_text(error), code=error.code) from error


class CodeField(forms.CharField):
    """The 6-digit one-time code; required only when the form is submitted, not when a code is
    asked for."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Code"))
        super().__init__(required=False, max_length=6, min_length=6, **kwargs)
        self.widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        )


class PortalPasswordLoginForm(PortalAuthenticationForm):
    """Account number (户号) or username + password."""

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Account number or username")
        self.fields["username"].help_text = _("The 10-digit account number on your bill")

    def clean(self) -> dict[str, Any]:
        _check_login_address(self.request)
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                _count_login_failure(self.request)
            raise


class PortalCodeLoginForm(forms.Form):
    """Mobile + one-time code. Submitted with ``action=send_code`` it only checks the mobile
    (the view then sends a code)."""

    mobile = MobileField()
    code = CodeField(help_text=_("Press “Send me a code” to receive a 6-digit code by text message"))

    error_messages = {
        "code_missing": _("Enter the 6-digit code from the text message, or press “Send me a code”."),
        "invalid_login": _("The mobile number or the code is wrong."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: User | None = None
        super().__init__(*args, **kwargs)

    @property
    def wants_code(self) -> bool:
        """Whether the customer pressed "Send me a code" rather than "Log in"."""
        return self.data.get("action") == SEND_CODE

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        mobile, code = cleaned_data.get("mobile"), cleaned_data.get("code")
        if self.wants_code or not mobile:
            return cleaned_data
        if not code:
            self.add_error(
                "code", forms.ValidationError(self.error_messages["code_missing"], code="code_missing")
            )
            return cleaned_data
        _check_login_address(self.request)
        self.user_cache = authenticate(self.request, mobile=mobile, one_time_password=code)
        if self.user_cache is None:
            _count_login_failure(self.request)
            refusal = code_refusal_of(self.request) if self.request is not None else None
            if refusal is not None:
                raise forms.ValidationError(error_text(refusal), code=refusal.code)
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        return cleaned_data

    def get_user(self) -> User | None:
        """The user the code logged in (for :class:`~django.contrib.auth.views.LoginView`)."""
        return self.user_cache


class PortalRegistrationForm(forms.Form):
    """Mobile + one-time code + password (twice). Submitted with ``action=send_code`` it only
    checks the mobile."""

    mobile = MobileField()
    code = CodeField(help_text=_("Press “Send me a code” to receive a 6-digit code by text message"))
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    @property
    def wants_code(self) -> bool:
        """Whether the customer pressed "Send me a code" rather than "Register"."""
        return self.data.get("action") == SEND_CODE

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if self.wants_code:
            return cleaned_data
        for name in ("code", "password1", "password2"):
            if not cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, forms.ValidationError(_("This field is required."), code="required"))
        password1, password2 = cleaned_data.get("password1"), cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1 and "mobile" in cleaned_data:
            # Checked before the code is spent, so a weak password costs no code.
            try:
                password_validation.validate_password(
                    password1, user=User(kind=UserKind.PORTAL, mobile=cleaned_data["mobile"])
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned_data


class BindAccountForm(forms.Form):
    """A 户号 and the proof that it is the customer's."""

    account_no = forms.CharField(
        label=_("Account number"),
        min_length=10,
        max_length=10,
        help_text=_("The 10-digit account number on your bill"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    proof = forms.CharField(
        label=_("Last 6 characters of the holder's ID"),
        min_length=6,
        max_length=6,
        help_text=_(
            "For a person: the last 6 characters of the account holder's resident ID number. "
            "For an enterprise: the last 6 characters of its unified social credit code."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MobileChangeForm(forms.Form):
    """The new mobile + the code sent to it. Submitted with ``action=send_code`` it only checks
    the mobile (the view then sends a code)."""

    mobile = MobileField(label=_("New mobile number"))
    code = CodeField(help_text=_("Press “Send me a code” to receive a 6-digit code on the new mobile"))

    @property
    def wants_code(self) -> bool:
        """Whether the customer pressed "Send me a code" rather than "Change"."""
        return self.data.get("action") == SEND_CODE

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if not self.wants_code and not cleaned_data.get("code") and "code" not in self.errors:
            self.add_error(
                "code",
                forms.ValidationError(
                    _("Enter the 6-digit code sent to the new mobile, or press “Send me a code”."),
                    code="code_missing",
                ),
            )
        return cleaned_data
