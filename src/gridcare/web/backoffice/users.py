"""User management for holders of ``identity.manage_users``: the staff users of their org
subtree, and requests to change a user's roles or org unit. Those changes happen only when a
second user approves them (双人复核, :mod:`gridcare.identity.approvals`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gridcare.identity import approvals
from gridcare.identity.access import permission_required, users_visible_to
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import Role, User
from gridcare.identity.operations import request_org_unit_change, request_role_change
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit

USERS_PER_PAGE = 50


class RoleChangeForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The roles the user should hold after approval (none: no role)."),
    )
    justification = forms.CharField(label=gettext_lazy("Justification"), max_length=500)


class OrgUnitChangeForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=gettext_lazy("New org unit"), queryset=OrgUnit.objects.none())
    justification = forms.CharField(label=gettext_lazy("Justification"), max_length=500)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_unit_field: Any = self.fields["org_unit"]
        org_unit_field.queryset = OrgUnit.objects.changeable_by(user, Permission.MANAGE_USERS)


@permission_required(Permission.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    """The staff users of the user's org subtree, by username."""
    users = users_visible_to(request.user).prefetch_related("groups").order_by("username")
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/backoffice/users.html", {"page_obj": page})


@permission_required(Permission.MANAGE_USERS)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user's roles and org unit, their pending requests, and the two request forms."""
    subject = users_visible_to(request.user).filter(pk=user_id).first()
    if subject is None:
        raise Http404(_("No such user in your units."))
    role_form = RoleChangeForm(initial={"roles": subject.roles()}, prefix="roles")
    org_unit_form = OrgUnitChangeForm(
        user=request.user, initial={"org_unit": subject.org_unit_id}, prefix="org"
    )
    if request.method == "POST":
        if request.POST.get("change") == "roles":
            role_form = RoleChangeForm(request.POST, prefix="roles")
            if role_form.is_valid() and _filed(request, role_form, subject=subject):
                return redirect("web:my_requests")
        elif request.POST.get("change") == "org_unit":
            org_unit_form = OrgUnitChangeForm(request.POST, user=request.user, prefix="org")
            if org_unit_form.is_valid() and _filed(request, org_unit_form, subject=subject):
                return redirect("web:my_requests")
    pending = [
        {"request": pending_request, "description": approvals.describe_request(pending_request)}
        for pending_request in approvals.pending_requests_for(user=request.user)
        if pending_request.payload.get("user_id") == subject.pk
    ]
    context = {
        "subject": subject,
        "role_form": role_form,
        "org_unit_form": org_unit_form,
        "pending": pending,
        "breadcrumbs": [(_("Users"), reverse("web:user_list")), (subject.username, "")],
    }
    return render(request, "web/backoffice/user_detail.html", context)


def _filed(request: HttpRequest, form: forms.Form, *, subject: User) -> bool:
    """File the form's request; on a refusal other than access, put its message on the form."""
    data = form.cleaned_data
    try:
        if isinstance(form, RoleChangeForm):
            request_role_change(
                user=subject,
                roles=[Role(role) for role in data["roles"]],
                justification=data["justification"],
                actor=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )
        else:
            request_org_unit_change(
                user=subject,
                org_unit=data["org_unit"],
                justification=data["justification"],
                actor=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )
    except AccessDenied:
        raise
    except GridCareError as error:
        form.add_error(None, error.message(get_language() or "zh-hans"))
        return False
    messages.success(request, _("Your request waits for a second user's approval."))
    return True
