"""The bank real-time collection API (docs/bank-channels.md), signed with the real client helper:
duplicate, replayed and out-of-order notifications post exactly once; a bad signature or a
reused nonce is refused and audited; nothing changes on a refusal.

The world (bank_world.py): 张伟's account owes 181.50 on 2025-03-10, the day the notifications
say it paid (January's bill 100.00 due 2025-03-12, February's 80.00, a late fee of 1.50); the
bank icbc-quancheng serves the station."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from bank_world import BankWorld, call, make_account, send, signed
from django.utils import timezone
from payments_world import FEBRUARY_BILL, JANUARY_BILL, LATE_FEE, receivable_entry

from gridcare.audit.models import AuditEvent
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration
from gridcare.identity.signing import SIGNATURE_HEADER
from gridcare.kit.clock import local_date
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntry, Posting
from gridcare.ledger.operations import post_journal_entries
from gridcare.payments.models import AccountSupply, BankReversal, Payment, SupplyOrder
from gridcare.payments.queries import amount_due

pytestmark = pytest.mark.django_db

PAYMENTS_URL = "/api/v1/payments/bank/payments"
REVERSALS_URL = "/api/v1/payments/bank/reversals"


def _payment(world: BankWorld, *, serial: str = "ICBC202503100001", amount: str = "120.00") -> dict[str, str]:
    return {
        "serial": serial,
        "account_no": world.account.account_no,
        "amount": amount,
        "paid_at": "2025-03-10T10:15:00+08:00",
    }


def _reversal(serial: str = "ICBC202503100099", original: str = "ICBC202503100001") -> dict[str, str]:
    return {"serial": serial, "original_serial": original, "reason": "柜员录入错误"}


def _state() -> tuple[int, int, int, int]:
    return (
        Payment.objects.count(),
        JournalEntry.objects.count(),
        Posting.objects.count(),
        BankReversal.objects.count(),
    )


def _balances(world: BankWorld) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account=world.account)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def _postings(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal, str]]:
    return [(p.ledger_account.code, p.debit, p.credit, p.item) for p in entry.postings.order_by("id")]


PAID_120 = [
    ("cash.bank_in_transit", Decimal("120.00"), Decimal("0.00"), ""),
    ("receivable.late_fee", Decimal("0.00"), Decimal("1.50"), LATE_FEE),
    ("receivable.energy", Decimal("0.00"), Decimal("100.00"), JANUARY_BILL),
    ("receivable.energy", Decimal("0.00"), Decimal("18.50"), FEBRUARY_BILL),
]


def test_the_bank_reads_the_amount_due_with_the_name_masked(bank_world: BankWorld) -> None:
    # An account whose one bill falls due in 30 days owes exactly it today (no late fee yet).
    today = local_date(timezone.now())
    ouyang = make_account(
        sequence=4, name="欧阳娜娜", unit=bank_world.payments.tree.station, now=timezone.now()
    )
    post_journal_entries(
        entries=[
            receivable_entry(
                bank_world.payments.tree,
                ouyang,
                code=ChartCode.RECEIVABLE_ENERGY,
                income=ChartCode.ENERGY_REVENUE,
                amount="99.99",
                item="billing.bill:9",
                due=today + timedelta(days=30),
            )
        ],
        actor=None,
        now=timezone.now(),
    )

    response = call(bank_world.bank, "GET", f"/api/v1/payments/bank/accounts/{ouyang.account_no}/amount-due")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "account_no": ouyang.account_no,
        "name_masked": "欧**娜",
        "on": today.isoformat(),
        "amount_due": "99.99",
    }
    # 张伟's bills are overdue by now: what the payments query says, late fees to the day.
    zhang = call(
        bank_world.bank, "GET", f"/api/v1/payments/bank/accounts/{bank_world.account.account_no}/amount-due"
    )
    expected = amount_due(user=bank_world.payments.cashier, account=bank_world.account, on=today).total
    assert expected > Decimal("181.50")
    assert (zhang.json()["name_masked"], zhang.json()["amount_due"]) == ("张*", f"{expected:.2f}")
    shop = call(
        bank_world.bank, "GET", f"/api/v1/payments/bank/accounts/{bank_world.shop.account_no}/amount-due"
    )
    assert shop.json()["name_masked"] == "济********司"
    # An account of the other station is not the bank's: 404, as one that does not exist.
    outside = call(
        bank_world.bank, "GET", f"/api/v1/payments/bank/accounts/{bank_world.outsider.account_no}/amount-due"
    )
    assert (outside.status_code, outside.json()["code"]) == (404, "not_found")


def test_a_payment_notification_posts_once_and_its_replay_answers_the_same_receipt(
    bank_world: BankWorld,
) -> None:
    first = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))

    assert first.status_code == 200, first.content
    payment = Payment.objects.get()
    assert first.json() == {
        "serial": "ICBC202503100001",
        "receipt_no": payment.receipt_no,
        "amount": "120.00",
        "status": "posted",
    }
    assert (payment.channel, payment.amount, payment.idempotency_key) == (
        "bank_realtime",
        Decimal("120.00"),
        "bank_realtime:ICBC202503100001",
    )
    assert payment.received_at.isoformat() == "2025-03-10T02:15:00+00:00"
    assert payment.recorded_by == bank_world.bank.integration.service_user
    assert _postings(payment.journal_entry) == PAID_120
    assert _balances(bank_world) == (Decimal("61.50"), Decimal("0.00"), Decimal("0.00"))
    before = _state()

    # The bank did not hear us and sends it again (a new nonce: a new request, the same payment).
    again = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))

    assert (again.status_code, again.json()) == (200, first.json())
    assert _state() == before
    assert AuditEvent.objects.filter(action="payments.payment_recorded").count() == 1


def test_the_same_serial_with_another_amount_or_account_is_a_conflict(bank_world: BankWorld) -> None:
    call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))
    before = _state()

    other_amount = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world, amount="120.01"))
    other_account = call(
        bank_world.bank,
        "POST",
        PAYMENTS_URL,
        {**_payment(bank_world), "account_no": bank_world.shop.account_no},
    )

    receipt = Payment.objects.get().receipt_no
    for response in (other_amount, other_account):
        assert response.status_code == 409
        assert response.json() == {
            "code": "bank_serial_conflict",
            "field": "serial",
            "message_zh": (
                f"流水号 ICBC202503100001 已用于另一笔通知（收费 {receipt}，户号或金额不同），请人工核查。"
            ),
            "message_en": (
                "Serial number ICBC202503100001 was already used by another notification "
                f"(payment {receipt}, another account or amount); it needs a person to check."
            ),
        }
    assert _state() == before


def test_another_bank_neither_pays_nor_reverses_outside_its_org_units(bank_world: BankWorld) -> None:
    assert call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world)).status_code == 200
    before = _state()

    # The other station's bank: 张伟's account is not in its org units.
    paid = call(bank_world.other_bank, "POST", PAYMENTS_URL, _payment(bank_world, serial="ABC1"))
    assert (paid.status_code, paid.json()["code"]) == (404, "not_found")
    # The same serial for its own account is a conflict (a serial is one payment), not a second one.
    own = {**_payment(bank_world), "account_no": bank_world.outsider.account_no, "amount": "10.00"}
    conflict = call(bank_world.other_bank, "POST", PAYMENTS_URL, own)
    assert (conflict.status_code, conflict.json()["code"]) == (409, "bank_serial_conflict")
    assert _state() == before
    # Its reversal of that serial finds no payment of its own: kept pending, the payment stays.
    reversal = call(bank_world.other_bank, "POST", REVERSALS_URL, _reversal())
    assert reversal.json()["status"] == "pending"
    assert Payment.objects.get().status == "posted"


def test_a_reversal_reverses_the_payment_once(bank_world: BankWorld) -> None:
    receipt = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world)).json()["receipt_no"]

    response = call(bank_world.bank, "POST", REVERSALS_URL, _reversal())

    assert response.status_code == 200, response.content
    assert response.json() == {
        "serial": "ICBC202503100099",
        "original_serial": "ICBC202503100001",
        "status": "applied",
        "receipt_no": receipt,
    }
    payment = Payment.objects.get()
    assert (payment.status, payment.reversal_reason) == (
        "reversed",
        "银行冲正 ICBC202503100099：柜员录入错误",
    )
    assert _balances(bank_world) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    before = _state()

    again = call(bank_world.bank, "POST", REVERSALS_URL, _reversal())
    assert (again.status_code, again.json()) == (200, response.json())
    second = call(bank_world.bank, "POST", REVERSALS_URL, _reversal(serial="ICBC202503100100"))
    assert second.status_code == 409
    assert second.json()["code"] == "bank_payment_already_reversed"
    other_payment = call(bank_world.bank, "POST", REVERSALS_URL, _reversal(original="ICBC202503100002"))
    assert (other_payment.status_code, other_payment.json()["code"]) == (409, "bank_serial_conflict")
    assert _state() == before
    assert AuditEvent.objects.filter(action="payments.payment_reversed").count() == 1


def test_a_reversal_before_its_payment_waits_and_the_payment_arrives_reversed(bank_world: BankWorld) -> None:
    early = call(bank_world.bank, "POST", REVERSALS_URL, _reversal())

    assert early.status_code == 200, early.content
    assert early.json() == {
        "serial": "ICBC202503100099",
        "original_serial": "ICBC202503100001",
        "status": "pending",
        "receipt_no": None,
    }
    assert (Payment.objects.count(), BankReversal.objects.get().status) == (0, "pending")
    assert _balances(bank_world) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    entries_before = JournalEntry.objects.count()

    paid = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))

    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "reversed"
    payment = Payment.objects.get()
    assert payment.reversal_entry is not None
    assert _postings(payment.journal_entry) == PAID_120
    assert _postings(payment.reversal_entry) == [
        (code, credit, debit, item) for code, debit, credit, item in PAID_120
    ]
    # The payment and its reversal: two entries, the account owing what it owed.
    assert JournalEntry.objects.count() == entries_before + 2
    assert _balances(bank_world) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    notice = BankReversal.objects.get()
    assert (notice.status, notice.payment) == ("applied", payment)
    before = _state()

    # Both notifications again, in either order: nothing more.
    assert call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world)).json() == paid.json()
    replayed = call(bank_world.bank, "POST", REVERSALS_URL, _reversal()).json()
    assert replayed == {**early.json(), "status": "applied", "receipt_no": payment.receipt_no}
    assert _state() == before
    assert AuditEvent.objects.filter(action="payments.payment_reversed").count() == 1
    assert [
        event.action
        for event in AuditEvent.objects.filter(action__startswith="payments.bank_reversal").order_by(
            "sequence"
        )
    ] == [
        "payments.bank_reversal_pending",
        "payments.bank_reversal_applied",
    ]


def test_a_bad_signature_is_refused_and_audited_and_posts_nothing(bank_world: BankWorld) -> None:
    body, headers = signed(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))
    before = _state()
    tampered = body.replace(b"120.00", b"920.00")

    response = send("POST", PAYMENTS_URL, tampered, headers)

    assert response.status_code == 401
    assert response.json()["code"] == "api_signature_invalid"
    assert _state() == before
    event = AuditEvent.objects.filter(action="deny_api_request").get()
    assert (event.object_type, event.object_id) == (
        "identity.integration",
        str(bank_world.bank.integration.pk),
    )
    assert event.actor == bank_world.bank.integration.service_user
    assert event.changes == {
        "code": "api_signature_invalid",
        "status": 401,
        "method": "POST",
        "path": PAYMENTS_URL,
        "ip_address": "127.0.0.1",
    }
    # A signature made with another key is refused alike.
    forged = {
        **headers,
        SIGNATURE_HEADER: signed(bank_world.other_bank, "POST", PAYMENTS_URL, _payment(bank_world))[1][
            SIGNATURE_HEADER
        ],
    }
    assert send("POST", PAYMENTS_URL, body, forged).json()["code"] == "api_signature_invalid"
    assert AuditEvent.objects.filter(action="deny_api_request").count() == 2
    assert _state() == before


def test_a_replayed_request_is_refused_by_its_nonce_and_audited(bank_world: BankWorld) -> None:
    body, headers = signed(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world))
    assert send("POST", PAYMENTS_URL, body, headers).status_code == 200
    before = _state()

    replay = send("POST", PAYMENTS_URL, body, headers)

    assert (replay.status_code, replay.json()["code"]) == (401, "api_nonce_replayed")
    assert _state() == before
    assert [event.changes["code"] for event in AuditEvent.objects.filter(action="deny_api_request")] == [
        "api_nonce_replayed"
    ]


def test_an_integration_without_the_scope_or_a_staff_session_cannot_notify(
    bank_world: BankWorld, log_in: object
) -> None:
    ami = create_integration(
        name="ami-quancheng",
        kind=IntegrationKind.AMI,
        org_unit=bank_world.payments.tree.station,
        scopes=[ApiScope.ACCOUNTS_READ],
        actor=None,
        now=timezone.now(),
    )
    before = _state()

    response = call(ami, "POST", PAYMENTS_URL, _payment(bank_world))

    assert (response.status_code, response.json()["code"]) == (403, "api_scope_missing")
    assert _state() == before


def test_a_payment_notification_with_a_bad_amount_or_time_is_refused(bank_world: BankWorld) -> None:
    for amount in ("120.5", "120", "-1.00", "1e3"):
        response = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world, amount=amount))
        assert (response.status_code, response.json()["code"], response.json()["field"]) == (
            422,
            "bank_notification_invalid",
            "amount",
        ), amount
    naive = call(
        bank_world.bank, "POST", PAYMENTS_URL, {**_payment(bank_world), "paid_at": "2025-03-10T10:15:00"}
    )
    assert (naive.status_code, naive.json()["field"]) == (422, "paid_at")
    zero = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world, amount="0.00"))
    assert (zero.status_code, zero.json()["code"]) == (422, "payment_amount_invalid")
    bad_serial = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world, serial="ICBC 2025/1"))
    assert (bad_serial.status_code, bad_serial.json()["field"]) == (422, "serial")
    assert _state() == (0, JournalEntry.objects.count(), Posting.objects.count(), 0)
    assert Payment.objects.count() == 0


def test_a_payment_whose_reversal_came_first_reconnects_nothing(bank_world: BankWorld) -> None:
    # The account was cut off for its arrears; the bank's reversal notice arrives before the
    # payment of everything owed (181.50). The payment is recorded and reversed at once: no money
    # arrived, so the supply stays off and no reconnection order is made.
    AccountSupply.objects.create(account=bank_world.account, disconnected=True)
    assert call(bank_world.bank, "POST", REVERSALS_URL, _reversal()).json()["status"] == "pending"
    paid = call(bank_world.bank, "POST", PAYMENTS_URL, _payment(bank_world, amount="181.50"))
    assert paid.json()["status"] == "reversed"
    assert AccountSupply.objects.get(account=bank_world.account).disconnected is True
    assert SupplyOrder.objects.count() == 0
