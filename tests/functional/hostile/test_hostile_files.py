"""Hostile names and addresses in files: CSV and XLSX exports keep them harmless (CSV cells
that a spreadsheet would run are guarded with an apostrophe; XLSX cells are strings, never
formulas), the upload page imports them exactly, and refuses control characters row by row."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hostile_world import HOSTILE_TEXTS, REFUSED_TEXTS, HostileFile, id_number

from gridcare.customers.models import Account, Contact, Customer
from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.models import User
from gridcare.kit.spreadsheet import FORMULA_TRIGGERS, guard_formula, unguard_formula

ClientFor = Callable[[User], Client]
#: The hostile texts a spreadsheet would run as a formula.
FORMULA_KEYS = ["hyperlink_formula", "dde_formula", "at_formula", "minus_formula"]
CUSTOMER_TEXT_COLUMNS = ["name", "postal_address", "contact_name"]
ACCOUNT_TEXT_COLUMNS = ["name", "service_address"]


def _download(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _csv_records(content: bytes, *, key_column: str) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return {row[key_column]: row for row in rows}


def _xlsx_sheet(content: bytes) -> list[list[openpyxl.cell.cell.Cell]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.worksheets[0].iter_rows()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "key_column", "columns"),
    [("customers", "customer_no", CUSTOMER_TEXT_COLUMNS), ("accounts", "account_no", ACCOUNT_TEXT_COLUMNS)],
)
def test_the_csv_export_guards_formulas_and_keeps_all_other_text(
    hostile_file: HostileFile, client_for: ClientFor, kind: str, key_column: str, columns: list[str]
) -> None:
    records = _csv_records(
        _download(client_for(hostile_file.clerk), f"/exchange/export/{kind}.csv"), key_column=key_column
    )

    assert len(records) == len(HOSTILE_TEXTS)
    for key, record in hostile_file.records.items():
        number = record.customer.customer_no if kind == "customers" else record.account.account_no
        cells = [records[number][column] for column in columns]
        expected = "'" + record.text if key in FORMULA_KEYS else record.text
        assert cells == [expected] * len(columns), key
        assert cells[0] == guard_formula(record.text)
        assert unguard_formula(cells[0]) == record.text
    for row in records.values():
        assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in row.values() if cell)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "key_column", "columns"),
    [("customers", "customer_no", CUSTOMER_TEXT_COLUMNS), ("accounts", "account_no", ACCOUNT_TEXT_COLUMNS)],
)
def test_the_xlsx_export_writes_strings_never_formulas(
    hostile_file: HostileFile, client_for: ClientFor, kind: str, key_column: str, columns: list[str]
) -> None:
    content = _download(client_for(hostile_file.clerk), f"/exchange/export/{kind}.xlsx")

    header, *rows = _xlsx_sheet(content)
    names = [cell.value for cell in header]
    by_number = {row[names.index(key_column)].value: row for row in rows}
    assert len(by_number) == len(HOSTILE_TEXTS)
    for key, record in hostile_file.records.items():
        number = record.customer.customer_no if kind == "customers" else record.account.account_no
        cells = [by_number[number][names.index(column)] for column in columns]
        assert [(cell.data_type, cell.value) for cell in cells] == [("s", record.text)] * len(columns), key
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        assert all(b"<f>" not in archive.read(name) and b"<f " not in archive.read(name) for name in sheets)


def _upload(client: Client, *, file_name: str, content: bytes) -> object:
    response = client.post(
        "/exchange/",
        {"kind": "customers", "file": SimpleUploadedFile(file_name, content), "partial": ""},
    )
    assert response.status_code == 200
    return response.context["report"]


def _csv_file(rows: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8")


def _xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        cells = []
        for value in row:
            cell = openpyxl.cell.WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # as a user types text into a cell, not a formula
            cells.append(cell)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


HEADER = ["customer_no", "kind", "name", "id_number", "postal_address", "contact_name", "mobile", "org_unit"]


def _hostile_rows(*, first_sequence: int) -> list[list[str]]:
    return [
        [f"C8{index:05d}", "person", text, id_number(index), text, text, f"139{index:08d}", "37010201"]
        for index, text in enumerate(HOSTILE_TEXTS.values(), start=first_sequence)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file_name", "make_file"), [("hostile.csv", _csv_file), ("hostile.xlsx", _xlsx_file)]
)
def test_the_upload_imports_hostile_text_exactly(
    hostile_file: HostileFile,
    client_for: ClientFor,
    file_name: str,
    make_file: Callable[[list[list[str]]], bytes],
) -> None:
    rows = _hostile_rows(first_sequence=101)

    report = _upload(client_for(hostile_file.clerk), file_name=file_name, content=make_file([HEADER, *rows]))

    assert (report.problems, report.rows_imported) == ([], len(HOSTILE_TEXTS))  # type: ignore[attr-defined]
    for row in rows:
        customer = Customer.objects.get(customer_no=row[0])
        contact = Contact.objects.get(customer=customer)
        assert (customer.name, customer.postal_address, contact.name) == (row[2], row[4], row[5])


@pytest.mark.django_db
@pytest.mark.parametrize(("file_name", "make_file"), [("bad.csv", _csv_file), ("bad.xlsx", _xlsx_file)])
def test_the_upload_refuses_control_characters_and_imports_nothing(
    hostile_file: HostileFile,
    client_for: ClientFor,
    file_name: str,
    make_file: Callable[[list[list[str]]], bytes],
) -> None:
    # XLSX cannot hold C0 control characters at all: that file carries the bidirectional ones.
    keys = list(REFUSED_TEXTS) if file_name.endswith(".csv") else ["right_to_left_override", "isolate"]
    good = _hostile_rows(first_sequence=201)[:1]
    bad = [
        [f"C9{index:05d}", "person", REFUSED_TEXTS[key][0], id_number(index), "", "", "", "37010201"]
        for index, key in enumerate(keys, start=301)
    ]
    before = (Customer.objects.count(), Account.objects.count(), ExchangeBatch.objects.count())

    report = _upload(
        client_for(hostile_file.clerk), file_name=file_name, content=make_file([HEADER, *good, *bad])
    )

    problems = [(problem.row, problem.column, problem.message("en")) for problem in report.problems]  # type: ignore[attr-defined]
    assert problems == [
        (
            row_number,
            "name",
            f"Character {REFUSED_TEXTS[key][1]} is the invisible control character {REFUSED_TEXTS[key][2]}; "
            "remove it.",
        )
        for row_number, key in enumerate(keys, start=3)
    ]
    assert report.rows_imported == 0  # type: ignore[attr-defined]
    assert (Customer.objects.count(), Account.objects.count(), ExchangeBatch.objects.count()) == before


@pytest.mark.django_db
def test_a_name_longer_than_its_column_is_refused_by_the_upload(
    hostile_file: HostileFile, client_for: ClientFor
) -> None:
    rows = [HEADER, ["C700001", "person", "名" * 201, id_number(401), "", "", "", "37010201"]]
    before = Customer.objects.count()

    report = _upload(client_for(hostile_file.clerk), file_name="long.csv", content=_csv_file(rows))

    assert [(problem.row, problem.column, problem.message("en")) for problem in report.problems] == [  # type: ignore[attr-defined]
        (2, "name", "Too long: at most 200 characters.")
    ]
    assert Customer.objects.count() == before


@pytest.mark.django_db
def test_the_audit_csv_export_keeps_hostile_changes_harmless(
    hostile_file: HostileFile, client_for: ClientFor
) -> None:
    content = _download(client_for(hostile_file.auditor), "/audit/export.csv?action=register_customer")

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    header, data = rows[0], rows[1:]
    assert len(data) == len(HOSTILE_TEXTS)
    assert all(len(row) == len(header) for row in data)
    recorded_names = sorted(json.loads(row[header.index("Changes")])["name"] for row in data)
    assert recorded_names == sorted(HOSTILE_TEXTS.values())
    assert not any(cell.startswith(FORMULA_TRIGGERS) for row in data for cell in row if cell)
