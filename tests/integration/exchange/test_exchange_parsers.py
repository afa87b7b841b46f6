"""Cell parsers and formatters: strict in what they read, exact in what they write (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gridcare.customers.models import VoltageLevel
from gridcare.exchange.files import xlsx_cell_text
from gridcare.exchange.parsers import (
    BUSINESS_TIME_ZONE,
    Boolean,
    Choice,
    Integer,
    IsoDate,
    IsoDateTime,
    Number,
    Text,
    format_cell,
)
from gridcare.kit.errors import GridCareError


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.5", Decimal("1234.50")), (" 0 ", Decimal("0.00")), ("99999999.99", Decimal("99999999.99"))],
)
def test_numbers_are_read_exactly(text: str, value: Decimal) -> None:
    parsed = Number(max_digits=10, decimal_places=2).parse(text)

    assert (parsed, str(parsed)) == (value, str(value))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1e3", "number_invalid"),
        ("NaN", "number_invalid"),
        ("inf", "number_invalid"),
        ("1.2.3", "number_invalid"),
        ("12,34", "number_invalid"),
        ("0.001", "number_too_precise"),
        ("-0.5", "number_negative"),
        ("100000000", "number_out_of_range"),
    ],
)
def test_numbers_that_are_not_plainly_written_or_do_not_fit_are_refused(text: str, code: str) -> None:
    with pytest.raises(GridCareError) as refused:
        Number(max_digits=10, decimal_places=2).parse(text)

    assert refused.value.code == code


def test_a_number_can_have_a_lower_maximum_than_its_column() -> None:
    percent = Number(max_digits=5, decimal_places=2, maximum=Decimal("99.99"))

    assert percent.parse("99.99") == Decimal("99.99")
    with pytest.raises(GridCareError, match=r"from 0 to 99\.99"):
        percent.parse("100")


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("+7", 7), (" 28 ", 28)])
def test_integers(text: str, value: int) -> None:
    assert Integer(minimum=1, maximum=28).parse(text) == value


@pytest.mark.parametrize("text", ["5.0", "five", "29", "0"])
def test_integers_refused(text: str) -> None:
    with pytest.raises(GridCareError):
        Integer(minimum=1, maximum=28).parse(text)


@pytest.mark.parametrize(
    ("text", "value"), [("TRUE", True), ("是", True), ("1", True), ("n", False), ("否", False)]
)
def test_booleans(text: str, value: bool) -> None:
    assert Boolean().parse(text) is value


def test_a_boolean_refuses_other_words() -> None:
    with pytest.raises(GridCareError) as refused:
        Boolean().parse("maybe")

    assert refused.value.code == "boolean_invalid"


def test_dates_accept_a_midnight_datetime_from_a_spreadsheet() -> None:
    assert IsoDate().parse("2025-03-01") == date(2025, 3, 1)
    assert IsoDate().parse("2025-03-01T00:00:00") == date(2025, 3, 1)
    with pytest.raises(GridCareError):
        IsoDate().parse("2025-03-01T08:00:00")
    with pytest.raises(GridCareError):
        IsoDate().parse("01/03/2025")


def test_naive_datetimes_are_beijing_time_and_offsets_are_kept() -> None:
    assert IsoDateTime().parse("2025-03-01T08:00:00") == datetime(2025, 3, 1, 8, tzinfo=BUSINESS_TIME_ZONE)
    assert IsoDateTime().parse("2025-03-01T00:00:00Z") == datetime(2025, 3, 1, 8, tzinfo=BUSINESS_TIME_ZONE)


def test_choices_match_without_regard_to_case() -> None:
    assert Choice.of(VoltageLevel).parse("10KV") == "10kV"
    with pytest.raises(GridCareError, match="220V, 380V, 10kV"):
        Choice.of(VoltageLevel).parse("11kV")


def test_text_is_stripped_and_limited() -> None:
    assert Text(max_length=4).parse(" abcd ") == "abcd"
    with pytest.raises(GridCareError) as refused:
        Text(max_length=4).parse("abcde")

    assert refused.value.message("en") == "Too long: at most 4 characters."


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (Decimal("1.50"), "1.50"),
        (Decimal("1E+2"), "100"),
        (date(2025, 3, 1), "2025-03-01"),
        (datetime(2025, 3, 1, 0, 30, tzinfo=UTC), "2025-03-01T08:30:00+08:00"),
        (7, "7"),
    ],
)
def test_exports_write_what_the_parsers_read(value: object, text: str) -> None:
    assert format_cell(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1200.5, "1200.5"),
        (2.0, "2"),
        (3, "3"),
        (0.1, "0.1"),
        (datetime(2025, 3, 1, 8), "2025-03-01T08:00:00"),
        (None, ""),
    ],
)
def test_spreadsheet_cells_become_the_text_a_csv_would_hold(value: object, text: str) -> None:
    assert xlsx_cell_text(value) == text


def test_a_number_too_long_for_any_column_is_out_of_range_not_a_crash() -> None:
    with pytest.raises(GridCareError) as refused:
        Number(max_digits=10, decimal_places=2).parse("1" * 40 + ".5")

    assert refused.value.code == "number_out_of_range"
