"""Bill run and bill pages (docs/billing-runs.md): the run list with the "new run" form, a run
with its progress, totals and actions (approve clean bills, issue, cancel), the exception review
(量费审核) with its per-bill actions, and the explainable bill with its PDF and the adjustment
form (退补电费).

Runs and the review need ``billing.run`` (核算员); reading a bill needs ``billing.view``;
adjusting one ``billing.adjust``. Records outside the user's org subtree are a 404; a refused
operation shows its message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridcare.billing import explanation, operations, pdf, queries
from gridcare.billing.models import (
    OPEN_BILL_STATUSES,
    Bill,
    BillKind,
    BillRun,
    BillRunStatus,
    BillStatus,
)
from gridcare.billing.review import EXCEPTION_KINDS
from gridcare.customers.models import ReadingRoute
from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.jobs import queries as job_queries
from gridcare.kit.errors import GridCareError
from gridcare.kit.masking import mask_mobile
from gridcare.organization.models import OrgUnit
from gridcare.web.bill_display import ShownException, pdf_response, shown_exceptions, shown_lines
from gridcare.web.forms import add_refusal

RUNS_PER_PAGE = 50
BILLS_PER_PAGE = 100
#: Run statuses during which the run page polls its progress.
RUN_STATUSES_IN_PROGRESS = (BillRunStatus.CREATED, BillRunStatus.CALCULATING)


# --- forms --------------------------------------------------------------------------------------


class NewRunForm(forms.Form):
    """A new bill run: the org unit, the period ``[start, end)`` and optional reading routes."""

    org_unit = forms.ModelChoiceField(label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none())
    period_start = forms.DateField(
        label=gettext_lazy("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period end (exclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The first day not billed, e.g. the 1st of the next month"),
    )
    reading_routes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Reading routes"),
        queryset=ReadingRoute.objects.none(),
        required=False,
        help_text=gettext_lazy("None chosen: every account of the org unit"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_units = cast("forms.ModelChoiceField[OrgUnit]", self.fields["org_unit"])
        org_units.queryset = queries.run_org_units(user=user)
        org_units.initial = getattr(user, "org_unit_id", None)
        routes = cast("forms.ModelMultipleChoiceField[ReadingRoute]", self.fields["reading_routes"])
        routes.queryset = queries.run_reading_routes(user=user)


class RunFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *BillRunStatus.choices],
    )


class ReasonForm(forms.Form):
    """Why a run is cancelled."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class NoteForm(forms.Form):
    """The reviewer's note when holding a bill or sending it back for a read check."""

    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


class ReviewFilterForm(forms.Form):
    exception = forms.ChoiceField(
        label=gettext_lazy("Exception"),
        required=False,
        choices=[("", gettext_lazy("All"))] + [(code, code) for code in EXCEPTION_KINDS],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *((s.value, s.label) for s in OPEN_BILL_STATUSES)],
    )


class SelectedBillsForm(forms.Form):
    """The bills of the review page chosen for approval."""

    bills = forms.TypedMultipleChoiceField(label=gettext_lazy("Bills"), coerce=int, choices=())

    def __init__(self, *args: Any, run: BillRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.TypedMultipleChoiceField", self.fields["bills"])
        # Only the submitted ids that are bills of the run are valid choices (a province's run
        # has too many bills to list them all on every post).
        values = self.data.getlist("bills") if isinstance(self.data, QueryDict) else []
        submitted = [int(value) for value in values if value.isdigit()]
        valid = queries.bills_of_run(run=run, bill_ids=submitted).values_list("pk", flat=True)
        field.choices = [(pk, str(pk)) for pk in valid]


class AdjustForm(forms.Form):
    """An adjustment bill (退补电费) for an issued regular bill."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Adjustment"),
        choices=[
            ("rebill", gettext_lazy("Rebill: reverse the bill and bill again from today's reads")),
            ("cancel", gettext_lazy("Cancel: reverse the bill only")),
        ],
        initial="rebill",
        widget=forms.RadioSelect,
    )


# --- helpers ------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    # permission_required let in an authenticated staff User; the request types it wider.
    return cast("User", request.user)


def _language() -> str:
    return translation.get_language() or "zh-hans"


def _visible_run(request: HttpRequest, run_id: int) -> BillRun:
    run = queries.bill_run(user=request.user, run_id=run_id)
    if run is None:
        raise Http404(_("No bill run %(run_id)s in your units.") % {"run_id": run_id})
    return run


def _visible_bill(request: HttpRequest, bill_id: int) -> Bill:
    bill = queries.staff_bill(user=request.user, bill_id=bill_id)
    if bill is None:
        raise Http404(_("No bill %(bill_id)s in your units.") % {"bill_id": bill_id})
    return bill


def _attempt(request: HttpRequest, action: Callable[[], object]) -> object | None:
    """Run an operation; a refusal other than an access denial (which becomes a 403) is shown
    as an error message and gives ``None``."""
    try:
        return action()
    except AccessDenied:
        raise
    except GridCareError as error:
        messages.error(request, error.message(_language()))
        return None


# --- runs ---------------------------------------------------------------------------------------


def _run_list_page(request: HttpRequest, *, form: NewRunForm, status: int = 200) -> HttpResponse:
    filter_form = RunFilterForm(request.GET)
    chosen = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    context = {
        "page_obj": Paginator(queries.bill_runs(user=request.user, status=chosen), RUNS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        "filter_form": filter_form,
        "new_run_form": form,
    }
    return render(request, "web/backoffice/billing/runs.html", context, status=status)


@permission_required(Permission.RUN_BILLING)
def bill_runs(request: HttpRequest) -> HttpResponse:
    """The runs of the user's units, newest first, filtered by status, with the new-run form."""
    return _run_list_page(request, form=NewRunForm(user=request.user))


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_run_create(request: HttpRequest) -> HttpResponse:
    """Create a run (its calculation is queued) and show it; the form again when refused."""
    form = NewRunForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = operations.create_bill_run(
                actor=_actor(request),
                org_unit=data["org_unit"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                reading_routes=list(data["reading_routes"]),
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Bill run %(number)s created for %(count)d accounts; it is being calculated.")
                % {"number": run.number, "count": run.accounts_total},
            )
            return redirect("web:bill_run_detail", run_id=run.pk)
    return _run_list_page(request, form=form, status=400)


def _progress_context(run: BillRun) -> dict[str, object]:
    job = job_queries.job_run(run_id=run.job_run_id) if run.job_run_id else None
    return {"run": run, "job": job, "polling": run.status in RUN_STATUSES_IN_PROGRESS}


@permission_required(Permission.RUN_BILLING)
def bill_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: header, progress, totals, counts by status and the run's actions."""
    run = _visible_run(request, run_id)
    totals = queries.run_totals(run=run)
    context = {
        **_progress_context(run),
        "totals": totals,
        "exception_counts": queries.exception_counts(run=run),
        "cancel_form": ReasonForm(),
        "status_counts": [
            (status, BillStatus(status).label, count) for status, count in totals.by_status.items()
        ],
        "breadcrumbs": [(_("Bill runs"), reverse("web:bill_runs")), (run.number, "")],
    }
    return render(request, "web/backoffice/billing/run_detail.html", context)


@permission_required(Permission.RUN_BILLING)
def bill_run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's progress block (what the run page polls while it calculates)."""
    run = _visible_run(request, run_id)
    return render(request, "web/backoffice/billing/run_progress.html", _progress_context(run))


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_run_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    """Approve every calculated bill of the run with no exception."""
    run = _visible_run(request, run_id)
    approved = _attempt(
        request,
        lambda: operations.approve_bills(actor=_actor(request), run=run, now=timezone.now()),
    )
    if approved is not None:
        messages.success(request, _("%(count)d bills approved.") % {"count": approved})
    return redirect("web:bill_run_detail", run_id=run.pk)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_run_issue(request: HttpRequest, run_id: int) -> HttpResponse:
    """Issue the run's approved bills (电费发行)."""
    run = _visible_run(request, run_id)
    issued = _attempt(
        request,
        lambda: operations.issue_bill_run(actor=_actor(request), run=run, now=timezone.now()),
    )
    if issued is not None:
        messages.success(
            request,
            _("Bill run %(number)s issued: %(count)d bills.") % {"number": run.number, "count": issued},
        )
    return redirect("web:bill_run_detail", run_id=run.pk)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    """Cancel a run that is not issued, with a reason."""
    run = _visible_run(request, run_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for cancelling the run."))
        return redirect("web:bill_run_detail", run_id=run.pk)
    cancelled = _attempt(
        request,
        lambda: operations.cancel_bill_run(
            actor=_actor(request),
            run=run,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        ),
    )
    if cancelled is not None:
        messages.success(request, _("Bill run %(number)s cancelled.") % {"number": run.number})
    return redirect("web:bill_run_detail", run_id=run.pk)


# --- exception review (量费审核) ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReviewRow:
    bill: Bill
    exceptions: list[ShownException]
    average_kwh: str
    blocking: bool


@permission_required(Permission.RUN_BILLING)
def bill_run_review(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's bills with exceptions, filtered by exception code and status, with their
    messages, usage against the 12-month average, and the review actions."""
    run = _visible_run(request, run_id)
    filter_form = ReviewFilterForm(request.GET)
    chosen = filter_form.cleaned_data if filter_form.is_valid() else {"exception": "", "status": ""}
    bills = queries.flagged_bills(run=run, exception_code=chosen["exception"], status=chosen["status"])
    page = Paginator(bills, BILLS_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for bill in page:
        shown = shown_exceptions(bill)
        rows.append(
            ReviewRow(
                bill=bill,
                exceptions=shown,
                average_kwh=str(bill.usage.get("inputs", {}).get("average_kwh_12_months") or "—"),
                blocking=any(item.blocking for item in shown),
            )
        )
    context = {
        "run": run,
        "rows": rows,
        "page_obj": page,
        "filter_form": filter_form,
        "exception_counts": queries.exception_counts(run=run),
        "reviewable": run.status == BillRunStatus.IN_REVIEW,
        "breadcrumbs": [
            (_("Bill runs"), reverse("web:bill_runs")),
            (run.number, reverse("web:bill_run_detail", args=[run.pk])),
            (_("Exception review"), ""),
        ],
    }
    return render(request, "web/backoffice/billing/run_review.html", context)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_run_approve_selected(request: HttpRequest, run_id: int) -> HttpResponse:
    """Approve the bills chosen on the review page (blocking exceptions are never approved)."""
    run = _visible_run(request, run_id)
    form = SelectedBillsForm(request.POST, run=run)
    if not form.is_valid():
        messages.error(request, _("Choose at least one bill of this run."))
        return redirect("web:bill_run_review", run_id=run.pk)
    chosen = list(queries.bills_of_run(run=run, bill_ids=form.cleaned_data["bills"]))
    approved = _attempt(
        request,
        lambda: operations.approve_bills(actor=_actor(request), run=run, bills=chosen, now=timezone.now()),
    )
    if approved is not None:
        messages.success(
            request,
            _("%(approved)d of %(chosen)d chosen bills approved.")
            % {"approved": approved, "chosen": len(chosen)},
        )
    return redirect("web:bill_run_review", run_id=run.pk)


def _after_review_action(bill: Bill) -> HttpResponse:
    if bill.run_id is not None:
        return redirect("web:bill_run_review", run_id=bill.run_id)
    return redirect("web:bill_detail", bill_id=bill.pk)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_hold(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Hold a bill out of issue with the reviewer's note."""
    bill = _visible_bill(request, bill_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    done = _attempt(
        request,
        lambda: operations.hold_bill(actor=_actor(request), bill=bill, note=note, now=timezone.now()),
    )
    if done is not None:
        messages.success(
            request,
            _("The bill of account %(account_no)s is held.") % {"account_no": bill.account.account_no},
        )
    return _after_review_action(bill)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_release(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Release a held bill back to review."""
    bill = _visible_bill(request, bill_id)
    done = _attempt(
        request,
        lambda: operations.release_bill(actor=_actor(request), bill=bill, now=timezone.now()),
    )
    if done is not None:
        messages.success(
            request,
            _("The bill of account %(account_no)s is released.") % {"account_no": bill.account.account_no},
        )
    return _after_review_action(bill)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_send_back(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Send a bill's reads back for checking (退回复核抄表) with the reviewer's note."""
    bill = _visible_bill(request, bill_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    done = _attempt(
        request,
        lambda: operations.send_back_for_read_check(
            actor=_actor(request),
            bill=bill,
            note=note,
            now=timezone.now(),
        ),
    )
    if done is not None:
        messages.success(
            request,
            _("The reads of account %(account_no)s are sent back for checking.")
            % {"account_no": bill.account.account_no},
        )
    return _after_review_action(bill)


@require_POST
@permission_required(Permission.RUN_BILLING)
def bill_recalculate(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Recalculate an unissued bill from today's reads, terms and tariffs."""
    bill = _visible_bill(request, bill_id)
    recalculated = _attempt(
        request,
        lambda: operations.recalculate_bill(actor=_actor(request), bill=bill, now=timezone.now()),
    )
    if isinstance(recalculated, Bill):
        messages.success(
            request,
            _("The bill of account %(account_no)s is recalculated: %(total)s yuan.")
            % {"account_no": bill.account.account_no, "total": recalculated.total},
        )
    return _after_review_action(bill)


# --- the explainable bill -------------------------------------------------------------------------


def _bill_page(
    request: HttpRequest, bill: Bill, *, adjust_form: AdjustForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    lines = queries.bill_lines(bill=bill)
    contact = queries.primary_contact(user=user, bill=bill)
    unmasked = has_permission(user, Permission.UNMASK_PII)
    mobile = ""
    if contact is not None and contact.mobile:
        mobile = contact.mobile if unmasked else mask_mobile(contact.mobile)
    adjustable = bill.kind == BillKind.REGULAR and bill.status == BillStatus.ISSUED
    can_adjust = adjustable and has_permission(user, Permission.ADJUST_BILLS)
    versions = sorted(
        {line.tariff_version for line in lines if line.tariff_version is not None}
        | ({bill.tariff_version} if bill.tariff_version is not None else set()),
        key=lambda version: (version.valid_from, version.pk),
    )
    crumbs: list[tuple[str, str]] = []
    if bill.run is not None and has_permission(user, Permission.RUN_BILLING):
        crumbs = [
            (_("Bill runs"), reverse("web:bill_runs")),
            (bill.run.number, reverse("web:bill_run_detail", args=[bill.run.pk])),
        ]
    crumbs.append(
        (bill.number or _("Bill of account %(account_no)s") % {"account_no": bill.account.account_no}, "")
    )
    context = {
        "bill": bill,
        "lines": shown_lines(lines),
        "versions": versions,
        "usage_facts": explanation.facts(bill.usage),
        "exceptions": shown_exceptions(bill),
        "adjustments": queries.bill_adjustments(user=user, bill=bill),
        "contact": contact,
        "contact_mobile": mobile,
        # A refused adjustment shows its form with the reason, adjustable or not.
        "adjust_form": adjust_form if adjust_form is not None else AdjustForm() if can_adjust else None,
        "can_review": bill.status in OPEN_BILL_STATUSES and has_permission(user, Permission.RUN_BILLING),
        "breadcrumbs": crumbs,
    }
    return render(request, "web/backoffice/billing/bill_detail.html", context, status=status)


@permission_required(Permission.VIEW_BILLS)
def bill_detail(request: HttpRequest, bill_id: int) -> HttpResponse:
    """One bill with its explanation: account, period, tariff versions, every line with its rule
    and inputs, the usage explanation, exceptions, adjustments, and the adjust form."""
    return _bill_page(request, _visible_bill(request, bill_id))


@permission_required(Permission.VIEW_BILLS)
def bill_pdf(request: HttpRequest, bill_id: int) -> HttpResponse:
    """The issued bill as the customer's PDF (电费通知单)."""
    bill = _visible_bill(request, bill_id)
    if bill.status != BillStatus.ISSUED:
        raise Http404(_("Only issued bills have a PDF."))
    document = pdf.render_bill_pdf(
        bill=bill,
        lines=queries.bill_lines(bill=bill),
        adjustments=list(
            queries.bill_adjustments(user=request.user, bill=bill).filter(status=BillStatus.ISSUED)
        ),
        language=_language(),
    )
    return pdf_response(document, number=str(bill.number))


@require_POST
@permission_required(Permission.ADJUST_BILLS)
def bill_adjust(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Issue an adjustment bill (退补电费) for an issued regular bill: cancel or rebill."""
    bill = _visible_bill(request, bill_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            adjustment = operations.adjust_bill(
                actor=_actor(request),
                bill=bill,
                reason=form.cleaned_data["reason"],
                rebill=form.cleaned_data["mode"] == "rebill",
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Adjustment bill %(number)s issued: %(total)s yuan.")
                % {"number": adjustment.number, "total": adjustment.total},
            )
            return redirect("web:bill_detail", bill_id=adjustment.pk)
    return _bill_page(request, bill, adjust_form=form, status=400)
