"""The seeded demo utility as its users see it: the demo logins, the account search, the
account page and the admin show the seeded records, each login within its org units."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from gridcare.customers.models import Account
from gridcare.demo.catalog import DEMO_PASSWORD
from gridcare.demo.operations import SeedSummary
from gridcare.demo.queries import demo_totp_code
from gridcare.identity.mfa import confirmed_totp_device
from gridcare.identity.models import User
from gridcare.metering.models import MeterRead

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    """A client logged in through the login form with the demo password and, for a login whose
    role needs MFA, the code ``gridcare demo_totp`` would print."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    if confirmed_totp_device(User.objects.get(username=username)) is not None:
        code = demo_totp_code(username=username, at=time.time())
        verified = client.post("/security/mfa/verify/", {"code": code})
        assert (verified.status_code, verified["Location"]) == (302, "/")
    return client


def test_the_superuser_finds_every_seeded_account_and_opens_one(seeded: SeedSummary) -> None:
    client = logged_in("admin")

    listing = client.get("/accounts/")

    assert listing.status_code == 200
    assert listing.context["page_obj"].paginator.count == 200
    assert len(listing.context["page_obj"].object_list) == 25
    first = Account.objects.order_by("account_no").first()
    assert first is not None
    assert first.account_no in listing.content.decode()
    found = client.get("/accounts/", {"q": first.account_no})
    assert [account.account_no for account in found.context["page_obj"].object_list] == [first.account_no]
    page = client.get(f"/accounts/{first.account_no}/")
    assert page.status_code == 200
    assert first.name in page.content.decode()
    latest = MeterRead.objects.filter(metering_point__account=first).order_by("-read_at").first()
    assert latest is not None
    assert f"{latest.import_active_total}" in page.content.decode()


def test_the_meter_reader_sees_only_the_accounts_of_the_station(seeded: SeedSummary) -> None:
    station_accounts = set(
        Account.objects.filter(org_unit__code="37010101").values_list("account_no", flat=True)
    )
    client = logged_in("reader")

    listing = client.get("/accounts/", {"page": 1})

    assert 0 < len(station_accounts) < 200
    assert listing.context["page_obj"].paginator.count == len(station_accounts)
    assert {account.account_no for account in listing.context["page_obj"].object_list} <= station_accounts
    elsewhere = Account.objects.exclude(org_unit__code="37010101").order_by("account_no").first()
    assert elsewhere is not None
    assert client.get(f"/accounts/{elsewhere.account_no}/").status_code == 404


@pytest.mark.parametrize(
    ("path", "model"),
    [("/admin/customers/account/", Account), ("/admin/metering/meterread/", MeterRead)],
)
def test_the_admin_lists_the_seeded_records(
    seeded: SeedSummary, path: str, model: type[Account] | type[MeterRead]
) -> None:
    client = logged_in("admin")

    response = client.get(path)

    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


def test_the_pages_speak_chinese_to_the_demo_users(seeded: SeedSummary) -> None:
    page = logged_in("supervisor").get("/accounts/").content.decode()

    assert '<html lang="zh-hans"' in page
    assert "<h1>用电户</h1>" in page
    assert "<h1>Accounts</h1>" not in page
