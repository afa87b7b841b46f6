"""From register readings to energy: the advance between two dial readings and the billed kWh.

Pure: no database, no clock.

WARNING: issued bills depend on these results; never change how an advance or the billed
energy is computed for reads already billed.
"""

from __future__ import annotations

from decimal import Decimal

from gridcare.kit.decimals import is_multiple_of
from gridcare.kit.energy import ENERGY_SCALE, quantize_energy

#: A "rollover" implying an advance above this fraction of the dial is treated as suspicious.
#: A genuine rollover happens when a dial near its top wraps to near zero, so the implied
#: advance is small; a meter running backwards (or a misread lower than the previous read)
#: implies an advance of almost the whole dial. Half the dial separates the two cleanly and
#: stays clear of false alarms even on 4-digit dials (10,000 kWh), where a busy month can use a
#: third of the dial.
ROLLOVER_SUSPICION_FRACTION = Decimal("0.5")


def dial_capacity(*, integer_digits: int) -> Decimal:
    """The value at which a dial with ``integer_digits`` integer digits wraps to zero (10 ** digits)."""
    if integer_digits < 1:
        raise ValueError(f"a dial needs at least one integer digit, not {integer_digits}")
    return Decimal(10) ** integer_digits


def register_advance(*, previous: Decimal, current: Decimal, integer_digits: int) -> Decimal:
    """The dial advance from ``previous`` to ``current``, allowing one rollover.

    ``current < previous`` is read as the dial wrapping past zero once:
    ``current + 10 ** integer_digits - previous``. Both readings must lie on the dial.
    """
    capacity = dial_capacity(integer_digits=integer_digits)
    for name, value in (("previous", previous), ("current", current)):
        if not 0 <= value < capacity:
            raise ValueError(f"{name} reading {value} is not on a {integer_digits}-digit dial")
    if current >= previous:
        return current - previous
    return current + capacity - previous


def is_rolled_over(*, previous: Decimal, current: Decimal) -> bool:
    """Whether the advance from ``previous`` to ``current`` implies a rollover."""
    return current < previous


def is_suspicious_rollover(
    *,
    previous: Decimal,
    current: Decimal,
    integer_digits: int,
    fraction: Decimal = ROLLOVER_SUSPICION_FRACTION,
) -> bool:
    """Whether ``current < previous`` looks like a meter running backwards rather than a rollover.

    True when the advance a rollover would imply exceeds ``fraction`` of the dial (see
    :data:`ROLLOVER_SUSPICION_FRACTION`); such a read should be held as suspect for review.
    """
    if not is_rolled_over(previous=previous, current=current):
        return False
    advance = register_advance(previous=previous, current=current, integer_digits=integer_digits)
    return advance > fraction * dial_capacity(integer_digits=integer_digits)


def billed_energy(*, advance: Decimal, multiplier: int) -> Decimal:
    """The metered energy in kWh: the dial advance times the multiplier (倍率 = CT × PT), exact.

    The advance must be a non-negative whole number of 0.01 kWh, so the product needs no rounding.
    """
    if advance < 0 or not is_multiple_of(advance, ENERGY_SCALE):
        raise ValueError(f"an advance must be a non-negative multiple of 0.01, not {advance}")
    if multiplier < 1:
        raise ValueError(f"a multiplier is at least 1, not {multiplier}")
    return quantize_energy(advance * multiplier)


__all__ = [
    "ROLLOVER_SUSPICION_FRACTION",
    "billed_energy",
    "dial_capacity",
    "is_rolled_over",
    "is_suspicious_rollover",
    "register_advance",
]
