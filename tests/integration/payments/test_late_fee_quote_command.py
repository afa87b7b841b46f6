"""``gridcare quote late-fee``: through call_command and as a real process (a file, stdin ``-``,
exit status 2 naming the field). Expected figures worked by hand in comments and conftest.py."""

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


def quote(tmp_path: Path, payload: Any) -> dict[str, Any]:
    request = tmp_path / "late-fee.json"
    request.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("quote", "late-fee", "--input", str(request), stdout=out)
    return dict(json.loads(out.getvalue()))


def test_several_bills_from_a_file(
    tmp_path: Path, several_bills: dict[str, Any], several_bills_answer: dict[str, Any]
) -> None:
    assert quote(tmp_path, several_bills) == several_bills_answer


def test_a_residential_quote(tmp_path: Path) -> None:
    # 1,000.00 due 2026-03-10 paid 2026-03-20: 10 days × 0.001 × 1,000.00 = 10.00.
    answer = quote(
        tmp_path,
        {
            "customer_class": "residential",
            "paid_date": "2026-03-20",
            "bills": [{"amount": "1000.00", "due_date": "2026-03-10"}],
        },
    )
    assert answer == {
        "late_fee": "10.00",
        "bills": [{"due_date": "2026-03-10", "days": 10, "late_fee": "10.00"}],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_class": "industrial"}, "customer_class"),
        ({"paid_date": "10/02/2026"}, "paid_date"),
        ({"bills": [{"amount": "1.00", "due_date": "2026-01-01"}, {"amount": "2.00"}]}, "bills[1].due_date"),
        ({"bills": [{"amount": "-1.00", "due_date": "2026-01-01"}]}, "bills[0].amount"),
        ({"bills": [{"amount": "1.001", "due_date": "2026-01-01"}]}, "bills[0].amount"),
        ({"bills": [{"amount": "1.00", "due_date": "2026-01-01", "paid": "1.00"}]}, "bills[0].paid"),
        ({"minimum": "1.00"}, "minimum"),
    ],
)
def test_invalid_input_names_the_field_and_exits_2(
    tmp_path: Path, several_bills: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(CommandError) as refused:
        quote(tmp_path, {**several_bills, **change})
    assert refused.value.returncode == 2
    assert f"违约金试算输入“{field}”无效：" in str(refused.value)
    assert f'Late-fee quote input "{field}" is invalid: ' in str(refused.value)


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("quote", "late-fee", "--input", str(tmp_path / "absent.json"), stdout=StringIO())
    assert refused.value.returncode == 2
    assert "Cannot read the input" in str(refused.value)


def _run(*arguments: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter with fixed arguments
        [sys.executable, "-m", "gridcare", "quote", "late-fee", *arguments],
        input=stdin,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridcare.settings", "PYTHONPATH": str(SOURCE)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_reads_standard_input(
    several_bills: dict[str, Any], several_bills_answer: dict[str, Any]
) -> None:
    finished = _run("--input", "-", stdin=json.dumps(several_bills))
    assert (finished.returncode, finished.stderr) == (0, "")
    assert json.loads(finished.stdout) == several_bills_answer


def test_the_process_exits_2_naming_the_field() -> None:
    # The cross-year example of the issue, with the second bill's due date mistyped.
    refused = {
        "customer_class": "non_residential",
        "paid_date": "2026-01-10",
        "bills": [
            {"amount": "8000.00", "due_date": "2025-12-20"},
            {"amount": "1.00", "due_date": "2025-12-32"},
        ],
    }
    finished = _run("--input", "-", stdin=json.dumps(refused))
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert (
        "违约金试算输入“bills[1].due_date”无效：应为 YYYY-MM-DD 日期 / "
        'Late-fee quote input "bills[1].due_date" is invalid: it must be a date YYYY-MM-DD'
    ) in finished.stderr
    not_json = _run("--input", "-", stdin="{not json")
    assert not_json.returncode == 2
    assert 'Late-fee quote input "(body)" is invalid: not JSON' in not_json.stderr
