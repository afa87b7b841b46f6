"""The Django admin shows personal data masked, never as an editable field, and finds rows by
the exact value through the keyed hashes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pii_people import BANK_ACCOUNT_NO, ID_NUMBERS, LANDLINE, MOBILES, PORTAL_MOBILE, People

from gridcare.kit.masking import mask_id_number


@pytest.fixture
def admin_client(people: People, org_tree: Any, staff_user_factory: Any, log_in: Any) -> Client:
    root = staff_user_factory(username="root", org_unit=org_tree.province, is_superuser=True)
    return log_in(Client(), root)


def _page(client: Client, url: str, **query: str) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def test_admin_pages_show_personal_data_masked_only(admin_client: Client, people: People) -> None:
    customer, contact, account = people.customers[0], people.contacts[0], people.account
    pages = [
        _page(admin_client, "/admin/customers/customer/"),
        _page(admin_client, f"/admin/customers/customer/{customer.pk}/change/"),
        _page(admin_client, "/admin/customers/contact/"),
        _page(admin_client, f"/admin/customers/contact/{contact.pk}/change/"),
        _page(admin_client, f"/admin/customers/account/{account.pk}/change/"),
        _page(admin_client, "/admin/identity/user/"),
        _page(admin_client, f"/admin/identity/user/{people.portal_user.pk}/change/"),
    ]

    text = "".join(pages)
    for secret in (*ID_NUMBERS, *MOBILES, LANDLINE, BANK_ACCOUNT_NO, PORTAL_MOBILE):
        assert secret not in text
    assert mask_id_number(ID_NUMBERS[0]) in pages[1]
    assert "139****5678" in pages[2]
    assert "***************3445" in pages[4]
    assert "186****0001" in pages[5]
    assert 'name="id_number"' not in pages[1]
    assert 'name="mobile"' not in pages[3] + pages[6]


def test_admin_search_finds_rows_by_exact_personal_value(admin_client: Client, people: People) -> None:
    by_id_number = _page(admin_client, "/admin/customers/customer/", q=ID_NUMBERS[1].lower())
    by_mobile = _page(admin_client, "/admin/customers/contact/", q=MOBILES[0])
    by_bank_account = _page(admin_client, "/admin/customers/account/", q=BANK_ACCOUNT_NO)
    by_user_mobile = _page(admin_client, "/admin/identity/user/", q=PORTAL_MOBILE)
    by_prefix = _page(admin_client, "/admin/customers/contact/", q=MOBILES[0][:7])

    assert people.customers[1].customer_no in by_id_number
    assert people.customers[0].customer_no not in by_id_number
    first, second = (f"/admin/customers/contact/{contact.pk}/change/" for contact in people.contacts)
    assert first in by_mobile
    assert second not in by_mobile
    assert people.account.account_no in by_bank_account
    assert "portal_zhang" in by_user_mobile
    assert first not in by_prefix
    assert second not in by_prefix
