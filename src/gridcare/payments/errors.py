"""Expected failures of payments (the pure late-fee rules keep theirs in late_fee_rules.py)."""

from __future__ import annotations

from dataclasses import dataclass

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
