"""``gridcare seed`` and ``gridcare demo_logins`` as ``make demo`` runs them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.customers.models import Account
from gridcare.demo.operations import latest_complete_reading_month
from gridcare.identity.mfa import totp_secret
from gridcare.identity.models import User
from gridcare.metering.models import MeterRead

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


def _seed_command(*extra: str) -> str:
    end_month = latest_complete_reading_month(now=timezone.now())
    out = StringIO()
    call_command(
        "seed",
        "--accounts=200",
        "--seed=7",
        "--months=3",
        f"--end-month={end_month:%Y-%m}",
        "--chunk-size=64",
        *extra,
        stdout=out,
        verbosity=0,
    )
    return out.getvalue()


def test_seed_command_seeds_and_reports_the_rows(db: None) -> None:
    output = _seed_command()
    end_month = latest_complete_reading_month(now=timezone.now())
    assert output.startswith(f"Seeded the demo utility (seed 7, reads 3 months to {end_month:%Y-%m}) in ")
    assert f"  {'customers.Account':<36} {200:>12,}\n" in output
    assert f"  {'metering.MeterRead':<36} {MeterRead.objects.count():>12,}\n" in output
    assert f"  {'anomaly rollover':<36} {2:>12,}\n" in output
    assert Account.objects.count() == 200


def test_if_empty_seeds_an_empty_database_and_skips_a_seeded_one(db: None) -> None:
    _seed_command("--if-empty")
    assert Account.objects.count() == 200
    reads = MeterRead.objects.count()
    output = _seed_command("--if-empty")
    assert output == "The database already holds utility data: seeding skipped (--if-empty).\n"
    assert (Account.objects.count(), MeterRead.objects.count()) == (200, reads)


def test_seed_command_refuses_a_seeded_database_in_both_languages(db: None) -> None:
    _seed_command()
    reads = MeterRead.objects.count()
    with pytest.raises(CommandError) as refused:
        _seed_command()
    message = str(refused.value)
    assert message.startswith("数据库中已有数据（15 个供电单位、200 个用电户、")
    assert "\nThe database already holds data (15 org units, 200 accounts, " in message
    assert message.endswith("To keep the data and skip seeding, add --if-empty")
    assert (Account.objects.count(), MeterRead.objects.count()) == (200, reads)


def test_seed_command_rejects_a_malformed_month(db: None) -> None:
    with pytest.raises(CommandError, match="'2026-13' is not a month written YYYY-MM"):
        call_command("seed", "--accounts=200", "--seed=7", "--end-month=2026-13")
    assert Account.objects.count() == 0


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (datetime(2026, 11, 29, 4, 0, tzinfo=UTC), date(2026, 11, 1)),
        (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), date(2026, 10, 1)),  # 23:59 on the 24th in Shanghai
        (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), date(2026, 11, 1)),  # midnight of the 25th in Shanghai
        (datetime(2027, 1, 3, 0, 0, tzinfo=UTC), date(2026, 12, 1)),
    ],
)
def test_default_end_month_is_the_latest_with_every_reading_day_past(now: datetime, month: date) -> None:
    assert latest_complete_reading_month(now=now) == month


def test_demo_logins_command_prints_every_login(db: None) -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == "No demo logins yet: run `gridcare seed --accounts N --seed S` first.\n"
    _seed_command()
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Demo logins (staff sign in at /login/, the portal customer at /portal/login/):"
    assert lines[1].split() == [
        "username",
        "password",
        "TOTP",
        "secret",
        "role",
        "org",
        "unit",
        "/",
        "customer",
    ]
    assert [line.split()[0] for line in lines[2:-1]] == [
        "admin", "sysadmin", "supervisor", "manager", "expansion", "billing", "inspector", "reader",
        "cashier", "agent", "auditor", "portal",
    ]  # fmt: skip
    assert lines[9].split() == [
        "reader",
        "GridCare-Demo-2026",
        "-",
        "抄表员",
        "(Meter",
        "reader)",
        "37010101",
        "城东供电所",
    ]
    admin_secret = lines[2].split()[2]
    assert admin_secret == totp_secret(TOTPDevice.objects.get(user__username="admin", confirmed=True))
    assert len(admin_secret) == 32
    assert lines[-1] == (
        "Logins with a TOTP secret pass a second step: add the secret to an authenticator app, "
        "or print the current code with `gridcare demo_totp USERNAME`."
    )


def test_demo_totp_prints_the_code_the_demo_authenticator_shows(db: None, settings: Any) -> None:
    _seed_command()
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp", "admin", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6
    # The admin's authenticator accepts it, once.
    device = TOTPDevice.objects.get(user__username="admin", confirmed=True)
    assert device.verify_token(code)
    assert not device.verify_token(code)


def test_demo_totp_refuses_outside_a_demo_and_for_logins_without_an_authenticator(
    db: None, settings: Any
) -> None:
    _seed_command()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="works only in a demo"):
        call_command("demo_totp", "admin", stdout=StringIO())
    settings.DEBUG = True
    with pytest.raises(CommandError, match="reader is not a demo login with an authenticator"):
        call_command("demo_totp", "reader", stdout=StringIO())
    User.objects.create_user(username="outsider", password="Outsider-Secret-2025")
    with pytest.raises(CommandError, match="outsider is not a demo login with an authenticator"):
        call_command("demo_totp", "outsider", stdout=StringIO())
