"""check_meter_dial, check_accuracy_class and check_no_overlap on unsaved records (no database)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridcare.metering.errors import AccuracyClassUnknown, InstallationOverlaps, MeterDialInvalid
from gridcare.metering.models import ACCURACY_CLASSES, Meter, MeteringPoint
from gridcare.metering.rules import check_accuracy_class, check_meter_dial, check_no_overlap

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTALLED_AT = datetime(2025, 2, 5, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("integer_digits", "decimal_digits"), [(4, 0), (6, 2), (10, 2), (8, 1)])
def test_dials_of_4_to_10_integer_and_0_to_2_decimal_digits_are_accepted(
    integer_digits: int, decimal_digits: int
) -> None:
    check_meter_dial(asset_no="3710001000001", integer_digits=integer_digits, decimal_digits=decimal_digits)


@pytest.mark.parametrize(("integer_digits", "decimal_digits"), [(3, 2), (11, 2), (6, 3), (6, -1), (0, 0)])
def test_other_dials_are_refused(integer_digits: int, decimal_digits: int) -> None:
    with pytest.raises(MeterDialInvalid) as refused:
        check_meter_dial(
            asset_no="3710001000001", integer_digits=integer_digits, decimal_digits=decimal_digits
        )

    assert (refused.value.field, refused.value.message("en")) == (
        "integer_digits",
        "Meter 3710001000001 has an invalid dial: 4 to 10 integer digits and 0 to 2 decimal digits.",
    )


@pytest.mark.parametrize("accuracy_class", ACCURACY_CLASSES)
def test_known_accuracy_classes_are_accepted(accuracy_class: str) -> None:
    check_accuracy_class(asset_no="3710001000001", accuracy_class=accuracy_class)


@pytest.mark.parametrize("accuracy_class", ["3", "0.2s", ""])
def test_unknown_accuracy_classes_are_refused(accuracy_class: str) -> None:
    with pytest.raises(AccuracyClassUnknown) as refused:
        check_accuracy_class(asset_no="3710001000001", accuracy_class=accuracy_class)

    assert refused.value.message("en") == (
        f"Meter 3710001000001 has an unknown accuracy class {accuracy_class}."
    )


METER = Meter(asset_no="3710001000001")
POINT = MeteringPoint(code="MP0001")


@pytest.mark.parametrize("subject", [METER, POINT])
@pytest.mark.parametrize("last_removed_at", [None, INSTALLED_AT, datetime(2025, 2, 1, 9, 0, tzinfo=SHANGHAI)])
def test_an_install_at_or_after_the_last_removal_is_accepted(
    subject: Meter | MeteringPoint, last_removed_at: datetime | None
) -> None:
    check_no_overlap(subject=subject, installed_at=INSTALLED_AT, last_removed_at=last_removed_at)


@pytest.mark.parametrize(
    ("subject", "subject_en"), [(METER, "meter 3710001000001"), (POINT, "metering point MP0001")]
)
def test_an_install_before_the_last_removal_is_refused_naming_the_subject(
    subject: Meter | MeteringPoint, subject_en: str
) -> None:
    last_removed_at = datetime(2025, 2, 10, 9, 0, tzinfo=SHANGHAI)

    with pytest.raises(InstallationOverlaps) as refused:
        check_no_overlap(subject=subject, installed_at=INSTALLED_AT, last_removed_at=last_removed_at)

    assert (refused.value.field, refused.value.message("en")) == (
        "installed_at",
        f"The installation time 2025-02-05 09:00:00 is before the last removal from {subject_en} at "
        "2025-02-10 09:00:00; installations cannot overlap.",
    )
