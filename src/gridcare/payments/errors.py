"""Expected failures of payments (the pure late-fee rules keep theirs in late_fee_rules.py)."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class LateFeeQuoteInputInvalid(GridCareError):
    """A late-fee quote request field that is missing, unknown or not what it should be; ``field``
    is its path, e.g. ``bills[1].due_date``."""

    code = "late_fee_quote_input_invalid"
    message_zh = "违约金试算输入“{field_name}”无效：{reason_zh}"
    message_en = 'Late-fee quote input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class PaymentAmountInvalid(GridCareError):
    """A payment amount that is not above zero in whole fen."""

    code = "payment_amount_invalid"
    message_zh = "“amount”：缴费金额 {amount} 须大于零且精确到分。"
    message_en = '"amount": the payment amount {amount} must be above zero and in whole fen.'

    def __init__(self, *, amount: object) -> None:
        super().__init__(field="amount", amount=amount)


class LateFeeWaiverInvalid(GridCareError):
    """A waiver of more late fees than the account owes, or of an amount that is no amount."""

    code = "late_fee_waiver_invalid"
    message_zh = "“amount”：减免金额 {amount} 无效，应大于 0、精确到分且不超过欠交违约金 {owed}。"
    message_en = (
        '"amount": a waiver of {amount} is invalid; it must be above 0, exact to the fen and at most '
        "the late fees owed ({owed})."
    )

    def __init__(self, *, amount: object, owed: object) -> None:
        super().__init__(field="amount", amount=amount, owed=owed)


class RefundAmountInvalid(GridCareError):
    code = "refund_amount_invalid"
    message_zh = "“amount”：退费金额 {amount} 无效，应大于 0、精确到分且不超过预收余额 {prepaid}。"
    message_en = (
        '"amount": a refund of {amount} is invalid; it must be above 0, exact to the fen and at most '
        "the prepaid balance ({prepaid})."
    )

    def __init__(self, *, amount: object, prepaid: object) -> None:
        super().__init__(field="amount", amount=amount, prepaid=prepaid)


class PaymentAlreadyReversed(GridCareError):
    code = "payment_already_reversed"
    message_zh = "收费 {receipt_no} 已冲正。"
    message_en = "Payment {receipt_no} has already been reversed."


class PaymentReasonMissing(GridCareError):
    code = "payment_reason_missing"
    message_zh = "“reason”：冲正须写明原因。"
    message_en = '"reason": a reversal needs a reason.'

    def __init__(self) -> None:
        super().__init__(field="reason")


class PaymentSerialConflict(GridCareError):
    """A serial number already recorded for another account or amount: not the same payment
    again, and not a new one either — a person must look."""

    code = "payment_serial_conflict"
    message_zh = "流水号 {serial} 已用于收费 {receipt_no}（户号或金额不同），请人工核查。"
    message_en = (
        "Serial number {serial} was already recorded as payment {receipt_no} with another account "
        "or amount; it needs a person to check."
    )

    def __init__(self, *, serial: str, receipt_no: str) -> None:
        super().__init__(field="idempotency_key", serial=serial, receipt_no=receipt_no)


# --- dunning (催费, 停复电): docs/dunning.md ------------------------------------------------------


class DunningPlanVersionImmutable(GridCareError):
    code = "dunning_plan_version_immutable"
    message_zh = "催费方案第 {version} 版已保存，不能修改；请发布新版本。"
    message_en = "Dunning plan version {version} is saved and cannot change; publish a new version."


class DunningPlanInvalid(GridCareError):
    """A dunning plan document that is malformed or breaks a legal minimum; ``field`` is the
    path of the offending value, e.g. ``steps[4].day``."""

    code = "dunning_plan_invalid"
    message_zh = "催费方案“{field_name}”无效：{reason_zh}"
    message_en = 'Dunning plan "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class DunningPlanVersionOverlaps(GridCareError):
    code = "dunning_plan_version_overlaps"
    message_zh = "催费方案新版本自 {valid_from} 起生效，与第 {version} 版（{existing_from} 起）重叠。"
    message_en = (
        "A new dunning plan version from {valid_from} overlaps version {version} (from {existing_from})."
    )


class NoDunningPlan(GridCareError):
    code = "no_dunning_plan"
    message_zh = "{on} 没有有效的催费方案。"
    message_en = "No dunning plan is in force on {on}."


class InstalmentScheduleInvalid(GridCareError):
    """An instalment schedule that is empty, has a non-positive amount, repeats a day or starts
    in the past."""

    code = "instalment_schedule_invalid"
    message_zh = "分期计划无效：{reason_zh}"
    message_en = "The instalment schedule is invalid: {reason_en}"

    def __init__(self, *, reason_zh: str, reason_en: str) -> None:
        super().__init__(field="instalments", reason_zh=reason_zh, reason_en=reason_en)


class InstalmentAgreementExists(GridCareError):
    code = "instalment_agreement_exists"
    message_zh = "户号 {account_no} 已有执行中的分期协议。"
    message_en = "Account {account_no} already has an instalment agreement being kept."


class InstalmentAgreementNotActive(GridCareError):
    code = "instalment_agreement_not_active"
    message_zh = "该分期协议已结束（{status}），不能取消。"
    message_en = "This instalment agreement has already ended ({status}); it cannot be cancelled."


class DunningReasonMissing(GridCareError):
    code = "dunning_reason_missing"
    message_zh = "“reason”：须写明原因。"
    message_en = '"reason": a reason is required.'

    def __init__(self) -> None:
        super().__init__(field="reason")


class AccountAlreadyProtected(GridCareError):
    code = "account_already_protected"
    message_zh = "户号 {account_no} 已在保护名单中。"
    message_en = "Account {account_no} is already on the protected list."


class ProtectionNotInForce(GridCareError):
    code = "protection_not_in_force"
    message_zh = "该保护名单条目已移除。"
    message_en = "This protected-list entry has already been removed."


class SupplyOrderNotOpen(GridCareError):
    code = "supply_order_not_open"
    message_zh = "工单 {order_no} 已{status_zh}，不能再处理。"
    message_en = "Order {order_no} is already {status_en}; it cannot be handled again."


# --- prepaid (预付费 / 远程费控, docs/prepaid.md) -------------------------------------------------


class PrepaidAlreadyActive(GridCareError):
    code = "prepaid_already_active"
    message_zh = "户号 {account_no} 已是预付费户。"
    message_en = "Account {account_no} is already prepaid."


class PrepaidNotActive(GridCareError):
    code = "prepaid_not_active"
    message_zh = "户号 {account_no} 的预付费已于 {ended_on} 结束。"
    message_en = "Account {account_no} stopped prepaying on {ended_on}."


class PrepaidSwitchArrears(GridCareError):
    """Switching to prepaid while the account still owes after its prepaid balance was applied."""

    code = "prepaid_switch_arrears"
    message_zh = "户号 {account_no} 仍欠费 {amount} 元（含违约金），须先缴清才能转为预付费。"
    message_en = (
        "Account {account_no} still owes {amount} yuan (late fees included): "
        "pay it before switching to prepaid."
    )


class PrepaidSettingsInvalid(GridCareError):
    code = "prepaid_settings_invalid"
    message_zh = "预付费设置无效：{reason_zh}"
    message_en = "The prepaid settings are invalid: {reason_en}"

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, reason_zh=reason_zh, reason_en=reason_en)
