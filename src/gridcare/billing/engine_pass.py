"""One vectorized engine pass over a partition's bills, where one bill's refusal does not sink
the batch: each bill gets its lines or the engine's error (which the bill records as a blocking
review exception).

Every bill is a list of segments (one per tariff version in force in its period; one segment
when the tariff did not change); the segments of all bills go through the vectorized kernels
as one batch (``engine.segments.segmented_bill_lines``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridcare.billing.engine.errors import BillInputInvalid, ContractDemandTooLow
from gridcare.billing.engine.reference import BillLine
from gridcare.billing.engine.segments import BillSegment, calculate_segmented_bill, segmented_bill_lines
from gridcare.billing.engine.vectorized import lines_frame_to_bills
from gridcare.kit.errors import GridCareError

#: The engine's refusals of one bill's inputs.
BILL_REFUSALS = (BillInputInvalid, ContractDemandTooLow)


@dataclass(frozen=True, kw_only=True)
class PricedLines:
    """A bill's lines as the engine made them, and the tariff version that priced each one."""

    lines: tuple[BillLine, ...]
    tariff_versions: tuple[str, ...]


def lines_in_one_pass(*, segmented: Sequence[Sequence[BillSegment]]) -> list[PricedLines | GridCareError]:
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
    frame = frame.sort(["bill", "position"])
    versions: list[list[str]] = [[] for _ in kept]
    for bill, version in frame.select("bill", "tariff_version").iter_rows():
        versions[bill].append(version)
    bills = lines_frame_to_bills(lines=frame, bill_count=len(kept))
    results: dict[int, PricedLines | GridCareError] = dict(refused)
    for position, index in enumerate(kept):
        results[index] = PricedLines(lines=bills[position].lines, tariff_versions=tuple(versions[position]))
    return [results[index] for index in range(len(segmented))]
