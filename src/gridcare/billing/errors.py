"""Expected failures of billing (the engine's own are in billing/engine/errors.py)."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class QuoteInputInvalid(GridCareError):
    """A quote request field that is missing, unknown or not what it should be."""

    code = "quote_input_invalid"
    message_zh = "试算输入“{field_name}”无效：{reason_zh}"
    message_en = 'Quote input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class TariffCodeUnknown(GridCareError):
    code = "tariff_code_unknown"
    message_zh = "“tariff”：没有代码为“{tariff_code}”的电价"
    message_en = '"tariff": no tariff has the code "{tariff_code}"'


# --- Bill runs and bills (issue 5 §4) -------------------------------------------------------


class IssuedBillImmutable(GridCareError):
    """An issued bill (or one of its lines) was about to change: corrections are adjustment bills."""

    code = "issued_bill_immutable"
    message_zh = "电费账单 {number} 已发行，不能修改；请开具退补电费账单。"
    message_en = "Bill {number} is issued and cannot change; issue an adjustment bill instead."


class BillRunPeriodInvalid(GridCareError):
    code = "bill_run_period_invalid"
    message_zh = (
        "“period_end”：核算期末（{period_end}）必须晚于期初（{period_start}），且核算期不超过 92 天。"
    )
    message_en = (
        '"period_end": the period end ({period_end}) must be after its start ({period_start}) '
        "and the period at most 92 days long."
    )

    def __init__(self, *, period_start: object, period_end: object) -> None:
        super().__init__(field="period_end", period_start=period_start, period_end=period_end)


class BillRunNoAccounts(GridCareError):
    code = "bill_run_no_accounts"
    message_zh = "{org_unit} 在所选抄表段中没有在用的用户，无需核算。"
    message_en = "{org_unit} has no active accounts on the chosen reading routes; there is nothing to bill."


class BillRunOverlaps(GridCareError):
    code = "bill_run_overlaps"
    message_zh = (
        "核算批次 {number} 已在核算 {org_unit} 的同一核算期（{period_start} 至 {period_end}），"
        "请在该批次中继续。"
    )
    message_en = (
        "Bill run {number} already bills {org_unit} for the same period ({period_start} to "
        "{period_end}); continue in that run."
    )


class BillRunStatusForbids(GridCareError):
    code = "bill_run_status_forbids"
    message_zh = "核算批次 {number} 状态为“{status}”，不能{action_zh}。"
    message_en = 'Bill run {number} is "{status}"; it cannot {action_en}.'


class BillStatusForbids(GridCareError):
    code = "bill_status_forbids"
    message_zh = "电费账单（户号 {account_no}，{period_start} 起）状态为“{status}”，不能{action_zh}。"
    message_en = 'The bill of account {account_no} from {period_start} is "{status}"; it cannot {action_en}.'


class BillRunNotReviewed(GridCareError):
    code = "bill_run_not_reviewed"
    message_zh = "核算批次 {number} 还有 {count} 张电费账单未审核（含异常未处理），不能发行。"
    message_en = (
        "Bill run {number} still has {count} bills not approved (or exceptions unresolved); "
        "it cannot be issued."
    )


class AdjustmentReasonMissing(GridCareError):
    code = "adjustment_reason_missing"
    message_zh = "“reason”：退补电费必须填写原因。"
    message_en = '"reason": an adjustment bill needs a reason.'

    def __init__(self) -> None:
        super().__init__(field="reason")
