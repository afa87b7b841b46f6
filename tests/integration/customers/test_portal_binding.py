"""Binding an account to a portal login needs proof (the last 6 characters of the holder's
身份证号 or 统一社会信用代码); wrong proof is refused without saying whether the 户号 exists,
audited and rate-limited. Also the 户号 + password login."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Account, Customer, CustomerKind, PortalLink
from gridcare.customers.operations import bind_portal_account, register_customer
from gridcare.customers.queries import accounts_of_portal_user
from gridcare.identity.errors import RateLimited
from gridcare.identity.models import RateLimitHit, User
from gridcare.identity.operations import create_portal_user

PASSWORD = "Quancheng-Road-88"
PERSON_PROOF = "152343"  # of 370102199002152343
ENTERPRISE_PROOF = "123459"  # of 91370100MA3C123459
REFUSAL_EN = (
    "The account number and the proof do not match. Check the account number and the last 6 "
    "characters of the account holder's resident ID number or unified social credit code"
)


@pytest.fixture
def portal_user(now: datetime, fast_password_hasher: None) -> User:
    return create_portal_user(
        username="zhangsan", password=PASSWORD, mobile="13800138000", actor=None, now=now
    )


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-sequence").first()  # type: ignore[return-value]


def test_the_right_id_number_tail_binds_the_holder_and_is_audited(
    account: Account, key_account: Account, person: Customer, portal_user: User, now: datetime
) -> None:
    link = bind_portal_account(
        portal_user=portal_user, account_no=f" {account.account_no} ", proof=PERSON_PROOF, now=now
    )

    assert (link.user, link.customer) == (portal_user, person)
    assert list(accounts_of_portal_user(user=portal_user)) == [account]
    event = last_event()
    assert (event.action, event.actor, event.object_type, event.object_id, event.org_unit_id) == (
        "bind_portal_account",
        portal_user,
        "customers.customer",
        str(person.pk),
        person.org_unit_id,
    )
    assert event.changes == {"portal_user": "zhangsan", "account_no": account.account_no}


def test_an_enterprise_is_bound_with_its_credit_code_tail_in_any_case(
    key_account: Account, enterprise: Customer, portal_user: User, now: datetime
) -> None:
    link = bind_portal_account(
        portal_user=portal_user, account_no=key_account.account_no, proof="123459", now=now
    )

    assert link.customer == enterprise
    assert list(accounts_of_portal_user(user=portal_user)) == [key_account]


def test_a_person_id_ending_in_x_matches_a_lower_case_proof(
    org_tree: Any, actor: User, portal_user: User, open_account_with: Any, now: datetime
) -> None:
    holder = register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name="李四",
        id_number="11010519491231002X",
        postal_address="",
        actor=actor,
        now=now,
    )
    account = open_account_with(customer=holder, name="李四")

    assert (
        bind_portal_account(
            portal_user=portal_user, account_no=account.account_no, proof="31002x", now=now
        ).customer
        == holder
    )


@pytest.mark.parametrize("proof", ["152344", "123459", "15234", ""])
def test_wrong_proof_is_refused_audited_and_changes_nothing(
    account: Account, key_account: Account, portal_user: User, now: datetime, snapshot: Any, proof: str
) -> None:
    before = snapshot()

    with pytest.raises(errors.BindingProofRejected) as raised:
        bind_portal_account(portal_user=portal_user, account_no=account.account_no, proof=proof, now=now)

    assert raised.value.message("en") == REFUSAL_EN
    assert (
        raised.value.message("zh-hans")
        == "户号与证明信息不匹配。请核对户号，以及户主身份证号或统一社会信用代码的后 6 位"
    )
    assert snapshot() == {**before, "audit_events": before["audit_events"] + 1}
    event = last_event()
    assert (event.action, event.actor, event.object_type, event.object_id, event.changes) == (
        "refuse_portal_account_binding",
        portal_user,
        "identity.user",
        str(portal_user.pk),
        {"account_no": account.account_no},
    )
    assert RateLimitHit.objects.filter(scope="portal_binding_failure_user").count() == 1


def test_an_unknown_account_gets_the_same_refusal(account: Account, portal_user: User, now: datetime) -> None:
    with pytest.raises(errors.BindingProofRejected) as raised:
        bind_portal_account(portal_user=portal_user, account_no="0000000000", proof=PERSON_PROOF, now=now)

    assert raised.value.message("en") == REFUSAL_EN
    assert PortalLink.objects.count() == 0


def test_after_five_failures_in_an_hour_even_the_right_proof_waits(
    account: Account, portal_user: User, now: datetime, snapshot: Any
) -> None:
    for minute in range(5):
        with pytest.raises(errors.BindingProofRejected):
            bind_portal_account(
                portal_user=portal_user,
                account_no=account.account_no,
                proof="000000",
                now=now + timedelta(minutes=minute),
            )
    before = snapshot()

    with pytest.raises(RateLimited) as raised:
        bind_portal_account(
            portal_user=portal_user,
            account_no=account.account_no,
            proof=PERSON_PROOF,
            now=now + timedelta(minutes=10),
        )

    assert raised.value.message("en") == "Too many attempts. Try again in 50 minutes."
    assert snapshot() == before
    link = bind_portal_account(
        portal_user=portal_user,
        account_no=account.account_no,
        proof=PERSON_PROOF,
        now=now + timedelta(minutes=60),
    )
    assert link.user == portal_user


def test_binding_the_same_customer_twice_says_so(
    account: Account, portal_user: User, now: datetime, snapshot: Any
) -> None:
    bind_portal_account(portal_user=portal_user, account_no=account.account_no, proof=PERSON_PROOF, now=now)
    before = snapshot()

    with pytest.raises(errors.AccountAlreadyBound) as raised:
        bind_portal_account(
            portal_user=portal_user, account_no=account.account_no, proof=PERSON_PROOF, now=now
        )

    assert raised.value.message("en") == f"Account {account.account_no} is already bound to your portal login"
    assert snapshot() == before


def test_a_login_serves_one_customer(
    account: Account, key_account: Account, portal_user: User, now: datetime, snapshot: Any
) -> None:
    bind_portal_account(portal_user=portal_user, account_no=account.account_no, proof=PERSON_PROOF, now=now)
    before = snapshot()

    with pytest.raises(errors.PortalLoginServesOneCustomer) as raised:
        bind_portal_account(
            portal_user=portal_user, account_no=key_account.account_no, proof=ENTERPRISE_PROOF, now=now
        )

    assert raised.value.message("en") == (
        "Your portal login is bound to the accounts of 张三; one login serves the accounts of one customer"
    )
    assert snapshot() == before


def test_staff_cannot_bind(account: Account, actor: User, now: datetime, snapshot: Any) -> None:
    before = snapshot()

    with pytest.raises(errors.NotPortalUser):
        bind_portal_account(portal_user=actor, account_no=account.account_no, proof=PERSON_PROOF, now=now)

    assert snapshot() == before


def test_account_number_and_password_log_in_the_bound_portal_user(
    account: Account, key_account: Account, portal_user: User, actor: User, now: datetime
) -> None:
    assert (
        authenticate(RequestFactory().post("/portal/login/"), username=account.account_no, password=PASSWORD)
        is None
    )
    bind_portal_account(portal_user=portal_user, account_no=account.account_no, proof=PERSON_PROOF, now=now)

    assert (
        authenticate(RequestFactory().post("/portal/login/"), username=account.account_no, password=PASSWORD)
        == portal_user
    )
    assert (
        authenticate(
            RequestFactory().post("/portal/login/"), username=account.account_no, password="wrong-password"
        )
        is None
    )
    assert (
        authenticate(
            RequestFactory().post("/portal/login/"), username=key_account.account_no, password=PASSWORD
        )
        is None
    )
    assert (
        authenticate(RequestFactory().post("/portal/login/"), username="zhangsan", password=PASSWORD)
        == portal_user
    )
    portal_user.is_active = False
    portal_user.save()
    assert (
        authenticate(RequestFactory().post("/portal/login/"), username=account.account_no, password=PASSWORD)
        is None
    )
