"""The payments app's models, one module per area (payments, and the areas docs/payments.md
lists): every model is imported here, where Django looks for them."""

# bank channels (issue 6): real-time collection reversals and direct debit
from gridcare.payments.models.bankchannels import (
    BankReversal,
    BankReversalStatus,
    DebitBatch,
    DebitBatchLine,
    DebitLineStatus,
    DebitMandate,
    DebitMandateStatus,
)
from gridcare.payments.models.late_fees import LateFeeCharge
from gridcare.payments.models.payment import (
    MONEY_DECIMALS,
    MONEY_DIGITS,
    Payment,
    PaymentChannel,
    PaymentStatus,
)

__all__ = [
    "MONEY_DECIMALS",
    "MONEY_DIGITS",
    "LateFeeCharge",
    "Payment",
    "PaymentChannel",
    "PaymentStatus",
]
__all__ += [  # bank channels (issue 6)
    "BankReversal",
    "BankReversalStatus",
    "DebitBatch",
    "DebitBatchLine",
    "DebitLineStatus",
    "DebitMandate",
    "DebitMandateStatus",
]
