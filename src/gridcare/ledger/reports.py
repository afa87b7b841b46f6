"""Reports of the receivables ledger (docs/ledger.md): the collection rate (电费回收率) by month and
org unit, and the general-ledger export of a day (总账凭证汇总). Both read the postings of the
user's org subtree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth

from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind, LedgerAccount, Posting
from gridcare.organization.models import OrgUnit

_ZERO = Decimal("0.00")
#: Entries that bill (a bill issued, an adjustment, a refund settling a bill): what they post on
#: 应收电费 is what was billed, not what was collected.
BILLING_KINDS = (JournalEntryKind.BILL_ISSUED, JournalEntryKind.BILL_ADJUSTED)
#: Entries that collect: a payment, and prepaid applied to a bill (its money came earlier).
COLLECTING_KINDS = (JournalEntryKind.PAYMENT, JournalEntryKind.ALLOCATION)


@dataclass(frozen=True, kw_only=True)
class CollectionRate:
    """One org unit's month: what was billed (应收) and collected (实收) on electricity, the rate
    (collected / billed, None when nothing was billed; above 1 when old arrears were
    collected), and the same from January through that month (累计)."""

    org_unit_id: int
    month: int
    billed: Decimal
    collected: Decimal
    rate: Decimal | None
    billed_to_date: Decimal
    collected_to_date: Decimal
    rate_to_date: Decimal | None


def collection_rates(*, user: Any, year: int) -> list[CollectionRate]:
    """The collection rate (电费回收率) of each month of ``year`` and each org unit with postings
    on 应收电费, over the user's org subtree, in (org unit, month) order.

    Billed: what bill entries put on 应收电费 (a refund settling a bill counts against it).
    Collected: what payments and prepaid applications took off it, less what reversed payments
    put back. Waivers and write-offs are neither."""
    rows = (
        Posting.objects.visible_to(user)
        .filter(
            ledger_account__code=ChartCode.RECEIVABLE_ENERGY,
            entry_date__gte=date(year, 1, 1),
            entry_date__lte=date(year, 12, 31),
        )
        .annotate(month=ExtractMonth("entry_date"))
        .values("org_unit_id", "month")
        .annotate(
            billed_debits=Sum("debit", filter=Q(entry__kind__in=BILLING_KINDS), default=_ZERO),
            billed_credits=Sum("credit", filter=Q(entry__kind__in=BILLING_KINDS), default=_ZERO),
            collected=Sum("credit", filter=Q(entry__kind__in=COLLECTING_KINDS), default=_ZERO),
            # A reversed payment puts back on 应收电费 what it had collected; so does prepaid that
            # a reversed payment had left (its owed-again item, an allocation).
            uncollected=Sum(
                "debit",
                filter=Q(entry__kind__in=(JournalEntryKind.REVERSAL, JournalEntryKind.ALLOCATION)),
                default=_ZERO,
            ),
        )
    )
    months: dict[int, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in rows:
        months[row["org_unit_id"]][row["month"]] = (
            round_to_fen(row["billed_debits"] - row["billed_credits"]),
            round_to_fen(row["collected"] - row["uncollected"]),
        )
    result = []
    for org_unit_id in sorted(months):
        billed_to_date = collected_to_date = _ZERO
        for month in range(1, 13):
            billed, collected = months[org_unit_id].get(month, (_ZERO, _ZERO))
            billed_to_date += billed
            collected_to_date += collected
            if month not in months[org_unit_id]:
                continue
            result.append(
                CollectionRate(
                    org_unit_id=org_unit_id,
                    month=month,
                    billed=billed,
                    collected=collected,
                    rate=_rate(collected, billed),
                    billed_to_date=billed_to_date,
                    collected_to_date=collected_to_date,
                    rate_to_date=_rate(collected_to_date, billed_to_date),
                )
            )
    return result


def _rate(collected: Decimal, billed: Decimal) -> Decimal | None:
    """``collected / billed`` to four decimals (a percentage to two), half up."""
    if billed <= 0:
        return None
    return (collected / billed).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- the general-ledger export (总账接口) --------------------------------------------------------

#: The columns of the GL export of a day (docs/ledger.md, "General-ledger export").
GL_EXPORT_HEADER = (
    "entry_date",
    "org_unit_code",
    "gl_account",
    "ledger_account",
    "ledger_account_name",
    "debit",
    "credit",
    "entries",
)


def gl_export_rows(*, user: Any, on: date) -> Iterator[tuple[str, ...]]:
    """The general-ledger export of day ``on``: per org unit and ledger account of the user's
    subtree, the day's debits and credits and how many entries posted them, in (org unit code,
    account code) order; the debits and credits of a day's rows balance. Text cells only."""
    rows = (
        Posting.objects.visible_to(user)
        .filter(entry_date=on)
        .values("org_unit_id", "ledger_account_id")
        .annotate(debits=Sum("debit"), credits=Sum("credit"), entries=Count("entry_id", distinct=True))
    )
    accounts = {account.pk: account for account in LedgerAccount.objects.all()}
    units = dict(OrgUnit.objects.values_list("pk", "code"))
    lines = sorted(
        ((units[row["org_unit_id"]], accounts[row["ledger_account_id"]], row) for row in rows),
        key=lambda line: (line[0], line[1].code),
    )
    for unit_code, account, row in lines:
        yield (
            on.isoformat(),
            unit_code,
            account.gl_code,
            account.code,
            account.name_zh,
            f"{round_to_fen(row['debits']):.2f}",
            f"{round_to_fen(row['credits']):.2f}",
            str(row["entries"]),
        )
