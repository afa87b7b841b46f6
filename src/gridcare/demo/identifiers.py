"""Synthetic but valid Chinese identifiers for the demo customers.

A 居民身份证号码 (GB 11643-1999) is 6 region digits, the birth date, a 3-digit order code and
an ISO 7064 MOD 11-2 check character. A 统一社会信用代码 (GB 32100-2015) is the registering
authority and entity type, 6 region digits, a 9-character organization code (GB 11714, with its
own MOD 11 check character) and a MOD 31 check character.

Uniqueness without bookkeeping: the n-th identifier of a run is drawn from a bijective affine
permutation of the code space, so distinct ``n`` always give distinct identifiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORDER_CODES = 1000
_ORGANIZATION_BODIES = 10**8


def resident_id_check_character(body: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the 17 leading digits of a 身份证号.

    The check character C makes ``sum(a_i * 2 ** (18 - i)) ≡ 1 (mod 11)`` over all 18
    positions, so ``C ≡ 1 - 2 * sum(a_i * 2 ** (17 - i))``; reading the body in base 13
    computes that sum modulo 11 in one C call, because 13 ≡ 2 (mod 11).
    """
    if len(body) != 17 or not body.isdigit():
        raise ValueError(f"a resident ID body is 17 digits, not {body!r}")
    check = (1 - 2 * int(body, 13)) % 11
    return "X" if check == 10 else str(check)


def organization_code_check_character(body: str) -> str:
    """The GB 11714 check character of an 8-character organization code body."""
    if len(body) != 8:
        raise ValueError(f"an organization code body has 8 characters, not {body!r}")
    # Digits count their value, letters A–Z 10–35.
    total = sum(
        int(character, 36) * weight
        for character, weight in zip(body, _ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def credit_code_check_character(body: str) -> str:
    """The GB 32100 check character of the 17 leading characters of a 统一社会信用代码."""
    if len(body) != 17:
        raise ValueError(f"a credit code body has 17 characters, not {body!r}")
    total = sum(
        _CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(body, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return _CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class AffinePermutation:
    """``n ↦ (multiplier · n + offset) mod size``: a bijection of ``range(size)`` when the
    multiplier is coprime with the size."""

    size: int
    multiplier: int
    offset: int

    def __post_init__(self) -> None:
        if self.size < 1 or math.gcd(self.multiplier, self.size) != 1:
            raise ValueError(f"multiplier {self.multiplier} is not coprime with size {self.size}")

    @classmethod
    def from_draws(cls, *, size: int, multiplier_draw: int, offset_draw: int) -> AffinePermutation:
        """The permutation whose multiplier is the first number from ``multiplier_draw`` up that
        is coprime with ``size``."""
        multiplier = max(multiplier_draw % size, 1)
        while math.gcd(multiplier, size) != 1:
            multiplier += 1
        return cls(size=size, multiplier=multiplier, offset=offset_draw % size)

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise ValueError(f"index {index} is outside the permutation of size {self.size}")
        return (self.multiplier * index + self.offset) % self.size


class ResidentIdNumbers:
    """Distinct valid 身份证号 for the 0th, 1st, 2nd … person of a run.

    A person is born between ``first_birth_date`` and ``last_birth_date``; the region code comes
    from the band the birth date falls in (``region_codes_by_band``: (first date of the band,
    codes)), so python-stdnum's check of the region against the birth year passes.
    """

    def __init__(
        self,
        *,
        first_birth_date: date,
        last_birth_date: date,
        region_codes_by_band: tuple[tuple[date, tuple[str, ...]], ...],
        multiplier_draw: int,
        offset_draw: int,
    ) -> None:
        band_sizes = {len(codes) for _start, codes in region_codes_by_band}
        if len(band_sizes) != 1:
            raise ValueError("every birth band needs the same number of region codes")
        self._first_birth_date = first_birth_date
        self._days = (last_birth_date - first_birth_date).days + 1
        self._bands = tuple(sorted(region_codes_by_band, reverse=True))
        self._codes_per_band = band_sizes.pop()
        # Birth date text and region codes per day offset, filled as days come up.
        self._day_parts: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._permutation = AffinePermutation.from_draws(
            size=self._days * self._codes_per_band * _ORDER_CODES,
            multiplier_draw=multiplier_draw,
            offset_draw=offset_draw,
        )

    @property
    def capacity(self) -> int:
        """How many distinct numbers this generator can give."""
        return self._permutation.size

    def number(self, index: int) -> str:
        """The ``index``-th resident ID number of the run."""
        position = self._permutation(index)
        day_offset, rest = position % self._days, position // self._days
        code_position, order_code = rest % self._codes_per_band, rest // self._codes_per_band
        birth_date_text, region_codes = self._day(day_offset)
        body = f"{region_codes[code_position]}{birth_date_text}{order_code:03d}"
        return body + resident_id_check_character(body)

    def _day(self, day_offset: int) -> tuple[str, tuple[str, ...]]:
        """The birth date as YYYYMMDD and the region codes of its band."""
        parts = self._day_parts.get(day_offset)
        if parts is None:
            birth_date = self._first_birth_date + timedelta(days=day_offset)
            codes = next(codes for start, codes in self._bands if birth_date >= start)
            parts = self._day_parts[day_offset] = (f"{birth_date:%Y%m%d}", codes)
        return parts


class CreditCodes:
    """Distinct valid 统一社会信用代码 for the 0th, 1st, 2nd … enterprise of a run."""

    def __init__(self, *, multiplier_draw: int, offset_draw: int) -> None:
        self._permutation = AffinePermutation.from_draws(
            size=_ORGANIZATION_BODIES, multiplier_draw=multiplier_draw, offset_draw=offset_draw
        )

    @property
    def capacity(self) -> int:
        """How many distinct codes this generator can give."""
        return self._permutation.size

    def code(self, index: int, *, region_code: str, entity_type: str = "1") -> str:
        """The ``index``-th credit code: registered by market regulation (``9``) as
        ``entity_type`` (``1`` enterprise, ``2`` individual business) in ``region_code``."""
        organization_body = f"{self._permutation(index):08d}"
        organization_code = organization_body + organization_code_check_character(organization_body)
        body = f"9{entity_type}{region_code}{organization_code}"
        return body + credit_code_check_character(body)
