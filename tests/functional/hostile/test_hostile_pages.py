"""Hostile names and addresses are stored exactly through the operations, refused when they
hold control characters or are too long, and shown escaped on the account pages."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.test import Client
from hostile_world import HOSTILE_TEXTS, NOW, REFUSED_TEXTS, HostileFile, create_hostile_record, id_number

from gridcare.audit.models import AuditEvent
from gridcare.customers.errors import FieldTooLong, TextHasControlCharacter
from gridcare.customers.models import Account, Contact, Customer
from gridcare.customers.operations import register_customer
from gridcare.identity.models import User

ClientFor = Callable[[User], Client]


def _snapshot() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        Contact.objects.count(),
        Account.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
def test_hostile_text_is_stored_exactly_in_every_field(hostile_file: HostileFile) -> None:
    for key, text in HOSTILE_TEXTS.items():
        record = hostile_file.records[key]
        customer = Customer.objects.get(pk=record.customer.pk)
        account = Account.objects.get(pk=record.account.pk)
        contact = Contact.objects.get(customer=customer)
        stored = (customer.name, customer.postal_address, contact.name, account.name, account.service_address)
        assert stored == (text, text, text, text, text), key
    # The "DROP TABLE" name did nothing: every customer is still there.
    assert Customer.objects.count() == len(HOSTILE_TEXTS)


@pytest.mark.django_db
def test_hostile_text_is_recorded_exactly_in_the_audit_log(hostile_file: HostileFile) -> None:
    for key, record in hostile_file.records.items():
        event = AuditEvent.objects.get(action="register_customer", object_id=str(record.customer.pk))
        assert (event.changes["name"], event.changes["postal_address"]) == (record.text, record.text), key


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(REFUSED_TEXTS))
def test_control_characters_are_refused_naming_the_character(hostile_file: HostileFile, key: str) -> None:
    text, position, code_point = REFUSED_TEXTS[key]
    before = _snapshot()

    with pytest.raises(TextHasControlCharacter) as refused:
        create_hostile_record(sequence=900, text=text, station=hostile_file.station, actor=hostile_file.clerk)

    assert refused.value.field == "name"
    assert refused.value.message("en") == (
        f"The name holds the invisible control character {code_point} at position {position}; "
        "remove it and try again"
    )
    assert (
        refused.value.message("zh-hans")
        == f"名称第 {position} 个字符是不可见的控制字符 {code_point}，请删除后重试"
    )
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "label"), [("name", "name"), ("postal_address", "postal address")])
def test_a_control_character_in_any_field_is_refused(
    hostile_file: HostileFile, field: str, label: str
) -> None:
    before = _snapshot()
    fields = {"name": "张三", "postal_address": "济南市"} | {field: "济南\x00市"}

    with pytest.raises(
        TextHasControlCharacter, match=f"The {label} holds the invisible control character U\\+0000"
    ):
        register_customer(
            org_unit=hostile_file.station,
            kind="person",
            id_number=id_number(901),
            actor=hostile_file.clerk,
            now=NOW,
            **fields,
        )

    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("length", "refused"), [(200, False), (201, True)])
def test_a_name_longer_than_its_column_is_refused(
    hostile_file: HostileFile, length: int, refused: bool
) -> None:
    before = _snapshot()
    name = "名" * (length - 1) + "😀"

    def register() -> Customer:
        return register_customer(
            org_unit=hostile_file.station,
            kind="person",
            name=name,
            id_number=id_number(902),
            actor=hostile_file.clerk,
            now=NOW,
        )

    if refused:
        with pytest.raises(FieldTooLong) as error:
            register()
        assert error.value.message("en") == "The name takes at most 200 characters, got 201"
        assert error.value.message("zh-hans") == "名称最多 200 个字符，收到 201 个"
        assert _snapshot() == before
    else:
        assert Customer.objects.get(pk=register().pk).name == name


def _page(client: Client, url: str, params: dict[str, str] | None = None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_account_search_shows_hostile_text_escaped(hostile_file: HostileFile, client_for: ClientFor) -> None:
    page = _page(client_for(hostile_file.clerk), "/accounts/")

    for key, record in hostile_file.records.items():
        escaped = html.escape(record.text)
        # Account name, customer name and service address: three escaped copies per account.
        assert page.count(escaped) == 3, key
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "{% debug %}" in html.unescape(page)
    assert "SECRET_KEY" not in page.replace("{{ settings.SECRET_KEY }}", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["script", "image_onerror", "sql_or", "sql_drop", "hyperlink_formula", "emoji"]
)
def test_searching_for_hostile_text_finds_it_and_echoes_it_escaped(
    hostile_file: HostileFile, client_for: ClientFor, key: str
) -> None:
    record = hostile_file.records[key]
    client = client_for(hostile_file.clerk)

    response = client.get("/accounts/", {"q": record.text})

    assert [account.pk for account in response.context["page_obj"].object_list] == [record.account.pk]
    page = response.content.decode()
    assert f'value="{html.escape(record.text)}"' in page
    assert "<script>alert(1)" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(HOSTILE_TEXTS))
def test_the_account_page_shows_hostile_text_escaped(
    hostile_file: HostileFile, client_for: ClientFor, key: str
) -> None:
    record = hostile_file.records[key]

    page = _page(client_for(hostile_file.clerk), f"/accounts/{record.account.account_no}/")

    escaped = html.escape(record.text)
    # Title, heading, service address, customer name, postal address and contact name.
    assert page.count(escaped) >= 6
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page


@pytest.mark.django_db
def test_the_audit_browser_shows_hostile_changes_escaped(
    hostile_file: HostileFile, client_for: ClientFor
) -> None:
    page = _page(client_for(hostile_file.auditor), "/audit/", {"action": "register_customer"})

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
