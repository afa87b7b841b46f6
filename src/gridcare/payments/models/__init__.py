"""The payments app's models, one module per area (payments, and the areas docs/payments.md
lists): every model is imported here, where Django looks for them."""

# --- dunning (催费, 停复电): docs/dunning.md
from gridcare.payments.models.dunning import (
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

__all__ = [
    "MONEY_DECIMALS",
    "MONEY_DIGITS",
    "LateFeeCharge",
    "Payment",
    "PaymentChannel",
    "PaymentStatus",
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
# --- prepaid
__all__ += ["PrepaidAlert", "PrepaidArrangement", "PrepaidCutoff", "PrepaidStatus"]
