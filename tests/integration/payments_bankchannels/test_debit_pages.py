"""The direct-debit pages: a cashier of the station sees the bank's batches with their results
and totals, and a batch's lines with the bank accounts masked; others are refused or see none."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bank_world import BankWorld
from django.test import Client

from gridcare.exchange.debit_files import read_debit_result_file, write_debit_file
from gridcare.exchange.manifests import write_manifest
from gridcare.identity.models import Role
from gridcare.payments.direct_debit import create_debit_mandate
from gridcare.payments.models import DebitBatch

pytestmark = pytest.mark.django_db

BATCH = "DD20250310000001"
BANK_ACCOUNTS = ("6222020200112233445", "6222020200998877665")


@pytest.fixture
def debited(bank_world: BankWorld, now: datetime, tmp_path: Path) -> DebitBatch:
    """The bank's batch of 2025-03-10 with 张伟's debit succeeded and the shop's failed."""
    for account, bank_account_no, holder in (
        (bank_world.account, BANK_ACCOUNTS[0], "张伟"),
        (bank_world.shop, BANK_ACCOUNTS[1], "济南泉城商贸有限公司"),
    ):
        create_debit_mandate(
            actor=None,
            account=account,
            bank=bank_world.bank.integration,
            bank_account_no=bank_account_no,
            holder_name=holder,
            signed_date=date(2025, 1, 1),
            now=now,
        )
    written = write_debit_file(
        actor=None, bank_name="icbc-quancheng", on=date(2025, 3, 10), out_dir=tmp_path, now=now
    )
    result = tmp_path / "DR.txt"
    result.write_bytes(
        (
            f"H|1|{BATCH}|icbc-quancheng|20250311\n"
            f"D|{BATCH}000001|S|181.50||\n"
            f"D|{BATCH}000002|F|0.00|2001|余额不足\n"
            "T|2|181.50|0.00\n"
        ).encode("gb18030")
    )
    write_manifest(path=result, integration=bank_world.bank.integration, rows=None, created_at=now)
    read_debit_result_file(actor=None, path=result, manifest=None, now=now)
    return written.batch


def test_a_cashier_sees_the_batches_and_a_batch_with_bank_accounts_masked(
    bank_world: BankWorld, debited: DebitBatch, log_in: Any
) -> None:
    client = log_in(Client(), bank_world.payments.cashier)

    listing = client.get("/direct-debit/")

    assert listing.status_code == 200
    assert list(
        listing.context["batches"].values_list("batch_no", "debited", "failed", "bounced", "pending")
    ) == [(BATCH, 1, 1, 0, 0)]
    assert listing.context["batches"][0].debited_total == Decimal("181.50")
    page = listing.content.decode()
    row = page[page.index(f'data-batch="{BATCH}"') : page.index("</tr>", page.index(f'data-batch="{BATCH}"'))]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[3:10]] == [
        "2",
        "434.00",
        "1",
        "1",
        "0",
        "0",
        "181.50",
    ]

    detail = client.get(f"/direct-debit/{debited.pk}/")

    assert detail.status_code == 200
    page = detail.content.decode()
    assert "***************3445" in page
    assert "***************7665" in page
    for number in BANK_ACCOUNTS:
        assert number not in page
    receipt = debited.lines.get(line_no=1).payment.receipt_no
    assert receipt in page
    assert "2001 余额不足" in page


def test_others_are_refused_or_see_nothing(
    bank_world: BankWorld, debited: DebitBatch, log_in: Any, staff_user_factory: Any
) -> None:
    reader = log_in(Client(), bank_world.payments.meter_reader)
    assert reader.get("/direct-debit/").status_code == 403
    other = staff_user_factory(
        username="cashier_b", org_unit=bank_world.payments.tree.other_station, roles=[Role.CASHIER]
    )
    client = log_in(Client(), other)
    assert list(client.get("/direct-debit/").context["batches"]) == []
    assert client.get(f"/direct-debit/{debited.pk}/").status_code == 404
