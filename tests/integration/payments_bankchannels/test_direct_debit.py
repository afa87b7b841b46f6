"""Direct debit (docs/bank-channels.md): mandates with the bank account encrypted and audited
masked; the debit file's exact bytes and its signed manifest; a result file's successes posted as
payments, failures kept, later bounces reversed, all exactly once however often it is read; a
malformed result file rejected whole with every bad line, nothing posted.

The world (bank_world.py), on the debit date 2025-03-10: 张伟 owes 181.50 (late fee 1.50, January
100.00, February 80.00), the shop 252.50 (250.00 and 2.50 of late fee accrued), both at the
station served by the bank icbc-quancheng."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from bank_world import BankWorld
from django.core.management import CommandError, call_command
from django.db import connection
from payments_world import FEBRUARY_BILL, JANUARY_BILL, LATE_FEE

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account
from gridcare.exchange.debit_files import read_debit_result_file, write_debit_file
from gridcare.exchange.errors import ManifestFileMismatch
from gridcare.exchange.manifests import check_manifest, write_manifest
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import Integration
from gridcare.ledger.models import AccountBalance, JournalEntry, Posting
from gridcare.payments.direct_debit import cancel_debit_mandate, create_debit_mandate
from gridcare.payments.errors import DebitMandateExists, DebitResultFileInvalid, DebitRunEmpty
from gridcare.payments.models import DebitBatch, DebitBatchLine, DebitMandate, Payment

pytestmark = pytest.mark.django_db

ZHANG_BANK_ACCOUNT = "6222020200112233445"
SHOP_BANK_ACCOUNT = "6222020200998877665"
BATCH = "DD20250310000001"


def _mandates(world: BankWorld, now: datetime) -> tuple[DebitMandate, DebitMandate]:
    bank = world.bank.integration
    cashier = world.payments.cashier
    zhang = create_debit_mandate(
        actor=cashier,
        account=world.account,
        bank=bank,
        bank_account_no=ZHANG_BANK_ACCOUNT,
        holder_name="张伟",
        signed_date=date(2025, 1, 15),
        now=now,
    )
    shop = create_debit_mandate(
        actor=cashier,
        account=world.shop,
        bank=bank,
        bank_account_no=SHOP_BANK_ACCOUNT,
        holder_name="济南泉城商贸有限公司",
        signed_date=date(2025, 2, 1),
        now=now,
    )
    return zhang, shop


def _write(world: BankWorld, now: datetime, out: Path) -> Path:
    written = write_debit_file(
        actor=world.payments.cashier, bank_name="icbc-quancheng", on=date(2025, 3, 10), out_dir=out, now=now
    )
    return written.path


def _result_file(
    world: BankWorld, folder: Path, name: str, text: str, *, bank: Integration | None = None
) -> Path:
    """A bank's result file with its manifest signed by ``bank`` (default: icbc-quancheng)."""
    path = folder / name
    path.write_bytes(text.encode("gb18030"))
    integration = bank or world.bank.integration
    write_manifest(path=path, integration=integration, rows=None, created_at=_NOW)
    return path


_NOW = datetime.fromisoformat("2025-03-11T08:00:00+08:00")


def _state() -> tuple[int, int, int, list[tuple[str, str, str, str]]]:
    lines = [
        (line.serial, line.status, line.result_code, line.failure_reason)
        for line in DebitBatchLine.objects.order_by("serial")
    ]
    return Payment.objects.count(), JournalEntry.objects.count(), Posting.objects.count(), lines


def _balances(account: Account) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account=account)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def test_a_mandate_keeps_the_bank_account_encrypted_and_audits_it_masked(
    bank_world: BankWorld, now: datetime
) -> None:
    zhang, _shop = _mandates(bank_world, now)

    assert DebitMandate.objects.get(pk=zhang.pk).bank_account_no == ZHANG_BANK_ACCOUNT
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account_no FROM payments_debitmandate WHERE id = %s", [zhang.pk])
        (stored,) = cursor.fetchone()
    assert ZHANG_BANK_ACCOUNT not in stored
    event = AuditEvent.objects.filter(action="payments.debit_mandate_created").order_by("sequence").first()
    assert event is not None
    assert event.changes == {
        "account_no": bank_world.account.account_no,
        "bank": "icbc-quancheng",
        "bank_account_no": "***************3445",
        "holder_name": "张伟",
        "signed_date": "2025-01-15",
    }
    with pytest.raises(DebitMandateExists):
        create_debit_mandate(
            actor=None,
            account=bank_world.account,
            bank=bank_world.bank.integration,
            bank_account_no="6222020200000000001",
            holder_name="张伟",
            signed_date=date(2025, 3, 1),
            now=now,
        )
    assert DebitMandate.objects.count() == 2


def test_a_meter_reader_may_not_sign_a_mandate(bank_world: BankWorld, now: datetime) -> None:
    with pytest.raises(AccessDenied):
        create_debit_mandate(
            actor=bank_world.payments.meter_reader,
            account=bank_world.account,
            bank=bank_world.bank.integration,
            bank_account_no=ZHANG_BANK_ACCOUNT,
            holder_name="张伟",
            signed_date=date(2025, 1, 15),
            now=now,
        )
    assert DebitMandate.objects.count() == 0
    assert AuditEvent.objects.filter(action="deny_permission").count() == 1


def test_the_debit_file_has_exact_bytes_and_a_manifest_that_verifies(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)

    path = _write(bank_world, now, tmp_path)

    zhang, shop = bank_world.account.account_no, bank_world.shop.account_no
    assert path.name == f"DD_icbc-quancheng_{BATCH}.txt"
    # Full bank account numbers: the server's own user alone reads the file.
    assert path.stat().st_mode & 0o777 == 0o600
    expected = (
        f"H|1|{BATCH}|icbc-quancheng|37010201|20250310|20250310093000\n"
        f"D|000001|{BATCH}000001|{zhang}|{ZHANG_BANK_ACCOUNT}|张伟|181.50\n"
        f"D|000002|{BATCH}000002|{shop}|{SHOP_BANK_ACCOUNT}|济南泉城商贸有限公司|252.50\n"
        "T|2|434.00\n"
    ).encode("gb18030")
    assert path.read_bytes() == expected
    # GB18030: two bytes a Chinese character (张伟 = D5C5 CEB0).
    assert expected.count(b"|\xd5\xc5\xce\xb0|") == 1
    manifest = path.with_name(path.name + ".manifest.json")
    with path.open("rb") as stream:
        checked = check_manifest(
            stream=stream, file_name=path.name, manifest=manifest.read_bytes(), manifest_name=manifest.name
        )
    assert (checked["integration"], checked["rows"], checked["size"], checked["sha256"]) == (
        "icbc-quancheng",
        2,
        len(expected),
        hashlib.sha256(expected).hexdigest(),
    )
    batch = DebitBatch.objects.get()
    assert (batch.batch_no, batch.line_count, batch.total, batch.debit_date) == (
        BATCH,
        2,
        Decimal("434.00"),
        date(2025, 3, 10),
    )
    assert [(line.serial, line.account, line.amount, line.status) for line in batch.lines.all()] == [
        (f"{BATCH}000001", bank_world.account, Decimal("181.50"), "pending"),
        (f"{BATCH}000002", bank_world.shop, Decimal("252.50"), "pending"),
    ]
    # The accounts wait for the bank's result: a second run that day debits nobody twice.
    with pytest.raises(DebitRunEmpty):
        _write(bank_world, now, tmp_path / "again")
    assert DebitBatch.objects.count() == 1
    assert not (tmp_path / "again").exists()


def test_a_cancelled_mandate_leaves_the_account_out(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    zhang, _shop = _mandates(bank_world, now)
    cancel_debit_mandate(
        actor=bank_world.payments.cashier,
        mandate=zhang,
        reason="客户解约",
        cancelled_date=date(2025, 3, 1),
        now=now,
    )

    _write(bank_world, now, tmp_path)

    assert [line.account for line in DebitBatchLine.objects.all()] == [bank_world.shop]


def _results(world: BankWorld, lines: list[str], *, result_date: str = "20250311") -> str:
    debited = sum(
        (Decimal(line.split("|")[3]) for line in lines if line.split("|")[2] == "S"), Decimal("0.00")
    )
    bounced = sum(
        (Decimal(line.split("|")[3]) for line in lines if line.split("|")[2] == "B"), Decimal("0.00")
    )
    body = "".join(f"{line}\n" for line in lines)
    return f"H|1|{BATCH}|icbc-quancheng|{result_date}\n{body}T|{len(lines)}|{debited:.2f}|{bounced:.2f}\n"


SUCCESS = f"D|{BATCH}000001|S|181.50||"
FAILURE = f"D|{BATCH}000002|F|0.00|2001|余额不足"


def test_a_result_file_posts_successes_keeps_failures_and_reads_again_as_nothing(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    result = _result_file(bank_world, tmp_path, "DR_0311.txt", _results(bank_world, [SUCCESS, FAILURE]))

    report = read_debit_result_file(actor=bank_world.payments.cashier, path=result, manifest=None, now=_NOW)

    assert (report.debited, report.failed, report.bounced, report.unchanged) == (1, 1, 0, 0)
    payment = Payment.objects.get()
    assert (payment.account, payment.channel, payment.amount, payment.idempotency_key) == (
        bank_world.account,
        "bank_debit",
        Decimal("181.50"),
        f"bank_debit:{BATCH}000001",
    )
    # Received on the debit date (2025-03-10 00:00 Shanghai), not the day the result came.
    assert payment.received_at.isoformat() == "2025-03-09T16:00:00+00:00"
    assert [
        (p.ledger_account.code, p.debit, p.credit, p.item)
        for p in payment.journal_entry.postings.order_by("id")
    ] == [
        ("cash.bank_in_transit", Decimal("181.50"), Decimal("0.00"), ""),
        ("receivable.late_fee", Decimal("0.00"), Decimal("1.50"), LATE_FEE),
        ("receivable.energy", Decimal("0.00"), Decimal("100.00"), JANUARY_BILL),
        ("receivable.energy", Decimal("0.00"), Decimal("80.00"), FEBRUARY_BILL),
    ]
    assert _balances(bank_world.account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert _balances(bank_world.shop) == (
        Decimal("250.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )  # fee not charged
    after = _state()
    assert after[3] == [
        (f"{BATCH}000001", "debited", "", ""),
        (f"{BATCH}000002", "failed", "2001", "余额不足"),
    ]
    assert DebitBatchLine.objects.get(serial=f"{BATCH}000001").payment == payment

    again = read_debit_result_file(actor=bank_world.payments.cashier, path=result, manifest=None, now=_NOW)

    assert (again.debited, again.failed, again.bounced, again.unchanged) == (0, 0, 0, 2)
    assert _state() == after
    assert AuditEvent.objects.filter(action="payments.payment_recorded").count() == 1


def test_a_bounce_reported_later_reverses_the_debit_once(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    first = _result_file(bank_world, tmp_path, "DR_0311.txt", _results(bank_world, [SUCCESS, FAILURE]))
    read_debit_result_file(actor=None, path=first, manifest=None, now=_NOW)
    bounce_text = _results(
        bank_world, [f"D|{BATCH}000001|B|181.50|R001|账户冻结退回"], result_date="20250313"
    )
    bounce = _result_file(bank_world, tmp_path, "DR_0313.txt", bounce_text)

    report = read_debit_result_file(actor=None, path=bounce, manifest=None, now=_NOW)

    assert (report.debited, report.failed, report.bounced, report.unchanged) == (0, 0, 1, 0)
    payment = Payment.objects.get()
    assert (payment.status, payment.reversal_reason) == (
        "reversed",
        f"代扣退回 {BATCH}000001：R001 账户冻结退回",
    )
    assert _balances(bank_world.account) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    after = _state()
    assert after[3][0] == (f"{BATCH}000001", "bounced", "R001", "账户冻结退回")

    # Both files again, in any order: nothing more.
    for path in (bounce, first, bounce):
        again = read_debit_result_file(actor=None, path=path, manifest=None, now=_NOW)
        assert (again.debited, again.failed, again.bounced) == (0, 0, 0)
    assert _state() == after
    assert AuditEvent.objects.filter(action="payments.payment_reversed").count() == 1


def test_a_malformed_result_file_is_rejected_whole_with_every_bad_line(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    before = _state()
    text = (
        f"H|1|{BATCH}|icbc-quancheng|20250311\n"
        f"D|{BATCH}000001|S|181.5||\n"  # 2: amount without two decimals
        f"D|{BATCH}000002|X|0.00|2001|余额不足\n"  # 3: unknown result
        f"D|{BATCH}000009|F|0.00|2001|余额不足\n"  # 4: no such line in the batch
        f"D|{BATCH}000002|F|0.00||\n"  # 5: a failure without its reason code
        f"D|{BATCH}000001|S|180.00||\n"  # 6: not the amount to debit
        "T|4|181.50|0.00\n"  # 7: five detail records
    )
    path = _result_file(bank_world, tmp_path, "DR_bad.txt", text)

    with pytest.raises(DebitResultFileInvalid) as refused:
        read_debit_result_file(actor=None, path=path, manifest=None, now=_NOW)

    # Every bad line, by line: the format's problems and those against the batch alike.
    assert [(p.line, p.field, p.reason_en) for p in refused.value.problems] == [
        (2, "amount", 'amount "181.5" should be yuan with two decimals, e.g. 12.30'),
        (3, "result", 'result "X" should be S, F or B'),
        (4, "serial", f"batch {BATCH} has no serial {BATCH}000009"),
        (5, "reason_code", 'reason code "" should be 4 capital letters or digits'),
        (6, "amount", "amount 180.00 differs from the 181.50 to debit"),
        (7, "count", 'count "4" differs from the 5 detail lines'),
    ]
    assert refused.value.problems[0].reason_zh == "金额“181.5”应为两位小数的元，如 12.30"
    assert (
        refused.value.message("en")
        == "The debit result file DR_bad.txt has 6 problem(s); nothing of it was posted."
    )
    assert _state() == before
    assert AuditEvent.objects.filter(action="payments.debit_result_imported").count() == 0


def test_undecodable_lines_and_a_missing_trailer_are_reported(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    before = _state()
    path = tmp_path / "DR_broken.txt"
    path.write_bytes(f"H|1|{BATCH}|icbc-quancheng|20250399\n".encode() + b"D|\xff\xfe|S|1.00||\n")
    write_manifest(path=path, integration=bank_world.bank.integration, rows=None, created_at=_NOW)

    with pytest.raises(DebitResultFileInvalid) as refused:
        read_debit_result_file(actor=None, path=path, manifest=None, now=_NOW)

    assert [(p.line, p.field, p.reason_en) for p in refused.value.problems] == [
        (1, "result_date", 'date "20250399" should be YYYYMMDD'),
        (2, "line", "is not valid GB18030 text"),
        (2, "record_type", "the trailer record T is missing"),
    ]
    assert _state() == before


def test_a_result_file_not_matching_its_manifest_or_of_another_bank_posts_nothing(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    before = _state()
    path = _result_file(bank_world, tmp_path, "DR_0311.txt", _results(bank_world, [SUCCESS, FAILURE]))
    path.write_bytes(path.read_bytes().replace(b"181.50", b"181.40"))

    with pytest.raises(ManifestFileMismatch):
        read_debit_result_file(actor=None, path=path, manifest=None, now=_NOW)

    other = _result_file(
        bank_world,
        tmp_path,
        "DR_other.txt",
        _results(bank_world, [SUCCESS]),
        bank=bank_world.other_bank.integration,
    )
    with pytest.raises(DebitResultFileInvalid) as refused:
        read_debit_result_file(actor=None, path=other, manifest=None, now=_NOW)
    assert [(p.line, p.field, p.reason_en) for p in refused.value.problems] == [
        (1, "batch_no", f"bank abc-jiefang has no batch {BATCH}")
    ]
    assert _state() == before


def test_the_debit_command_writes_and_reads(
    bank_world: BankWorld, now: datetime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _mandates(bank_world, now)

    call_command("debit", "write", "--bank", "icbc-quancheng", "--on", "2025-03-10", "--out", str(tmp_path))

    written = tmp_path / f"DD_icbc-quancheng_{BATCH}.txt"
    assert capsys.readouterr().out.strip() == (
        f"{BATCH}: 2 lines, 434.00 → {written} ({written.name}.manifest.json)"
    )
    result = _result_file(bank_world, tmp_path, "DR_0311.txt", _results(bank_world, [SUCCESS, FAILURE]))
    call_command("debit", "read-result", str(result))
    assert capsys.readouterr().out.strip() == f"{BATCH}: 1 debited, 1 failed, 0 bounced, 0 already known"
    assert Payment.objects.get().amount == Decimal("181.50")


def test_the_debit_command_signs_and_cancels_mandates(
    bank_world: BankWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    account_no = bank_world.account.account_no
    call_command(
        "debit",
        "mandate",
        "--account",
        account_no,
        "--bank",
        "icbc-quancheng",
        "--bank-account-no",
        ZHANG_BANK_ACCOUNT,
        "--holder",
        "张伟",
        "--signed-on",
        "2025-01-15",
        "--user",
        "cashier",
    )
    mandate = DebitMandate.objects.get()
    assert capsys.readouterr().out.strip() == f"{account_no}: mandate {mandate.pk} with icbc-quancheng"
    assert (mandate.status, mandate.bank_account_no, mandate.holder_name, mandate.signed_date) == (
        "active",
        ZHANG_BANK_ACCOUNT,
        "张伟",
        date(2025, 1, 15),
    )
    with pytest.raises(CommandError) as refused:
        call_command(
            "debit",
            "mandate",
            "--account",
            bank_world.outsider.account_no,
            "--bank",
            "icbc-quancheng",
            "--bank-account-no",
            SHOP_BANK_ACCOUNT,
            "--holder",
            "解放路商店",
            "--signed-on",
            "2025-01-15",
            "--user",
            "cashier",
        )
    assert str(refused.value).endswith(
        f'Debit mandate "account" is invalid: account {bank_world.outsider.account_no} is not found, '
        "or not in your org units"
    )

    call_command(
        "debit", "cancel-mandate", "--account", account_no, "--reason", "客户解约", "--on", "2025-03-01"
    )

    mandate.refresh_from_db()
    assert (mandate.status, mandate.cancelled_date, mandate.cancel_reason) == (
        "cancelled",
        date(2025, 3, 1),
        "客户解约",
    )
    assert [
        event.action
        for event in AuditEvent.objects.filter(action__startswith="payments.debit_mandate").order_by(
            "sequence"
        )
    ] == [
        "payments.debit_mandate_created",
        "payments.debit_mandate_cancelled",
    ]
    with pytest.raises(CommandError, match="has no active debit mandate"):
        call_command(
            "debit", "cancel-mandate", "--account", account_no, "--reason", "x", "--on", "2025-03-02"
        )


def test_a_debit_of_the_amount_due_clears_the_account_late_fees_included(
    bank_world: BankWorld, now: datetime, tmp_path: Path
) -> None:
    # The shop's 252.50 is its bill and 5 days × 2‰ × 250.00 = 2.50 of late fee to the debit
    # date; the result comes two days later, but the debit is received on the debit date.
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    lines = [SUCCESS, f"D|{BATCH}000002|S|252.50||"]
    result = _result_file(
        bank_world, tmp_path, "DR_0312.txt", _results(bank_world, lines, result_date="20250312")
    )

    read_debit_result_file(actor=None, path=result, manifest=None, now=_NOW)

    shop_payment = Payment.objects.get(account=bank_world.shop)
    assert [
        (p.ledger_account.code, p.debit, p.credit) for p in shop_payment.journal_entry.postings.order_by("id")
    ] == [
        ("cash.bank_in_transit", Decimal("252.50"), Decimal("0.00")),
        ("receivable.late_fee", Decimal("0.00"), Decimal("2.50")),
        ("receivable.energy", Decimal("0.00"), Decimal("250.00")),
    ]
    for account in (bank_world.account, bank_world.shop):
        assert _balances(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_the_debit_command_reports_every_bad_line_of_a_result_file(
    bank_world: BankWorld, now: datetime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _mandates(bank_world, now)
    _write(bank_world, now, tmp_path)
    before = _state()
    text = (
        f"H|1|{BATCH}|icbc-quancheng|20250311\n"
        f"D|{BATCH}000001|S|181.5||\n"
        f"D|{BATCH}000002|Q|0.00|2001|\n"
        "T|2|0.00|0.00\n"
    )
    path = _result_file(bank_world, tmp_path, "DR_bad.txt", text)

    with pytest.raises(CommandError) as refused:
        call_command("debit", "read-result", str(path))

    assert capsys.readouterr().err.splitlines() == [
        "line 2, amount: 金额“181.5”应为两位小数的元，如 12.30 / "
        'amount "181.5" should be yuan with two decimals, e.g. 12.30',
        'line 3, result: 结果“Q”应为 S、F 或 B / result "Q" should be S, F or B',
    ]
    assert str(refused.value) == (
        "代扣回盘文件 DR_bad.txt 有 2 处错误，整份文件未入账。 / "
        "The debit result file DR_bad.txt has 2 problem(s); nothing of it was posted."
    )
    assert _state() == before
