"""Reads of reconciliation (对账): the statements a user may see with their lines' counts by
status, and a statement's lines. Every read starts from ``visible_to(user)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from gridcare.payments.models import BankStatement, LineStatus, StatementLine


@dataclass(frozen=True, kw_only=True)
class StatementSummary:
    statement: BankStatement
    lines: int
    matched: int
    unmatched: int
    duplicate: int
    amount_mismatch: int
    date_mismatch: int
    resolved: int

    @property
    def open(self) -> int:
        """Lines still waiting for a person."""
        return self.unmatched + self.duplicate + self.amount_mismatch + self.date_mismatch


def statement_summaries(*, user: Any) -> list[StatementSummary]:
    """The statements ``user`` may see, newest first, with their lines counted by status."""
    counts = {status: Count("lines", filter=Q(lines__status=status)) for status in LineStatus.values}
    rows = (
        BankStatement.objects.visible_to(user)
        .select_related("org_unit", "imported_by")
        .annotate(line_count=Count("lines"), **{f"count_{status}": count for status, count in counts.items()})
        .order_by("-imported_at", "-id")
    )
    return [
        StatementSummary(
            statement=row,
            lines=row.line_count,
            **{status: getattr(row, f"count_{status}") for status in LineStatus.values},
        )
        for row in rows
    ]


def visible_statement(*, user: Any, statement_id: int) -> BankStatement | None:
    """The statement ``statement_id`` if ``user`` may see it."""
    found: BankStatement | None = (
        BankStatement.objects.visible_to(user)
        .select_related("org_unit", "imported_by")
        .filter(pk=statement_id)
        .first()
    )
    return found


def statement_lines(
    *, user: Any, statement: BankStatement, status: str | None = None
) -> QuerySet[StatementLine]:
    """The lines of ``statement`` ``user`` may see, in file order; only ``status`` ones if given."""
    lines = (
        StatementLine.objects.visible_to(user)
        .filter(statement=statement)
        .select_related("payment__account", "clearing_entry", "resolved_by")
        .order_by("position", "transaction_no")
    )
    return lines.filter(status=status) if status else lines


def visible_statement_line(*, user: Any, line_id: int) -> StatementLine | None:
    found: StatementLine | None = (
        StatementLine.objects.visible_to(user)
        .select_related("statement", "org_unit")
        .filter(pk=line_id)
        .first()
    )
    return found
