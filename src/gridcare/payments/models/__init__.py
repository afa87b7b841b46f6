"""The payments app's models, one module per area (payments, and the areas docs/payments.md
lists): every model is imported here, where Django looks for them."""

from gridcare.payments.models.late_fees import LateFeeCharge
from gridcare.payments.models.payment import (
    MONEY_DECIMALS,
    MONEY_DIGITS,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from gridcare.payments.models.provider import (  # provider payments (portalpay)
    ProviderOrder,
    ProviderOrderPurpose,
    ProviderOrderStatus,
)
from gridcare.payments.models.statements import (  # statements (issue 6 §6)
    BankStatement,
    LineDirection,
    LineResolution,
    LineStatus,
    StatementFormat,
    StatementLine,
)

__all__ = [
    "MONEY_DECIMALS",
    "MONEY_DIGITS",
    "LateFeeCharge",
    "Payment",
    "PaymentChannel",
    "PaymentStatus",
    # provider payments (portalpay)
    "ProviderOrder",
    "ProviderOrderPurpose",
    "ProviderOrderStatus",
]
__all__ += [  # statements (issue 6 §6)
    "BankStatement",
    "LineDirection",
    "LineResolution",
    "LineStatus",
    "StatementFormat",
    "StatementLine",
]
