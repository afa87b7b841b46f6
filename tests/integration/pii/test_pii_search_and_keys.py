"""Personal data found by exact value through keyed hashes; key rotation and re-hashing;
tampered or moved ciphertext refused with a clear error."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from pii_people import (
    HASH_KEY,
    ID_NUMBERS,
    KEY_1,
    KEY_2,
    MOBILES,
    OTHER_HASH_KEY,
    PORTAL_MOBILE,
    People,
    register_people,
)

from gridcare.audit.models import AuditEvent
from gridcare.customers import queries as customer_queries
from gridcare.customers.errors import IdNumberAlreadyRegistered
from gridcare.customers.models import Contact, Customer, CustomerKind
from gridcare.customers.operations import register_customer
from gridcare.identity.fields import EncryptedLookupRefused
from gridcare.identity.models import User
from gridcare.identity.operations import rotate_pii_key
from gridcare.identity.pii import key_usage, pii_hash
from gridcare.kit.crypto import PiiDecryptionError

K1 = f"k1:{KEY_1}"
K2_THEN_K1 = f"k2:{KEY_2},k1:{KEY_1}"
COLUMNS = (
    "customers_account.bank_account_no",
    "customers_contact.landline",
    "customers_contact.mobile",
    "customers_customer.id_number",
    "identity_integration.signing_key",
    "identity_user.mobile",
    "payments_debitmandate.bank_account_no",  # bank channels (issue 6): direct-debit mandates
)


def _raw(table: str, column: str, row_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id])  # noqa: S608
        return str(cursor.fetchone()[0])


def _set_raw(table: str, column: str, row_id: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row_id])  # noqa: S608


# --- exact search by keyed hash ---------------------------------------------------------------


def test_the_hash_finds_the_customer_by_exact_id_number_in_any_letter_case(people: People) -> None:
    lower_x = ID_NUMBERS[1].lower()

    assert ID_NUMBERS[1].endswith("X")
    found = Customer.objects.filter(id_number_hash=pii_hash(lower_x, kind="id_number"))
    assert list(found.values_list("customer_no", "name")) == [(people.customers[1].customer_no, "历下李四")]
    assert not Customer.objects.filter(
        id_number_hash=pii_hash(ID_NUMBERS[1][:-1] + "1", kind="id_number")
    ).exists()


def test_a_second_customer_with_the_same_id_number_is_refused_by_hash(
    people: People, actor: User, now: datetime
) -> None:
    before = Customer.objects.count()

    with pytest.raises(IdNumberAlreadyRegistered) as refused:
        register_customer(
            org_unit=people.account.org_unit,
            kind=CustomerKind.PERSON,
            name="冒名",
            id_number=ID_NUMBERS[0],
            actor=actor,
            now=now,
        )

    assert refused.value.params["customer_no"] == people.customers[0].customer_no
    assert Customer.objects.count() == before


def test_account_search_finds_by_full_mobile_and_id_number_only(people: People, actor: User) -> None:
    account_no = people.account.account_no

    def search(text: str) -> list[str]:
        return list(
            customer_queries.search_accounts(user=actor, text=text).values_list("account_no", flat=True)
        )

    assert search(MOBILES[0]) == [account_no]
    assert search("139 1234 5678") == [account_no]
    assert search(ID_NUMBERS[0]) == [account_no]
    assert search(MOBILES[0][:7]) == []
    assert search(MOBILES[1]) == []  # the second person has no account


def test_users_are_found_by_mobile_hash_and_the_encrypted_column_refuses_value_lookups(
    people: People,
) -> None:
    assert list(User.objects.filter(mobile_hash=pii_hash(PORTAL_MOBILE, kind="mobile"))) == [
        people.portal_user
    ]
    with pytest.raises(EncryptedLookupRefused, match="hash column"):
        list(Contact.objects.filter(mobile=MOBILES[0]))
    with pytest.raises(EncryptedLookupRefused, match="'startswith' cannot work"):
        list(Contact.objects.filter(mobile__startswith="139"))
    assert list(Contact.objects.filter(landline="").values_list("mobile", flat=True)) == [MOBILES[1]]
    assert Customer.objects.filter(id_number__isnull=False).count() == 2


def test_bulk_created_rows_get_their_hashes(people: People) -> None:
    created = Contact.objects.bulk_create(
        [Contact(customer=people.customers[1], name="家属", mobile="13700001111")]
    )

    assert _raw("customers_contact", "mobile_hash", created[0].pk) == pii_hash("13700001111", kind="mobile")
    assert _raw("customers_contact", "mobile", created[0].pk).startswith("gc1$demo1$")


def test_saving_a_personal_value_without_its_hash_field_is_refused(people: People) -> None:
    contact = Contact.objects.get(pk=people.contacts[1].pk)
    contact.mobile = "13700002222"

    with pytest.raises(ValueError, match="names 'mobile' without 'mobile_hash'"):
        contact.save(update_fields=["mobile"])
    contact.save(update_fields=["mobile", "mobile_hash"])

    assert Contact.objects.get(mobile_hash=pii_hash("13700002222", kind="mobile")) == contact
    assert not Contact.objects.filter(mobile_hash=pii_hash(MOBILES[1], kind="mobile")).exists()


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_reencrypts_every_value_with_the_new_key_once(
    org_tree: Any, actor: User, now: datetime, key_ring: Any, fast_password_hasher: None
) -> None:
    key_ring(keys=K1)
    people = register_people(org_unit=org_tree.station, actor=actor, now=now)
    assert key_usage(connection=connection)["customers_customer.id_number"] == {"k1": 2}
    key_ring(keys=K2_THEN_K1)

    rewritten = rotate_pii_key(actor=actor, now=now, batch_size=1)

    assert rewritten == dict(zip(COLUMNS, (1, 1, 2, 2, 0, 2, 0), strict=True))
    usage = key_usage(connection=connection)
    assert {label: dict(counts) for label, counts in usage.items()} == {
        "customers_account.bank_account_no": {"k2": 1},
        "customers_contact.landline": {"k2": 1},
        "customers_contact.mobile": {"k2": 2},
        "customers_customer.id_number": {"k2": 2},
        "identity_integration.signing_key": {},
        "identity_user.mobile": {"k2": 2},
        "payments_debitmandate.bank_account_no": {},
    }
    assert list(Customer.objects.order_by("id").values_list("id_number", flat=True)) == list(ID_NUMBERS)
    assert User.objects.get(pk=people.portal_user.pk).mobile == PORTAL_MOBILE
    # Only the new key is needed from now on.
    key_ring(keys=f"k2:{KEY_2}")
    assert list(Contact.objects.order_by("id").values_list("mobile", flat=True)) == list(MOBILES)
    event = AuditEvent.objects.get(action="rotate_pii_key")
    assert (event.actor, event.object_type, event.object_id) == (actor, "identity.pii_key", "k2")
    assert event.changes == {"active_key_id": "k2", "rehash": False, "rows_rewritten": rewritten}

    stored = _raw("customers_customer", "id_number", people.customers[0].pk)
    assert rotate_pii_key(actor=actor, now=now) == dict.fromkeys(COLUMNS, 0)
    assert _raw("customers_customer", "id_number", people.customers[0].pk) == stored


def test_rehash_after_a_new_hash_key_makes_search_work_again(
    people: People, actor: User, now: datetime, key_ring: Any
) -> None:
    key_ring(keys="demo1:uHX/TTzEsQP7b3thfmxTbIcx0K1lnSefB0vdTmpftis=", hash_key=OTHER_HASH_KEY)
    assert not Customer.objects.filter(id_number_hash=pii_hash(ID_NUMBERS[0], kind="id_number")).exists()

    rewritten = rotate_pii_key(actor=actor, now=now, rehash=True)

    assert rewritten == dict(zip(COLUMNS, (1, 1, 2, 2, 0, 2, 0), strict=True))
    assert (
        Customer.objects.get(id_number_hash=pii_hash(ID_NUMBERS[0], kind="id_number")) == people.customers[0]
    )
    assert HASH_KEY != OTHER_HASH_KEY
    assert rotate_pii_key(actor=actor, now=now, rehash=True) == dict.fromkeys(COLUMNS, 0)


def test_pii_commands_report_usage_and_rotate(people: People, key_ring: Any) -> None:
    key_ring(keys=f"k2:{KEY_2},demo1:uHX/TTzEsQP7b3thfmxTbIcx0K1lnSefB0vdTmpftis=")
    status = StringIO()
    call_command("pii", "status", stdout=status)
    rotated = StringIO()
    call_command("pii", "rotate-key", "--user", "clerk", "--batch-size", "1", stdout=rotated)
    after = StringIO()
    call_command("pii", "status", stdout=after)

    assert "Active key: k2  (ring: k2, demo1)" in status.getvalue()
    assert "customers_customer.id_number             demo1=2" in status.getvalue()
    assert "Rewrote 8 values with key k2." in rotated.getvalue()
    assert "customers_customer.id_number             k2=2" in after.getvalue()
    assert AuditEvent.objects.get(action="rotate_pii_key").actor == people.staff_user


# --- tampering and moved values ---------------------------------------------------------------


def test_a_tampered_ciphertext_fails_to_load_with_a_clear_error(people: People) -> None:
    customer = people.customers[0]
    stored = _raw("customers_customer", "id_number", customer.pk)
    flipped = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    _set_raw("customers_customer", "id_number", customer.pk, flipped)

    with pytest.raises(PiiDecryptionError, match=r"customers_customer\.id_number fails authentication"):
        Customer.objects.get(pk=customer.pk)


def test_a_value_moved_to_another_column_fails_to_load(people: People) -> None:
    contact_mobile = _raw("customers_contact", "mobile", people.contacts[0].pk)
    _set_raw("identity_user", "mobile", people.portal_user.pk, contact_mobile)

    with pytest.raises(PiiDecryptionError, match=r"identity_user\.mobile fails authentication"):
        User.objects.get(pk=people.portal_user.pk)


def test_a_value_under_a_key_no_longer_in_the_ring_names_the_key(people: People, key_ring: Any) -> None:
    key_ring(keys=f"k2:{KEY_2}")

    with pytest.raises(PiiDecryptionError, match="key 'demo1', which is not in the key ring"):
        Contact.objects.get(pk=people.contacts[1].pk)
