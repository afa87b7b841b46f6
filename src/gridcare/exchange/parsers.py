"""Cell parsers: the text of one cell to the value stored, or a :class:`GridCareError` saying why not.

Each parser reads non-blank text (the import treats blank cells itself: a required column
reports :class:`~gridcare.exchange.errors.ValueRequired`, an optional one takes its default)
and carries a ``hint`` shown in the upload page's column help. :func:`format_cell` is the
inverse used by exports, so an exported file imports back unchanged.

Dates and times are ISO 8601. A date and time without an offset is Beijing time
(Asia/Shanghai), whatever the server's time zone; exports write the offset (``+08:00``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Choices
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from gridcare.exchange.errors import (
    BooleanInvalid,
    ChoiceInvalid,
    DateInvalid,
    DateTimeInvalid,
    EmailInvalid,
    IntegerInvalid,
    NumberInvalid,
    NumberNegative,
    NumberOutOfRange,
    NumberTooPrecise,
    TextHasControlCharacter,
    TextTooLong,
)
from gridcare.kit.decimals import read_written_number
from gridcare.kit.energy import parse_energy
from gridcare.kit.text import first_forbidden_character

#: Business time: a date and time written without an offset is local time here.
BUSINESS_TIME_ZONE = ZoneInfo("Asia/Shanghai")

_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否"})
_INTEGER = re.compile(r"[-+]?\d+")


@dataclass(frozen=True)
class Text:
    """Free text up to ``max_length`` characters, surrounding spaces removed, without control
    characters (see :mod:`gridcare.kit.text`); ``check`` (one of the shared validators, e.g.
    ``validate_id_number``) may refuse or normalize it."""

    max_length: int
    check: Callable[[str], str] | None = None

    def parse(self, text: str) -> str:
        value = text.strip()
        forbidden = first_forbidden_character(value)
        if forbidden is not None:
            raise TextHasControlCharacter(position=forbidden[0], code_point=forbidden[1])
        if self.check is not None:
            value = self.check(value)
        if len(value) > self.max_length:
            raise TextTooLong(max_length=self.max_length)
        return value

    @property
    def hint(self) -> str | Promise:
        return format_lazy(_("text, at most {} characters"), self.max_length)


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of codes (a model's choices), matched without regard to case."""

    values: Sequence[str]

    @classmethod
    def of(cls, choices: type[Choices]) -> Choice:
        return cls(values=tuple(str(value) for value in choices.values))

    def parse(self, text: str) -> str:
        wanted = text.strip().casefold()
        for value in self.values:
            if value.casefold() == wanted:
                return value
        raise ChoiceInvalid(value=text, allowed=", ".join(self.values))

    @property
    def hint(self) -> str | Promise:
        return format_lazy(_("one of: {}"), ", ".join(self.values))


@dataclass(frozen=True)
class Number:
    """A non-negative decimal that fits a ``DecimalField(max_digits, decimal_places)``, no larger
    than ``maximum`` if given. Written with digits, optional comma thousands separators and a
    decimal point: exponents, NaN, infinity and anything finer than the column are refused,
    never rounded."""

    max_digits: int
    decimal_places: int
    maximum: Decimal | None = None

    def parse(self, text: str) -> Decimal:
        stripped = text.strip()
        if stripped.startswith("-") and read_written_number(stripped[1:].strip()) is not None:
            raise NumberNegative(value=text)
        number = read_written_number(stripped)
        if number is None:
            raise NumberInvalid(value=text)
        # The range first: quantizing a number of more than 28 digits would overflow.
        if number > self.largest:
            raise NumberOutOfRange(value=text, minimum=0, maximum=self.largest)
        step = Decimal(1).scaleb(-self.decimal_places)
        if number != number.quantize(step):
            raise NumberTooPrecise(value=text, decimal_places=self.decimal_places)
        return number.quantize(step)

    @property
    def largest(self) -> Decimal:
        """The largest value the column holds (or ``maximum``)."""
        step = Decimal(1).scaleb(-self.decimal_places)
        column_largest = Decimal(10) ** (self.max_digits - self.decimal_places) - step
        return min(column_largest, self.maximum) if self.maximum is not None else column_largest

    @property
    def hint(self) -> str | Promise:
        return format_lazy(_("number from 0 to {}, at most {} decimals"), self.largest, self.decimal_places)


@dataclass(frozen=True)
class Energy:
    """A register reading in kWh (kvarh), parsed by :func:`gridcare.kit.energy.parse_energy`:
    non-negative, at most 2 decimals. Whether it fits the meter's dial is the metering rules'
    question."""

    def parse(self, text: str) -> Decimal:
        return parse_energy(text)

    @property
    def hint(self) -> str | Promise:
        return _("reading (kWh or kvarh), at most 2 decimals")


@dataclass(frozen=True)
class Integer:
    """A whole number from ``minimum`` to ``maximum``."""

    minimum: int
    maximum: int

    def parse(self, text: str) -> int:
        stripped = text.strip()
        if not _INTEGER.fullmatch(stripped):
            raise IntegerInvalid(value=text)
        number = int(stripped)
        if not self.minimum <= number <= self.maximum:
            raise NumberOutOfRange(value=text, minimum=self.minimum, maximum=self.maximum)
        return number

    @property
    def hint(self) -> str | Promise:
        return format_lazy(_("whole number from {} to {}"), self.minimum, self.maximum)


@dataclass(frozen=True)
class Boolean:
    """Yes or no: ``true``/``false`` (exports write these), also 1/0, yes/no, y/n, 是/否."""

    def parse(self, text: str) -> bool:
        word = text.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise BooleanInvalid(value=text)

    @property
    def hint(self) -> str | Promise:
        return _("true or false")


@dataclass(frozen=True)
class IsoDate:
    """An ISO 8601 date, ``2025-03-01`` (a spreadsheet date cell arrives as midnight of the day)."""

    def parse(self, text: str) -> date:
        stripped = text.strip()
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(stripped)
        except ValueError:
            raise DateInvalid(value=text) from None
        if moment.time() != time(0) or moment.tzinfo is not None:
            raise DateInvalid(value=text)
        return moment.date()

    @property
    def hint(self) -> str | Promise:
        return _("date, YYYY-MM-DD")


@dataclass(frozen=True)
class IsoDateTime:
    """An ISO 8601 date and time; without an offset it is Beijing time (Asia/Shanghai)."""

    def parse(self, text: str) -> datetime:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise DateTimeInvalid(value=text) from None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=BUSINESS_TIME_ZONE)
        return moment

    @property
    def hint(self) -> str | Promise:
        return _("date and time, YYYY-MM-DDTHH:MM:SS (Beijing time) or with an offset such as +08:00")


@dataclass(frozen=True)
class Email:
    """An email address."""

    max_length: ClassVar[int] = 254

    def parse(self, text: str) -> str:
        value = text.strip()
        try:
            validate_email(value)
        except ValidationError:
            raise EmailInvalid(value=text) from None
        return value

    @property
    def hint(self) -> str | Promise:
        return _("email address")


Parser = Text | Choice | Number | Energy | Integer | Boolean | IsoDate | IsoDateTime | Email


def format_cell(value: Any) -> str:
    """The text an export writes for ``value``: what the matching parser reads back unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TIME_ZONE).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
