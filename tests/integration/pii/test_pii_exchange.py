"""Personal data in exchange files: imports judge ID numbers by keyed hash and encrypt what
they store; exports mask ID numbers, phones and bank accounts unless unmasked."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django.db import connection
from pii_people import BANK_ACCOUNT_NO, ID_NUMBERS, LANDLINE, MOBILES, People, id_number

from gridcare.customers.models import Contact, Customer
from gridcare.exchange.files import FileFormat
from gridcare.exchange.operations import export_file, import_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.identity.pii import pii_hash

EVERYTHING = ExchangeScope(user=None)
NEW_ID_NUMBER = id_number("37010219920101123")


def _import_customers(rows: list[str], now: datetime) -> object:
    content = (
        "customer_no,kind,name,id_number,org_unit,contact_name,mobile\n" + "\n".join(rows) + "\n"
    ).encode()
    return import_file(
        kind="customers",
        stream=io.BytesIO(content),
        file_name="customers.csv",
        scope=EVERYTHING,
        partial=True,
        now=now,
    )


def _export(kind: str, *, unmask_pii: bool, now: datetime) -> list[dict[str, str]]:
    stream = io.BytesIO()
    export_file(
        kind=kind,
        stream=stream,
        file_format=FileFormat.CSV,
        file_name=f"{kind}.csv",
        scope=EVERYTHING,
        now=now,
        unmask_pii=unmask_pii,
    )
    return list(csv.DictReader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))


def test_an_import_refuses_a_registered_id_number_by_hash_and_encrypts_what_it_stores(
    people: People, now: datetime
) -> None:
    report = _import_customers(
        [
            f"C900,person,新客户,{NEW_ID_NUMBER.lower()},37010201,新客户,13511112222",
            f"C901,person,冒名,{ID_NUMBERS[1].lower()},37010201,,",
            f"C902,person,重复,{NEW_ID_NUMBER},37010201,,",
        ],
        now,
    )

    assert (report.rows_imported, report.rows_rejected) == (1, 2)
    assert [(problem.row, problem.column, problem.code) for problem in report.problems] == [
        (3, "id_number", "id_number_already_registered"),
        (4, "id_number", "duplicate_of_row"),
    ]
    imported = Customer.objects.get(customer_no="C900")
    assert imported.id_number == NEW_ID_NUMBER
    assert imported.id_number_hash == pii_hash(NEW_ID_NUMBER, kind="id_number")
    contact = Contact.objects.get(customer=imported)
    assert (contact.mobile, contact.mobile_hash) == ("13511112222", pii_hash("13511112222", kind="mobile"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM customers_customer WHERE customer_no = 'C900'")
        assert cursor.fetchone()[0].startswith("gc1$demo1$")


def test_exports_mask_personal_columns_unless_unmasked(people: People, now: datetime) -> None:
    masked_customers = _export("customers", unmask_pii=False, now=now)
    plain_customers = _export("customers", unmask_pii=True, now=now)
    masked_accounts = _export("accounts", unmask_pii=False, now=now)
    plain_accounts = _export("accounts", unmask_pii=True, now=now)

    assert [(row["id_number"], row["mobile"], row["landline"]) for row in masked_customers] == [
        (ID_NUMBERS[0][:3] + "*" * 11 + ID_NUMBERS[0][-4:], "139****5678", "0531-******34"),
        (ID_NUMBERS[1][:3] + "*" * 11 + ID_NUMBERS[1][-4:], "158****4433", ""),
    ]
    assert [(row["id_number"], row["mobile"], row["landline"]) for row in plain_customers] == [
        (ID_NUMBERS[0], MOBILES[0], LANDLINE),
        (ID_NUMBERS[1], MOBILES[1], ""),
    ]
    assert [(row["bank_name"], row["bank_account_no"]) for row in masked_accounts] == [
        ("中国工商银行济南分行", "***************3445")
    ]
    assert [row["bank_account_no"] for row in plain_accounts] == [BANK_ACCOUNT_NO]
