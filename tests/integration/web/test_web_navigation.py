"""Navigation by permission (gridcare.web.navigation)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from web_world import World, make_staff_user

from gridcare.identity.models import Role
from gridcare.web import navigation
from gridcare.web.navigation import NavigationEntry, navigation_for


def exchange_upload_urls() -> list[str]:
    """The import page's URL while the exchange app registers it (it is built separately)."""
    try:
        return [reverse("exchange:upload")]
    except NoReverseMatch:
        return []


EVERY_ENTRY = [
    "/",
    "/accounts/",
    *exchange_upload_urls(),
    "/approvals/",
    "/my-requests/",
    "/users/",
    "/audit/",
    "/notifications/",  # notifications (issue 4)
    "/integrations/",
    "/admin/",
    "/security/lockouts/",
    "/jobs/",  # jobs (issue 4)
    "/letters/",  # letters (issue 4)
    "/billing/runs/",  # billing pages (issue 5)
    "/arrears/",  # dunning (issue 6)
    "/prepaid/",  # prepaid (issue 6)
    "/ledger/",  # ledger reports (issue 6)
    "/reconciliation/",  # statements (issue 6 §6)
    *("/cashier/", "/payments/", "/shifts/"),  # cashier (issue 6)
    "/direct-debit/",  # bank channels (issue 6)
]


def urls_for(user: object, current_path: str = "/") -> list[str]:
    return [link.url for link in navigation_for(user=user, current_path=current_path)]


def test_meter_reader_sees_home_accounts_import_and_own_requests(world: World) -> None:
    assert urls_for(world.station_a_user) == ["/", "/accounts/", *exchange_upload_urls(), "/my-requests/"]


def test_account_manager_sees_export_but_not_approvals_users_audit_or_administration(world: World) -> None:
    # notifications (issue 4): 客户经理 follow their customers' notices
    assert urls_for(world.manager) == [
        "/",
        "/accounts/",
        *exchange_upload_urls(),
        "/my-requests/",
        "/notifications/",
        "/letters/",  # letters (issue 4): 客户经理 print and serve their customers' notices
        "/arrears/",  # dunning (issue 6): 客户经理 chase their customers' arrears
        "/prepaid/",  # prepaid (issue 6): and follow their prepaid balances
        *("/payments/", "/shifts/"),  # cashier (issue 6): they read payments and receipts
    ]


def test_system_administrator_sees_administration(world: World) -> None:
    administrator = make_staff_user(
        username="admin_a", org_unit=world.station_a, roles=(Role.SYSTEM_ADMINISTRATOR,)
    )

    # letters (issue 4): 系统管理员 neither print nor serve letters; nor do they bill (issue 5)
    # or read the receivables ledger (issue 6)
    assert urls_for(administrator) == [
        url
        for url in EVERY_ENTRY
        if url not in ("/letters/", "/billing/runs/", "/ledger/", "/reconciliation/")
        # cashier (issue 6): nor do they take or read payments
        and url not in ("/cashier/", "/payments/", "/shifts/")
        # bank channels (issue 6): nor do they debit
        and url != "/direct-debit/"
        and url != "/arrears/"  # dunning (issue 6): nor chase arrears
        and url != "/prepaid/"  # prepaid (issue 6): nor follow prepaid balances
    ]


def test_billing_clerk_sees_the_bill_runs(world: World) -> None:
    # billing pages (issue 5)
    clerk = make_staff_user(username="clerk_a", org_unit=world.station_a, roles=(Role.BILLING_CLERK,))

    assert urls_for(clerk) == [
        "/",
        "/accounts/",
        *exchange_upload_urls(),
        "/my-requests/",
        "/billing/runs/",
        "/ledger/",  # ledger reports (issue 6)
        "/reconciliation/",  # statements (issue 6 §6): 核算员 reconcile the bank statements
        *("/payments/", "/shifts/"),  # cashier (issue 6)
    ]


def test_superuser_sees_every_entry(world: World) -> None:
    assert urls_for(world.superuser) == EVERY_ENTRY


def test_portal_user_sees_the_portal_navigation(world: World) -> None:
    # bills: issue 5; payments: provider payments (portalpay)
    assert urls_for(world.portal_user) == ["/portal/", "/portal/bills/", "/portal/payments/"]


def test_anonymous_user_sees_no_navigation(db: None) -> None:
    assert urls_for(AnonymousUser()) == []


@pytest.mark.parametrize(
    ("current_path", "current_urls"),
    [("/", ["/"]), ("/accounts/", ["/accounts/"]), ("/accounts/0000010010/", ["/accounts/"]), ("/x/", [])],
)
def test_the_current_entry_is_marked(world: World, current_path: str, current_urls: list[str]) -> None:
    links = navigation_for(user=world.manager, current_path=current_path)

    assert [link.url for link in links if link.is_current] == current_urls


def test_entries_of_unregistered_urls_are_left_out(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        navigation,
        "BACKOFFICE_ENTRIES",
        (
            NavigationEntry(label="Home", url_name="web:home"),
            NavigationEntry(label="Not built yet", url_name="nowhere:page"),
        ),
    )

    assert urls_for(world.superuser) == ["/"]
