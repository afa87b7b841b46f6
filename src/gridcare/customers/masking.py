"""Partial masking of personal data shown on pages and kept in the audit log (身份证号, phones).

The rules live in :mod:`gridcare.kit.masking`; this module is where the customer file reaches
them. Who may see values unmasked is :data:`~gridcare.identity.permissions.Permission.UNMASK_PII`.
"""

from __future__ import annotations

from gridcare.kit.masking import (
    MASK,
    mask_bank_account_no,
    mask_id_number,
    mask_landline,
    mask_middle,
    mask_mobile,
    mask_personal_values,
)

__all__ = [
    "MASK",
    "mask_bank_account_no",
    "mask_id_number",
    "mask_landline",
    "mask_middle",
    "mask_mobile",
    "mask_personal_values",
]
