"""The reconciliation pages over HTTP: statements of one's org units with their counts, a
statement's lines filtered by status, resolving lines through the forms (errors shown, nothing
changed when refused), the statement upload page, and who may see what."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from statement_files import Entry, camt053

from gridcare.ledger.models import JournalEntry
from gridcare.payments.models import BankStatement, LineResolution, LineStatus, Payment, StatementLine

from .conftest import ReconciliationScene

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _body(response: Any) -> str:
    return str(response.content.decode())


def _line(scene: ReconciliationScene, position: int) -> StatementLine:
    return StatementLine.objects.get(statement=scene.statement, position=position)


def _state() -> object:
    return (
        list(StatementLine.objects.order_by("pk").values_list("status", "resolution", "payment_id")),
        JournalEntry.objects.count(),
        Payment.objects.count(),
    )


def test_the_list_shows_the_statements_of_ones_units_with_their_counts(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    body = _body(log_in(Client(), reconciliation_scene.world.clerk).get(reverse("web:statement_list")))

    row = re.search(r'<tr data-statement="ICBC-STMT-20250310" data-open="2">(.*?)</tr>', body, re.S)
    assert row is not None
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', row.group(1)))
    assert counts == {"matched": "2", "unmatched": "1", "duplicate": "1", "mismatch": "0", "resolved": "0"}
    assert "ABC-OTHER-0310" not in body
    assert reverse("exchange:statement_upload") in body


def test_a_statements_lines_filter_by_status_with_the_forms_that_fit(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    client = log_in(Client(), reconciliation_scene.world.clerk)
    url = reverse("web:statement_detail", args=[reconciliation_scene.statement.pk])

    every = _body(client.get(url))
    duplicates = _body(client.get(url, {"status": "duplicate"}))

    assert re.findall(r'data-line="([\d.]+)" data-status="(\w+)"', every) == [
        ("1.1", "matched"),
        ("2.1", "matched"),
        ("3.1", "duplicate"),
        ("4.1", "unmatched"),
    ]
    assert re.findall(r'data-line="([\d.]+)" data-status="(\w+)"', duplicates) == [("3.1", "duplicate")]
    assert re.findall(r'data-action="(\w+)"', every) == ["dismiss", "assign", "dismiss"]


def test_dismissing_a_line_through_its_form_resolves_it(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    line = _line(reconciliation_scene, 3)
    client = log_in(Client(), reconciliation_scene.world.clerk)

    response = client.post(
        reverse("web:statement_line_resolve", args=[line.pk, "dismiss"]),
        {f"dismiss-{line.pk}-reason": "银行重复发送"},
    )

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.resolution, line.resolution_reason, line.resolved_by) == (
        LineStatus.RESOLVED,
        LineResolution.DISMISSED,
        "银行重复发送",
        reconciliation_scene.world.clerk,
    )


def test_assigning_a_line_through_its_form_records_the_payment(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    line = _line(reconciliation_scene, 4)
    account = reconciliation_scene.world.payments.account
    client = log_in(Client(), reconciliation_scene.world.clerk)

    response = client.post(
        reverse("web:statement_line_resolve", args=[line.pk, "assign"]),
        {
            f"assign-{line.pk}-account_no": account.account_no,
            f"assign-{line.pk}-channel": "bank_realtime",
            f"assign-{line.pk}-reason": "户主来电确认",
        },
    )

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.resolution, line.payment.account_id, line.payment.amount) == (
        LineStatus.RESOLVED,
        LineResolution.ASSIGNED,
        account.pk,
        line.amount,
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"account_no": "3700000000999", "reason": "x"}, "No account with this number in your org units."),
        ({"account_no": "", "reason": "x"}, "This field is required."),
        ({"account_no": "ACCOUNT", "reason": ""}, "This field is required."),
    ],
)
def test_a_refused_assignment_shows_its_error_and_changes_nothing(
    reconciliation_scene: ReconciliationScene, log_in: Any, fields: dict[str, str], error: str
) -> None:
    line = _line(reconciliation_scene, 4)
    account_no = reconciliation_scene.world.payments.account.account_no
    client = _english(log_in(Client(), reconciliation_scene.world.clerk))
    before = _state()

    response = client.post(
        reverse("web:statement_line_resolve", args=[line.pk, "assign"]),
        {
            f"assign-{line.pk}-{name}": account_no if value == "ACCOUNT" else value
            for name, value in {**fields, "channel": "bank_realtime"}.items()
        },
    )

    assert response.status_code == 400
    assert error in _body(response)
    assert _state() == before


def test_a_resolution_the_line_does_not_take_is_refused_on_the_page(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    matched = _line(reconciliation_scene, 1)
    client = _english(log_in(Client(), reconciliation_scene.world.clerk))
    before = _state()

    response = client.post(
        reverse("web:statement_line_resolve", args=[matched.pk, "dismiss"]),
        {f"dismiss-{matched.pk}-reason": "x"},
    )

    assert response.status_code == 400
    assert "it cannot be dismissed." in _body(response)
    assert _state() == before


def test_a_post_without_its_csrf_token_is_refused(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    line = _line(reconciliation_scene, 3)
    client = log_in(Client(enforce_csrf_checks=True), reconciliation_scene.world.clerk)
    before = _state()

    response = client.post(
        reverse("web:statement_line_resolve", args=[line.pk, "dismiss"]), {f"dismiss-{line.pk}-reason": "x"}
    )

    assert response.status_code == 403
    assert _state() == before


def test_other_units_statements_and_lines_are_not_found(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    client = log_in(Client(), reconciliation_scene.world.other_clerk)
    line = _line(reconciliation_scene, 3)
    before = _state()

    detail = client.get(reverse("web:statement_detail", args=[reconciliation_scene.statement.pk]))
    resolve = client.post(
        reverse("web:statement_line_resolve", args=[line.pk, "dismiss"]), {f"dismiss-{line.pk}-reason": "x"}
    )

    assert (detail.status_code, resolve.status_code) == (404, 404)
    assert _state() == before


def test_a_cashier_may_not_reconcile(reconciliation_scene: ReconciliationScene, log_in: Any) -> None:
    client = log_in(Client(), reconciliation_scene.cashier)

    assert client.get(reverse("web:statement_list")).status_code == 403
    assert client.get(reverse("exchange:statement_upload")).status_code == 403


def test_a_statement_uploaded_goes_to_its_page(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = log_in(Client(), reconciliation_scene.world.clerk)
    content = camt053([Entry(amount="12.00", end_to_end_id="NEW-1")], statement_id="ICBC-STMT-20250311")

    response = client.post(
        reverse("exchange:statement_upload"),
        {
            "file": SimpleUploadedFile("icbc-0311.xml", content),
            "org_unit": reconciliation_scene.world.tree.station.pk,
            "bank": "",
        },
    )

    statement = BankStatement.objects.get(statement_id="ICBC-STMT-20250311")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:statement_detail", args=[statement.pk])
    assert (statement.imported_by, statement.org_unit) == (
        reconciliation_scene.world.clerk,
        reconciliation_scene.world.tree.station,
    )


def test_a_bad_statement_uploaded_lists_every_problem_and_imports_nothing(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _english(log_in(Client(), reconciliation_scene.world.clerk))
    content = camt053(
        [Entry(amount="1.001", end_to_end_id="A"), Entry(amount="2.00", end_to_end_id="B", currency="HKD")],
        statement_id="BAD-1",
    )
    before = (BankStatement.objects.count(), _state())

    response = client.post(
        reverse("exchange:statement_upload"),
        {
            "file": SimpleUploadedFile("bad.xml", content),
            "org_unit": reconciliation_scene.world.tree.station.pk,
        },
    )

    body = _body(response)
    assert response.status_code == 400
    assert "The statement file &quot;bad.xml&quot; has 2 problems: nothing was imported." in body
    rows = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td class=\"mono\">(.*?)</td>\s*<td class=\"mono\">(.*?)</td>", body
    )
    assert rows == [("entry 1", "Amt", "1.001"), ("entry 2", "Amt/@Ccy", "HKD")]
    assert (BankStatement.objects.count(), _state()) == before


def test_a_statement_whose_manifest_does_not_verify_is_refused(
    reconciliation_scene: ReconciliationScene, log_in: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _english(log_in(Client(), reconciliation_scene.world.clerk))
    content = camt053([Entry(amount="12.00", end_to_end_id="NEW-1")], statement_id="ICBC-STMT-20250311")
    manifest = b'{"version": 1, "signature": "AAAA"}'
    before = (BankStatement.objects.count(), _state())

    response = client.post(
        reverse("exchange:statement_upload"),
        {
            "file": SimpleUploadedFile("icbc-0311.xml", content),
            "manifest": SimpleUploadedFile("icbc-0311.xml.manifest.json", manifest),
            "org_unit": reconciliation_scene.world.tree.station.pk,
        },
    )

    assert response.status_code == 400
    assert re.search(r'<p class="field__error" id="id_manifest_error_1">[^<]*manifest', _body(response))
    assert (BankStatement.objects.count(), _state()) == before
