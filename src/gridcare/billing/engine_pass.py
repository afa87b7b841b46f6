"""One engine pass over a batch of bill inputs, where one bill's refusal does not sink the
batch: each input gets its bill or the engine's error (which the bill records as a blocking
review exception)."""

from __future__ import annotations

from collections.abc import Sequence

from gridcare.billing.engine.errors import BillInputInvalid, ContractDemandTooLow
from gridcare.billing.engine.reference import Bill, RegisterBillInput, calculate_register_bill
from gridcare.kit.errors import GridCareError

#: The engine's refusals of one bill's inputs.
BILL_REFUSALS = (BillInputInvalid, ContractDemandTooLow)


def bill_in_one_pass(*, inputs: Sequence[RegisterBillInput]) -> list[Bill | GridCareError]:
    """The bill of each input, in order, or the error the engine refused it with."""
    bills: list[Bill | GridCareError] = []
    for bill_input in inputs:
        try:
            bills.append(calculate_register_bill(bill=bill_input))
        except BILL_REFUSALS as error:
            bills.append(error)
    return bills
