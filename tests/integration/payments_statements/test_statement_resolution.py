"""A person resolves what did not match, each with a reason: assigning an unmatched line to an
account (records and clears the payment), dismissing a duplicate or unknown line (posts
nothing), accepting the bank's amount (reverses the payment, records the bank's) or a match
outside the date window (clears it). A refused resolution changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from statement_files import Entry, camt053, statement_csv
from statements_world import DEBIT_SERIAL, REALTIME_SERIAL, StatementWorld

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.kit.clock import SHANGHAI
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntry, Posting
from gridcare.payments.errors import StatementLineNotOpen, StatementReasonMissing, StatementSerialTaken
from gridcare.payments.models import (
    LineResolution,
    LineStatus,
    Payment,
    PaymentChannel,
    PaymentStatus,
    StatementLine,
)
from gridcare.payments.operations import reverse_payment
from gridcare.payments.statements import (
    accept_statement_line,
    assign_statement_line,
    dismiss_statement_line,
    import_statement,
)

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def balance(code: ChartCode) -> Decimal:
    sums = Posting.objects.filter(ledger_account__code=code).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (sums["debit"] or ZERO) - (sums["credit"] or ZERO)


def imported_lines(world: StatementWorld, now: datetime, *entries: Entry) -> list[StatementLine]:
    statement = import_statement(
        actor=world.clerk,
        org_unit=world.tree.station,
        content=camt053(list(entries)),
        file_name="s.xml",
        now=now,
    )
    return list(statement.lines.order_by("position"))


def test_an_unmatched_line_assigned_to_an_account_records_and_clears_its_payment(
    statement_world: StatementWorld, now: datetime
) -> None:
    (line,) = imported_lines(statement_world, now, Entry(amount="56.30", end_to_end_id="BR20250310999"))

    resolved = assign_statement_line(
        actor=statement_world.clerk,
        line=line,
        account=statement_world.payments.account,
        reason="户主来电确认，银行代收未推送通知",
        now=now,
    )

    payment = Payment.objects.get(idempotency_key="bank_realtime:BR20250310999")
    assert (payment.account_id, payment.amount, payment.received_at, payment.status) == (
        statement_world.payments.account.pk,
        Decimal("56.30"),
        datetime(2025, 3, 10, tzinfo=SHANGHAI),
        PaymentStatus.POSTED,
    )
    assert (
        resolved.status,
        resolved.found_status,
        resolved.resolution,
        resolved.resolved_by,
        resolved.resolved_at,
    ) == (
        LineStatus.RESOLVED,
        LineStatus.UNMATCHED,
        LineResolution.ASSIGNED,
        statement_world.clerk,
        now,
    )
    assert (resolved.payment, resolved.resolution_reason) == (payment, "户主来电确认，银行代收未推送通知")
    assert [
        (p.ledger_account.code, p.debit, p.credit) for p in resolved.clearing_entry.postings.order_by("id")
    ] == [
        ("cash.bank", Decimal("56.30"), ZERO),
        ("cash.bank_in_transit", ZERO, Decimal("56.30")),
    ]
    # 180.00 of the two bank payments still in transit; the assigned one came and went.
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("56.30"),
        Decimal("180.00"),
    )
    event = AuditEvent.objects.get(action="payments.statement_line_assigned")
    assert (event.actor, event.changes["receipt_no"], event.changes["found"]) == (
        statement_world.clerk,
        payment.receipt_no,
        "unmatched",
    )


def test_a_duplicate_dismissed_posts_nothing(statement_world: StatementWorld, now: datetime) -> None:
    _first, duplicate = imported_lines(
        statement_world,
        now,
        Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL),
        Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL),
    )
    entries = JournalEntry.objects.count()

    resolved = dismiss_statement_line(
        actor=statement_world.clerk, line=duplicate, reason="银行重复发送，已退回付款人", now=now
    )

    assert (resolved.status, resolved.found_status, resolved.resolution, resolved.clearing_entry) == (
        LineStatus.RESOLVED,
        LineStatus.DUPLICATE,
        LineResolution.DISMISSED,
        None,
    )
    assert JournalEntry.objects.count() == entries
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("100.00"),
        Decimal("80.00"),
    )
    assert AuditEvent.objects.filter(action="payments.statement_line_dismissed").count() == 1


def test_accepting_the_banks_amount_reverses_the_payment_and_records_the_banks(
    statement_world: StatementWorld, now: datetime
) -> None:
    (line,) = imported_lines(statement_world, now, Entry(amount="99.00", end_to_end_id=REALTIME_SERIAL))

    resolved = accept_statement_line(
        actor=statement_world.clerk, line=line, reason="银行实收 99.00 元", now=now
    )

    original = Payment.objects.get(pk=statement_world.realtime.pk)
    corrected = Payment.objects.get(idempotency_key=f"bank_realtime:{REALTIME_SERIAL}:bank")
    assert (original.status, corrected.amount, corrected.account_id, corrected.received_at) == (
        PaymentStatus.REVERSED,
        Decimal("99.00"),
        statement_world.payments.account.pk,
        original.received_at,
    )
    assert (resolved.status, resolved.resolution, resolved.payment) == (
        LineStatus.RESOLVED,
        LineResolution.BANK_AMOUNT_ACCEPTED,
        corrected,
    )
    # In transit: 180.00 − 100.00 reversed + 99.00 recorded − 99.00 cleared.
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("99.00"),
        Decimal("80.00"),
    )


def test_a_match_outside_the_date_window_confirmed_is_cleared(
    statement_world: StatementWorld, now: datetime
) -> None:
    (line,) = imported_lines(
        statement_world, now, Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL, booking_date="2025-03-20")
    )
    assert (line.status, line.booking_date) == (LineStatus.DATE_MISMATCH, date(2025, 3, 20))

    resolved = accept_statement_line(actor=statement_world.clerk, line=line, reason="银行延迟入账", now=now)

    assert (resolved.resolution, resolved.payment_id) == (
        LineResolution.MATCH_CONFIRMED,
        statement_world.debit.pk,
    )
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("80.00"),
        Decimal("100.00"),
    )


def _state() -> object:
    return (
        list(
            StatementLine.objects.order_by("pk").values_list(
                "status", "resolution", "payment_id", "clearing_entry_id"
            )
        ),
        JournalEntry.objects.count(),
        Payment.objects.count(),
    )


@pytest.mark.parametrize(
    ("attempt", "refusal"),
    [
        ("assign_without_reason", StatementReasonMissing),
        ("assign_by_cashier", AccessDenied),
        ("dismiss_by_other_station", AccessDenied),
        ("assign_a_debit", StatementLineNotOpen),
        ("dismiss_a_matched_line", StatementLineNotOpen),
        ("accept_an_unmatched_line", StatementLineNotOpen),
        ("dismiss_twice", StatementLineNotOpen),
    ],
)
def test_a_refused_resolution_changes_nothing(
    statement_world: StatementWorld, now: datetime, attempt: str, refusal: type[Exception]
) -> None:
    world = statement_world
    statement = import_statement(
        actor=world.clerk,
        org_unit=world.tree.station,
        content=statement_csv(
            [
                "S1,6222,建设银行,2025-03-10,,CRDT,100.00,CNY,BR20250310001,,,",
                "S1,6222,建设银行,2025-03-10,,CRDT,12.00,CNY,UNKNOWN-1,,,",
                "S1,6222,建设银行,2025-03-10,,DBIT,3.00,CNY,FEE-1,,,",
            ]
        ),
        file_name="s.csv",
        now=now,
    )
    matched, unknown, debit = statement.lines.order_by("position")
    dismissed = dismiss_statement_line(actor=world.clerk, line=unknown, reason="不是本单位款项", now=now)
    account = world.payments.account
    attempts: dict[str, Callable[[], object]] = {
        "assign_without_reason": lambda: assign_statement_line(
            actor=world.clerk, line=unknown, account=account, reason="  ", now=now
        ),
        "assign_by_cashier": lambda: assign_statement_line(
            actor=world.payments.cashier, line=debit, account=account, reason="x", now=now
        ),
        "dismiss_by_other_station": lambda: dismiss_statement_line(
            actor=world.other_clerk, line=debit, reason="x", now=now
        ),
        "assign_a_debit": lambda: assign_statement_line(
            actor=world.clerk, line=debit, account=account, reason="x", now=now
        ),
        "dismiss_a_matched_line": lambda: dismiss_statement_line(
            actor=world.clerk, line=matched, reason="x", now=now
        ),
        "accept_an_unmatched_line": lambda: accept_statement_line(
            actor=world.clerk, line=debit, reason="x", now=now
        ),
        "dismiss_twice": lambda: dismiss_statement_line(
            actor=world.clerk, line=dismissed, reason="x", now=now
        ),
    }
    before = _state()

    with pytest.raises(refusal):
        attempts[attempt]()

    assert _state() == before


def test_a_line_naming_a_reversed_payments_serial_cannot_be_assigned_under_it(
    statement_world: StatementWorld, now: datetime
) -> None:
    """Only posted payments match, so the line is unmatched; its serial is taken, so assigning
    it is refused: a person checks and dismisses it."""
    world = statement_world
    reverse_payment(actor=world.payments.cashier, payment=world.debit, reason="收费员错收", now=now)
    (line,) = imported_lines(world, now, Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL))
    assert line.status == LineStatus.UNMATCHED
    before = _state()

    with pytest.raises(StatementSerialTaken) as refusal:
        assign_statement_line(
            actor=world.clerk,
            line=line,
            account=world.payments.account,
            channel=PaymentChannel.BANK_DEBIT,
            reason="x",
            now=now,
        )

    assert refusal.value.message("en") == (
        f"Serial number {DEBIT_SERIAL} is already payment {world.debit.receipt_no}; it cannot be recorded "
        "again. Check it and dismiss this line."
    )
    assert _state() == before
