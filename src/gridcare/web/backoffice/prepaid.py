"""Prepaid pages (预付费 / 远程费控): the prepaid accounts of the user's units (by org unit) with
their available balance, estimate, alerts and cut-off state; switching an account to prepaid
and back.

Holders of ``payments.view_arrears`` see the list; holders of ``payments.manage_prepaid``
switch accounts (docs/prepaid.md).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridcare.customers.models import Account
from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit
from gridcare.payments.models import PrepaidArrangement, PrepaidStatus
from gridcare.payments.prepaid import end_prepaid, prepaid_arrangements_for, start_prepaid

#: Rows shown at most (lowest available balance first).
LIST_LIMIT = 500


class PrepaidFilterForm(forms.Form):
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[OrgUnit]", self.fields["org_unit"])
        field.queryset = OrgUnit.objects.visible_to(user).order_by("path")


class StartPrepaidForm(forms.Form):
    account_no = forms.CharField(label=gettext_lazy("Account number"), max_length=20)


@permission_required(Permission.VIEW_ARREARS)
def prepaid_accounts(request: HttpRequest) -> HttpResponse:
    """The prepaid accounts of the user's units, lowest available balance first."""
    form = PrepaidFilterForm(request.GET, user=request.user)
    org_unit = form.cleaned_data["org_unit"] if form.is_valid() else None
    context = {
        "arrangements": prepaid_arrangements_for(user=request.user, org_unit=org_unit)[:LIST_LIMIT],
        "filter_form": form,
        "start_form": StartPrepaidForm(),
        "can_manage": has_permission(request.user, Permission.MANAGE_PREPAID),
        "limit": LIST_LIMIT,
    }
    return render(request, "web/backoffice/prepaid_accounts.html", context)


def _refused(request: HttpRequest, error: GridCareError) -> HttpResponse:
    messages.error(request, error.message(translation.get_language() or "zh-hans"))
    return redirect("web:prepaid_accounts")


@require_POST
@permission_required(Permission.MANAGE_PREPAID)
def prepaid_start(request: HttpRequest) -> HttpResponse:
    """Switch the account given to prepaid (its prepaid balance settles what it owes first)."""
    form = StartPrepaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the account number."))
        return redirect("web:prepaid_accounts")
    account = (
        Account.objects.visible_to(request.user).filter(account_no=form.cleaned_data["account_no"]).first()
    )
    if account is None:
        raise Http404
    try:
        start_prepaid(actor=cast("User", request.user), account=account, now=timezone.now())
    except AccessDenied:
        raise
    except GridCareError as error:
        return _refused(request, error)
    messages.success(
        request, _("Account %(account_no)s is prepaid from today.") % {"account_no": account.account_no}
    )
    return redirect("web:prepaid_accounts")


@require_POST
@permission_required(Permission.MANAGE_PREPAID)
def prepaid_end(request: HttpRequest, arrangement_id: int) -> HttpResponse:
    """Switch the arrangement's account back to postpaid."""
    arrangement = (
        PrepaidArrangement.objects.visible_to(request.user)
        .filter(pk=arrangement_id, status=PrepaidStatus.ACTIVE)
        .select_related("account")
        .first()
    )
    if arrangement is None:
        raise Http404
    try:
        end_prepaid(actor=cast("User", request.user), arrangement=arrangement, now=timezone.now())
    except AccessDenied:
        raise
    except GridCareError as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Account %(account_no)s is postpaid again.") % {"account_no": arrangement.account.account_no},
    )
    return redirect("web:prepaid_accounts")
