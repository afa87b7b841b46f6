"""One vectorized engine pass over a partition's bills, where one bill's refusal does not sink
the batch: each bill gets its lines or the engine's error (which the bill records as a blocking
review exception).

Every bill is a list of segments (one per tariff version in force in its period; one segment
when the tariff did not change); the segments of all bills go through the vectorized kernels
as one batch (``engine.segments.segmented_bill_lines``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gridcare.billing.engine.errors import BillInputInvalid, ContractDemandTooLow
from gridcare.billing.engine.segments import BillSegment, calculate_segmented_bill, segmented_bill_lines
from gridcare.kit.errors import GridCareError

#: The engine's refusals of one bill's inputs.
BILL_REFUSALS = (BillInputInvalid, ContractDemandTooLow)
_FEN = Decimal("0.01")


@dataclass(frozen=True, kw_only=True)
class EngineLine:
    """One line as the engine made it: exact quantities, the amount in yuan (to the fen)."""

    code: str
    name_zh: str
    name_en: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    rule: str
    inputs: dict[str, Any]
    tariff_version: str


def lines_in_one_pass(
    *, segmented: Sequence[Sequence[BillSegment]]
) -> list[list[EngineLine] | GridCareError]:
    """The lines of each bill, in order, or the error the engine refused the bill with."""
    refused: dict[int, GridCareError] = {}
    try:
        frame = segmented_bill_lines(segmented=segmented)
        kept = list(range(len(segmented)))
    except BILL_REFUSALS:
        # Rare (an input the tariff cannot bill): find the refused bills one by one with the
        # reference, then bill the others in one batch again.
        for index, segments in enumerate(segmented):
            try:
                calculate_segmented_bill(segments=segments)
            except BILL_REFUSALS as refusal:
                refused[index] = refusal
        kept = [index for index in range(len(segmented)) if index not in refused]
        frame = segmented_bill_lines(segmented=[segmented[index] for index in kept])
    results: list[list[EngineLine] | GridCareError] = [[] for _ in segmented]
    for index, bill_error in refused.items():
        results[index] = bill_error
    for row in frame.sort(["bill", "position"]).iter_rows(named=True):
        lines = results[kept[row["bill"]]]
        assert isinstance(lines, list)  # noqa: S101 -- refused bills are not in the frame  # nosec B101
        lines.append(
            EngineLine(
                code=row["code"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                quantity=Decimal(row["quantity"]),
                unit=row["unit"],
                unit_price=Decimal(row["unit_price"]),
                amount=Decimal(row["amount_fen"]) * _FEN,
                rule=row["rule"],
                inputs=json.loads(row["inputs"]),
                tariff_version=row["tariff_version"],
            )
        )
    return results
