"""The operations around personal data: the direct-debit bank account and the audited reveal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pii_people import BANK_ACCOUNT_NO, ID_NUMBERS, LANDLINE, MOBILES, People

from gridcare.audit.models import AuditEvent
from gridcare.customers.errors import BankAccountNumberInvalid, BankNameMissing, PiiUnmaskNotPermitted
from gridcare.customers.models import Account, Customer
from gridcare.customers.operations import reveal_customer_pii, set_direct_debit_account
from gridcare.identity.models import Role, User


def test_the_bank_account_is_stored_normalized_and_audited_masked(
    people: People, actor: User, now: datetime
) -> None:
    set_direct_debit_account(
        account=people.account,
        bank_name="中国建设银行",
        bank_account_no="6217 0000 1111 2222 333",
        actor=actor,
        now=now,
    )

    account = Account.objects.get(pk=people.account.pk)
    assert (account.bank_name, account.bank_account_no) == ("中国建设银行", "6217000011112222333")
    event = AuditEvent.objects.filter(action="set_direct_debit_account").latest("sequence")
    assert event.changes == {
        "bank_name": ["中国工商银行济南分行", "中国建设银行"],
        "bank_account_no": ["***************3445", "***************2333"],
    }


@pytest.mark.parametrize(
    ("bank_name", "number", "error"),
    [("中国建设银行", "62170000111", BankAccountNumberInvalid), ("", "6217000011112222333", BankNameMissing)],
)
def test_a_bad_bank_account_is_refused_and_nothing_changes(
    people: People, actor: User, now: datetime, bank_name: str, number: str, error: type[Exception]
) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(error):
        set_direct_debit_account(
            account=people.account, bank_name=bank_name, bank_account_no=number, actor=actor, now=now
        )

    assert Account.objects.get(pk=people.account.pk).bank_account_no == BANK_ACCOUNT_NO
    assert AuditEvent.objects.count() == events


def test_reveal_gives_the_values_and_audits_only_the_field_names(
    people: People, org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    agent = staff_user_factory(username="agent", org_unit=org_tree.station, roles=[Role.SERVICE_DESK_AGENT])

    revealed = reveal_customer_pii(actor=agent, customer=people.customers[0], now=now)

    assert revealed.id_number == ID_NUMBERS[0]
    assert [(contact.mobile, contact.landline) for contact in revealed.contacts] == [(MOBILES[0], LANDLINE)]
    event = AuditEvent.objects.get(action="unmask_pii")
    assert (event.actor, event.object_id) == (agent, str(people.customers[0].pk))
    assert event.changes == {
        "customer_no": people.customers[0].customer_no,
        "fields": ["id_number", "landline", "mobile"],
    }


def test_reveal_is_refused_without_the_permission_or_outside_the_org(
    people: People, org_tree: Any, staff_user_factory: Any, now: datetime
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    elsewhere = staff_user_factory(
        username="agent2", org_unit=org_tree.other_station, roles=[Role.SERVICE_DESK_AGENT]
    )

    with pytest.raises(PiiUnmaskNotPermitted):
        reveal_customer_pii(actor=reader, customer=people.customers[0], now=now)
    with pytest.raises(Customer.DoesNotExist):
        reveal_customer_pii(actor=elsewhere, customer=people.customers[0], now=now)

    assert not AuditEvent.objects.filter(action="unmask_pii").exists()
