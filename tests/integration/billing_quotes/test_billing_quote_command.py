"""``gridcare quote registers``: through call_command and as a real process (stdin ``-``,
exit status 2 on invalid input). Expected figures derived by hand in comments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

SOURCE = Path(__file__).resolve().parents[3] / "src"
BEIJING_DOCUMENT = json.loads(
    (SOURCE / "gridcare" / "tariffs" / "catalog" / "CN-BJ-RES-2012.json").read_text()
)

pytestmark = pytest.mark.django_db


def quote(tmp_path: Path, payload: Any) -> dict[str, Any]:
    request = tmp_path / "quote.json"
    request.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("quote", "registers", "--input", str(request), stdout=out)
    return dict(json.loads(out.getvalue()))


def test_a_catalog_tariff_quote_prints_the_lines_and_the_total(
    tmp_path: Path, beijing_450: dict[str, Any], beijing_450_answer: dict[str, Any]
) -> None:
    assert quote(tmp_path, beijing_450) == beijing_450_answer


def test_numbers_may_be_strings_and_an_annual_tier_year_carries(tmp_path: Path) -> None:
    # Zhejiang TOU, 2700 kWh billed before; peak 200 + valley 100: tier 1 60 (40 + 20), tier 2 240 (160 + 80).
    # 40 × 0.568 = 22.72; 20 × 0.288 = 5.76; 160 × 0.618 = 98.88; 80 × 0.338 = 27.04; total 154.40.
    answer = quote(
        tmp_path,
        {
            "tariff": "CN-ZJ-RES-TOU",
            "period_start": "2025-12-01",
            "period_end": "2026-01-01",
            "energy_kwh": {"peak": "200", "valley": 100},
            "tier_year_kwh_before": "2700",
        },
    )
    assert [(line["code"], line["quantity"], line["amount"]) for line in answer["lines"]] == [
        ("energy.peak.tier1", "40.000", "22.72"),
        ("energy.valley.tier1", "20.000", "5.76"),
        ("energy.peak.tier2", "160.000", "98.88"),
        ("energy.valley.tier2", "80.000", "27.04"),
    ]
    assert answer["total"] == "154.40"


def test_a_two_part_quote_with_decimal_json_numbers(tmp_path: Path) -> None:
    # DEMO-GD-LI-2P, 12 days of a month: energy 1000.5 flat × 0.65 = 650.325 → 650.33;
    # demand 424 kW on a 400 kW contract: 424 + (424 − 420) = 428 kW × 32.00 × 12 ÷ 30 = 5478.40;
    # PF 1000.5 / √(1000.5² + 400²) = 0.92854… → 0.93 → −0.45% of 6128.73 = −27.579285 → −27.58;
    # funds 1000.5 × 0.029 = 29.0145 → 29.01. Total 650.33 + 5478.40 − 27.58 + 29.01 = 6130.16.
    request = tmp_path / "quote.json"
    request.write_text(
        '{"tariff": "DEMO-GD-LI-2P", "period_start": "2025-03-01", "period_end": "2025-04-01",'
        ' "energy_kwh": {"sharp": 0, "peak": 0, "flat": 1000.5, "valley": 0},'
        ' "reactive_kvarh": {"forward": 300, "reverse": -100}, "basic_charge_method": "demand",'
        ' "max_demand_kw": 424, "contract_demand_kw": 400, "capacity_kva": 500, "days_used": 12}',
        encoding="utf-8",
    )
    out = StringIO()
    call_command("quote", "registers", "--input", str(request), stdout=out)
    answer = json.loads(out.getvalue())
    assert [
        (line["code"], line["quantity"], line["unit_price"], line["amount"]) for line in answer["lines"]
    ] == [
        ("energy.flat", "1000.5", "0.65000", "650.33"),
        ("basic_charge.demand", "428.00", "32.00", "5478.40"),
        ("power_factor", "6128.73", "-0.0045", "-27.58"),
        ("fund.government_funds", "1000.5", "0.02900", "29.01"),
    ]
    assert answer["total"] == "6130.16"


def test_an_inline_tariff_document_is_quoted(tmp_path: Path) -> None:
    # One flat price 0.5, no tiers: 123.45 × 0.5 = 61.725 → 61.73.
    tariff = {
        "code": "TRIAL-FLAT",
        "name_zh": "试算单一电价",
        "name_en": "Trial flat",
        "energy": {"periods": ["flat"], "prices": {"flat": ["0.5"]}},
    }
    answer = quote(
        tmp_path,
        {
            "tariff": tariff,
            "period_start": "2025-01-01",
            "period_end": "2025-02-01",
            "energy_kwh": {"total": "123.45"},
        },
    )
    line = {"code": "energy.flat", "name": "电度电费", "quantity": "123.45", "unit": "kWh"}
    assert answer == {"lines": [{**line, "unit_price": "0.5", "amount": "61.73"}], "total": "61.73"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"energy_kwh": {"total": "many"}}, "energy_kwh.total"),
        ({"energy_kwh": {"peak": 1}}, "energy_kwh"),
        ({"period_end": "2025-13-01"}, "period_end"),
        ({"period_start": None}, "period_start"),
        ({"tariff": "NO-SUCH-TARIFF"}, "tariff"),
        (
            {"tariff": {"code": "X1", "name_zh": "x", "name_en": "x", "energy": {"periods": []}}},
            "tariff.energy",
        ),
        ({"days_used": "2.5"}, "days_used"),
        ({"basic_charge_method": "kwh"}, "basic_charge_method"),
        ({"colour": "red"}, "colour"),
        ({"energy_kwh": {"total": "1e20"}}, "energy_kwh.total"),
    ],
)
def test_invalid_input_names_the_field_and_exits_2(
    tmp_path: Path, beijing_450: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(CommandError) as refused:
        quote(tmp_path, {**beijing_450, **change})
    assert refused.value.returncode == 2
    assert f'"{field}"' in str(refused.value)


def _run(*arguments: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter with fixed arguments
        [sys.executable, "-m", "gridcare", "quote", "registers", *arguments],
        input=stdin,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridcare.settings", "PYTHONPATH": str(SOURCE)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_reads_standard_input(
    beijing_450: dict[str, Any], beijing_450_answer: dict[str, Any]
) -> None:
    # The tariff inline: the process has no migrated database to find catalog codes in.
    finished = _run("--input", "-", stdin=json.dumps({**beijing_450, "tariff": BEIJING_DOCUMENT}))
    assert (finished.returncode, finished.stderr) == (0, "")
    assert json.loads(finished.stdout) == beijing_450_answer


def test_the_process_exits_2_naming_the_field(beijing_450: dict[str, Any]) -> None:
    refused = {**beijing_450, "tariff": BEIJING_DOCUMENT, "energy_kwh": {"total": -5}}
    finished = _run("--input", "-", stdin=json.dumps(refused))
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert 'Billing input "energy_kwh.total" is invalid: kWh cannot be negative' in finished.stderr
    not_json = _run("--input", "-", stdin="{not json")
    assert not_json.returncode == 2
    assert 'Quote input "(body)" is invalid' in not_json.stderr
