"""The explainable bill in words: a bill line's rule and inputs, and the usage explanation stored
in ``Bill.usage`` (reads, multiplier, losses, deductions, estimates), as labelled facts a page
or the PDF lists.

The stored explanations are JSON of any depth; known names get a label in the UI language,
unknown ones a readable form of their name (so a new input shows up, never disappears).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: What each rule of the engine (billing/engine/reference.py) computes.
RULE_LABELS: dict[str, Promise] = {
    "energy": _("Energy charge: kWh × price of the period"),
    "tier": _("Tiered energy charge: kWh in the tier × price of the tier and period"),
    "allowance.low_income": _("Free kWh of a low-income household"),
    "basic_charge.capacity": _("Basic charge by capacity: kVA × price per kVA and month"),
    "basic_charge.demand": _("Basic charge by maximum demand: billed kW × price per kW and month"),
    "power_factor": _("Power-factor adjustment: percentage of the basic and energy charges"),
    "fund": _("Government fund: billed kWh × rate"),
    "fixed_charge": _("Fixed monthly charge"),
    "minimum_charge": _("Minimum charge top-up"),
}

#: Labels of the names found in line inputs and usage explanations.
NAME_LABELS: dict[str, Promise] = {
    "adjustment": _("Adjustment"),
    "applied_kwh": _("Deducted kWh"),
    "average_kwh_12_months": _("12-month average for the period (kWh)"),
    "bill_kwh": _("kWh of the bill"),
    "billed_kwh": _("Billed kWh"),
    "capacity_kva": _("Capacity (kVA)"),
    "child_code": _("Sub-meter"),
    "code": _("Metering point code"),
    "contract_demand_kw": _("Contract demand (kW)"),
    "counted": _("Counted in the account's usage"),
    "deductions": _("Sub-meter deductions"),
    "energy_kwh": _("Energy (kWh)"),
    "estimated_reads": _("Estimated reads"),
    "exceptions": _("Review exceptions"),
    "flags": _("Flags"),
    "free_kwh_per_month": _("Free kWh per month"),
    "inputs": _("Inputs"),
    "line_loss_kwh": _("Line loss (kWh)"),
    "max_demand_kw": _("Maximum demand (kW)"),
    "metered_kwh": _("Metered (kWh)"),
    "metering_point_id": _("Metering point id"),
    "minimum_charge": _("Minimum charge"),
    "multiplier": _("Multiplier"),
    "period": _("Period"),
    "period_kwh": _("kWh of the period"),
    "points": _("Metering points"),
    "power_factor": _("Power factor"),
    "reactive_forward_kvarh": _("Reactive, forward (kvarh)"),
    "reactive_reverse_kvarh": _("Reactive, reverse (kvarh)"),
    "reads": _("Reads"),
    "reason": _("Reason"),
    "requested_kwh": _("Sub-meter kWh"),
    "reverses_line": _("Reverses line"),
    "spans": _("Meter spans"),
    "subtotal": _("Subtotal"),
    "thresholds_kwh": _("Tier thresholds (kWh)"),
    "tier_axis_start_kwh": _("kWh before the bill on the tier axis"),
    "tier_kwh": _("kWh in the tier"),
    "tier_year_kwh_before": _("kWh billed earlier in the tier year"),
    "total": _("Total"),
    "transformer_loss_kwh": _("Transformer loss (kWh)"),
    "usage": _("Usage"),
}


@dataclass(frozen=True, kw_only=True)
class Fact:
    """One labelled value of an explanation; a nested mapping or list becomes ``children``."""

    name: str
    label: str | Promise
    value: str = ""
    children: tuple[Fact, ...] = field(default_factory=tuple)


def label_of(name: str) -> str | Promise:
    """The label of an explanation's name: a known one's, else the name made readable."""
    return NAME_LABELS.get(name) or name.replace("_", " ").capitalize()


def rule_label(rule: str) -> str | Promise:
    """What ``rule`` computes, or the rule's own name when it is not a known one."""
    return RULE_LABELS.get(rule, rule)


def plain_number(value: Decimal) -> str:
    """``value`` without trailing zeros and never in exponent form: 240.0000 → ``240``,
    0.488300 → ``0.4883``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


#: Names shown first, in this order (how usage comes about: the energy, then each point from its
#: reads to its losses and deductions); other names follow alphabetically. A fixed order, not
#: the stored one: PostgreSQL's jsonb keeps object keys in an order of its own.
LEADING_NAMES = (
    "usage",
    "energy_kwh",
    "points",
    "code",
    "multiplier",
    "spans",
    "reads",
    "metered_kwh",
    "line_loss_kwh",
    "transformer_loss_kwh",
    "deductions",
    "estimated_reads",
    "flags",
)


def facts(value: Mapping[str, Any]) -> tuple[Fact, ...]:
    """The facts of a stored explanation (a JSON object): :data:`LEADING_NAMES` first, in their
    order, then the other names alphabetically."""
    ordered = sorted(
        value.items(),
        key=lambda item: (
            LEADING_NAMES.index(item[0]) if item[0] in LEADING_NAMES else len(LEADING_NAMES),
            item[0],
        ),
    )
    return tuple(_fact(str(name), item) for name, item in ordered)


def _fact(name: str, value: Any) -> Fact:
    if isinstance(value, Mapping):
        return Fact(name=name, label=label_of(name), children=facts(value))
    if isinstance(value, Sequence) and not isinstance(value, str):
        if all(not isinstance(item, Mapping | list) for item in value):
            listed = ", ".join(_text(item) for item in value)
            return Fact(name=name, label=label_of(name), value=listed or _text(None))
        return Fact(
            name=name,
            label=label_of(name),
            children=tuple(
                _fact(f"{name}.{index}", item)
                if not isinstance(item, Mapping)
                else Fact(name=f"{name}.{index}", label=f"{index}", children=facts(item))
                for index, item in enumerate(value, start=1)
            ),
        )
    return Fact(name=name, label=label_of(name), value=_text(value))


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "✓"
    if value is False:
        return "✗"
    return str(value)
