"""Portal (网上营业厅) bill pages: the customer's issued bills, one bill with its lines, and its
PDF (电费通知单). Only the bills of the accounts the login is bound to: any other bill number is
a 404 (docs/billing-runs.md)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from gridcare.billing import explanation, pdf, queries
from gridcare.billing.models import Bill
from gridcare.identity.access import portal_user_required
from gridcare.web.bill_display import pdf_response, shown_lines


def _own_bill(request: HttpRequest, number: str) -> Bill:
    bill = queries.portal_bill(user=request.user, number=number)
    if bill is None:
        raise Http404(_("No bill %(number)s of your accounts.") % {"number": number})
    return bill


@portal_user_required
def bills(request: HttpRequest) -> HttpResponse:
    """The issued bills of the customer's accounts, newest period first."""
    return render(request, "web/portal/bills.html", {"bills": queries.portal_bills(user=request.user)[:120]})


@portal_user_required
def bill_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One issued bill of the customer's with its lines and how each is calculated."""
    bill = _own_bill(request, number)
    context = {
        "bill": bill,
        "lines": shown_lines(queries.bill_lines(bill=bill)),
        "usage_facts": explanation.facts(bill.usage),
        "adjustments": queries.portal_bill_adjustments(user=request.user, bill=bill),
    }
    return render(request, "web/portal/bill_detail.html", context)


@portal_user_required
def bill_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """One issued bill of the customer's as a PDF in Chinese (or the page's language)."""
    bill = _own_bill(request, number)
    document = pdf.render_bill_pdf(
        bill=bill,
        lines=queries.bill_lines(bill=bill),
        adjustments=list(queries.portal_bill_adjustments(user=request.user, bill=bill)),
        language=translation.get_language() or "zh-hans",
    )
    return pdf_response(document, number=number)
