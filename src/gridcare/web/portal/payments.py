"""Portal (网上营业厅) payment pages (docs/provider-payments.md): an account's balance — what it
owes today, bill by bill, with late fees to the day, and its prepaid balance — paying it all or
topping up the prepaid balance through the payment provider, the page the provider sends the
customer back to, and the customer's payment history. Only the customer's own accounts: any
other 户号 or order is a 404.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridcare.billing import queries as billing_queries
from gridcare.customers.models import Account
from gridcare.identity.access import portal_user_required
from gridcare.kit.clock import local_date
from gridcare.kit.errors import GridCareError
from gridcare.kit.money import parse_money
from gridcare.payments import portal_queries
from gridcare.payments.models import ProviderOrderPurpose
from gridcare.payments.prepaid import prepaid_status
from gridcare.payments.provider import (
    ORDER_MAXIMUM,
    ORDER_MINIMUM,
    create_provider_order,
    payment_request,
    provider_config,
    return_is_authentic,
)
from gridcare.web.portal.forms import error_text


class TopUpForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Amount to top up (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_amount(self) -> object:
        try:
            return parse_money(self.cleaned_data["amount"], field="amount")
        except GridCareError as error:
            raise forms.ValidationError(error_text(error)) from error


def _own_account(request: HttpRequest, account_no: str) -> Account:
    account = portal_queries.portal_account(user=request.user, account_no=account_no)
    if account is None:
        raise Http404(_("No account %(account_no)s of yours.") % {"account_no": account_no})
    return account


@portal_user_required
def balance(request: HttpRequest, account_no: str) -> HttpResponse:
    """What the account owes today and its prepaid balance, with "Pay" and "Top up"."""
    account = _own_account(request, account_no)
    due = portal_queries.portal_amount_due(user=request.user, account=account, on=local_date(timezone.now()))
    recent = portal_queries.portal_payments(user=request.user).filter(account=account)[:5]
    # Each open bill with its number, to link to the bill's page.
    bill_ids = [bill.bill_id for bill in due.bills if bill.bill_id is not None]
    numbers: dict[int | None, str | None] = dict(
        billing_queries.portal_bills(user=request.user).filter(pk__in=bill_ids).values_list("pk", "number")
    )
    context = {
        "account": account,
        "due": due,
        "bills": [(bill, numbers.get(bill.bill_id)) for bill in due.bills],
        "recent": recent,
        # prepaid (远程费控, docs/prepaid.md): the available balance after the usage estimated.
        "prepaid": prepaid_status(account_id=account.pk),
    }
    return render(request, "web/portal/balance.html", context)


@require_POST
@portal_user_required
def pay(request: HttpRequest, account_no: str) -> HttpResponseBase:
    """Pay everything the account owes today through the payment provider."""
    account = _own_account(request, account_no)
    due = portal_queries.portal_amount_due(user=request.user, account=account, on=local_date(timezone.now()))
    try:
        return _order_and_send(
            request, account=account, amount=due.total, purpose=ProviderOrderPurpose.PAY_BILLS
        )
    except GridCareError as error:
        messages.error(request, error_text(error))
        return redirect("portal:balance", account_no=account.account_no)


@portal_user_required
def top_up(request: HttpRequest, account_no: str) -> HttpResponseBase:
    """Top up the prepaid balance by an amount the customer chooses (what the account owes is
    paid first, as with any payment; the rest is prepaid)."""
    account = _own_account(request, account_no)
    form = TopUpForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return _order_and_send(
                request,
                account=account,
                amount=form.cleaned_data["amount"],
                purpose=ProviderOrderPurpose.TOP_UP,
            )
        except GridCareError as error:
            form.add_error("amount" if error.field == "amount" else None, error_text(error))
    context = {"account": account, "form": form, "minimum": ORDER_MINIMUM, "maximum": ORDER_MAXIMUM}
    return render(request, "web/portal/top_up.html", context)


def _order_and_send(
    request: HttpRequest, *, account: Account, amount: Decimal, purpose: ProviderOrderPurpose
) -> HttpResponseBase:
    """Create the payment order and redirect the browser to the provider's gateway with the
    signed payment request. The provider's configuration is read first: without one
    (:class:`ProviderNotConfigured`) no order is made."""
    config = provider_config()
    order = create_provider_order(
        actor=request.user,  # type: ignore[arg-type]  # portal_user_required let in a User
        account=account,
        amount=amount,
        purpose=purpose,
        now=timezone.now(),
    )
    parameters = payment_request(
        order=order,
        config=config,
        notify_url=request.build_absolute_uri(reverse("web:provider_notification_callback")),
        return_url=request.build_absolute_uri(reverse("portal:payment_return")),
        now=timezone.now(),
    )
    return redirect(f"{config.gateway_url}?{urlencode(parameters)}")


@portal_user_required
def payment_return(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the customer back: the order's status as we know it (only the
    provider's notification changes it), refreshed until it is paid or closed."""
    parameters = {name: request.GET.get(name, "") for name in request.GET}
    if not return_is_authentic(parameters=parameters):
        return render(request, "web/portal/payment_return.html", {"order": None}, status=400)
    order = portal_queries.portal_order(user=request.user, out_trade_no=parameters.get("out_trade_no", ""))
    if order is None:
        raise Http404(_("No payment order of yours."))
    return render(request, "web/portal/payment_return.html", {"order": order})


@portal_user_required
def payment_history(request: HttpRequest) -> HttpResponse:
    """The payments of the customer's accounts, newest first."""
    context = {"payments": portal_queries.portal_payments(user=request.user)[:200]}
    return render(request, "web/portal/payments.html", context)
