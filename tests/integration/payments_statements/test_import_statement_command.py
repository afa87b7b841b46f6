"""``gridcare import-statement FILE``: imports and matches a statement, checks its signed manifest
when one comes with it, prints every problem of a bad file and imports nothing."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from statement_files import Entry, camt053
from statements_world import DEBIT_SERIAL, REALTIME_SERIAL, StatementWorld

from gridcare.exchange.manifests import build_manifest
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration
from gridcare.payments.models import BankStatement, LineStatus

pytestmark = pytest.mark.django_db

CONTENT = camt053(
    [
        Entry(amount="100.00", end_to_end_id=REALTIME_SERIAL),
        Entry(amount="80.00", end_to_end_id=DEBIT_SERIAL),
        Entry(amount="7.00", end_to_end_id="UNKNOWN-7"),
    ]
)


def _run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("import-statement", *arguments, stdout=out)
    return out.getvalue()


def _manifest(world: StatementWorld, content: bytes, now: datetime, path: Path) -> Path:
    bank = create_integration(
        name="bank-icbc",
        kind=IntegrationKind.BANK,
        org_unit=world.tree.county,
        scopes=[ApiScope.ACCOUNTS_READ],
        actor=None,
        now=now,
    )
    manifest = build_manifest(
        stream=io.BytesIO(content), file_name=path.name, integration=bank.integration, rows=3, created_at=now
    )
    target = path.with_name(path.name + ".manifest.json")
    target.write_text(json.dumps(manifest), encoding="utf-8")
    return target


def test_the_command_imports_a_signed_statement_as_the_user(
    statement_world: StatementWorld, now: datetime, tmp_path: Path
) -> None:
    path = tmp_path / "icbc-0310.xml"
    path.write_bytes(CONTENT)
    manifest = _manifest(statement_world, CONTENT, now, path)

    output = _run(str(path), "--user", "clerk", "--org-unit", "37010201", "--manifest", str(manifest))

    statement = BankStatement.objects.get()
    assert output == (
        "中国工商银行济南分行 1602000109200012345 ICBC-STMT-20250310 (ISO 20022 camt.053 statement): "
        "3 lines — matched 2, unmatched 1.\n"
    )
    assert (statement.imported_by, statement.org_unit, statement.manifest_integration) == (
        statement_world.clerk,
        statement_world.tree.station,
        "bank-icbc",
    )
    assert sorted(statement.lines.values_list("status", flat=True)) == [
        LineStatus.MATCHED,
        LineStatus.MATCHED,
        LineStatus.UNMATCHED,
    ]


def test_a_file_that_differs_from_its_manifest_is_refused(
    statement_world: StatementWorld, now: datetime, tmp_path: Path
) -> None:
    path = tmp_path / "icbc-0310.xml"
    path.write_bytes(CONTENT)
    manifest = _manifest(statement_world, CONTENT, now, path)
    path.write_bytes(CONTENT.replace(b"7.00", b"9.00"))

    with pytest.raises(CommandError, match="differs"):
        _run(str(path), "--org-unit", "37010201", "--manifest", str(manifest))

    assert BankStatement.objects.count() == 0


def test_a_bad_file_prints_every_problem_and_imports_nothing(
    statement_world: StatementWorld, tmp_path: Path
) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(
        camt053(
            [Entry(amount="0.00", end_to_end_id="A"), Entry(amount="5.00", end_to_end_id="B", currency="USD")]
        )
    )
    out = io.StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import-statement", str(path), "--org-unit", "37010201", stdout=out)

    assert out.getvalue().splitlines() == [
        "第 1 个条目 / entry 1 | Amt | 0.00 | 金额须为大于零、精确到分的数 | "
        "the amount must be a number above zero in whole fen",
        "第 2 个条目 / entry 2 | Amt/@Ccy | USD | 币种须为 CNY | the currency must be CNY",
    ]
    assert BankStatement.objects.count() == 0
