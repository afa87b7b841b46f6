"""The ``gridcare import`` and ``gridcare export`` commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from exchange_world import World, csv_bytes, id_number

from gridcare.customers.models import Customer
from gridcare.exchange.models import ExchangeBatch
from gridcare.exchange.operations import RowProblem
from gridcare.exchange.reports import format_table

CUSTOMERS = [
    ["customer_no", "kind", "name", "id_number", "org_unit"],
    ["C700", "person", "林青", id_number(70), ""],
    ["C701", "person", "马丁", "123", ""],
]


@pytest.fixture
def customers_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes(CUSTOMERS))
    return path


def test_the_import_command_prints_the_report_and_imports_as_the_given_user(
    world: World, customers_file: Path
) -> None:
    out = io.StringIO()

    call_command(
        "import", "customers", str(customers_file), "--partial", "--user", "county_clerk",
        "--org-unit", "37010202", stdout=out,
    )  # fmt: skip

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("row | column    | value | reason_zh")
    assert lines[2].startswith("3   | id_number | 123   | 身份证号 123 无效：长度错误")
    assert lines[-1] == "customers: 2 rows read, 1 imported, 1 rejected."
    assert Customer.objects.get(customer_no="C700").org_unit == world.other_station
    batch = ExchangeBatch.objects.get()
    assert (batch.actor, batch.org_unit, batch.is_partial) == (world.county_clerk, world.other_station, True)


def test_the_import_command_refuses_an_unknown_user_and_a_unit_outside_the_users(
    world: World, customers_file: Path
) -> None:
    with pytest.raises(CommandError, match="User nobody does not exist"):
        call_command("import", "customers", str(customers_file), "--user", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Org unit 37010301 does not exist or is outside your org units"):
        call_command(
            "import", "customers", str(customers_file), "--user", "station_clerk", "--org-unit", "37010301",
            stdout=io.StringIO(),
        )  # fmt: skip

    assert not Customer.objects.filter(customer_no="C700").exists()


def test_the_import_command_refuses_a_missing_file(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "customers", str(tmp_path / "missing.csv"), stdout=io.StringIO())


def test_the_export_command_writes_the_file(world: World, tmp_path: Path) -> None:
    path = tmp_path / "accounts.xlsx"
    out = io.StringIO()

    call_command("export", "accounts", str(path), "--org-unit", "37010201", stdout=out)

    assert out.getvalue() == f"accounts: 1 rows exported to {path}.\n"
    assert path.read_bytes().startswith(b"PK")
    assert ExchangeBatch.objects.get().rows_exported == 1


def test_the_report_table_lines_up_chinese_text() -> None:
    problems = [
        RowProblem(row=2, column="name", value="张三", code="x", message_zh="太长", message_en="too long"),
        RowProblem(row=10, column="id", value="ab", code="x", message_zh="无效", message_en="invalid"),
    ]

    assert format_table(problems).splitlines() == [
        "row | column | value | reason_zh | reason_en",
        "----+--------+-------+-----------+----------",
        "2   | name   | 张三  | 太长      | too long",
        "10  | id     | ab    | 无效      | invalid",
    ]
