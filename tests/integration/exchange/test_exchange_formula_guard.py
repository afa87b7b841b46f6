"""CSV injection: formula-like text cells get a leading apostrophe in CSV files and the import
takes it off again; numbers are never touched."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from exchange_world import World, csv_bytes, id_number, run_import, xlsx_bytes

from gridcare.customers.models import Customer
from gridcare.kit.spreadsheet import guard_formula, unguard_formula

GUARDED = [
    ("=1+2", "'=1+2"),
    ("+86 531", "'+86 531"),
    ("-x", "'-x"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("'=1", "''=1"),
    ("''@x", "'''@x"),
    ("-5.00", "-5.00"),
    ("+1,000.5", "+1,000.5"),
    ("-.5", "-.5"),
    ("'", "'"),
    ("'x", "'x"),
    ("a=1", "a=1"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "written"), GUARDED)
def test_formula_like_text_is_guarded_and_read_back_exactly(text: str, written: str) -> None:
    assert guard_formula(text) == written
    assert unguard_formula(written) == text


def test_the_import_takes_exactly_one_apostrophe_off_formula_like_text() -> None:
    assert [unguard_formula(text) for text in ("'=1", "''=1", "'x", "'5", "x'=1")] == [
        "=1",
        "'=1",
        "'x",
        "'5",
        "x'=1",
    ]


def test_a_hand_written_guarded_csv_cell_imports_without_its_apostrophe(world: World) -> None:
    rows = [
        ["customer_no", "kind", "name", "postal_address", "id_number", "org_unit"],
        ["C900", "person", "'=HYPERLINK(1)", "'济南", id_number(90), "37010201"],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope())

    assert report.problems == []
    customer = Customer.objects.get(customer_no="C900")
    assert (customer.name, customer.postal_address, customer.org_unit) == (
        "=HYPERLINK(1)",
        "'济南",
        world.station,
    )


def test_an_xlsx_cell_keeps_its_apostrophe(world: World) -> None:
    rows = [
        ["customer_no", "kind", "name", "id_number", "org_unit"],
        ["C901", "person", "'=x", id_number(91), "37010201"],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope(), file_name="c.csv")
    xlsx_rows = [rows[0], ["C902", "person", "'=x", id_number(92), "37010201"]]
    xlsx_report = run_import("customers", xlsx_bytes(xlsx_rows), scope=world.scope(), file_name="c.xlsx")

    assert (report.problems, xlsx_report.problems) == ([], [])
    assert Customer.objects.get(customer_no="C901").name == "=x"
    # An XLSX cell is text already: nothing was added to it, so nothing is taken off.
    assert Customer.objects.get(customer_no="C902").name == "'=x"


def test_the_csv_report_guards_its_text_cells_but_not_numbers(world: World, tmp_path: Path) -> None:
    rows = [
        ["asset_no", "read_at", "source", "import_active_total"],
        ["@EVIL", "2025-02-01T00:00:00", "ami", "100"],
        ["M0001", "2025-02-01T00:00:00", "ami", "=1+2"],
        ["M0001", "2025-02-02T00:00:00", "ami", "-5.00"],
    ]
    path = tmp_path / "reads.csv"
    path.write_bytes(csv_bytes(rows))
    report_path = tmp_path / "report.csv"

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "reads", str(path), "--report", str(report_path), stdout=io.StringIO())

    with report_path.open(encoding="utf-8-sig", newline="") as report_file:
        lines = list(csv.reader(report_file))
    assert [line[:3] for line in lines] == [
        ["row", "column", "value"],
        ["2", "asset_no", "'@EVIL"],
        ["3", "import_active_total", "'=1+2"],
        ["4", "import_active_total", "-5.00"],
    ]
    formula_like = [cell for line in lines for cell in line if cell.startswith(("=", "+", "-", "@"))]
    assert formula_like == ["-5.00"]
