"""Partial masking of personal data shown on pages and kept in the audit log (身份证号, mobiles).

The full PII rules (who may unmask, audited reveals) come with the identity issue.
"""

from __future__ import annotations

MASK = "*"


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    """``value`` with all but its first ``keep_start`` and last ``keep_end`` characters masked;
    a value too short to keep both ends is masked whole."""
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str | None) -> str:
    """A 身份证号 with the region code and last four kept: ``110101********1234``."""
    return mask_middle(value or "", keep_start=6, keep_end=4)


def mask_mobile(value: str | None) -> str:
    """A mobile number with the operator prefix and last four kept: ``138****5678``."""
    return mask_middle(value or "", keep_start=3, keep_end=4)
