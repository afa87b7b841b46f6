"""Partial masking of personal data (身份证号, phones, bank accounts): the one place the mask
rules live, for pages, exports, logs and the audit log."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

MASK = "*"


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    """``value`` with all but its first ``keep_start`` and last ``keep_end`` characters masked;
    a value too short to keep both ends is masked whole."""
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str | None) -> str:
    """A 身份证号 with its first three and last four kept: ``110***********1234``."""
    return mask_middle(value or "", keep_start=3, keep_end=4)


def mask_mobile(value: str | None) -> str:
    """A mobile number with the operator prefix and last four kept: ``138****5678``."""
    return mask_middle(value or "", keep_start=3, keep_end=4)


def mask_landline(value: str | None) -> str:
    """A landline with its area code (up to the dash) and last two kept: ``0531-******88``."""
    text = value or ""
    area, dash, number = text.partition("-")
    if dash:
        return area + dash + mask_middle(number, keep_start=0, keep_end=2)
    return mask_middle(text, keep_start=3, keep_end=2)


def mask_bank_account_no(value: str | None) -> str:
    """A bank account number with its last four kept: ``***************1234``."""
    return mask_middle(value or "", keep_start=0, keep_end=4)


#: The mask of each kind of personal value, by the field name it is stored under.
MASKS_BY_FIELD: Mapping[str, Callable[[str | None], str]] = {
    "id_number": mask_id_number,
    "mobile": mask_mobile,
    "landline": mask_landline,
    "bank_account_no": mask_bank_account_no,
}


def mask_personal_values(value: object) -> object:
    """``value`` with the values of known personal keys (:data:`MASKS_BY_FIELD`) masked, in
    nested mappings and lists too (an ``[old, new]`` pair under ``mobile`` is masked item by
    item); other values unchanged."""
    if isinstance(value, Mapping):
        return {
            key: _masked_as(MASKS_BY_FIELD[key], item)
            if key in MASKS_BY_FIELD
            else mask_personal_values(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_personal_values(item) for item in value]
    return value


def _masked_as(mask: Callable[[str | None], str], value: object) -> object:
    if isinstance(value, str):
        return mask(value) if value else value
    if isinstance(value, list | tuple):
        return [_masked_as(mask, item) for item in value]
    return value


#: A 身份证号 or a mainland mobile number standing alone in free text (not inside a longer
#: run of digits such as a hash or an amount).
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


def mask_personal_text(text: str) -> str:
    """``text`` with every 身份证号 and mobile number in it masked (for log lines, where a
    search URL such as ``/accounts/?q=13812345678`` would otherwise keep the number)."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda found: mask_id_number(found.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda found: mask_mobile(found.group()), text)


class PersonalDataLogFilter(logging.Filter):
    """A logging filter that masks ID numbers and mobiles in each record's formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# cashier (issue 6): the customer's name on receipts handed over the counter
def mask_person_name(value: str | None) -> str:
    """A name with its first character kept (and its last, from three characters on): ``张*``,
    ``张*丰``; receipts print the payer's name so."""
    text = (value or "").strip()
    if len(text) <= 2:
        return text[:1] + MASK * (len(text) - 1) if text else ""
    return mask_middle(text, keep_start=1, keep_end=1)
