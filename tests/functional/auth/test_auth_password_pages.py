"""Forced password changes through the pages: a new user, a reset and an expired password send
the user to "change your password" from every page until done."""

from __future__ import annotations

from datetime import timedelta

from auth_helpers import PASSWORD, actions, post_login
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from gridcare.identity.models import Role, User

PAGES = ["/", "/accounts/", "/security/", "/exchange/", "/admin/", "/audit/"]


def change(
    client: Client, *, current: str, new: str, again: str | None = None, next_url: str = "/"
) -> object:
    return client.post(
        "/security/password/",
        {
            "current_password": current,
            "new_password": new,
            "new_password_again": again or new,
            "next": next_url,
        },
    )


def test_a_new_user_changes_the_password_before_any_page(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("reader", roles=[Role.METER_READER], must_change_password=True)
    post_login(client, "reader")

    for path in PAGES:
        assert client.get(path)["Location"] == f"/security/password/?next={path}"
    page = client.get("/security/password/?next=/accounts/")
    assert page.status_code == 200
    assert page.context["is_new_or_reset"] is True

    # The password the administrator chose is the current one: it cannot be kept.
    kept = change(client, current=PASSWORD, new=PASSWORD)
    assert kept.status_code == 200
    assert kept.context["form"].errors["new_password"] == [
        "The password is not acceptable: The password must differ from your last 5 passwords."
    ]
    mismatched = change(client, current=PASSWORD, new="Harbour-Lights-77", again="Harbour-Lights-78")
    assert mismatched.context["form"].errors["new_password_again"] == ["The two new passwords differ."]
    assert actions("change_password") == []

    changed = change(client, current=PASSWORD, new="Harbour-Lights-77", next_url="/accounts/")

    assert (changed.status_code, changed["Location"]) == (302, "/accounts/")
    assert client.get("/accounts/").status_code == 200  # still logged in, with the new password
    assert actions("change_password") == [("change_password", {"was_required": True})]
    assert User.objects.get(username="reader").check_password("Harbour-Lights-77")


def test_an_expired_password_forces_a_change(client: Client, make_user, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    settings.GRIDCARE_PASSWORD_MAX_AGE_DAYS = 90
    reader = make_user("reader", roles=[Role.METER_READER])
    post_login(client, "reader")
    assert client.get("/accounts/").status_code == 200

    User.objects.filter(pk=reader.pk).update(password_changed_at=timezone.now() - timedelta(days=91))

    assert client.get("/accounts/")["Location"] == "/security/password/?next=/accounts/"
    page = client.get("/security/password/")
    assert page.context["is_required"] is True
    assert page.context["is_new_or_reset"] is False
    assert "data-reason" in page.content.decode()
    change(client, current=PASSWORD, new="Harbour-Lights-77")
    assert client.get("/accounts/").status_code == 200


def test_an_administrator_resets_a_password_in_the_admin_and_the_user_must_change_it(
    client: Client, make_user, log_in
) -> None:  # type: ignore[no-untyped-def]
    reader = make_user("reader", roles=[Role.METER_READER])
    root = log_in(Client(), make_user("root", is_superuser=True))

    weak = root.post(
        f"/admin/identity/user/{reader.pk}/password/", {"password1": "short", "password2": "short"}
    )
    assert weak.status_code == 200
    assert actions("reset_password") == []
    response = root.post(
        f"/admin/identity/user/{reader.pk}/password/",
        {"password1": "Temporary-Pass-2025", "password2": "Temporary-Pass-2025"},
    )

    assert response.status_code == 302
    reader.refresh_from_db()
    assert (reader.must_change_password, reader.check_password("Temporary-Pass-2025")) == (True, True)
    assert actions("reset_password") == [("reset_password", {})]
    post_login(client, "reader", "Temporary-Pass-2025")
    assert client.get("/")["Location"] == "/security/password/?next=/"


def test_mfa_comes_before_the_password_change(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("cashier", roles=[Role.CASHIER], must_change_password=True)
    post_login(client, "cashier")

    assert client.get("/")["Location"] == "/security/mfa/enrol/?next=/"
    assert client.get("/security/password/")["Location"] == "/security/mfa/enrol/?next=/security/password/"


def test_a_user_added_in_the_admin_must_change_the_password_at_first_login(
    client: Client, make_user, log_in
) -> None:  # type: ignore[no-untyped-def]
    root = log_in(Client(), make_user("root", is_superuser=True))

    response = root.post(
        "/admin/identity/user/add/",
        {
            "username": "newcomer",
            "password1": "Initial-Secret-2025",
            "password2": "Initial-Secret-2025",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.must_change_password is True
    assert [action for action, _changes in actions("admin_add")] == ["admin_add"]
