"""Receipts (收费凭证) of payments: what a payment paid, laid out for the printable page and
the PDF (docs/cashier.md). The PDF is printed as bills are (:mod:`gridcare.billing.pdf`):
WeasyPrint with Debian's Noto CJK fonts, the letters' sender block at the top."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from gridcare.billing.models import Bill
from gridcare.billing.pdf import sender_lines
from gridcare.kit.clock import to_local
from gridcare.kit.masking import mask_person_name
from gridcare.kit.money_words import amount_in_capitals
from gridcare.ledger.chart import ChartCode
from gridcare.payments.models import Payment, PaymentChannel, PaymentStatus

#: The print style of the receipt (A5 landscape, as counter receipt printers take).
RECEIPT_STYLE = """
@page { size: A5 landscape; margin: 10mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 10pt; line-height: 1.5; }
.sender { font-size: 9pt; color: #444; }
h1 { font-family: "Noto Serif CJK SC", serif; font-size: 16pt; text-align: center; }
h1 { letter-spacing: 0.2em; margin: 3mm 0; }
table { width: 100%; border-collapse: collapse; }
.receipt-facts td { padding: 0.8mm 2mm; vertical-align: top; }
.receipt-facts td.label { color: #555; width: 26mm; }
.receipt-lines th, .receipt-lines td { border-bottom: 0.2mm solid #999; padding: 1mm 1.5mm; }
.receipt-lines th, .receipt-lines td { text-align: left; }
.receipt-lines th { background: #eef3f2; }
.num { text-align: right; white-space: nowrap; }
.total td { font-weight: bold; }
.reversed { color: #b00020; font-weight: bold; text-align: center; }
"""


@dataclass(frozen=True, kw_only=True)
class ReceiptLine:
    """One thing a payment paid: a bill (by its period), a late fee, or the prepaid rest."""

    label: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class Receipt:
    payment: Payment
    receipt_no: str
    account_no: str
    customer_name: str  # masked
    amount: Decimal
    amount_in_capitals: str
    channel: str
    cashier: str
    shift_number: str
    received_at: datetime
    tendered: Decimal | None
    change_given: Decimal | None
    lines: tuple[ReceiptLine, ...]
    is_reversed: bool


def receipt_of(*, payment: Payment) -> Receipt:
    """The receipt of ``payment`` (already read through an org-scoped query), its labels in the
    active language: the credits of its journal entry, each bill named by its period."""
    postings = list(
        payment.journal_entry.postings.filter(credit__gt=0).select_related("ledger_account").order_by("id")
    )
    bill_ids = [
        int(posting.item.split(":", 1)[1])
        for posting in postings
        if posting.item.startswith("billing.bill:") and posting.item.split(":", 1)[1].isdigit()
    ]
    bills = Bill.objects.in_bulk(bill_ids)
    lines = tuple(
        ReceiptLine(label=_line_label(posting, bills), amount=posting.credit) for posting in postings
    )
    link = getattr(payment, "shift_link", None)
    recorder = payment.recorded_by
    return Receipt(
        payment=payment,
        receipt_no=payment.receipt_no,
        account_no=payment.account.account_no,
        customer_name=mask_person_name(payment.account.customer.name),
        amount=payment.amount,
        amount_in_capitals=amount_in_capitals(payment.amount),
        channel=str(PaymentChannel(payment.channel).label),
        cashier="" if recorder is None else (recorder.get_full_name() or recorder.username),
        shift_number="" if link is None else link.shift.number,
        received_at=to_local(payment.received_at),
        tendered=None if link is None else link.tendered,
        change_given=None if link is None else link.change_given,
        lines=lines,
        is_reversed=payment.status == PaymentStatus.REVERSED,
    )


def _line_label(posting: Any, bills: dict[int, Bill]) -> str:
    code = posting.ledger_account.code
    if code == ChartCode.PREPAID_ENERGY:
        return _("Prepaid for the next bills")
    if code == ChartCode.RECEIVABLE_LATE_FEE:
        return _("Late fee")
    if posting.item.startswith("billing.bill:"):
        bill = bills.get(int(posting.item.split(":", 1)[1]))
        if bill is not None:
            return _("Electricity bill %(period)s") % {"period": f"{bill.period_start:%Y-%m}"}
    return _("Amount owed %(item)s") % {"item": posting.item}


def receipt_html(*, payment: Payment, language: str) -> str:
    """The receipt as a standalone HTML document in ``language``, for the PDF."""
    with translation.override(language):
        return render_to_string(
            "payments/receipt_pdf.html",
            {
                "receipt": receipt_of(payment=payment),
                "sender_lines": sender_lines(),
                "language": translation.get_language(),
            },
        )


def render_receipt_pdf(*, payment: Payment, language: str = "zh-hans") -> bytes:
    """The receipt as a one-page A5 PDF."""
    from weasyprint import CSS, HTML  # imported here: loading Pango is slow and only PDFs need it

    html = receipt_html(payment=payment, language=language)
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(string=RECEIPT_STYLE)]))
