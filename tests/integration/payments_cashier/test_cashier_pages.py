"""The cashier screen, receipts and the payment history over HTTP: open a shift, find the
account (names masked for a cashier), see what it owes, take a cash payment and land on its
receipt, close the shift; the receipt as PDF with its text; the history filtered and
org-scoped; reversal from the receipt page.

The pages read the real clock, so the page world's bill falls due 15 days after today (no late
fee accrues): 张伟 owes that bill's 88.80; the payments world's bills and late fee (181.50,
due in 2025) are paid first by a bank payment, so the amounts do not depend on the day the
test runs."""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cashier_world import CashierWorld, issue_bill
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridcare.identity.models import Role
from gridcare.payments.cashier import close_shift, open_shift, take_counter_payment
from gridcare.payments.models import CashierShift, Payment, PaymentChannel, ShiftKind, TenderMethod
from gridcare.payments.operations import record_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_world(cashier_world: CashierWorld, now: datetime) -> CashierWorld:
    """The world's 181.50 paid, and a bill of 88.80 for last month due in 15 days: 88.80 owed
    today."""
    record_payment(
        actor=None,
        account=cashier_world.account,
        amount=Decimal("181.50"),
        channel=PaymentChannel.BANK_REALTIME,
        idempotency_key="bank-0001",
        received_at=now,
        now=now,
    )
    today = timezone.localdate()
    issue_bill(
        cashier_world.account,
        number="2099010000001",
        total="88.80",
        period_start=(today.replace(day=1) - timedelta(days=1)).replace(day=1),
        due_date=today + timedelta(days=15),
        now=timezone.now(),
    )
    return cashier_world


def _client(log_in: Any, user: Any) -> Client:
    return log_in(Client(), user)


def _text(response: Any) -> str:
    return str(response.content.decode())


def test_a_cashier_opens_a_shift_takes_cash_and_closes_balanced(
    page_world: CashierWorld, log_in: Any
) -> None:
    client = _client(log_in, page_world.cashier)
    account_no = page_world.account.account_no

    opened = client.post(
        reverse("web:cashier_shift_open"),
        {"counter": page_world.world.tree.station.pk, "kind": "counter", "opening_float": "300.00"},
    )
    assert opened.status_code == 302
    shift = CashierShift.objects.get()

    found = client.get(reverse("web:cashier_search"), {"q": "张伟"})
    assert f'data-found="{account_no}"' in _text(found)
    assert "<td>张*</td>" in _text(found)  # a cashier may not unmask: the name is masked
    assert "张伟" not in _text(found)

    screen = client.get(reverse("web:cashier"), {"account": account_no})
    body = _text(screen)
    assert re.search(r'data-owed="total">88\.80<', body)
    assert re.search(r'data-owed="late-fees-charged">0\.00<', body)
    assert re.search(r"data-overdue-days>0<", body)
    assert "Electricity bill" in body or "电费" in body
    assert 'name="amount" value="88.80"' in body  # prefilled with the total

    paid = client.post(
        reverse("web:cashier_take_payment", args=[account_no]),
        {"submission": "form-1", "amount": "88.80", "method": "cash", "tendered": "100.00"},
    )
    again = client.post(
        reverse("web:cashier_take_payment", args=[account_no]),
        {"submission": "form-1", "amount": "88.80", "method": "cash", "tendered": "100.00"},
    )
    payment = Payment.objects.get(channel="counter_cash")  # the form sent twice pays once
    assert again["Location"] == paid["Location"]
    assert paid.status_code == 302
    assert paid["Location"] == reverse("web:payment_receipt", args=[payment.receipt_no])
    receipt = _text(client.get(paid["Location"]))
    assert f"data-receipt-no>{payment.receipt_no}<" in receipt
    assert "data-amount>88.80<" in receipt
    assert "data-amount-capitals>捌拾捌元捌角<" in receipt
    assert "data-change>11.20<" in receipt
    assert "data-customer-name>张*<" in receipt
    assert f'href="/payments/{payment.receipt_no}/receipt.pdf"' in receipt

    panel = _text(client.get(reverse("web:cashier")))
    assert re.search(r'data-total="expected">388\.80<', panel)
    closed = client.post(reverse("web:cashier_shift_close"), {"counted_cash": "388.80", "reason": ""})
    assert closed.status_code == 302
    shift.refresh_from_db()
    assert (shift.status, shift.difference, shift.needs_review) == ("closed", Decimal("0.00"), False)
    result = _text(client.get(reverse("web:cashier")))
    assert f'data-last-shift="{shift.number}" data-balanced="yes"' in result


def test_a_short_count_without_a_reason_is_refused_on_the_page(page_world: CashierWorld, log_in: Any) -> None:
    client = _client(log_in, page_world.cashier)
    client.post(
        reverse("web:cashier_shift_open"),
        {"counter": page_world.world.tree.station.pk, "kind": "counter", "opening_float": "300.00"},
    )

    refused = client.post(reverse("web:cashier_shift_close"), {"counted_cash": "299.00", "reason": ""})

    assert refused.status_code == 400
    assert "清点现金与应有现金相差 1.00 元（短款），结班须写明原因。" in _text(refused)
    assert CashierShift.objects.get().status == "open"


def test_a_payment_without_an_open_shift_is_not_taken(page_world: CashierWorld, log_in: Any) -> None:
    client = _client(log_in, page_world.cashier)
    before = Payment.objects.count()

    response = client.post(
        reverse("web:cashier_take_payment", args=[page_world.account.account_no]),
        {"submission": "form-1", "amount": "88.80", "method": "cash", "tendered": ""},
    )

    assert response.status_code == 404
    assert Payment.objects.count() == before


def test_the_receipt_pdf_carries_the_receipt_text_in_a_cjk_font(
    page_world: CashierWorld, log_in: Any, now: datetime
) -> None:
    shift = open_shift(
        actor=page_world.cashier,
        counter=page_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("0.00"),
        now=timezone.now(),
    )
    link = take_counter_payment(
        actor=page_world.cashier,
        shift=shift,
        account=page_world.account,
        amount=Decimal("123.45"),
        method=TenderMethod.CASH,
        tendered=Decimal("200.00"),
        now=timezone.now(),
    )
    client = _client(log_in, page_world.cashier)

    response = client.get(reverse("web:payment_receipt_pdf", args=[link.payment.receipt_no]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{link.payment.receipt_no}.pdf"'
    objects = pdf_objects(response.content)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-Sans-CJK-SC\b", objects) is not None
    # The glyphs of the amount in capitals and of the masked name (its ToUnicode map), and not
    # the masked character.
    for character in "壹佰贰拾叁元肆角伍分张":
        assert f"<{ord(character):04x}>".encode() in objects.lower(), character
    assert f"<{ord('伟'):04x}>".encode() not in objects.lower()


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (as the billing PDF tests read them)."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(inflated)


def test_the_history_is_filtered_and_org_scoped(
    page_world: CashierWorld, log_in: Any, now: datetime, staff_user_factory: Any
) -> None:
    other_cashier = staff_user_factory(
        username="cashier_b", org_unit=page_world.world.tree.other_station, roles=[Role.CASHIER]
    )
    record_payment(
        actor=None,
        account=page_world.other_account,
        amount=Decimal("20.00"),
        channel=PaymentChannel.BANK_REALTIME,
        idempotency_key="bank-0002",
        received_at=now,
        now=now,
    )
    mine = Payment.objects.get(account=page_world.account)
    theirs = Payment.objects.get(account=page_world.other_account)
    client = _client(log_in, page_world.cashier)

    listed = _text(client.get(reverse("web:payment_history")))
    by_channel = _text(client.get(reverse("web:payment_history"), {"channel": "counter_cash"}))
    by_day = _text(client.get(reverse("web:payment_history"), {"date_from": "2025-03-11"}))
    other = _client(log_in, other_cashier)

    assert f'data-payment="{mine.receipt_no}"' in listed
    assert f'data-payment="{theirs.receipt_no}"' not in listed
    assert f'data-payment="{mine.receipt_no}"' not in by_channel
    assert f'data-payment="{mine.receipt_no}"' not in by_day
    assert client.get(reverse("web:payment_receipt", args=[theirs.receipt_no])).status_code == 404
    assert other.get(reverse("web:payment_receipt", args=[mine.receipt_no])).status_code == 404
    assert f'data-payment="{theirs.receipt_no}"' in _text(other.get(reverse("web:payment_history")))


def test_a_cashier_reverses_a_payment_of_the_open_shift(page_world: CashierWorld, log_in: Any) -> None:
    shift = open_shift(
        actor=page_world.cashier,
        counter=page_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("100.00"),
        now=timezone.now(),
    )
    link = take_counter_payment(
        actor=page_world.cashier,
        shift=shift,
        account=page_world.account,
        amount=Decimal("50.00"),
        method=TenderMethod.CASH,
        tendered=None,
        now=timezone.now(),
    )
    receipt_no = link.payment.receipt_no
    client = _client(log_in, page_world.cashier)
    other = _client(log_in, page_world.other_cashier)
    assert "data-reverse-form" in _text(client.get(reverse("web:payment_receipt", args=[receipt_no])))
    assert "data-reverse-form" not in _text(other.get(reverse("web:payment_receipt", args=[receipt_no])))

    refused = other.post(reverse("web:payment_reverse", args=[receipt_no]), {"reason": "错收"})
    assert refused.status_code == 400
    assert Payment.objects.get(receipt_no=receipt_no).status == "posted"

    reversed_ = client.post(reverse("web:payment_reverse", args=[receipt_no]), {"reason": "错收"})
    assert reversed_.status_code == 302
    assert Payment.objects.get(receipt_no=receipt_no).status == "reversed"
    panel = _text(client.get(reverse("web:cashier")))
    assert re.search(r'data-total="expected">100\.00<', panel)


def test_the_shift_list_and_its_review(
    page_world: CashierWorld, log_in: Any, now: datetime, staff_user_factory: Any
) -> None:
    supervisor = staff_user_factory(
        username="supervisor", org_unit=page_world.world.tree.county, roles=[Role.MARKETING_SUPERVISOR]
    )
    other_station_cashier = staff_user_factory(
        username="cashier_b", org_unit=page_world.world.tree.other_station, roles=[Role.CASHIER]
    )
    shift = open_shift(
        actor=page_world.cashier,
        counter=page_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("100.00"),
        now=now,
    )
    close_shift(actor=page_world.cashier, shift=shift, counted_cash=Decimal("101.00"), reason="多收", now=now)
    elsewhere = open_shift(
        actor=other_station_cashier,
        counter=page_world.world.tree.other_station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("0.00"),
        now=now,
    )
    cashier_client = _client(log_in, page_world.cashier)
    supervisor_client = _client(log_in, supervisor)

    own = _text(cashier_client.get(reverse("web:cashier_shifts"), {"awaiting_review": "on"}))
    assert f'data-shift="{shift.number}"' in own
    assert f'data-shift="{elsewhere.number}"' not in own
    assert "data-review-form" not in own  # a cashier does not review
    listed = _text(supervisor_client.get(reverse("web:cashier_shifts")))
    assert f'data-shift="{elsewhere.number}"' in listed
    assert "data-review-form" in listed

    refused = cashier_client.post(reverse("web:cashier_shift_review", args=[shift.number]), {"note": "ok"})
    reviewed = supervisor_client.post(
        reverse("web:cashier_shift_review", args=[shift.number]), {"note": "长款入账"}
    )

    assert refused.status_code == 403
    assert reviewed.status_code == 302
    shift.refresh_from_db()
    assert (shift.needs_review, shift.reviewed_by, shift.review_note) == (False, supervisor, "长款入账")
    waiting = _text(supervisor_client.get(reverse("web:cashier_shifts"), {"awaiting_review": "on"}))
    assert f'data-shift="{shift.number}"' not in waiting


def test_the_history_runs_the_same_queries_for_one_payment_or_many(
    page_world: CashierWorld, log_in: Any, now: datetime
) -> None:
    shift = open_shift(
        actor=page_world.cashier,
        counter=page_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("0.00"),
        now=now,
    )
    client = _client(log_in, page_world.cashier)
    client.get(reverse("web:payment_history"))  # the session and permissions warmed up

    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:payment_history")).status_code == 200
        return len(captured.captured_queries)

    one = queries_for_the_page()  # the bank payment of the page world
    for _ in range(4):
        take_counter_payment(
            actor=page_world.cashier,
            shift=shift,
            account=page_world.account,
            amount=Decimal("1.00"),
            method=TenderMethod.CARD,
            tendered=None,
            now=now,
        )
    assert queries_for_the_page() == one
