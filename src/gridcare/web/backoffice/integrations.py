"""The integrations page (接口管理) for holders of MANAGE_INTEGRATIONS: the integrations of their
org units, creating one (its token and signing key shown once), rotating and revoking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridcare.identity.access import ensure_permission, request_operation, staff_required
from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import Integration, IntegrationKind, User
from gridcare.identity.operations import (
    create_integration,
    revoke_integration,
    rotate_integration_credentials,
)
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit
from gridcare.web.forms import add_refusal


class IntegrationForm(forms.Form):
    """A new integration: its name, kind, the org unit it acts in and its endpoint scopes."""

    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=64,
        help_text=gettext_lazy("Lowercase letters, digits and hyphens, e.g. ami-jinan"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IntegrationKind.choices)
    org_unit = forms.ModelChoiceField(label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none())
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=[(scope.value, scope.value) for scope in ApiScope],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units: Any = self.fields["org_unit"]
        units.queryset = OrgUnit.objects.visible_to(user)


def _require_integration_manager(request: HttpRequest) -> None:
    # An audited denial (deny_permission), which staff_required turns into a 403.
    ensure_permission(
        user=request.user, permission=Permission.MANAGE_INTEGRATIONS, operation=request_operation(request)
    )


def _visible_integration(user: Any, name: str) -> Integration:
    integration: Integration | None = Integration.objects.visible_to(user).filter(name=name).first()
    if integration is None:
        raise Http404(_("No integration %(name)s in your units.") % {"name": name})
    return integration


def _acting_user(request: HttpRequest) -> User:
    """The logged-in staff user (``staff_required`` has let only them in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _credentials_page(request: HttpRequest, issued: IssuedCredentials) -> HttpResponse:
    response = render(request, "web/backoffice/integration_credentials.html", {"issued": issued})
    # The secrets must not stay in a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def integrations(request: HttpRequest) -> HttpResponse:
    """The list and the create form; a valid POST creates and shows the credentials once."""
    user = _acting_user(request)
    _require_integration_manager(request)
    form = IntegrationForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = create_integration(
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                org_unit=form.cleaned_data["org_unit"],
                scopes=form.cleaned_data["scopes"],
                actor=user,
                now=timezone.now(),
            )
        except GridCareError as error:
            add_refusal(form, error)
        else:
            return _credentials_page(request, issued)
    listed = Integration.objects.visible_to(user).select_related("org_unit").order_by("name")
    return render(request, "web/backoffice/integrations.html", {"form": form, "integrations": listed})


@require_POST
@staff_required
def rotate(request: HttpRequest, name: str) -> HttpResponse:
    """Revoke the integration's token and show its new token and signing key once."""
    user = _acting_user(request)
    _require_integration_manager(request)
    integration = _visible_integration(user, name)
    try:
        issued = rotate_integration_credentials(integration=integration, actor=user, now=timezone.now())
    except GridCareError as error:
        messages.error(request, error.message(translation.get_language() or "zh-hans"))
        return redirect("web:integrations")
    return _credentials_page(request, issued)


@require_POST
@staff_required
def revoke(request: HttpRequest, name: str) -> HttpResponse:
    """Revoke the integration for good and go back to the list."""
    user = _acting_user(request)
    _require_integration_manager(request)
    integration = _visible_integration(user, name)
    try:
        revoke_integration(integration=integration, actor=user, now=timezone.now())
    except GridCareError as error:
        messages.error(request, error.message(translation.get_language() or "zh-hans"))
    else:
        messages.success(request, _("Integration %(name)s is revoked.") % {"name": name})
    return redirect("web:integrations")
