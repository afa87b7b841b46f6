"""Forms of the web shell: the two login forms and the account search, and how a form shows an
operation's refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gridcare.identity.models import UserKind
from gridcare.kit.errors import GridCareError


def add_refusal(form: forms.Form, error: GridCareError) -> None:
    """Show an operation's refusal on ``form``, in the current language: on the field it names
    when the form has that field, else above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message(translation.get_language() or "zh-hans"))


class StaffAuthenticationForm(AuthenticationForm):
    """The back-office login: refuses portal customers, who have their own login page."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "wrong_side": _("This login is for staff. Customers log in to the online service hall."),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.kind != UserKind.STAFF:
            raise forms.ValidationError(self.error_messages["wrong_side"], code="wrong_side")


class PortalAuthenticationForm(AuthenticationForm):
    """The portal (网上营业厅) login: refuses staff, who log in to the back office."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "wrong_side": _("This login is for customers. Staff log in to the back office."),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.kind != UserKind.PORTAL:
            raise forms.ValidationError(self.error_messages["wrong_side"], code="wrong_side")


class AccountSearchForm(forms.Form):
    """The search box of the account list."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Account number, account or customer name, contact mobile or service address"),
    )


class AuditLogFilterForm(forms.Form):
    """The filters of the audit browser; every field is optional. Dates are local days."""

    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    object_type = forms.CharField(
        label=_("Object type"), required=False, max_length=64, help_text=_("For example customers.account")
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    action = forms.CharField(
        label=_("Action"), required=False, max_length=64, help_text=_("For example login_failed")
    )
    request_id = forms.CharField(
        label=_("Request id"),
        required=False,
        max_length=64,
        help_text=_("The X-Request-ID of one web request"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        date_from, date_to = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned_data
