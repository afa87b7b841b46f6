"""The direct-debit file formats (docs/bank-channels.md), pure: the debit file's bytes and the
result file's checks, each bad record reported by line and field."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from gridcare.payments.debit_files import (
    DebitFile,
    DebitFileLine,
    DebitResult,
    parse_result_file,
    render_debit_file,
)

BATCH = "DD20250310000007"


def test_a_debit_file_renders_header_details_and_trailer_in_gb18030() -> None:
    content = render_debit_file(
        DebitFile(
            batch_no=BATCH,
            bank="icbc-quancheng",
            org_unit_code="37010201",
            debit_date=date(2025, 3, 10),
            created_at=datetime(2025, 3, 10, 9, 30, 5),
            lines=[
                DebitFileLine(
                    line_no=1,
                    serial=f"{BATCH}000001",
                    account_no="0000000018",
                    bank_account_no="6222020200112233445",
                    holder_name="𠀀张",  # U+20000 (CJK extension B): four bytes in GB18030
                    amount=Decimal("0.01"),
                )
            ],
        )
    )
    assert content == (
        b"H|1|DD20250310000007|icbc-quancheng|37010201|20250310|20250310093005\n"
        b"D|000001|DD20250310000007000001|0000000018|6222020200112233445|\x95\x32\x82\x36\xd5\xc5|0.01\n"
        b"T|1|0.01\n"
    )


def test_a_good_result_file_with_crlf_line_ends_is_read() -> None:
    text = (
        f"H|1|{BATCH}|icbc-quancheng|20250311\r\n"
        f"D|{BATCH}000001|S|12.30||\r\n"
        f"D|{BATCH}000002|B|7.00|R001|退回\r\n"
        f"D|{BATCH}000003|F|0.00|2001|\r\n"
        "T|3|12.30|7.00\r\n"
    )
    parsed, problems = parse_result_file(text.encode("gb18030"))
    assert problems == []
    assert parsed is not None
    assert (parsed.batch_no, parsed.bank, parsed.result_date) == (BATCH, "icbc-quancheng", date(2025, 3, 11))
    assert [
        (line.line, line.serial[-6:], line.result, line.amount, line.reason_code, line.reason)
        for line in parsed.lines
    ] == [
        (2, "000001", DebitResult.SUCCESS, Decimal("12.30"), "", ""),
        (3, "000002", DebitResult.BOUNCED, Decimal("7.00"), "R001", "退回"),
        (4, "000003", DebitResult.FAILURE, Decimal("0.00"), "2001", ""),
    ]


def test_every_bad_record_is_reported() -> None:
    text = (
        f"H|2|{BATCH}|icbc-quancheng|20250311\n"  # 1: unknown version
        f"D|{BATCH}000001|S|12.30|X|\n"  # 2: a success with a reason code
        f"D|DD20250310000008000001|F|1.00|2001|\n"  # 3: another batch's serial; a failure debits 0.00
        f"D|{BATCH}000002|S|0.00||\n"  # 4: zero debited
        f"X|{BATCH}000003|S|1.00||\n"  # 5: unknown record type
        f"D|{BATCH}000002|S|1.00|\n"  # 6: five fields
        f"D|{BATCH}000004|S|1.00||\n"  # 7: good
        f"D|{BATCH}000004|S|1.00||\n"  # 8: the serial again
        "T|9|1.00|0.00\n"  # 9: count wrong (totals not checked: bad records above)
    )
    parsed, problems = parse_result_file(text.encode("gb18030"))
    assert parsed is not None  # a readable header: the caller checks the lines against the batch too
    assert [(problem.line, problem.field, problem.reason_en) for problem in problems] == [
        (1, "version", 'format version "2" should be 1'),
        (2, "reason_code", "a success carries no reason code"),
        (3, "serial", f'serial "DD20250310000008000001" is not of batch {BATCH}'),
        (3, "amount", "a failure debits 0.00"),
        (4, "amount", "the amount debited must be above zero"),
        (5, "record_type", 'record type "X" should be D'),
        (6, "line", "has 5 fields, 6 expected"),
        (8, "serial", "the serial repeats line 7"),
        (9, "count", 'count "9" differs from the 7 detail lines'),
    ]


def test_the_trailer_totals_are_checked() -> None:
    text = f"H|1|{BATCH}|icbc-quancheng|20250311\nD|{BATCH}000001|S|12.30||\nT|1|12.31|0.00\n"
    parsed, problems = parse_result_file(text.encode("gb18030"))
    assert [(problem.line, problem.field, problem.reason_zh) for problem in problems] == [
        (3, "total_debited", "合计 12.31 与明细之和 12.30 不符")
    ]
    assert parsed is not None  # the header is good; the caller rejects the file for its problem


def test_an_empty_file_is_reported() -> None:
    parsed, problems = parse_result_file(b"")
    assert parsed is None
    assert [(problem.line, problem.field, problem.reason_en) for problem in problems] == [
        (1, "file", "the file is empty")
    ]


def test_a_count_in_other_digits_is_reported_not_a_crash() -> None:
    # "²" is a digit to Python's str.isdigit but no number a bank writes.
    text = f"H|1|{BATCH}|icbc-quancheng|20250311\nD|{BATCH}000001|S|12.30||\nT|²|12.30|0.00\n"
    _parsed, problems = parse_result_file(text.encode("gb18030"))
    assert [(problem.line, problem.field) for problem in problems] == [(3, "count")]
