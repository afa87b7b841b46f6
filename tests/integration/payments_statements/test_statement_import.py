"""Importing bank statements: matched lines are cleared (Dr cash.bank / Cr cash.bank_in_transit),
duplicated and unknown ones are listed for a person; bad files are refused whole; a file is
imported once. The world (conftest.py): bank payments of 100.00 (BR20250310001) and 80.00
(BD20250310002) received 2025-03-10, both Dr cash.bank_in_transit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from statement_files import ACCOUNT_NO, Entry, camt053, camt054_v02, statement_csv
from statements_world import DEBIT_SERIAL, REALTIME_SERIAL, StatementWorld

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntry, Posting
from gridcare.payments.errors import StatementAlreadyImported, StatementFileInvalid
from gridcare.payments.models import BankStatement, LineStatus, StatementLine
from gridcare.payments.statements import import_statement

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def balance(code: ChartCode) -> Decimal:
    """The ledger account's balance, debit-positive."""
    sums = Posting.objects.filter(ledger_account__code=code).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (sums["debit"] or ZERO) - (sums["credit"] or ZERO)


def run_import(
    world: StatementWorld, content: bytes, now: datetime, *, file_name: str = "stmt.xml"
) -> BankStatement:
    return import_statement(
        actor=world.clerk, org_unit=world.tree.station, content=content, file_name=file_name, now=now
    )


def lines(statement: BankStatement) -> list[tuple[int, str, Decimal, str, str | None]]:
    return [
        (
            line.position,
            line.status,
            line.amount,
            line.matched_reference,
            line.payment.receipt_no if line.payment else None,
        )
        for line in statement.lines.select_related("payment").order_by("position")
    ]


ACCEPTANCE_FILE = camt053(
    [
        Entry(
            amount="100.00",
            end_to_end_id=REALTIME_SERIAL,
            bank_reference="ICBC0310A0001",
            remittance="电费代收",
        ),
        Entry(amount="80.00", bank_reference="ICBC0310A0002", remittance=f"代扣电费 {DEBIT_SERIAL}"),
        # The bank sent the first entry twice.
        Entry(
            amount="100.00",
            end_to_end_id=REALTIME_SERIAL,
            bank_reference="ICBC0310A0001",
            remittance="电费代收",
        ),
        Entry(amount="56.30", end_to_end_id="BR20250310999", bank_reference="ICBC0310A0004", payer="李娜"),
    ]
)


def test_a_camt053_with_a_duplicated_entry_and_an_unknown_reference_posts_the_matched_ones_and_lists_the_two(
    statement_world: StatementWorld, now: datetime
) -> None:
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (ZERO, Decimal("180.00"))

    statement = run_import(statement_world, ACCEPTANCE_FILE, now)

    realtime, debit = statement_world.realtime.receipt_no, statement_world.debit.receipt_no
    assert (statement.bank, statement.account_no, statement.statement_id, statement.file_format) == (
        "中国工商银行济南分行",
        ACCOUNT_NO,
        "ICBC-STMT-20250310",
        "camt.053",
    )
    assert (statement.period_start, statement.period_end) == (date(2025, 3, 10), date(2025, 3, 10))
    assert lines(statement) == [
        (1, LineStatus.MATCHED, Decimal("100.00"), REALTIME_SERIAL, realtime),
        (2, LineStatus.MATCHED, Decimal("80.00"), DEBIT_SERIAL, debit),
        (3, LineStatus.DUPLICATE, Decimal("100.00"), REALTIME_SERIAL, realtime),
        (4, LineStatus.UNMATCHED, Decimal("56.30"), "BR20250310999", None),
    ]
    # Exactly two clearing entries, one per matched line, each Dr cash.bank / Cr cash.bank_in_transit.
    clearings = JournalEntry.objects.filter(idempotency_key__startswith="payments.clearing:").order_by("id")
    assert [
        (
            entry.idempotency_key,
            [(p.ledger_account.code, p.debit, p.credit) for p in entry.postings.order_by("id")],
        )
        for entry in clearings
    ] == [
        (
            f"payments.clearing:bank_realtime:{REALTIME_SERIAL}",
            [("cash.bank", Decimal("100.00"), ZERO), ("cash.bank_in_transit", ZERO, Decimal("100.00"))],
        ),
        (
            f"payments.clearing:bank_debit:{DEBIT_SERIAL}",
            [("cash.bank", Decimal("80.00"), ZERO), ("cash.bank_in_transit", ZERO, Decimal("80.00"))],
        ),
    ]
    matched = statement.lines.filter(status=LineStatus.MATCHED).order_by("position")
    assert [line.clearing_entry_id for line in matched] == [entry.pk for entry in clearings]
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (Decimal("180.00"), ZERO)
    # The two for a person: the duplicate and the unknown reference, nothing posted for them.
    listed = statement.lines.exclude(status=LineStatus.MATCHED).order_by("position")
    assert [(line.position, line.status, line.clearing_entry_id) for line in listed] == [
        (3, LineStatus.DUPLICATE, None),
        (4, LineStatus.UNMATCHED, None),
    ]
    event = AuditEvent.objects.get(action="payments.statement_imported")
    assert event.changes["counts"] == {"matched": 2, "unmatched": 1, "duplicate": 1}


def test_an_amount_or_date_that_differs_is_listed_and_posts_nothing(
    statement_world: StatementWorld, now: datetime
) -> None:
    content = camt053(
        [
            Entry(amount="99.00", end_to_end_id=REALTIME_SERIAL, bank_reference="R1"),
            # Booked 4 days after the payment was received: outside the 3-day window.
            Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL, bank_reference="R2", booking_date="2025-03-14"),
        ],
        period=("2025-03-10T00:00:00+08:00", "2025-03-14T23:59:59+08:00"),
    )
    statement = run_import(statement_world, content, now)

    assert [(line.position, line.status) for line in statement.lines.order_by("position")] == [
        (1, LineStatus.AMOUNT_MISMATCH),
        (2, LineStatus.DATE_MISMATCH),
    ]
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (ZERO, Decimal("180.00"))


def test_a_reference_matched_by_an_earlier_statement_is_a_duplicate(
    statement_world: StatementWorld, now: datetime
) -> None:
    run_import(statement_world, camt053([Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL)]), now)
    later = run_import(
        statement_world,
        camt053([Entry(amount="100.00", bank_reference=REALTIME_SERIAL)], statement_id="ICBC-STMT-20250311"),
        now,
    )

    assert [line.status for line in later.lines.all()] == [LineStatus.DUPLICATE]
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("100.00"),
        Decimal("80.00"),
    )


def test_a_camt054_batch_entry_gives_a_line_per_transaction(
    statement_world: StatementWorld, now: datetime
) -> None:
    content = camt054_v02(
        [
            Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL, payer="张伟", remittance="户号 代收"),
            Entry(amount="12.34", end_to_end_id="NOTPROVIDED", payer="王芳", remittance="电费 BR2025031000X"),
        ]
    )
    statement = run_import(statement_world, content, now)

    assert (statement.file_format, statement.bank, statement.statement_id) == (
        "camt.054",
        "中国农业银行",
        "ABC-NTF-20250310-1",
    )
    assert (statement.period_start, statement.period_end) == (date(2025, 3, 10), date(2025, 3, 10))
    assert [
        (
            line.position,
            line.transaction_no,
            line.direction,
            line.amount,
            line.booking_date,
            line.value_date,
            line.end_to_end_id,
            line.bank_reference,
            line.remittance_info,
            line.counterparty_name,
            line.status,
        )
        for line in statement.lines.order_by("transaction_no")
    ] == [
        (
            1,
            1,
            "credit",
            Decimal("100.00"),
            date(2025, 3, 10),
            date(2025, 3, 11),
            REALTIME_SERIAL,
            "ABC-BATCH-0310",
            "户号 代收",
            "张伟",
            LineStatus.MATCHED,
        ),
        (
            1,
            2,
            "credit",
            Decimal("12.34"),
            date(2025, 3, 10),
            date(2025, 3, 11),
            "",
            "ABC-BATCH-0310",
            "电费 BR2025031000X",
            "王芳",
            LineStatus.UNMATCHED,
        ),
    ]


def test_the_statement_csv_is_read_as_documented(statement_world: StatementWorld, now: datetime) -> None:
    content = statement_csv(
        [
            f"CSV-0310,{ACCOUNT_NO},建设银行,2025-03-10,2025-03-10,CRDT,80.00,CNY,{DEBIT_SERIAL},CCB001,代扣电费,张伟",
            f"CSV-0310,{ACCOUNT_NO},建设银行,2025-03-10,,DBIT,5.00,CNY,,CCB002,手续费,",
        ]
    )
    statement = run_import(statement_world, content, now, file_name="ccb-0310.csv")

    assert (statement.file_format, statement.bank, statement.statement_id, statement.account_no) == (
        "csv",
        "建设银行",
        "CSV-0310",
        ACCOUNT_NO,
    )
    assert [
        (line.position, line.direction, line.amount, line.value_date, line.status, line.counterparty_name)
        for line in statement.lines.order_by("position")
    ] == [
        (2, "credit", Decimal("80.00"), date(2025, 3, 10), LineStatus.MATCHED, "张伟"),
        (3, "debit", Decimal("5.00"), None, LineStatus.UNMATCHED, ""),
    ]
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("80.00"),
        Decimal("100.00"),
    )


def _refused(world: StatementWorld, content: bytes, now: datetime) -> StatementFileInvalid:
    before = (BankStatement.objects.count(), StatementLine.objects.count(), JournalEntry.objects.count())
    with pytest.raises(StatementFileInvalid) as refusal:
        run_import(world, content, now)
    assert (
        BankStatement.objects.count(),
        StatementLine.objects.count(),
        JournalEntry.objects.count(),
    ) == before
    return refusal.value


def test_a_malformed_camt_file_is_refused_whole_with_every_bad_entry(
    statement_world: StatementWorld, now: datetime
) -> None:
    content = camt053(
        [
            Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL),  # good, yet not imported
            Entry(amount="12.345", end_to_end_id="X1"),
            Entry(amount="20.00", end_to_end_id="X2", currency="USD"),
            Entry(amount="30.00", end_to_end_id="X3", direction="CRED"),
            Entry(amount="40.00", end_to_end_id="X4", booking_date="2025-02-30"),
        ]
    )
    error = _refused(statement_world, content, now)

    assert [(p.where("en"), p.field, p.value, p.reason_en) for p in error.problems] == [
        ("entry 2", "Amt", "12.345", "the amount must be a number above zero in whole fen"),
        ("entry 3", "Amt/@Ccy", "USD", "the currency must be CNY"),
        ("entry 4", "CdtDbtInd", "CRED", "the credit/debit indicator must be CRDT or DBIT"),
        ("entry 5", "BookgDt", "2025-02-30", "not an ISO date"),
        ("entry 5", "ValDt", "2025-02-30", "not an ISO date"),
    ]
    assert [p.where("zh-hans") for p in error.problems] == [
        "第 2 个条目",
        "第 3 个条目",
        "第 4 个条目",
        "第 5 个条目",
        "第 5 个条目",
    ]
    assert error.problems[1].reason_zh == "币种须为 CNY"
    assert error.message("en") == 'The statement file "stmt.xml" has 5 problems: nothing was imported.'
    assert error.message("zh-hans") == "对账单文件“stmt.xml”有 5 处错误，整个文件未导入。"


def test_a_malformed_csv_is_refused_whole_with_every_bad_row(
    statement_world: StatementWorld, now: datetime
) -> None:
    content = statement_csv(
        [
            f"CSV-1,{ACCOUNT_NO},建设银行,2025-03-10,,CRDT,80.00,CNY,{DEBIT_SERIAL},,,",
            f"CSV-1,{ACCOUNT_NO},建设银行,10/03/2025,,CRDT,-5,CNY,,,,",
            f"CSV-2,{ACCOUNT_NO},建设银行,2025-03-10,,CRDT,5.00,EUR,,,,",
            "CSV-1,only-three-cells,x",
        ]
    )
    error = _refused(statement_world, content, now)

    assert [(p.where("en"), p.field, p.value) for p in error.problems] == [
        ("row 3", "amount", "-5"),
        ("row 3", "booking_date", "10/03/2025"),
        ("row 4", "currency", "EUR"),
        ("row 4", "statement_id", "CSV-2"),
        ("row 5", "", "3"),
    ]


@pytest.mark.parametrize(
    ("content", "value"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><Document>&e;</Document>', "DTDForbidden"),
        (b'<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://x/d.dtd"><Document/>', "DTDForbidden"),
        (b"<Document><Unclosed></Document>", "mismatched tag: line 1, column 22"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>',
            "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document",
        ),
    ],
)
def test_hostile_or_foreign_xml_is_refused(
    statement_world: StatementWorld, now: datetime, content: bytes, value: str
) -> None:
    error = _refused(statement_world, content, now)

    assert [(p.where("en"), p.value) for p in error.problems] == [("file", value)]


def test_the_same_file_or_statement_is_imported_once(statement_world: StatementWorld, now: datetime) -> None:
    run_import(statement_world, ACCEPTANCE_FILE, now)
    before = (StatementLine.objects.count(), JournalEntry.objects.count(), balance(ChartCode.BANK))

    with pytest.raises(StatementAlreadyImported) as same_file:
        run_import(statement_world, ACCEPTANCE_FILE, now)
    # The same statement id of the same account, sent again with another byte (another file).
    with pytest.raises(StatementAlreadyImported):
        run_import(statement_world, ACCEPTANCE_FILE.replace(b"<ElctrncSeqNb>69", b"<ElctrncSeqNb>70"), now)

    assert same_file.value.message("en") == (
        f"Statement ICBC-STMT-20250310 of account {ACCOUNT_NO} was already imported at 2025-03-10 09:30; "
        "it is not imported twice."
    )
    assert BankStatement.objects.count() == 1
    assert (StatementLine.objects.count(), JournalEntry.objects.count(), balance(ChartCode.BANK)) == before


def test_only_reconcilers_of_the_org_unit_import(statement_world: StatementWorld, now: datetime) -> None:
    for actor, org_unit in (
        (statement_world.payments.cashier, statement_world.tree.station),
        (statement_world.other_clerk, statement_world.tree.station),
    ):
        with pytest.raises(AccessDenied):
            import_statement(
                actor=actor, org_unit=org_unit, content=ACCEPTANCE_FILE, file_name="s.xml", now=now
            )

    assert BankStatement.objects.count() == 0
    assert AuditEvent.objects.filter(action="deny_permission").count() == 2


def test_payments_outside_the_statements_org_unit_are_unknown_to_it(
    statement_world: StatementWorld, now: datetime
) -> None:
    statement = import_statement(
        actor=statement_world.other_clerk,
        org_unit=statement_world.tree.other_station,
        content=camt053([Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL)]),
        file_name="s.xml",
        now=now,
    )

    assert [line.status for line in statement.lines.all()] == [LineStatus.UNMATCHED]


def test_any_camt_version_is_read(statement_world: StatementWorld, now: datetime) -> None:
    statement = run_import(
        statement_world,
        camt053([Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL)], version="001.02"),
        now,
    )

    assert [line.status for line in statement.lines.all()] == [LineStatus.MATCHED]


def test_an_entry_not_booked_is_skipped(statement_world: StatementWorld, now: datetime) -> None:
    content = camt053(
        [
            Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL),
            Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL),
        ]
    )
    pending = content.replace(b"<Sts><Cd>BOOK</Cd></Sts>", b"<Sts><Cd>PDNG</Cd></Sts>", 1)

    statement = run_import(statement_world, pending, now)

    assert [(line.position, line.status) for line in statement.lines.all()] == [(2, LineStatus.MATCHED)]
    assert (balance(ChartCode.BANK), balance(ChartCode.BANK_IN_TRANSIT)) == (
        Decimal("80.00"),
        Decimal("100.00"),
    )


def test_a_batch_entry_whose_transactions_do_not_add_up_is_refused(
    statement_world: StatementWorld, now: datetime
) -> None:
    content = camt054_v02(
        [Entry(amount="100.00", end_to_end_id="A"), Entry(amount="12.34", end_to_end_id="B")]
    )
    error = _refused(
        statement_world, content.replace(b'<Amt Ccy="CNY">112.34</Amt>', b'<Amt Ccy="CNY">112.00</Amt>'), now
    )

    assert [(p.where("en"), p.field, p.value, p.reason_en) for p in error.problems] == [
        (
            "entry 1",
            "NtryDtls/TxDtls/Amt",
            "112.34",
            "the transactions add up to 112.34, not the entry's 112.00",
        )
    ]
