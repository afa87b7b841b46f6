"""Arrears pages (催费, 停复电): the arrears work list of the user's units (by org unit and
dunning stage), and the disconnection and reconnection orders with a "done" form each.

Holders of ``payments.view_arrears`` see them; holders of ``payments.manage_arrears`` mark
orders done. Contact mobiles are masked unless the viewer holds ``pii.unmask``.
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

from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.clock import local_date
from gridcare.kit.errors import GridCareError
from gridcare.kit.masking import mask_mobile
from gridcare.organization.models import OrgUnit
from gridcare.payments import dunning_queries
from gridcare.payments.models import DunningAction, SupplyOrderStatus
from gridcare.payments.supply_orders import complete_supply_order

#: The stage filter's "no step taken yet".
NO_STAGE = "none"


class WorkListFilterForm(forms.Form):
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("Dunning stage"),
        required=False,
        choices=[("", gettext_lazy("All")), (NO_STAGE, gettext_lazy("No step yet")), *DunningAction.choices],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[OrgUnit]", self.fields["org_unit"])
        field.queryset = OrgUnit.objects.visible_to(user).order_by("path")


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *SupplyOrderStatus.choices],
    )


class OrderDoneForm(forms.Form):
    done_at = forms.DateTimeField(
        label=gettext_lazy("Done at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


@permission_required(Permission.VIEW_ARREARS)
def arrears_work_list(request: HttpRequest) -> HttpResponse:
    """Overdue accounts of the user's units, oldest arrears first."""
    user = request.user
    form = WorkListFilterForm(request.GET, user=user)
    org_unit, stage = None, None
    if form.is_valid():
        org_unit = form.cleaned_data["org_unit"]
        chosen = form.cleaned_data["stage"]
        stage = "" if chosen == NO_STAGE else (chosen or None)
    unmasked = has_permission(user, Permission.UNMASK_PII)
    rows = [
        {
            "row": row,
            "mobile": row.mobile if unmasked else mask_mobile(row.mobile),
        }
        for row in dunning_queries.arrears_work_list(
            user=user, on=local_date(timezone.now()), org_unit=org_unit, stage=stage
        )
    ]
    context = {"rows": rows, "filter_form": form, "limit": dunning_queries.WORK_LIST_LIMIT}
    return render(request, "web/backoffice/arrears_work_list.html", context)


@permission_required(Permission.VIEW_ARREARS)
def supply_order_list(request: HttpRequest) -> HttpResponse:
    """Disconnection and reconnection orders of the user's units (open ones by default)."""
    form = OrderFilterForm(request.GET or {"status": SupplyOrderStatus.OPEN})
    status = form.cleaned_data["status"] if form.is_valid() else SupplyOrderStatus.OPEN
    context = {
        "orders": dunning_queries.supply_orders(user=request.user, status=status)[:200],
        "filter_form": form,
        "can_manage": has_permission(request.user, Permission.MANAGE_ARREARS),
        "done_form": OrderDoneForm(initial={"done_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
    }
    return render(request, "web/backoffice/supply_orders.html", context)


@require_POST
@permission_required(Permission.MANAGE_ARREARS)
def supply_order_done(request: HttpRequest, order_id: int) -> HttpResponse:
    """Record that field staff carried out the order."""
    order = dunning_queries.supply_order(user=request.user, order_id=order_id)
    if order is None:
        raise Http404
    form = OrderDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the time the order was carried out."))
        return redirect("web:supply_orders")
    try:
        complete_supply_order(
            actor=cast("User", request.user),
            order=order,
            done_at=form.cleaned_data["done_at"],
            now=timezone.now(),
        )
    except AccessDenied:
        raise
    except GridCareError as error:
        messages.error(request, error.message(translation.get_language() or "zh-hans"))
        return redirect("web:supply_orders")
    messages.success(request, _("Order %(order_no)s recorded as done.") % {"order_no": order.order_no})
    return redirect("web:supply_orders")
