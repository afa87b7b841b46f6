"""How a bill shows on a page, shared by the back office and the portal: its lines with their
name in the UI language and their rule and inputs in words, its review exceptions in the UI
language, and the PDF download."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import translation
from django.utils.functional import Promise

from gridcare.billing import explanation
from gridcare.billing.models import Bill, BillLine


def language_is_chinese() -> bool:
    """Whether the request's UI language is Chinese (bills then show their Chinese names)."""
    return (translation.get_language() or "zh-hans") == "zh-hans"


@dataclass(frozen=True, kw_only=True)
class ShownException:
    code: str
    message: str
    blocking: bool


def shown_exceptions(bill: Bill) -> list[ShownException]:
    """The bill's review exceptions with their message in the UI language."""
    key = "message_zh" if language_is_chinese() else "message_en"
    return [
        ShownException(
            code=str(item.get("code")), message=str(item.get(key)), blocking=bool(item.get("blocking"))
        )
        for item in bill.exceptions
    ]


@dataclass(frozen=True, kw_only=True)
class ShownLine:
    line: BillLine
    name: str
    rule: str | Promise
    inputs: tuple[explanation.Fact, ...]
    quantity: str
    unit_price: str


def shown_lines(lines: Sequence[BillLine]) -> list[ShownLine]:
    """The bill's lines with their name in the UI language and their rule and inputs in words."""
    chinese = language_is_chinese()
    return [
        ShownLine(
            line=line,
            name=line.name_zh if chinese else line.name_en,
            rule=explanation.rule_label(line.rule),
            inputs=explanation.facts(line.inputs),
            quantity=explanation.plain_number(line.quantity),
            unit_price=explanation.plain_number(line.unit_price),
        )
        for line in lines
    ]


def pdf_response(document: bytes, *, number: str) -> HttpResponse:
    """A bill PDF as a download named after its bill number."""
    return HttpResponse(
        document,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bill-{number}.pdf"'},
    )
