"""The cashier screen (收费) and the payment history (docs/cashier.md).

The screen: the cashier's shift (open it with a float, its running totals, close it with the
counted cash), finding an account by 户号, name or phone, what the account owes today (each open
bill with its overdue days and late fee to the day, the late fees charged, prepaid, the total),
and taking the payment — cash with the tendered amount, or card; in a field shift (走收) the cash
collected door to door. After a payment the receipt page shows the receipt with Print and PDF.

The screen and its actions need ``payments.collect`` (收费员); the payment history and receipts
``payments.view``. Records outside the user's org subtree are a 404; a refused operation shows
its message and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridcare.billing.models import Bill
from gridcare.billing.pdf import sender_lines
from gridcare.customers import queries as customer_queries
from gridcare.customers.models import Account
from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.errors import GridCareError
from gridcare.kit.masking import mask_person_name
from gridcare.organization.models import OrgUnit
from gridcare.payments import cashier, cashier_queries, receipts
from gridcare.payments import queries as payment_queries
from gridcare.payments.models import (
    CashierShift,
    Payment,
    PaymentChannel,
    PaymentStatus,
    ShiftKind,
    ShiftPayment,
    ShiftStatus,
    TenderMethod,
)
from gridcare.web.forms import add_refusal

SEARCH_RESULTS = 20
PAYMENTS_PER_PAGE = 50


# --- forms --------------------------------------------------------------------------------------


class OpenShiftForm(forms.Form):
    counter = forms.ModelChoiceField(label=gettext_lazy("Service counter"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ShiftKind.choices, initial=ShiftKind.COUNTER)
    opening_float = forms.DecimalField(
        label=gettext_lazy("Opening float (yuan)"),
        min_value=Decimal("0"),
        initial=Decimal("0.00"),
        help_text=gettext_lazy("The cash in the drawer (or carried for change) at the start"),
        max_digits=16,
        decimal_places=2,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counters = cast("forms.ModelChoiceField[OrgUnit]", self.fields["counter"])
        counters.queryset = cashier_queries.shift_counters(user=user)
        counters.initial = getattr(user, "org_unit_id", None)


class CloseShiftForm(forms.Form):
    counted_cash = forms.DecimalField(
        label=gettext_lazy("Counted cash (yuan)"), min_value=Decimal("0"), max_digits=16, decimal_places=2
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for a difference"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Needed only when the count differs from the expected cash"),
    )


class PaymentForm(forms.Form):
    #: The form's token: the same form sent twice (a double click) takes the payment once.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=16, decimal_places=2
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        choices=TenderMethod.choices,
        initial=TenderMethod.CASH,
        widget=forms.RadioSelect,
    )
    tendered = forms.DecimalField(
        label=gettext_lazy("Cash tendered (yuan)"),
        required=False,
        help_text=gettext_lazy("Cash only; left empty: the exact amount"),
        max_digits=16,
        decimal_places=2,
    )


class DoorToDoorPaymentForm(forms.Form):
    submission = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=16, decimal_places=2
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("Collected at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("When the customer paid the collector"),
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Account number, name or mobile"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("The account number or its first digits, a name, or an 11-digit mobile"),
    )


class HistoryFilterForm(forms.Form):
    account_no = forms.CharField(label=gettext_lazy("Account number"), max_length=20, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("All")), *PaymentChannel.choices],
    )
    cashier = forms.CharField(label=gettext_lazy("Cashier (user name)"), max_length=150, required=False)
    shift = forms.CharField(label=gettext_lazy("Shift number"), max_length=20, required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *PaymentStatus.choices],
    )


# --- helpers ------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    # permission_required let in an authenticated staff User; the request types it wider.
    return cast("User", request.user)


def _language() -> str:
    return translation.get_language() or "zh-hans"


@dataclass(frozen=True, kw_only=True)
class ShownBill:
    """An open bill as the screen shows it: its period when it is a bill."""

    label: str
    due: payment_queries.BillDue


@dataclass(frozen=True, kw_only=True)
class FoundAccount:
    account: Account
    customer_name: str


def _customer_name(user: Any, name: str) -> str:
    return name if has_permission(user, Permission.UNMASK_PII) else mask_person_name(name)


def _visible_account(request: HttpRequest, account_no: str) -> Account:
    try:
        return customer_queries.get_account(user=request.user, account_no=account_no)
    except Account.DoesNotExist:
        raise Http404(_("No account %(account_no)s in your units.") % {"account_no": account_no}) from None


def _shown_bills(user: Any, owed: payment_queries.AmountDue) -> list[ShownBill]:
    ids = [due.bill_id for due in owed.bills if due.bill_id is not None]
    bills = Bill.objects.visible_to(user).in_bulk(ids)
    shown = []
    for due in owed.bills:
        bill = bills.get(due.bill_id) if due.bill_id is not None else None
        label = (
            _("Electricity bill %(period)s") % {"period": f"{bill.period_start:%Y-%m}"}
            if bill is not None
            else _("Amount owed %(item)s") % {"item": due.item}
        )
        shown.append(ShownBill(label=label, due=due))
    return shown


def _screen(
    request: HttpRequest,
    *,
    account: Account | None = None,
    open_form: OpenShiftForm | None = None,
    close_form: CloseShiftForm | None = None,
    payment_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The cashier screen: the shift panel, the search and, for ``account``, what it owes with
    the payment form (prefilled with the total)."""
    user = request.user
    shift = cashier_queries.open_shift_of(user=user)
    context: dict[str, Any] = {
        "shift": shift,
        "totals": cashier_queries.shift_totals(shift=shift) if shift is not None else None,
        "shift_payments": cashier_queries.shift_payments(user=user, shift=shift)[:10]
        if shift is not None
        else [],
        "last_closed": cashier_queries.last_closed_shift_of(user=user) if shift is None else None,
        "open_form": open_form or OpenShiftForm(user=user),
        "close_form": close_form or CloseShiftForm(),
        "search_form": SearchForm(),
        "account": account,
    }
    if account is not None:
        owed = payment_queries.amount_due(user=user, account=account, on=timezone.localdate())
        context["owed"] = owed
        context["owed_bills"] = _shown_bills(user, owed)
        context["customer_name"] = _customer_name(user, account.customer.name)
        if payment_form is None:
            if shift is not None and shift.kind == ShiftKind.FIELD:
                payment_form = DoorToDoorPaymentForm(
                    initial={
                        "submission": uuid.uuid4().hex,
                        "amount": owed.total,
                        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                    }
                )
            else:
                payment_form = PaymentForm(initial={"submission": uuid.uuid4().hex, "amount": owed.total})
        context["payment_form"] = payment_form
    return render(request, "web/backoffice/cashier/screen.html", context, status=status)


# --- the cashier screen -------------------------------------------------------------------------


@require_GET
@permission_required(Permission.COLLECT_PAYMENTS)
def cashier_screen(request: HttpRequest) -> HttpResponse:
    """The screen; ``?account=<户号>`` shows that account's dues and the payment form."""
    account_no = request.GET.get("account", "").strip()
    account = _visible_account(request, account_no) if account_no else None
    return _screen(request, account=account)


@require_GET
@permission_required(Permission.COLLECT_PAYMENTS)
def cashier_search(request: HttpRequest) -> HttpResponse:
    """The accounts matching ``q`` (htmx fragment), names masked unless the user may unmask."""
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    found: list[FoundAccount] = []
    if text:
        accounts = customer_queries.search_accounts(user=request.user, text=text)[:SEARCH_RESULTS]
        found = [
            FoundAccount(account=a, customer_name=_customer_name(request.user, a.customer.name))
            for a in accounts
        ]
    return render(
        request, "web/backoffice/cashier/search_results.html", {"found": found, "search_text": text}
    )


@require_POST
@permission_required(Permission.COLLECT_PAYMENTS)
def shift_open(request: HttpRequest) -> HttpResponse:
    form = OpenShiftForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            shift = cashier.open_shift(
                actor=_actor(request),
                counter=form.cleaned_data["counter"],
                kind=ShiftKind(form.cleaned_data["kind"]),
                opening_float=form.cleaned_data["opening_float"],
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Shift %(number)s opened.") % {"number": shift.number})
            return redirect("web:cashier")
    return _screen(request, open_form=form, status=400)


def _own_open_shift(request: HttpRequest) -> CashierShift:
    shift = cashier_queries.open_shift_of(user=request.user)
    if shift is None:
        raise Http404(_("You have no open shift."))
    return shift


@require_POST
@permission_required(Permission.COLLECT_PAYMENTS)
def shift_close(request: HttpRequest) -> HttpResponse:
    shift = _own_open_shift(request)
    form = CloseShiftForm(request.POST)
    if form.is_valid():
        try:
            closed = cashier.close_shift(
                actor=_actor(request),
                shift=shift,
                counted_cash=form.cleaned_data["counted_cash"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Shift %(number)s closed.") % {"number": closed.number})
            return redirect("web:cashier")
    return _screen(request, close_form=form, status=400)


@require_POST
@permission_required(Permission.COLLECT_PAYMENTS)
def take_payment(request: HttpRequest, account_no: str) -> HttpResponse:
    """Take a payment for the account in the cashier's open shift; on success, its receipt."""
    account = _visible_account(request, account_no)
    shift = _own_open_shift(request)
    field_shift = shift.kind == ShiftKind.FIELD
    form: forms.Form = DoorToDoorPaymentForm(request.POST) if field_shift else PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if field_shift:
                link = cashier.take_door_to_door_payment(
                    actor=_actor(request),
                    shift=shift,
                    account=account,
                    amount=data["amount"],
                    received_at=data["received_at"],
                    submission=data["submission"],
                    now=timezone.now(),
                )
            else:
                link = cashier.take_counter_payment(
                    actor=_actor(request),
                    shift=shift,
                    account=account,
                    amount=data["amount"],
                    method=TenderMethod(data["method"]),
                    tendered=data["tendered"],
                    submission=data["submission"],
                    now=timezone.now(),
                )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            payment = link.payment
            messages.success(
                request,
                _("Payment %(receipt_no)s taken: %(amount)s yuan.")
                % {"receipt_no": payment.receipt_no, "amount": payment.amount},
            )
            return redirect("web:payment_receipt", receipt_no=payment.receipt_no)
    return _screen(request, account=account, payment_form=form, status=400)


# --- receipts and the payment history -----------------------------------------------------------


def _visible_payment(request: HttpRequest, receipt_no: str) -> Payment:
    try:
        return cashier_queries.get_payment(user=request.user, receipt_no=receipt_no)
    except Payment.DoesNotExist:
        raise Http404(_("No payment %(receipt_no)s in your units.") % {"receipt_no": receipt_no}) from None


def _reversible_in_shift(user: Any, payment: Payment) -> bool:
    """Whether ``user`` may reverse ``payment`` here: taken in their own shift, still open."""
    link: ShiftPayment | None = getattr(payment, "shift_link", None)
    return (
        link is not None
        and link.reversed_at is None
        and payment.status == PaymentStatus.POSTED
        and link.shift.status == ShiftStatus.OPEN
        and link.shift.cashier_id == getattr(user, "pk", None)
        and has_permission(user, Permission.COLLECT_PAYMENTS)
    )


@require_GET
@permission_required(Permission.VIEW_PAYMENTS)
def payment_receipt(request: HttpRequest, receipt_no: str) -> HttpResponse:
    """The printable receipt of a payment, with Print, the PDF and, when allowed, reversal."""
    payment = _visible_payment(request, receipt_no)
    return _receipt_page(request, payment)


def _receipt_page(
    request: HttpRequest, payment: Payment, *, reverse_form: ReverseForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "receipt": receipts.receipt_of(payment=payment),
        "sender_lines": sender_lines(),
        "may_reverse": _reversible_in_shift(request.user, payment),
        "reverse_form": reverse_form or ReverseForm(),
        "breadcrumbs": [(_("Payments"), reverse("web:payment_history")), (payment.receipt_no, "")],
    }
    return render(request, "web/backoffice/cashier/receipt.html", context, status=status)


@require_GET
@permission_required(Permission.VIEW_PAYMENTS)
def payment_receipt_pdf(request: HttpRequest, receipt_no: str) -> HttpResponse:
    payment = _visible_payment(request, receipt_no)
    document = receipts.render_receipt_pdf(payment=payment, language=_language())
    return HttpResponse(
        document,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="receipt-{payment.receipt_no}.pdf"'},
    )


@require_POST
@permission_required(Permission.COLLECT_PAYMENTS)
def payment_reverse(request: HttpRequest, receipt_no: str) -> HttpResponse:
    """Reverse a payment taken in error in the cashier's own open shift."""
    payment = _visible_payment(request, receipt_no)
    link: ShiftPayment | None = getattr(payment, "shift_link", None)
    if link is None:
        raise Http404(_("Payment %(receipt_no)s was not taken in a shift.") % {"receipt_no": receipt_no})
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            cashier.reverse_counter_payment(
                actor=_actor(request),
                shift_payment=link,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Payment %(receipt_no)s reversed.") % {"receipt_no": receipt_no})
            return redirect("web:payment_receipt", receipt_no=receipt_no)
    return _receipt_page(request, payment, reverse_form=form, status=400)


@require_GET
@permission_required(Permission.VIEW_PAYMENTS)
def payment_history(request: HttpRequest) -> HttpResponse:
    """The payments of the user's units, filtered and paginated, newest first."""
    form = HistoryFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = cashier_queries.PaymentFilter(
        account_no=data.get("account_no", ""),
        date_from=cast("date | None", data.get("date_from")),
        date_to=cast("date | None", data.get("date_to")),
        channel=data.get("channel", ""),
        shift_number=data.get("shift", ""),
        cashier_username=data.get("cashier", ""),
        status=data.get("status", ""),
    )
    payments = cashier_queries.payment_history(user=request.user, filters=filters)
    page = Paginator(payments, PAYMENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(payment, _reversible_in_shift(request.user, payment)) for payment in page.object_list]
    return render(
        request,
        "web/backoffice/cashier/payments.html",
        {"filter_form": form, "page_obj": page, "rows": rows},
    )


# --- shifts and their review --------------------------------------------------------------------


class ShiftFilterForm(forms.Form):
    awaiting_review = forms.BooleanField(label=gettext_lazy("Only shifts awaiting review"), required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Review note"),
        max_length=300,
        help_text=gettext_lazy("What was decided about the difference"),
    )


@require_GET
@permission_required(Permission.VIEW_PAYMENTS)
def shift_list(request: HttpRequest) -> HttpResponse:
    """The shifts of the user's units with their count and difference; those closed with a
    difference wait for a supervisor's review (reviewed here by holders of approvals.approve)."""
    form = ShiftFilterForm(request.GET)
    awaiting = bool(form.is_valid() and form.cleaned_data["awaiting_review"])
    found = cashier_queries.shifts(user=request.user, awaiting_review=awaiting)
    page = Paginator(found, PAYMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/backoffice/cashier/shifts.html",
        {
            "filter_form": form,
            "page_obj": page,
            "may_review": has_permission(request.user, Permission.APPROVE),
            "review_form": ReviewForm(),
        },
    )


@require_POST
@permission_required(Permission.APPROVE)
def shift_review(request: HttpRequest, number: str) -> HttpResponse:
    try:
        shift = cashier_queries.get_shift(user=request.user, number=number)
    except CashierShift.DoesNotExist:
        raise Http404(_("No shift %(number)s in your units.") % {"number": number}) from None
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            cashier.review_shift(
                actor=_actor(request), shift=shift, note=form.cleaned_data["note"], now=timezone.now()
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Shift %(number)s reviewed.") % {"number": number})
            return redirect("web:cashier_shifts")
    for problem in form.errors.get("__all__", []) + form.errors.get("note", []):
        messages.error(request, str(problem))
    return redirect("web:cashier_shifts")
