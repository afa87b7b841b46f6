"""Reading bank statement files (docs/reconciliation.md): ISO 20022 camt.053 (BkToCstmrStmt) and
camt.054 (BkToCstmrDbtCdtNtfctn) XML of any version, and GridCare's statement CSV.

A file is read whole before anything is stored: every bad entry or row is collected, and a file
with any is refused with all of them (:class:`~gridcare.payments.errors.StatementFileInvalid`).
XML is parsed with defusedxml, refusing any DTD, entity or external reference.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gridcare.payments.errors import At, StatementFileInvalid, StatementProblem

#: The one currency statements may hold: payments are in yuan.
CURRENCY = "CNY"
#: Longest reference kept (a bank serial number); longer is refused, not cut.
MAX_REFERENCE = 100
MAX_REMITTANCE = 200
MAX_COUNTERPARTY = 140
#: The largest statement file read (a day's statement of a busy collection account is a few MB).
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
FILE = At()
#: A reference a bank writes when it has none.
NO_REFERENCE = "NOTPROVIDED"

_CAMT_NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.\d{3}\.\d{2}\}Document$")
_MESSAGES = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_DIRECTIONS = {"CRDT": "credit", "DBIT": "debit"}
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-/.]*")

#: The CSV statement's columns (row 1 names them, in any order); * required.
CSV_REQUIRED = ("statement_id", "account_no", "booking_date", "direction", "amount", "currency")
CSV_OPTIONAL = (
    "bank",
    "value_date",
    "end_to_end_id",
    "bank_reference",
    "remittance_info",
    "counterparty_name",
)


@dataclass(frozen=True, kw_only=True)
class ParsedLine:
    """One transaction read from a statement."""

    position: int
    transaction_no: int
    direction: str  # "credit" | "debit"
    amount: Decimal
    currency: str
    booking_date: date
    value_date: date | None
    end_to_end_id: str
    bank_reference: str
    remittance_info: str
    counterparty_name: str

    @property
    def references(self) -> tuple[str, ...]:
        """What may name our serial number, in the order tried: the end-to-end id, the bank's
        reference, the remittance information whole, then each word of it."""
        found: list[str] = []
        for candidate in (
            self.end_to_end_id,
            self.bank_reference,
            self.remittance_info,
            *_TOKEN.findall(self.remittance_info),
        ):
            if candidate and len(candidate) <= MAX_REFERENCE and candidate not in found:
                found.append(candidate)
        return tuple(found)

    @property
    def primary_reference(self) -> str:
        """The reference a line is known by when no payment answers to any of them."""
        return next(iter(self.references), "")


@dataclass(frozen=True, kw_only=True)
class ParsedStatement:
    file_format: str
    statement_id: str
    account_no: str
    bank: str
    period_start: date
    period_end: date
    lines: tuple[ParsedLine, ...]


@dataclass(kw_only=True)
class _Problems:
    items: list[StatementProblem] = field(default_factory=list)

    def add(self, *, where: At, field_name: str, value: str, reason_zh: str, reason_en: str) -> None:
        self.items.append(
            StatementProblem(
                at=where, field=field_name, value=value[:80], reason_zh=reason_zh, reason_en=reason_en
            )
        )


def parse_statement(*, content: bytes, file_name: str, bank: str = "") -> ParsedStatement:
    """The statement in ``content``: camt XML when it starts with ``<`` (after a BOM and blanks),
    else the CSV format. ``bank`` names the bank when the file does not. Raises
    :class:`StatementFileInvalid` listing every problem found."""
    if len(content) > MAX_STATEMENT_BYTES:
        _file_problem(
            file_name,
            field_name="",
            value=str(len(content)),
            reason_zh=f"文件超过 {MAX_STATEMENT_BYTES // (1024 * 1024)} MB",
            reason_en=f"the file is larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MB",
        )
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _parse_camt(content=content, file_name=file_name, bank=bank)
    return _parse_csv(content=content, file_name=file_name, bank=bank)


# --- camt.053 / camt.054 ----------------------------------------------------------------------


class _Camt:
    """Namespace-qualified lookups in one camt document."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{step}" for step in path.split("/"))

    def find(self, element: Element, path: str) -> Element | None:
        return element.find(self.path(path))

    def findall(self, element: Element, path: str) -> list[Element]:
        return element.findall(self.path(path))

    def text(self, element: Element, *paths: str) -> str:
        """The stripped text at the first of ``paths`` that is there, else ``""``."""
        for path in paths:
            found = self.find(element, path)
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
        return ""


def _file_problem(file_name: str, *, field_name: str, value: str, reason_zh: str, reason_en: str) -> NoReturn:
    problems = _Problems()
    problems.add(where=FILE, field_name=field_name, value=value, reason_zh=reason_zh, reason_en=reason_en)
    raise StatementFileInvalid(file_name=file_name, problems=problems.items)


def _parse_camt(*, content: bytes, file_name: str, bank: str) -> ParsedStatement:
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        _file_problem(
            file_name,
            field_name="",
            value=type(error).__name__,
            reason_zh="XML 含 DTD、实体或外部引用，拒收",
            reason_en="the XML holds a DTD, an entity or an external reference, which are refused",
        )
    except ParseError as error:
        _file_problem(
            file_name,
            field_name="",
            value=str(error),
            reason_zh="不是格式正确的 XML",
            reason_en="not well-formed XML",
        )
    matched = _CAMT_NAMESPACE.match(root.tag)
    if matched is None:
        _file_problem(
            file_name,
            field_name="Document",
            value=root.tag,
            reason_zh="不是 ISO 20022 camt.053 或 camt.054 文档",
            reason_en="not an ISO 20022 camt.053 or camt.054 document",
        )
    file_format = matched.group(1)
    camt = _Camt(root.tag[1 : root.tag.index("}")])
    message_name, statement_name = _MESSAGES[file_format]
    statements = camt.findall(root, f"{message_name}/{statement_name}")
    if len(statements) != 1:
        _file_problem(
            file_name,
            field_name=statement_name,
            value=str(len(statements)),
            reason_zh=f"文件须恰含一个 {statement_name}（每个文件一份对账单）",
            reason_en=f"the file must hold exactly one {statement_name} (one statement per file)",
        )
    (statement,) = statements
    problems = _Problems()
    statement_id = camt.text(statement, "Id")
    account_no = camt.text(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
    bank_name = bank or camt.text(
        statement, "Acct/Svcr/FinInstnId/Nm", "Acct/Svcr/FinInstnId/BICFI", "Acct/Svcr/FinInstnId/BIC"
    )
    for name, value in (("Id", statement_id), ("Acct/Id", account_no), ("Acct/Svcr", bank_name)):
        if not value:
            problems.add(
                where=FILE,
                field_name=f"{statement_name}/{name}",
                value="",
                reason_zh="缺少（银行可用 --bank 指定）" if name == "Acct/Svcr" else "缺少",
                reason_en="missing (the bank may be given with --bank)" if name == "Acct/Svcr" else "missing",
            )
    lines: list[ParsedLine] = []
    for position, entry in enumerate(camt.findall(statement, "Ntry"), start=1):
        lines.extend(_camt_entry_lines(camt, entry, position=position, problems=problems))
    period = _camt_period(camt, statement, problems=problems)
    if not lines and not problems.items:
        problems.add(
            where=FILE,
            field_name="Ntry",
            value="",
            reason_zh="没有已记账的条目",
            reason_en="no booked entry",
        )
    if problems.items:
        raise StatementFileInvalid(file_name=file_name, problems=problems.items)
    dates = [line.booking_date for line in lines]
    return ParsedStatement(
        file_format=file_format,
        statement_id=statement_id,
        account_no=account_no,
        bank=bank_name[:100],
        period_start=period[0] if period else min(dates),
        period_end=period[1] if period else max(dates),
        lines=tuple(lines),
    )


def _camt_period(camt: _Camt, statement: Element, *, problems: _Problems) -> tuple[date, date] | None:
    start, end = camt.text(statement, "FrToDt/FrDtTm"), camt.text(statement, "FrToDt/ToDtTm")
    if not start and not end:
        return None
    days = []
    for name, value in (("FrToDt/FrDtTm", start), ("FrToDt/ToDtTm", end)):
        day = _iso_day(value)
        if day is None:
            problems.add(
                where=FILE,
                field_name=name,
                value=value,
                reason_zh="不是 ISO 日期时间",
                reason_en="not an ISO date and time",
            )
        days.append(day)
    return (days[0], days[1]) if days[0] and days[1] else None


def _camt_entry_lines(
    camt: _Camt, entry: Element, *, position: int, problems: _Problems
) -> Iterator[ParsedLine]:
    """The lines of one ``Ntry``: one per ``TxDtls`` (one for an entry without them); an entry
    not booked (status other than BOOK) holds no money yet and gives none."""
    status = camt.text(entry, "Sts/Cd", "Sts")
    if status and status != "BOOK":
        return
    where = At(entry=position)
    direction = _direction(camt.text(entry, "CdtDbtInd"), where=where, problems=problems)
    amount, currency = _camt_amount(camt, entry, "Amt", where=where, problems=problems)
    booking_date = _camt_date(camt, entry, "BookgDt", where=where, problems=problems, required=True)
    value_date = _camt_date(camt, entry, "ValDt", where=where, problems=problems, required=False)
    entry_reference = camt.text(entry, "AcctSvcrRef")
    details = camt.findall(entry, "NtryDtls/TxDtls")
    several = len(details) > 1
    total = Decimal(0)
    for number, detail in enumerate(details or [entry], start=1):
        here = At(entry=position, transaction=number) if several else where
        line_direction, line_amount = direction, amount
        if detail is not entry:
            indicator = camt.text(detail, "CdtDbtInd")
            if indicator and indicator != camt.text(entry, "CdtDbtInd"):
                line_direction = _direction(indicator, where=here, problems=problems)
            if several:
                line_amount, _currency = _camt_amount(
                    camt, detail, "Amt", "AmtDtls/TxAmt/Amt", where=here, problems=problems
                )
                total += line_amount or 0
        party = "Dbtr" if line_direction == "credit" else "Cdtr"
        references = {
            "EndToEndId": _reference(camt.text(detail, "Refs/EndToEndId"), where=here, problems=problems),
            "AcctSvcrRef": _reference(
                camt.text(detail, "Refs/AcctSvcrRef") or entry_reference, where=here, problems=problems
            ),
        }
        remittance = " ".join(
            [
                *((element.text or "").strip() for element in camt.findall(detail, "RmtInf/Ustrd")),
                *(
                    (element.text or "").strip()
                    for element in camt.findall(detail, "RmtInf/Strd/CdtrRefInf/Ref")
                ),
            ]
        ).strip()
        counterparty = camt.text(detail, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm")
        if line_direction is None or line_amount is None or booking_date is None:
            continue
        yield ParsedLine(
            position=position,
            transaction_no=number,
            direction=line_direction,
            amount=line_amount,
            currency=currency,
            booking_date=booking_date,
            value_date=value_date,
            end_to_end_id=references["EndToEndId"],
            bank_reference=references["AcctSvcrRef"],
            remittance_info=remittance[:MAX_REMITTANCE],
            counterparty_name=counterparty[:MAX_COUNTERPARTY],
        )
    if several and amount is not None and total != amount:
        problems.add(
            where=where,
            field_name="NtryDtls/TxDtls/Amt",
            value=str(total),
            reason_zh=f"各笔交易金额之和 {total} 不等于条目金额 {amount}",
            reason_en=f"the transactions add up to {total}, not the entry's {amount}",
        )


def _camt_amount(
    camt: _Camt, element: Element, *paths: str, where: At, problems: _Problems
) -> tuple[Decimal | None, str]:
    found = next((camt.find(element, path) for path in paths if camt.find(element, path) is not None), None)
    if found is None:
        problems.add(where=where, field_name=paths[0], value="", reason_zh="缺少金额", reason_en="no amount")
        return None, ""
    currency = found.get("Ccy", "")
    amount = _amount((found.text or "").strip(), where=where, field_name=paths[0], problems=problems)
    if currency != CURRENCY:
        problems.add(
            where=where,
            field_name=f"{paths[0]}/@Ccy",
            value=currency,
            reason_zh=f"币种须为 {CURRENCY}",
            reason_en=f"the currency must be {CURRENCY}",
        )
        return None, currency
    return amount, currency


def _camt_date(
    camt: _Camt, entry: Element, name: str, *, where: At, problems: _Problems, required: bool
) -> date | None:
    text = camt.text(entry, f"{name}/Dt", f"{name}/DtTm")
    if not text:
        if required:
            problems.add(where=where, field_name=name, value="", reason_zh="缺少日期", reason_en="no date")
        return None
    day = _iso_day(text)
    if day is None:
        problems.add(
            where=where, field_name=name, value=text, reason_zh="不是 ISO 日期", reason_en="not an ISO date"
        )
    return day


# --- CSV ----------------------------------------------------------------------------------------


def _parse_csv(*, content: bytes, file_name: str, bank: str) -> ParsedStatement:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        _file_problem(
            file_name,
            field_name="",
            value="",
            reason_zh="不是 UTF-8 编码的 CSV",
            reason_en="not a UTF-8 CSV file",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    known = set(CSV_REQUIRED) | set(CSV_OPTIONAL)
    problems = _Problems()
    for name in header:
        if name not in known:
            problems.add(
                where=At(row=1), field_name=name, value=name, reason_zh="未知的列", reason_en="unknown column"
            )
    for name in CSV_REQUIRED:
        if name not in header:
            problems.add(
                where=At(row=1), field_name=name, value="", reason_zh="缺少此列", reason_en="missing column"
            )
    if len(set(header)) != len(header):
        problems.add(
            where=At(row=1), field_name="", value="", reason_zh="列名重复", reason_en="a column repeats"
        )
    if problems.items:
        raise StatementFileInvalid(file_name=file_name, problems=problems.items)
    lines: list[ParsedLine] = []
    firsts: dict[str, str] = {}
    for row_no, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        where = At(row=row_no)
        if len(cells) != len(header):
            problems.add(
                where=where,
                field_name="",
                value=str(len(cells)),
                reason_zh=f"有 {len(cells)} 格，表头有 {len(header)} 列",
                reason_en=f"{len(cells)} cells, the header has {len(header)} columns",
            )
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        line = _csv_line(row, position=row_no, where=where, problems=problems)
        for name in ("statement_id", "account_no", "bank"):
            value = row.get(name, "")
            firsts.setdefault(name, value)
            if value != firsts[name]:
                problems.add(
                    where=where,
                    field_name=name,
                    value=value,
                    reason_zh=f"须与第一行相同（{firsts[name]}）",
                    reason_en=f"must be the same as on the first row ({firsts[name]})",
                )
        if line is not None:
            lines.append(line)
    statement_id, account_no = firsts.get("statement_id", ""), firsts.get("account_no", "")
    bank_name = bank or firsts.get("bank", "")
    for name, value in (("statement_id", statement_id), ("account_no", account_no), ("bank", bank_name)):
        if not value and (lines or problems.items == []):
            problems.add(
                where=At(row=2),
                field_name=name,
                value="",
                reason_zh="缺少（银行可用 --bank 指定）" if name == "bank" else "缺少",
                reason_en="missing (the bank may be given with --bank)" if name == "bank" else "missing",
            )
    if problems.items:
        raise StatementFileInvalid(file_name=file_name, problems=problems.items)
    dates = [line.booking_date for line in lines]
    return ParsedStatement(
        file_format="csv",
        statement_id=statement_id[:100],
        account_no=account_no[:64],
        bank=bank_name[:100],
        period_start=min(dates),
        period_end=max(dates),
        lines=tuple(lines),
    )


def _csv_line(row: dict[str, str], *, position: int, where: At, problems: _Problems) -> ParsedLine | None:
    direction = _direction(row["direction"], where=where, problems=problems)
    amount = _amount(row["amount"], where=where, field_name="amount", problems=problems)
    if row["currency"] != CURRENCY:
        problems.add(
            where=where,
            field_name="currency",
            value=row["currency"],
            reason_zh=f"币种须为 {CURRENCY}",
            reason_en=f"the currency must be {CURRENCY}",
        )
        amount = None
    booking_date = _csv_date(row["booking_date"], field_name="booking_date", where=where, problems=problems)
    value_date = None
    if row.get("value_date"):
        value_date = _csv_date(row["value_date"], field_name="value_date", where=where, problems=problems)
    end_to_end_id = _reference(row.get("end_to_end_id", ""), where=where, problems=problems)
    bank_reference = _reference(row.get("bank_reference", ""), where=where, problems=problems)
    if direction is None or amount is None or booking_date is None:
        return None
    return ParsedLine(
        position=position,
        transaction_no=1,
        direction=direction,
        amount=amount,
        currency=CURRENCY,
        booking_date=booking_date,
        value_date=value_date,
        end_to_end_id=end_to_end_id,
        bank_reference=bank_reference,
        remittance_info=row.get("remittance_info", "")[:MAX_REMITTANCE],
        counterparty_name=row.get("counterparty_name", "")[:MAX_COUNTERPARTY],
    )


def _csv_date(text: str, *, field_name: str, where: At, problems: _Problems) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(
            where=where,
            field_name=field_name,
            value=text,
            reason_zh="须为 ISO 日期（YYYY-MM-DD）",
            reason_en="must be an ISO date (YYYY-MM-DD)",
        )
        return None


# --- shared -------------------------------------------------------------------------------------


def _direction(code: str, *, where: At, problems: _Problems) -> str | None:
    direction = _DIRECTIONS.get(code)
    if direction is None:
        problems.add(
            where=where,
            field_name="CdtDbtInd" if where.row is None else "direction",
            value=code,
            reason_zh="借贷标志须为 CRDT 或 DBIT",
            reason_en="the credit/debit indicator must be CRDT or DBIT",
        )
    return direction


def _amount(text: str, *, where: At, field_name: str, problems: _Problems) -> Decimal | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        problems.add(
            where=where,
            field_name=field_name,
            value=text,
            reason_zh="金额须为大于零、精确到分的数",
            reason_en="the amount must be a number above zero in whole fen",
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _reference(text: str, *, where: At, problems: _Problems) -> str:
    if text == NO_REFERENCE:
        return ""
    if len(text) > MAX_REFERENCE:
        problems.add(
            where=where,
            field_name="reference",
            value=text,
            reason_zh=f"参考号超过 {MAX_REFERENCE} 个字符",
            reason_en=f"the reference is longer than {MAX_REFERENCE} characters",
        )
        return ""
    return text


def _iso_day(text: str) -> date | None:
    """The date of an ISO date or date-time as written (the bank's own day)."""
    try:
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            if "T" in text
            else date.fromisoformat(text)
        )
    except ValueError:
        return None


def describe_problems(problems: list[StatementProblem], *, language: str) -> list[dict[str, Any]]:
    """The problems as rows for a page or a command's table."""
    return [
        {
            "where": problem.where(language),
            "field": problem.field,
            "value": problem.value,
            "reason": problem.reason(language),
        }
        for problem in problems
    ]
