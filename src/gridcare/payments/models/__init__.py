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

# cashier (issue 6): shifts at the counter and in the field, and the payments taken in them
from gridcare.payments.models.cashier import CashierShift, ShiftKind, ShiftPayment, ShiftStatus, TenderMethod
from gridcare.payments.models.dunning import (  # dunning (催费, 停复电): docs/dunning.md
    AccountSupply,
    DunningAction,
    DunningCase,
    DunningCaseStatus,
    DunningPlanVersion,
    DunningStepOutcome,
    DunningStepTaken,
    Instalment,
    InstalmentAgreement,
    InstalmentStatus,
    ProtectedAccount,
    ProtectionReason,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.models.late_fees import LateFeeCharge
from gridcare.payments.models.payment import (
    MONEY_DECIMALS,
    MONEY_DIGITS,
    Payment,
    PaymentChannel,
    PaymentStatus,
)

# --- prepaid (预付费 / 远程费控): docs/prepaid.md
from gridcare.payments.models.prepaid import PrepaidAlert, PrepaidArrangement, PrepaidCutoff, PrepaidStatus
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
__all__ += [  # bank channels (issue 6)
    "BankReversal",
    "BankReversalStatus",
    "DebitBatch",
    "DebitBatchLine",
    "DebitLineStatus",
    "DebitMandate",
    "DebitMandateStatus",
]
# --- dunning
__all__ += [
    "AccountSupply",
    "DunningAction",
    "DunningCase",
    "DunningCaseStatus",
    "DunningPlanVersion",
    "DunningStepOutcome",
    "DunningStepTaken",
    "Instalment",
    "InstalmentAgreement",
    "InstalmentStatus",
    "ProtectedAccount",
    "ProtectionReason",
    "SupplyOrder",
    "SupplyOrderDispatch",
    "SupplyOrderKind",
    "SupplyOrderStatus",
]
__all__ += [  # statements (issue 6 §6)
    "BankStatement",
    "LineDirection",
    "LineResolution",
    "LineStatus",
    "StatementFormat",
    "StatementLine",
]
__all__ += ["CashierShift", "ShiftKind", "ShiftPayment", "ShiftStatus", "TenderMethod"]  # cashier
# --- prepaid
__all__ += ["PrepaidAlert", "PrepaidArrangement", "PrepaidCutoff", "PrepaidStatus"]
