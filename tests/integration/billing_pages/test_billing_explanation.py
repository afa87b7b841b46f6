"""The explanation in words (gridcare.billing.explanation): numbers without exponent or trailing
zeros, known names labelled, unknown ones made readable, a fixed order, nested values."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from gridcare.billing.explanation import Fact, facts, plain_number, rule_label


def test_plain_numbers_drop_trailing_zeros_and_never_use_exponents() -> None:
    assert [
        plain_number(value)
        for value in (Decimal("240.0000"), Decimal("0.488300"), Decimal("-200.0000"), Decimal("0.0000"))
    ] == ["240", "0.4883", "-200", "0"]


def test_facts_label_known_names_order_them_and_nest_values() -> None:
    with translation.override("en"):
        shown = facts(
            {
                "zz_new_input": True,
                "flags": [],
                "points": [{"reads": [1, 2], "multiplier": 40, "code": "MP-1"}],
                "energy_kwh": {"total": "170.000"},
            }
        )

        assert [(fact.name, str(fact.label), fact.value) for fact in shown] == [
            ("energy_kwh", "Energy (kWh)", ""),
            ("points", "Metering points", ""),
            ("flags", "Flags", "—"),
            ("zz_new_input", "Zz new input", "✓"),
        ]
        (point,) = shown[1].children
        assert point == Fact(
            name="points.1",
            label="1",
            children=(
                Fact(name="code", label=point.children[0].label, value="MP-1"),
                Fact(name="multiplier", label=point.children[1].label, value="40"),
                Fact(name="reads", label=point.children[2].label, value="1, 2"),
            ),
        )
        assert [str(child.label) for child in point.children] == [
            "Metering point code",
            "Multiplier",
            "Reads",
        ]
        assert str(rule_label("basic_charge.demand")) == (
            "Basic charge by maximum demand: billed kW × price per kW and month"
        )
        assert rule_label("a_new_rule") == "a_new_rule"
