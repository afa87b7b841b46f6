"""Personal data on pages, in exports and in the audit log: masked unless revealed on purpose,
and each reveal is audited (issue 3, PII protection)."""

from __future__ import annotations

import datetime as dt
import io

from django.test import Client
from web_world import (
    ACCOUNT_A1,
    ACCOUNT_B1,
    ID_NUMBER_LI,
    ID_NUMBER_ZHANG,
    MOBILE_ZHANG,
    SHANGHAI,
    World,
    make_staff_user,
)

from gridcare.audit.models import AuditEvent
from gridcare.customers.operations import add_contact, set_direct_debit_account
from gridcare.exchange.files import FileFormat
from gridcare.exchange.operations import export_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.identity.models import Role
from gridcare.kit.masking import mask_id_number

LANDLINE_XIAO = "0531-88886666"
NOW = dt.datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)


def test_account_page_masks_every_personal_value_and_offers_no_reveal_without_the_permission(
    station_a_client: Client,
) -> None:
    page = station_a_client.get(f"/accounts/{ACCOUNT_A1}/").content.decode()

    assert f"data-masked>{mask_id_number(ID_NUMBER_ZHANG)}<" in page
    assert "data-masked>138****5678<" in page
    assert "data-masked>0531-******66<" in page
    for secret in (ID_NUMBER_ZHANG, MOBILE_ZHANG, LANDLINE_XIAO, "88886666"):
        assert secret not in page
    assert "/personal-data/" not in page


def test_account_page_shows_the_direct_debit_account_masked(world: World, station_a_client: Client) -> None:
    set_direct_debit_account(
        account=world.account_a1,
        bank_name="中国银行",
        bank_account_no="6216610200012345678",
        actor=None,
        now=NOW,
    )

    page = station_a_client.get(f"/accounts/{ACCOUNT_A1}/").content.decode()

    assert "data-masked>中国银行 ***************5678<" in page
    assert "6216610200012345678" not in page


def test_a_holder_of_the_unmask_permission_reveals_one_customer_and_the_reveal_is_audited(
    world: World, log_in
) -> None:
    client = log_in(Client(), world.manager)  # 客户经理: holds pii.unmask
    account_page = client.get(f"/accounts/{ACCOUNT_A1}/").content.decode()
    assert f'action="/accounts/{ACCOUNT_A1}/personal-data/"' in account_page

    response = client.post(f"/accounts/{ACCOUNT_A1}/personal-data/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert f"data-unmasked>{ID_NUMBER_ZHANG}<" in page
    assert f"data-unmasked>{MOBILE_ZHANG}<" in page
    assert f"data-unmasked>{LANDLINE_XIAO}<" in page
    event = AuditEvent.objects.get(action="unmask_pii")
    assert (event.actor, event.object_type, event.object_id, event.org_unit) == (
        world.manager,
        "customers.customer",
        str(world.zhang.pk),
        world.station_a,
    )
    assert event.changes == {"customer_no": "C0001", "fields": ["id_number", "landline", "mobile"]}


def test_reveal_is_refused_without_the_permission_and_records_only_the_denial(
    station_a_client: Client,
) -> None:
    events_before = AuditEvent.objects.count()

    response = station_a_client.post(f"/accounts/{ACCOUNT_A1}/personal-data/")  # 抄表员

    assert response.status_code == 403
    assert ID_NUMBER_ZHANG not in response.content.decode()
    assert list(AuditEvent.objects.filter(pk__gt=0).order_by("sequence").values_list("action", flat=True))[
        events_before:
    ] == ["deny_permission"]
    assert AuditEvent.objects.get(action="deny_permission").changes["permission"] == "pii.unmask"
    assert not AuditEvent.objects.filter(action="unmask_pii").exists()


def test_reveal_outside_the_users_org_is_not_found_and_a_get_is_not_allowed(world: World, log_in) -> None:
    client = log_in(Client(), world.manager)

    outside = client.post(f"/accounts/{ACCOUNT_B1}/personal-data/")
    by_get = client.get(f"/accounts/{ACCOUNT_A1}/personal-data/")

    assert outside.status_code == 404
    assert ID_NUMBER_LI not in outside.content.decode()
    assert by_get.status_code == 405
    assert not AuditEvent.objects.filter(action="unmask_pii").exists()


def test_a_desk_agent_of_another_station_cannot_reveal_this_stations_customer(world: World, log_in) -> None:
    agent = make_staff_user(username="agent_b", org_unit=world.station_b, roles=(Role.SERVICE_DESK_AGENT,))
    client = log_in(Client(), agent)

    assert client.post(f"/accounts/{ACCOUNT_A1}/personal-data/").status_code == 404
    assert client.post(f"/accounts/{ACCOUNT_B1}/personal-data/").status_code == 200
    assert list(AuditEvent.objects.filter(action="unmask_pii").values_list("object_id", flat=True)) == [
        str(world.li.pk)
    ]


def test_customer_export_is_masked_by_default_and_says_so_in_the_audit_log(world: World) -> None:
    stream = io.BytesIO()

    export_file(
        kind="customers",
        stream=stream,
        file_format=FileFormat.CSV,
        file_name="customers.csv",
        scope=ExchangeScope(user=world.county_supervisor),
        now=NOW,
    )

    text = stream.getvalue().decode("utf-8-sig")
    assert ID_NUMBER_ZHANG not in text
    assert MOBILE_ZHANG not in text
    assert f"C0001,person,张三,{mask_id_number(ID_NUMBER_ZHANG)}," in text
    assert ",138****5678," in text
    assert AuditEvent.objects.get(action="export_customers").changes["pii_masked"] is True


def test_audit_log_keeps_personal_values_masked(world: World) -> None:
    contact = add_contact(
        customer=world.zhang,
        name="张三家属",
        mobile="13611112222",
        landline="0531-86661234",
        actor=world.manager,
        now=NOW,
    )

    event = AuditEvent.objects.get(action="add_contact")
    assert (event.changes["contact"], event.changes["mobile"], event.changes["landline"]) == (
        contact.pk,
        "136****2222",
        "0531-******34",
    )
    assert "13611112222" not in str(event.changes)
