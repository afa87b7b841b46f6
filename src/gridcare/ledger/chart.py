"""The ledger accounts the operations post to, by code, and the chart a new database starts with
(a data migration loads it; names and general-ledger numbers are the utility's to change)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChartCode(StrEnum):
    """Codes of the ledger accounts the operations post to."""

    #: 应收电费: bills issued and not yet paid, per customer account.
    RECEIVABLE_ENERGY = "receivable.energy"
    #: 预收电费: money received before the bills it will pay, per customer account.
    PREPAID_ENERGY = "prepaid.energy"
    #: 应收违约金: late fees charged and not yet paid, per customer account.
    RECEIVABLE_LATE_FEE = "receivable.late_fee"
    #: 电费收入: electricity sales (energy, basic and power-factor charges).
    ENERGY_REVENUE = "revenue.energy"
    #: 代征政府性基金及附加: funds collected with the bills for the government.
    FUNDS_PAYABLE = "payable.funds"
    #: 违约金收入
    LATE_FEE_INCOME = "income.late_fee"
    #: 银行在途: collected by a bank or payment provider, not yet in our account.
    BANK_IN_TRANSIT = "cash.bank_in_transit"
    #: 银行存款
    BANK = "cash.bank"
    #: 库存现金: the counters' cash.
    CASH = "cash.on_hand"
    #: 应退电费: refunds owed to customers, per customer account.
    REFUNDS_PAYABLE = "payable.refunds"
    #: 坏账损失
    BAD_DEBT = "expense.bad_debt"


@dataclass(frozen=True, kw_only=True)
class ChartAccount:
    code: ChartCode
    name_zh: str
    name_en: str
    kind: str
    gl_code: str
    per_customer_account: bool = False


#: The chart a new database starts with. The general-ledger numbers follow the 企业会计准则
#: chart's top-level accounts (1122 应收账款, 2203 预收账款, 6001 主营业务收入 …), with a
#: two-digit sub-account.
INITIAL_CHART: tuple[ChartAccount, ...] = (
    ChartAccount(
        code=ChartCode.RECEIVABLE_ENERGY,
        name_zh="应收电费",
        name_en="Electricity charges receivable",
        kind="asset",
        gl_code="1122.01",
        per_customer_account=True,
    ),
    ChartAccount(
        code=ChartCode.RECEIVABLE_LATE_FEE,
        name_zh="应收违约金",
        name_en="Late fees receivable",
        kind="asset",
        gl_code="1122.02",
        per_customer_account=True,
    ),
    ChartAccount(
        code=ChartCode.PREPAID_ENERGY,
        name_zh="预收电费",
        name_en="Electricity charges received in advance",
        kind="liability",
        gl_code="2203.01",
        per_customer_account=True,
    ),
    ChartAccount(
        code=ChartCode.REFUNDS_PAYABLE,
        name_zh="应退电费",
        name_en="Refunds payable",
        kind="liability",
        gl_code="2241.01",
        per_customer_account=True,
    ),
    ChartAccount(
        code=ChartCode.FUNDS_PAYABLE,
        name_zh="代征政府性基金及附加",
        name_en="Government funds collected",
        kind="liability",
        gl_code="2241.02",
    ),
    ChartAccount(
        code=ChartCode.ENERGY_REVENUE,
        name_zh="电费收入",
        name_en="Electricity sales",
        kind="income",
        gl_code="6001.01",
    ),
    ChartAccount(
        code=ChartCode.LATE_FEE_INCOME,
        name_zh="违约金收入",
        name_en="Late fee income",
        kind="income",
        gl_code="6301.01",
    ),
    ChartAccount(
        code=ChartCode.BANK_IN_TRANSIT,
        name_zh="银行在途",
        name_en="Bank collections in transit",
        kind="asset",
        gl_code="1012.01",
    ),
    ChartAccount(code=ChartCode.BANK, name_zh="银行存款", name_en="Bank", kind="asset", gl_code="1002.01"),
    ChartAccount(
        code=ChartCode.CASH, name_zh="库存现金", name_en="Cash on hand", kind="asset", gl_code="1001.01"
    ),
    ChartAccount(
        code=ChartCode.BAD_DEBT,
        name_zh="坏账损失",
        name_en="Bad debts written off",
        kind="expense",
        gl_code="6702.01",
    ),
)

#: Which balance of :class:`gridcare.ledger.models.AccountBalance` each per-customer-account
#: ledger account moves (debit-positive: what the customer owes us).
BALANCE_FIELDS: dict[str, str] = {
    ChartCode.RECEIVABLE_ENERGY: "energy_owed",
    ChartCode.RECEIVABLE_LATE_FEE: "late_fees_owed",
}
#: ... and the credit-positive ones (what we owe the customer or hold for them).
CREDIT_BALANCE_FIELDS: dict[str, str] = {
    ChartCode.PREPAID_ENERGY: "prepaid",
}


def load_initial_chart(*, model: Any) -> None:
    """Add to ``model`` (the LedgerAccount model, or its historical version in a migration)
    the accounts of :data:`INITIAL_CHART` it lacks; accounts already there are left as they are
    (their names and GL numbers are the utility's)."""
    for account in INITIAL_CHART:
        model.objects.get_or_create(
            code=str(account.code),
            defaults={
                "name_zh": account.name_zh,
                "name_en": account.name_en,
                "kind": account.kind,
                "gl_code": account.gl_code,
                "per_customer_account": account.per_customer_account,
            },
        )
