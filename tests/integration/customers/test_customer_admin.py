"""The customer admin: audited corrections of names and addresses, nothing else editable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory

from gridcare.audit.models import AuditEvent
from gridcare.customers.admin import AccountAdmin, AccountStatusChangeAdmin, ContactAdmin, CustomerAdmin
from gridcare.customers.models import Account, AccountStatusChange, Contact, Customer
from gridcare.identity.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(org_tree: Any, staff_user_factory: Any) -> User:
    return staff_user_factory(username="root", org_unit=org_tree.province, is_superuser=True)


def _request(user: User) -> Any:
    request = RequestFactory().post("/admin/")
    request.user = user
    return request


def test_an_account_name_correction_is_saved_and_audited(account: Account, superuser: User) -> None:
    account_admin = AccountAdmin(Account, admin.site)
    request = _request(superuser)
    form_class = account_admin.get_form(request, account, change=True)
    form = form_class(
        data={"name": "张三（更正）", "service_address": "济南市历下区泉城路 1 号 1 单元 101 室"},
        instance=account,
    )
    assert form.is_valid(), form.errors
    before = AuditEvent.objects.count()

    account_admin.save_model(request, account_admin.save_form(request, form, change=True), form, change=True)

    account.refresh_from_db()
    assert account.name == "张三（更正）"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "admin_change",
        superuser,
        "customers.account",
        str(account.pk),
    )
    assert event.changes == {"name": ["张三", "张三（更正）"]}


def test_a_save_that_changes_nothing_writes_no_audit_event(account: Account, superuser: User) -> None:
    account_admin = AccountAdmin(Account, admin.site)
    request = _request(superuser)
    form_class = account_admin.get_form(request, account, change=True)
    form = form_class(
        data={"name": account.name, "service_address": account.service_address}, instance=account
    )
    assert form.is_valid(), form.errors
    before = AuditEvent.objects.count()

    account_admin.save_model(request, account_admin.save_form(request, form, change=True), form, change=True)

    assert form.changed_data == []
    assert AuditEvent.objects.count() == before


def test_identifiers_and_status_are_read_only_in_the_admin(account: Account, superuser: User) -> None:
    request = _request(superuser)

    assert set(AccountAdmin(Account, admin.site).get_form(request, account, change=True).base_fields) == {
        "name",
        "service_address",
    }
    assert set(
        CustomerAdmin(Customer, admin.site).get_form(request, account.customer, change=True).base_fields
    ) == {
        "name",
        "postal_address",
    }


@pytest.mark.parametrize(
    ("admin_class", "model"),
    [
        (AccountAdmin, Account),
        (CustomerAdmin, Customer),
        (ContactAdmin, Contact),
        (AccountStatusChangeAdmin, AccountStatusChange),
    ],
)
def test_records_are_never_added_or_deleted_in_the_admin(
    superuser: User, admin_class: Any, model: Any
) -> None:
    model_admin = admin_class(model, admin.site)
    request = _request(superuser)

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_delete_permission(request) is False


def test_history_and_contacts_are_view_only(superuser: User) -> None:
    request = _request(superuser)
    assert ContactAdmin(Contact, admin.site).has_change_permission(request) is False
    assert AccountStatusChangeAdmin(AccountStatusChange, admin.site).has_change_permission(request) is False
