"""The tariff document schema: the reference tariffs read as written, and each malformed
document is refused with the field at fault."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gridcare.billing.engine.tariff import TierBasis, parse_tariff_document, tariff_json_schema

CATALOG = Path(__file__).resolve().parents[3] / "src" / "gridcare" / "tariffs" / "catalog"


def catalog_document(code: str) -> dict[str, Any]:
    return dict(json.loads((CATALOG / f"{code}.json").read_text()))


def test_the_reference_tariffs_say_what_the_issue_requires() -> None:
    beijing = parse_tariff_document(catalog_document("CN-BJ-RES-2012"))
    assert beijing.energy.tiers is not None
    assert (beijing.energy.tiers.basis, beijing.energy.tiers.thresholds_kwh) == (
        TierBasis.MONTHLY,
        (Decimal(240), Decimal(400)),
    )
    assert [beijing.energy.price(period="flat", tier=t) for t in range(3)] == [
        Decimal("0.4883"),
        Decimal("0.5383"),
        Decimal("0.7883"),
    ]
    shanghai = parse_tariff_document(catalog_document("CN-SH-RES-TOU"))
    assert shanghai.energy.tiers is not None
    assert shanghai.energy.tiers.basis is TierBasis.ANNUAL
    assert [shanghai.energy.price(period="valley", tier=t) for t in range(3)] == [
        Decimal("0.307"),
        Decimal("0.337"),
        Decimal("0.487"),
    ]
    industry = parse_tariff_document(catalog_document("DEMO-GD-LI-2P"))
    assert {p: industry.energy.price(period=p, tier=0) for p in industry.energy.periods} == {
        "sharp": Decimal("1.38125"),
        "peak": Decimal("1.10500"),
        "flat": Decimal("0.65000"),
        "valley": Decimal("0.24700"),
    }
    assert industry.basic_charge is not None
    assert industry.power_factor is not None
    assert (industry.basic_charge.demand_price, industry.basic_charge.capacity_price) == (
        Decimal("32.00"),
        Decimal("22.00"),
    )
    assert (industry.power_factor.standard, industry.funds[0].price_per_kwh) == ("0.90", Decimal("0.02900"))


def refusal(document: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        parse_tariff_document(document)
    return [(tuple(error["loc"]), error["msg"]) for error in raised.value.errors()]


def test_a_period_without_a_price_per_tier_is_refused() -> None:
    document = catalog_document("CN-ZJ-RES-TOU")
    document["energy"]["prices"]["valley"] = ["0.288", "0.338"]
    assert refusal(document) == [(("energy",), "Value error, period valley needs 3 prices, one per tier")]


def test_a_schedule_naming_an_unpriced_period_is_refused() -> None:
    document = catalog_document("CN-SH-RES-TOU")
    document["schedule"]["default_period"] = "flat"
    assert refusal(document) == [
        ((), "Value error, the schedule names periods the energy prices do not: ['flat']")
    ]


def test_tier_thresholds_must_increase_and_seasons_cover_the_year() -> None:
    document = catalog_document("CN-BJ-RES-2012")
    document["energy"]["tiers"]["thresholds_kwh"] = ["400", "240"]
    assert refusal(document) == [(("energy", "tiers"), "Value error, tier thresholds must increase")]
    seasonal = copy.deepcopy(catalog_document("CN-BJ-RES-2012"))
    seasonal["energy"]["tiers"] = {
        "basis": "seasonal_monthly",
        "seasons": [
            {"months": [5, 6, 7, 8, 9, 10], "thresholds_kwh": ["260", "600"]},
            {"months": [11, 12, 1, 2, 3], "thresholds_kwh": ["200", "400"]},
        ],
    }
    assert refusal(seasonal) == [
        (("energy", "tiers"), "Value error, the seasons must cover each month exactly once")
    ]
    seasonal["energy"]["tiers"]["seasons"][1]["months"].append(4)
    guangdong = parse_tariff_document(seasonal)
    assert guangdong.energy.tiers is not None
    assert guangdong.energy.tiers.thresholds_for(month=4) == (Decimal(200), Decimal(400))
    assert guangdong.energy.tiers.thresholds_for(month=7) == (Decimal(260), Decimal(600))


def test_bad_times_unknown_day_kinds_and_unknown_fields_are_refused() -> None:
    document = catalog_document("DEMO-GD-LI-2P")
    document["schedule"]["rules"][1]["hours"][0]["end"] = "8:00"
    assert refusal(document) == [
        (
            ("schedule", "rules", 1, "hours", 0, "end"),
            "Value error, a time of day is written HH:MM, 00:00 to 24:00",
        )
    ]
    document = catalog_document("DEMO-GD-LI-2P")
    document["schedule"]["rules"][0]["days"] = "hot_day"
    assert refusal(document) == [
        ((), "Value error, schedule rule days 'hot_day' is neither a day kind nor a day type")
    ]
    document = catalog_document("CN-ZJ-RES-TIER")
    document["energy"]["price"] = {"flat": ["0.5"]}
    assert refusal(document) == [(("energy", "price"), "Extra inputs are not permitted")]


def test_prices_are_exact_decimals_never_floats() -> None:
    document = catalog_document("CN-ZJ-RES-TIER")
    document["energy"]["prices"]["flat"] = [0.538, "0.588", "0.838"]
    parsed = parse_tariff_document(document)
    assert parsed.energy.price(period="flat", tier=0) == Decimal("0.538")


def test_the_json_schema_names_every_top_level_field() -> None:
    schema = tariff_json_schema()
    assert set(schema["properties"]) == {
        "format",
        "code",
        "name_zh",
        "name_en",
        "energy",
        "schedule",
        "allowances",
        "basic_charge",
        "power_factor",
        "funds",
        "fixed_charges",
        "minimum_charge_per_month",
    }
    assert schema["required"] == ["code", "name_zh", "name_en", "energy"]
