"""The chart of accounts in the admin: an administrator corrects a general-ledger account number
(audited, old and new); the codes cannot be changed there, and nobody else may change anything."""

from __future__ import annotations

from typing import Any

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db


def _form(account: LedgerAccount, **changes: str) -> dict[str, str]:
    return {"name_zh": account.name_zh, "name_en": account.name_en, "gl_code": account.gl_code, **changes}


def test_an_administrator_corrects_a_gl_account_number_and_it_is_audited(
    org_tree: Any, staff_user_factory: Any, client: Any, log_in: Any
) -> None:
    admin = staff_user_factory(
        username="sysadmin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    log_in(client, admin)
    account = LedgerAccount.objects.get(code=ChartCode.RECEIVABLE_ENERGY)
    url = f"/admin/ledger/ledgeraccount/{account.pk}/change/"
    response = client.post(url, _form(account, gl_code="1122.09", code="changed.code"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.code, account.gl_code) == (ChartCode.RECEIVABLE_ENERGY, "1122.09")
    event = AuditEvent.objects.get(action="admin_change", object_type="ledger.ledgeraccount")
    assert (event.actor_id, event.changes) == (admin.pk, {"gl_code": ["1122.01", "1122.09"]})


def test_a_billing_clerk_cannot_change_the_chart(
    org_tree: Any, staff_user_factory: Any, client: Any, log_in: Any
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.province, roles=[Role.BILLING_CLERK])
    log_in(client, clerk)
    account = LedgerAccount.objects.get(code=ChartCode.RECEIVABLE_ENERGY)
    response = client.post(f"/admin/ledger/ledgeraccount/{account.pk}/change/", _form(account, gl_code="9"))
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.gl_code == "1122.01"
    assert not AuditEvent.objects.filter(action="admin_change").exists()
