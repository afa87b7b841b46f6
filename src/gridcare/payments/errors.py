"""Expected failures of payments (the pure late-fee rules keep theirs in late_fee_rules.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridcare.identity.errors import AccessDenied
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


# --- statements (issue 6 §6): bank statements and reconciliation (docs/reconciliation.md) -------


@dataclass(frozen=True, kw_only=True)
class At:
    """Where in a statement file a problem is: the file itself, a camt entry (and transaction of
    a batch entry), or a CSV row (row 1 is the header)."""

    entry: int | None = None
    transaction: int | None = None
    row: int | None = None

    def describe(self, language: str) -> str:
        english = language.lower().startswith("en")
        if self.row is not None:
            return f"row {self.row}" if english else f"第 {self.row} 行"
        if self.entry is None:
            return "file" if english else "文件"
        where = f"entry {self.entry}" if english else f"第 {self.entry} 个条目"
        if self.transaction is not None:
            where += f", transaction {self.transaction}" if english else f"第 {self.transaction} 笔交易"
        return where


@dataclass(frozen=True, kw_only=True)
class StatementProblem:
    """Why one entry, row or field of a statement file was refused."""

    at: At
    field: str
    value: str
    reason_zh: str
    reason_en: str

    def where(self, language: str) -> str:
        return self.at.describe(language)

    def reason(self, language: str) -> str:
        return self.reason_en if language.lower().startswith("en") else self.reason_zh


class StatementFileInvalid(GridCareError):
    """A statement file with bad entries or rows: refused whole, every problem listed."""

    code = "statement_file_invalid"
    message_zh = "对账单文件“{file_name}”有 {count} 处错误，整个文件未导入。"
    message_en = 'The statement file "{file_name}" has {count} problems: nothing was imported.'

    def __init__(self, *, file_name: str, problems: Sequence[StatementProblem]) -> None:
        super().__init__(field="file", file_name=file_name, count=len(problems))
        self.problems = list(problems)


class StatementAlreadyImported(GridCareError):
    code = "statement_already_imported"
    message_zh = "对账单 {statement_id}（账户 {account_no}）已于 {imported_at} 导入，不再重复导入。"
    message_en = (
        "Statement {statement_id} of account {account_no} was already imported at {imported_at}; "
        "it is not imported twice."
    )

    def __init__(self, *, statement_id: str, account_no: str, imported_at: str) -> None:
        super().__init__(
            field="file", statement_id=statement_id, account_no=account_no, imported_at=imported_at
        )


class StatementLineNotOpen(GridCareError):
    """A resolution that does not fit the line's status (already resolved, or not that kind)."""

    code = "statement_line_not_open"
    message_zh = "对账单明细 {line} 的状态为“{status}”，不能{action_zh}。"
    message_en = 'Statement line {line} is "{status}": it cannot be {action_en}.'


class StatementReasonMissing(GridCareError):
    code = "statement_reason_missing"
    message_zh = "“reason”：须写明处理原因。"
    message_en = '"reason": a resolution needs a reason.'

    def __init__(self) -> None:
        super().__init__(field="reason")


class StatementSerialTaken(GridCareError):
    """Assigning a line whose reference is already a payment's serial number."""

    code = "statement_serial_taken"
    message_zh = "流水号 {serial} 已用于收费 {receipt_no}，不能再记为新的收费；请核查后作废此明细。"
    message_en = (
        "Serial number {serial} is already payment {receipt_no}; it cannot be recorded again. "
        "Check it and dismiss this line."
    )

    def __init__(self, *, serial: str, receipt_no: str) -> None:
        super().__init__(field="account", serial=serial, receipt_no=receipt_no)


# --- provider payments (portalpay; docs/provider-payments.md) ----------------------------------


class ProviderNotConfigured(GridCareError):
    code = "provider_not_configured"
    message_zh = "在线支付尚未开通（未配置支付机构），请到营业厅或通过银行缴费。"
    message_en = (
        "Online payment is not available (no payment provider is configured); pay at a service hall or bank."
    )


class ProviderOrderAmountInvalid(GridCareError):
    """An amount to pay online outside the allowed range or not in whole fen."""

    code = "provider_order_amount_invalid"
    message_zh = "“amount”：支付金额须在 {minimum} 元至 {maximum} 元之间且精确到分。"
    message_en = '"amount": the amount to pay must be between {minimum} and {maximum} yuan, in whole fen.'

    def __init__(self, *, minimum: object, maximum: object) -> None:
        super().__init__(field="amount", minimum=minimum, maximum=maximum)


class NothingToPay(GridCareError):
    code = "provider_nothing_to_pay"
    message_zh = "户号 {account_no} 目前没有应缴费用。"
    message_en = "Account {account_no} owes nothing at the moment."


class ProviderOrderAccountNotOwned(AccessDenied):
    """A portal customer paying for an account their login is not bound to."""

    code = "provider_order_account_not_owned"
    message_zh = "户号 {account_no} 不是您绑定的户号。"
    message_en = "Account {account_no} is not one of the accounts bound to your login."


class ProviderNotificationRefused(GridCareError):
    """A payment provider's notification we do not accept: ``reason`` says why (a bad signature,
    another app id, an unknown order, another amount, another trade number for a paid order,
    a malformed field)."""

    code = "provider_notification_refused"
    message_zh = "支付机构通知被拒绝（{reason}）：订单 {out_trade_no}。"
    message_en = "Payment provider notification refused ({reason}): order {out_trade_no}."

    def __init__(self, *, reason: str, out_trade_no: str) -> None:
        super().__init__(reason=reason, out_trade_no=out_trade_no)
        self.reason = reason
        self.out_trade_no = out_trade_no


# --- cashier (issue 6): shifts at the counter and in the field (docs/cashier.md) ---------------


class ShiftAlreadyOpen(GridCareError):
    code = "shift_already_open"
    message_zh = "您已有未结班次 {number}，请先结班再开新班。"
    message_en = "You already have shift {number} open; close it before opening another."


class ShiftNotOpen(GridCareError):
    code = "shift_not_open"
    message_zh = "班次 {number} 已结班，不能再收费或冲正。"
    message_en = "Shift {number} is closed: no more payments or reversals in it."


class ShiftNotYours(GridCareError):
    code = "shift_not_yours"
    message_zh = "班次 {number} 属于收费员 {cashier}，只有本人能在其中收费、冲正或结班。"
    message_en = (
        "Shift {number} belongs to cashier {cashier}; only they may take payments, reverse or close in it."
    )


class ShiftKindWrong(GridCareError):
    """A counter payment in a field shift, or a door-to-door payment in a counter shift."""

    code = "shift_kind_wrong"
    message_zh = "班次 {number} 是{kind_zh}班次，不能记录此类收费。"
    message_en = "Shift {number} is a {kind_en} shift; it cannot take this kind of payment."


class ShiftAmountInvalid(GridCareError):
    """An opening float or counted cash below zero or not in whole fen."""

    code = "shift_amount_invalid"
    message_zh = "“{field_name}”：金额 {amount} 须不小于零且精确到分。"
    message_en = '"{field_name}": the amount {amount} must not be below zero and must be in whole fen.'

    def __init__(self, *, field: str, amount: object) -> None:
        super().__init__(field=field, field_name=field, amount=amount)


class TenderedTooLittle(GridCareError):
    code = "tendered_too_little"
    message_zh = "“tendered”：实收现金 {tendered} 少于缴费金额 {amount}。"
    message_en = '"tendered": the cash tendered {tendered} is less than the amount {amount}.'

    def __init__(self, *, tendered: object, amount: object) -> None:
        super().__init__(field="tendered", tendered=tendered, amount=amount)


class ReceivedOutsideShift(GridCareError):
    code = "received_outside_shift"
    message_zh = "“received_at”：收款时间 {received_at} 须在班次开班（{opened_at}）之后、现在之前。"
    message_en = (
        '"received_at": the time received {received_at} must lie between the shift\'s opening '
        "({opened_at}) and now."
    )

    def __init__(self, *, received_at: object, opened_at: object) -> None:
        super().__init__(field="received_at", received_at=received_at, opened_at=opened_at)


class CounterPaymentAlreadyReversed(GridCareError):
    code = "counter_payment_already_reversed"
    message_zh = "收费 {receipt_no} 已冲正。"
    message_en = "Payment {receipt_no} has already been reversed."


class ShiftDifferenceReasonMissing(GridCareError):
    """A count that differs from the expected cash, closed without saying why."""

    code = "shift_difference_reason_missing"
    message_zh = "“reason”：清点现金与应有现金相差 {difference} 元（{kind_zh}），结班须写明原因。"
    message_en = (
        '"reason": the counted cash differs from the expected cash by {difference} ({kind_en}); '
        "closing needs a reason."
    )

    def __init__(self, *, difference: object, kind_zh: str, kind_en: str) -> None:
        super().__init__(field="reason", difference=difference, kind_zh=kind_zh, kind_en=kind_en)


class ShiftSubmissionConflict(GridCareError):
    """A payment form sent again with another account or amount (a tampered or reused form)."""

    code = "shift_submission_conflict"
    message_zh = "此收费表单已用于收费 {receipt_no}（户号或金额不同），请重新打开收费页面。"
    message_en = (
        "This payment form was already used for payment {receipt_no} with another account or amount; "
        "open the payment page again."
    )


class ShiftNotAwaitingReview(GridCareError):
    code = "shift_not_awaiting_review"
    message_zh = "班次 {number} 不需复核（未结班、账款相符或已复核）。"
    message_en = "Shift {number} is not awaiting review (still open, balanced or already reviewed)."


class ShiftReviewBySelf(GridCareError):
    code = "shift_review_by_self"
    message_zh = "收费员不能复核自己的班次 {number}。"
    message_en = "A cashier may not review their own shift {number}."


class ShiftReviewNoteMissing(GridCareError):
    code = "shift_review_note_missing"
    message_zh = "“note”：复核须写明处理意见。"
    message_en = '"note": a review needs a note saying what was decided.'

    def __init__(self) -> None:
        super().__init__(field="note")


# --- bank channels (issue 6): real-time collection and direct debit (docs/bank-channels.md) ---


class BankSerialConflict(GridCareError):
    """A bank serial number already used by another notification with other contents."""

    code = "bank_serial_conflict"
    message_zh = "流水号 {serial} 已用于另一笔通知（{what_zh}），请人工核查。"
    message_en = (
        "Serial number {serial} was already used by another notification ({what_en}); "
        "it needs a person to check."
    )

    def __init__(self, *, serial: str, what_zh: str, what_en: str) -> None:
        super().__init__(field="serial", serial=serial, what_zh=what_zh, what_en=what_en)


class BankPaymentAlreadyReversed(GridCareError):
    """A second reversal notice, under another serial, of a payment already reversed."""

    code = "bank_payment_already_reversed"
    message_zh = "流水号 {original_serial} 的缴费已由冲正流水 {reversal_serial} 冲正。"
    message_en = "The payment of serial {original_serial} was already reversed by reversal {reversal_serial}."

    def __init__(self, *, original_serial: str, reversal_serial: str) -> None:
        super().__init__(
            field="original_serial", original_serial=original_serial, reversal_serial=reversal_serial
        )


class BankNotificationInvalid(GridCareError):
    """A field of a bank notification that is not what docs/bank-channels.md says."""

    code = "bank_notification_invalid"
    message_zh = "“{field_name}”无效：{reason_zh}"
    message_en = '"{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class DebitBankInvalid(GridCareError):
    code = "debit_bank_invalid"
    message_zh = "“{name}”不是启用中的银行接口。"
    message_en = '"{name}" is not an active bank integration.'

    def __init__(self, *, name: str) -> None:
        super().__init__(field="bank", name=name)


class DebitMandateFieldInvalid(GridCareError):
    code = "debit_mandate_field_invalid"
    message_zh = "代扣协议“{field_name}”无效：{reason_zh}"
    message_en = 'Debit mandate "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class DebitMandateExists(GridCareError):
    code = "debit_mandate_exists"
    message_zh = "户号 {account_no} 已有生效的代扣协议，请先解约。"
    message_en = "Account {account_no} already has an active debit mandate; cancel it first."

    def __init__(self, *, account_no: str) -> None:
        super().__init__(field="account", account_no=account_no)


class DebitMandateNotActive(GridCareError):
    code = "debit_mandate_not_active"
    message_zh = "户号 {account_no} 没有生效的代扣协议。"
    message_en = "Account {account_no} has no active debit mandate."


class DebitRunEmpty(GridCareError):
    code = "debit_run_empty"
    message_zh = "银行 {bank} 在 {on} 没有需要代扣的户（无生效协议或无欠费）。"
    message_en = "Bank {bank} has no account to debit on {on} (no active mandate with an amount due)."


class DebitResultFileInvalid(GridCareError):
    """A result file with bad lines: nothing of it is posted; ``problems`` lists every one."""

    code = "debit_result_file_invalid"
    message_zh = "代扣回盘文件 {file_name} 有 {count} 处错误，整份文件未入账。"
    message_en = "The debit result file {file_name} has {count} problem(s); nothing of it was posted."

    def __init__(self, *, file_name: str, problems: list[DebitFileProblem]) -> None:
        super().__init__(field="file", file_name=file_name, count=len(problems))
        self.problems = problems


@dataclass(frozen=True, kw_only=True)
class DebitFileProblem:
    """One bad line of a debit result file: its number (1 = the header), field and reason."""

    line: int
    field: str
    reason_zh: str
    reason_en: str


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
