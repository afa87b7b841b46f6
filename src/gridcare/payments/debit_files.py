"""The direct-debit (代扣) file formats of docs/bank-channels.md: writing a debit file and
reading a bank's result file. Pure: bytes in and out, no database (the checks against the
batches are in :mod:`gridcare.payments.direct_debit`).

Both are GB18030 text, one record per line (``\\n``; a ``\\r`` before it is ignored on
reading), fields separated by ``|``: a header record ``H``, detail records ``D``, a trailer
record ``T`` with the count and totals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from gridcare.payments.errors import DebitFileProblem

ENCODING = "gb18030"
SEPARATOR = "|"
FORMAT_VERSION = "1"
#: ``DD`` + the debit date (YYYYMMDD) + a six-digit sequence number.
BATCH_NO_PATTERN = re.compile(r"^DD[0-9]{14}$")
#: A batch number + the six-digit line number.
SERIAL_PATTERN = re.compile(r"^DD[0-9]{20}$")
AMOUNT_PATTERN = re.compile(r"^[0-9]{1,13}\.[0-9]{2}$")
REASON_CODE_PATTERN = re.compile(r"^[A-Z0-9]{4}$")
MAX_REASON_LENGTH = 100


class DebitResult(StrEnum):
    """A result line's outcome: debited, not debited, or debited earlier and returned since."""

    SUCCESS = "S"
    FAILURE = "F"
    BOUNCED = "B"


@dataclass(frozen=True, kw_only=True)
class DebitFileLine:
    line_no: int
    serial: str
    account_no: str
    bank_account_no: str
    holder_name: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class DebitFile:
    batch_no: str
    bank: str
    org_unit_code: str
    debit_date: date
    created_at: datetime  # local (Asia/Shanghai) time of writing
    lines: Sequence[DebitFileLine]


def batch_serial(*, batch_no: str, line_no: int) -> str:
    """A debit line's serial number: its batch number and six-digit line number."""
    return f"{batch_no}{line_no:06d}"


def render_debit_file(debit_file: DebitFile) -> bytes:
    """The bytes of a debit file (docs/bank-channels.md, "Debit file")."""
    records = [
        [
            "H",
            FORMAT_VERSION,
            debit_file.batch_no,
            debit_file.bank,
            debit_file.org_unit_code,
            f"{debit_file.debit_date:%Y%m%d}",
            f"{debit_file.created_at:%Y%m%d%H%M%S}",
        ]
    ]
    records += [
        [
            "D",
            f"{line.line_no:06d}",
            line.serial,
            line.account_no,
            line.bank_account_no,
            line.holder_name,
            f"{line.amount:.2f}",
        ]
        for line in debit_file.lines
    ]
    total = sum((line.amount for line in debit_file.lines), Decimal("0.00"))
    records.append(["T", str(len(debit_file.lines)), f"{total:.2f}"])
    return "".join(SEPARATOR.join(fields) + "\n" for fields in records).encode(ENCODING)


@dataclass(frozen=True, kw_only=True)
class ResultLine:
    """A detail record of a result file; ``line`` is its line number in the file."""

    line: int
    serial: str
    result: DebitResult
    amount: Decimal
    reason_code: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ResultFile:
    batch_no: str
    bank: str
    result_date: date
    lines: tuple[ResultLine, ...]


class _Problems:
    """The problems found so far, in the order found."""

    def __init__(self) -> None:
        self.found: list[DebitFileProblem] = []

    def add(self, line: int, field: str, reason_zh: str, reason_en: str) -> None:
        self.found.append(DebitFileProblem(line=line, field=field, reason_zh=reason_zh, reason_en=reason_en))


def parse_result_file(data: bytes) -> tuple[ResultFile | None, list[DebitFileProblem]]:
    """Read a result file (docs/bank-channels.md, "Result file"): the file with its well-formed
    detail lines (``None`` when the header is bad) and every problem found, each bad line with
    its field and reason. The file is good only when there is no problem."""
    problems = _Problems()
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the last record's line end
    texts: list[tuple[int, str]] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            texts.append((number, raw.removesuffix(b"\r").decode(ENCODING)))
        except UnicodeDecodeError:
            problems.add(number, "line", "不是有效的 GB18030 文本", "is not valid GB18030 text")
    if not texts:
        problems.add(1, "file", "文件为空", "the file is empty")
        return None, problems.found
    header = _header(texts[0], problems) if texts[0][0] == 1 else None
    if texts[0][0] != 1:
        problems.add(1, "record_type", "首行须为表头记录 H", "the first line must be the header record H")
    trailer_number, trailer_text = texts[-1]
    details = [(number, text) for number, text in texts[1:-1]] if len(texts) > 1 else []
    if len(texts) == 1:
        problems.add(2, "record_type", "缺少表尾记录 T", "the trailer record T is missing")
    lines: list[ResultLine] = []
    seen: dict[str, int] = {}
    for number, text in details:
        line = _detail(number, text, problems, batch_no=header.batch_no if header else None)
        if line is None:
            continue
        if line.serial in seen:
            problems.add(
                number,
                "serial",
                f"流水号与第 {seen[line.serial]} 行重复",
                f"the serial repeats line {seen[line.serial]}",
            )
            continue
        seen[line.serial] = number
        lines.append(line)
    if len(texts) > 1:
        # The totals are checked only when every record so far is good (a bad one is reported).
        _trailer(
            trailer_number,
            trailer_text,
            problems,
            details=max(len(raw_lines) - 2, 0),
            lines=None if problems.found else lines,
        )
    by_line = sorted(problems.found, key=lambda problem: problem.line)
    if header is None:
        return None, by_line
    parsed = ResultFile(
        batch_no=header.batch_no, bank=header.bank, result_date=header.result_date, lines=tuple(lines)
    )
    return parsed, by_line


@dataclass(frozen=True, kw_only=True)
class _Header:
    batch_no: str
    bank: str
    result_date: date


def _fields(number: int, text: str, problems: _Problems, *, kind: str, count: int) -> list[str] | None:
    fields = text.split(SEPARATOR)
    if fields[0] != kind:
        problems.add(
            number,
            "record_type",
            f"记录类型“{fields[0]}”应为 {kind}",
            f'record type "{fields[0]}" should be {kind}',
        )
        return None
    if len(fields) != count:
        problems.add(
            number,
            "line",
            f"应有 {count} 个字段，实有 {len(fields)} 个",
            f"has {len(fields)} fields, {count} expected",
        )
        return None
    return fields


def _header(numbered: tuple[int, str], problems: _Problems) -> _Header | None:
    number, text = numbered
    fields = _fields(number, text, problems, kind="H", count=5)
    if fields is None:
        return None
    _kind, version, batch_no, bank, date_text = fields
    # A wrong version is reported; a good batch number and date still let the lines be checked.
    if version != FORMAT_VERSION:
        problems.add(
            number, "version", f"格式版本“{version}”应为 1", f'format version "{version}" should be 1'
        )
    ok = True
    if not BATCH_NO_PATTERN.match(batch_no):
        problems.add(
            number, "batch_no", f"批次号“{batch_no}”格式不对", f'batch number "{batch_no}" is malformed'
        )
        ok = False
    if not bank:
        problems.add(number, "bank", "银行代码为空", "the bank code is empty")
        ok = False
    result_date = _date(number, "result_date", date_text, problems)
    if not ok or result_date is None:
        return None
    return _Header(batch_no=batch_no, bank=bank, result_date=result_date)


def _detail(number: int, text: str, problems: _Problems, *, batch_no: str | None) -> ResultLine | None:
    fields = _fields(number, text, problems, kind="D", count=6)
    if fields is None:
        return None
    _kind, serial, result_text, amount_text, reason_code, reason = fields
    before = len(problems.found)
    if not SERIAL_PATTERN.match(serial):
        problems.add(number, "serial", f"流水号“{serial}”格式不对", f'serial "{serial}" is malformed')
    elif batch_no is not None and not serial.startswith(batch_no):
        problems.add(
            number,
            "serial",
            f"流水号“{serial}”不属于批次 {batch_no}",
            f'serial "{serial}" is not of batch {batch_no}',
        )
    results = [result.value for result in DebitResult]
    if result_text not in results:
        problems.add(
            number,
            "result",
            f"结果“{result_text}”应为 S、F 或 B",
            f'result "{result_text}" should be S, F or B',
        )
    amount = _amount(number, "amount", amount_text, problems)
    if result_text == DebitResult.SUCCESS and reason_code:
        problems.add(number, "reason_code", "成功记录不应有原因代码", "a success carries no reason code")
    if result_text in (DebitResult.FAILURE, DebitResult.BOUNCED) and not REASON_CODE_PATTERN.match(
        reason_code
    ):
        problems.add(
            number,
            "reason_code",
            f"原因代码“{reason_code}”应为 4 位大写字母或数字",
            f'reason code "{reason_code}" should be 4 capital letters or digits',
        )
    if result_text == DebitResult.FAILURE and amount is not None and amount != 0:
        problems.add(number, "amount", "失败记录的扣款金额应为 0.00", "a failure debits 0.00")
    if result_text in (DebitResult.SUCCESS, DebitResult.BOUNCED) and amount is not None and amount == 0:
        problems.add(number, "amount", "扣款金额应大于零", "the amount debited must be above zero")
    if len(reason) > MAX_REASON_LENGTH:
        problems.add(
            number,
            "reason",
            f"原因超过 {MAX_REASON_LENGTH} 个字符",
            f"the reason is longer than {MAX_REASON_LENGTH} characters",
        )
    if len(problems.found) > before or amount is None:
        return None
    return ResultLine(
        line=number,
        serial=serial,
        result=DebitResult(result_text),
        amount=amount,
        reason_code=reason_code,
        reason=reason,
    )


def _trailer(
    number: int, text: str, problems: _Problems, *, details: int, lines: list[ResultLine] | None
) -> None:
    fields = _fields(number, text, problems, kind="T", count=4)
    if fields is None:
        return
    _kind, count_text, debited_text, bounced_text = fields
    if not (count_text.isascii() and count_text.isdigit()) or int(count_text) != details:
        problems.add(
            number,
            "count",
            f"记录数“{count_text}”与明细行数 {details} 不符",
            f'count "{count_text}" differs from the {details} detail lines',
        )
    for field, text_value, result in (
        ("total_debited", debited_text, DebitResult.SUCCESS),
        ("total_bounced", bounced_text, DebitResult.BOUNCED),
    ):
        total = _amount(number, field, text_value, problems)
        if lines is None:
            continue
        expected = sum((line.amount for line in lines if line.result == result), Decimal("0.00"))
        if total is not None and total != expected:
            problems.add(
                number,
                field,
                f"合计 {total:.2f} 与明细之和 {expected:.2f} 不符",
                f"total {total:.2f} differs from the detail lines' sum {expected:.2f}",
            )


def _amount(number: int, field: str, text: str, problems: _Problems) -> Decimal | None:
    if not AMOUNT_PATTERN.match(text):
        problems.add(
            number,
            field,
            f"金额“{text}”应为两位小数的元，如 12.30",
            f'amount "{text}" should be yuan with two decimals, e.g. 12.30',
        )
        return None
    return Decimal(text)


def _date(number: int, field: str, text: str, problems: _Problems) -> date | None:
    try:
        if not re.fullmatch(r"[0-9]{8}", text):
            raise ValueError(text)
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        problems.add(number, field, f"日期“{text}”应为 YYYYMMDD", f'date "{text}" should be YYYYMMDD')
        return None
