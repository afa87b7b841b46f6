"""Four-eyes approval pages (双人复核): the approver's inbox, the requester's own requests,
and the request for an unmasked export of personal data in bulk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridcare.customers.models import Account
from gridcare.identity import approvals
from gridcare.identity.access import permission_required, staff_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import ApprovalRequest, ApprovalStatus
from gridcare.identity.operations import approve_request, cancel_request, reject_request, request_bulk_unmask
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.errors import GridCareError

#: The most accounts one bulk-unmask request may name.
MAX_BULK_UNMASK_ACCOUNTS = 1000


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Required when you reject."),
    )


class BulkUnmaskRequestForm(forms.Form):
    account_nos = forms.CharField(
        label=gettext_lazy("Account numbers"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One account number per line (or separated by spaces or commas)."),
    )
    justification = forms.CharField(label=gettext_lazy("Justification"), max_length=500)

    def clean_account_nos(self) -> list[str]:
        text = self.cleaned_data["account_nos"].replace(",", " ").replace("，", " ")
        numbers = sorted(set(text.split()))
        if len(numbers) > MAX_BULK_UNMASK_ACCOUNTS:
            raise forms.ValidationError(
                _("Name at most %(limit)d accounts in one request.") % {"limit": MAX_BULK_UNMASK_ACCOUNTS}
            )
        return numbers


@permission_required(Permission.APPROVE)
def inbox(request: HttpRequest) -> HttpResponse:
    """Pending requests in the approver's org subtree, oldest first."""
    rows = [
        {
            "request": pending,
            "description": approvals.describe_request(pending),
            "kind_label": _kind_label(pending),
            "is_own": pending.requested_by_id == request.user.pk,
        }
        for pending in approvals.pending_requests_for(user=request.user)
    ]
    return render(request, "web/backoffice/approval_inbox.html", {"rows": rows, "form": DecisionForm()})


@require_POST
@permission_required(Permission.APPROVE)
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve or reject one pending request of the approver's org subtree."""
    pending = approvals.pending_requests_for(user=request.user).filter(pk=request_id).first()
    if pending is None:
        raise Http404(_("No such pending request in your units."))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("web:approval_inbox")
    approver: Any = request.user
    decide_with = approve_request if form.cleaned_data["decision"] == "approve" else reject_request
    try:
        decide_with(request=pending, reason=form.cleaned_data["reason"], actor=approver, now=timezone.now())
    except AccessDenied:
        raise
    except GridCareError as error:
        messages.error(request, error.message(get_language() or "zh-hans"))
        return redirect("web:approval_inbox")
    if form.cleaned_data["decision"] == "approve":
        messages.success(request, _("Request #%(id)d approved.") % {"id": pending.pk})
    else:
        messages.success(request, _("Request #%(id)d rejected.") % {"id": pending.pk})
    return redirect("web:approval_inbox")


@staff_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """The requests the user filed, newest first, with their outcome."""
    rows = [
        {"request": filed, "description": approvals.describe_request(filed), "kind_label": _kind_label(filed)}
        for filed in approvals.requests_of(user=request.user)
    ]
    context = {
        "rows": rows,
        "pending": ApprovalStatus.PENDING,
        "can_request_bulk_unmask": has_permission(request.user, Permission.UNMASK_PII_IN_BULK),
    }
    return render(request, "web/backoffice/my_requests.html", context)


@require_POST
@staff_required
def cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    """Withdraw one of the user's own pending requests."""
    filed = approvals.requests_of(user=request.user).filter(pk=request_id).first()
    if filed is None:
        raise Http404(_("No such request of yours."))
    try:
        cancel_request(request=filed, actor=request.user, now=timezone.now())  # type: ignore[arg-type]
    except AccessDenied:
        raise
    except GridCareError as error:
        messages.error(request, error.message(get_language() or "zh-hans"))
    else:
        messages.success(request, _("Request #%(id)d cancelled.") % {"id": filed.pk})
    return redirect("web:my_requests")


@permission_required(Permission.UNMASK_PII_IN_BULK)
def bulk_unmask_request(request: HttpRequest) -> HttpResponse:
    """Ask for one export of named accounts with personal data unmasked; every account must be
    one the user may see."""
    form = BulkUnmaskRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        numbers = form.cleaned_data["account_nos"]
        visible = set(
            Account.objects.visible_to(request.user)
            .filter(account_no__in=numbers)
            .values_list("account_no", flat=True)
        )
        unknown = [number for number in numbers if number not in visible]
        if unknown:
            form.add_error(
                "account_nos",
                _("No account %(numbers)s in your units.") % {"numbers": ", ".join(unknown[:20])},
            )
        else:
            try:
                request_bulk_unmask(
                    account_nos=numbers,
                    justification=form.cleaned_data["justification"],
                    actor=request.user,  # type: ignore[arg-type]
                    now=timezone.now(),
                )
            except AccessDenied:
                raise
            except GridCareError as error:
                form.add_error(None, error.message(get_language() or "zh-hans"))
            else:
                messages.success(request, _("Your request waits for a second user's approval."))
                return redirect("web:my_requests")
    return render(request, "web/backoffice/bulk_unmask_request.html", {"form": form})


def _kind_label(approval_request: ApprovalRequest) -> object:
    kind = approvals.APPROVAL_KINDS.get(approval_request.kind)
    return kind.label if kind is not None else approval_request.kind
