"""Checks on the identifiers a user carries."""

from __future__ import annotations

import re

from gridcare.identity.errors import MobileInvalid

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def validate_mobile(value: str) -> str:
    """A mainland mobile number, 11 digits starting 13–19, with spaces, dashes and +86 removed;
    else :class:`~gridcare.identity.errors.MobileInvalid`."""
    normalized = value.strip().replace(" ", "").replace("-", "")
    if normalized.startswith("+86"):
        normalized = normalized[3:]
    if not _MOBILE.match(normalized):
        raise MobileInvalid(field="mobile", value=value)
    return normalized
