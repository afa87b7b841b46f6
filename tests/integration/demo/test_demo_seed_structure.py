"""The seeded utility's shape: org tree, logins, grid and the customer mix."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Count, F

from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    Customer,
    PortalLink,
    ReadingRoute,
    UsageCategory,
)
from gridcare.demo.catalog import DEMO_PASSWORD, DEMO_STAFF
from gridcare.demo.operations import SeedSummary
from gridcare.demo.queries import demo_logins
from gridcare.identity.models import Role, User, UserKind
from gridcare.metering.models import (
    Feeder,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterStatus,
    TransformerArea,
)
from gridcare.organization.models import OrgUnit


def test_org_tree_has_one_province_two_cities_four_counties_eight_stations(seeded: SeedSummary) -> None:
    counts = dict(OrgUnit.objects.values_list("level").annotate(count=Count("id")))
    assert counts == {"province": 1, "city": 2, "county": 4, "station": 8}
    paths = {unit.code: unit.path for unit in OrgUnit.objects.all()}
    assert paths == {
        "37": "/37/",
        "3701": "/37/3701/",
        "3702": "/37/3702/",
        "370101": "/37/3701/370101/",
        "370102": "/37/3701/370102/",
        "370201": "/37/3702/370201/",
        "370202": "/37/3702/370202/",
        "37010101": "/37/3701/370101/37010101/",
        "37010102": "/37/3701/370101/37010102/",
        "37010201": "/37/3701/370102/37010201/",
        "37010202": "/37/3701/370102/37010202/",
        "37020101": "/37/3702/370201/37020101/",
        "37020102": "/37/3702/370201/37020102/",
        "37020201": "/37/3702/370202/37020201/",
        "37020202": "/37/3702/370202/37020202/",
    }
    for unit in OrgUnit.objects.exclude(level="province").select_related("parent"):
        assert unit.path == f"{unit.parent.path}{unit.code}/"
    assert OrgUnit.objects.get(code="37").name == "示范省电力公司"
    station_areas = sorted(OrgUnit.objects.filter(level="station").values_list("area_type", flat=True))
    assert station_areas == ["remote", "rural", "rural", "rural", "urban", "urban", "urban", "urban"]


def test_every_role_has_a_group_and_a_demo_login_bound_to_its_unit(seeded: SeedSummary) -> None:
    assert set(Group.objects.values_list("name", flat=True)) == {role.value for role in Role}
    for spec in DEMO_STAFF:
        user = User.objects.get(username=spec.username)
        assert user.kind == UserKind.STAFF
        assert user.org_unit is not None
        assert user.org_unit.code == spec.org_unit_code
        assert user.roles() == [spec.role.value]
        assert user.is_superuser == spec.is_superuser
        assert user.check_password(DEMO_PASSWORD)
    assert {spec.role for spec in DEMO_STAFF} == set(Role)
    assert User.objects.filter(is_superuser=True).values_list("username", flat=True).get() == "admin"


def test_portal_login_sees_a_residential_customer(seeded: SeedSummary) -> None:
    portal = User.objects.get(username="portal")
    assert portal.kind == UserKind.PORTAL
    assert portal.org_unit is None
    assert portal.check_password(DEMO_PASSWORD)
    customer = PortalLink.objects.get(user=portal).customer
    assert customer.customer_no == seeded.portal_customer_no
    assert portal.mobile == customer.contacts.get(is_primary=True).mobile
    account = customer.accounts.get()
    assert account.usage_category == UsageCategory.RESIDENTIAL
    assert account.org_unit.code == "37010101"


def test_demo_logins_lists_staff_then_portal(seeded: SeedSummary) -> None:
    logins = demo_logins()
    assert [login.username for login in logins] == [*(spec.username for spec in DEMO_STAFF), "portal"]
    assert {login.password for login in logins} == {DEMO_PASSWORD}
    reader = next(login for login in logins if login.username == "reader")
    assert reader.role == "抄表员 (Meter reader)"
    assert reader.where == "37010101 城东供电所"
    admin = logins[0]
    assert admin.role == "系统管理员 (System administrator), superuser"
    account = Customer.objects.get(customer_no=seeded.portal_customer_no).accounts.get()
    assert logins[-1].where.endswith(account.account_no)


def test_demo_logins_is_empty_before_seeding(db: None) -> None:
    assert demo_logins() == []


def test_accounts_follow_the_category_mix_exactly(seeded: SeedSummary) -> None:
    counts = dict(Account.objects.values_list("usage_category").annotate(count=Count("id")))
    # 200 × 92% / 5.5% / 0.8% / 1.7% by largest remainder.
    assert counts == {"residential": 184, "general_commercial": 11, "large_industry": 2, "agriculture": 3}
    tariffs = set(Account.objects.values_list("usage_category", "tariff_code").distinct())
    assert tariffs == {
        ("residential", "CN-BJ-RES-2012"),
        ("general_commercial", "DEMO-GC-FLAT"),
        ("large_industry", "DEMO-GD-LI-2P"),
        ("agriculture", "DEMO-AGR-FLAT"),
    }


def test_residential_accounts_are_single_phase_220v_on_a_transformer_area(seeded: SeedSummary) -> None:
    residential = Account.objects.filter(usage_category=UsageCategory.RESIDENTIAL)
    assert set(residential.values_list("voltage_level", flat=True)) == {"220V"}
    assert set(residential.values_list("contract_capacity_kva", flat=True)) <= {
        Decimal(4),
        Decimal(6),
        Decimal(8),
        Decimal(10),
    }
    assert set(residential.values_list("industry_code", flat=True)) == {""}
    points = MeteringPoint.objects.filter(account__in=residential)
    assert points.count() == 184
    assert set(points.values_list("metering_arrangement", "multiplier", "child_relation")) == {
        (MeteringArrangement.LV_SUPPLY_LV_METERING, 1, "")
    }
    assert not points.filter(transformer_area__isnull=True).exists()
    # A low-voltage point hangs on its 台区's feeder.
    assert not points.exclude(feeder=F("transformer_area__feeder")).exists()
    meters = Meter.objects.filter(installations__metering_point__in=points, status=MeterStatus.INSTALLED)
    assert set(meters.values_list("meter_type", "has_time_of_use", "has_reactive", "has_demand")) == {
        ("single_phase", False, False, False)
    }


def test_large_industry_is_hv_supplied_with_multipliers_and_full_registers(seeded: SeedSummary) -> None:
    large = Account.objects.filter(usage_category=UsageCategory.LARGE_INDUSTRY)
    assert large.count() == 2
    for account in large:
        assert account.contract_capacity_kva >= 315
        assert account.voltage_level in ("10kV", "35kV", "110kV")
        assert account.is_key_account
        assert account.reading_day == 1
        main = account.metering_points.get(parent__isnull=True)
        assert main.code == f"{account.account_no}01"
        assert main.metering_arrangement in (
            MeteringArrangement.HV_SUPPLY_HV_METERING,
            MeteringArrangement.HV_SUPPLY_LV_METERING,
        )
        assert main.multiplier == main.ct_ratio * main.pt_ratio > 1
        assert main.transformer_area is None
        assert main.feeder is not None
        meter = Meter.objects.get(installations__metering_point=main)
        assert (meter.has_time_of_use, meter.has_reactive, meter.has_demand) == (True, True, True)
        for child in account.metering_points.filter(parent__isnull=False):
            assert child.parent == main
            assert child.child_relation == "subtract"
            assert child.code == f"{account.account_no}02"


def test_grid_routes_and_stock(seeded: SeedSummary) -> None:
    # 4 feeders per station, a 35 kV line per county, a 110 kV line per city.
    assert Feeder.objects.count() == 8 * 4 + 4 + 2
    assert set(Feeder.objects.values_list("voltage_kv", flat=True)) == {
        Decimal(10),
        Decimal(35),
        Decimal(110),
    }
    # Each station: one 台区 per 150 low-voltage accounts (at least one), one HV and one LV route.
    assert TransformerArea.objects.count() == 8
    assert ReadingRoute.objects.count() == 16
    assert set(ReadingRoute.objects.filter(code__endswith="R01").values_list("reading_day", flat=True)) == {1}
    reader = User.objects.get(username="reader")
    assert set(ReadingRoute.objects.filter(reader=reader).values_list("org_unit__code", flat=True)) == {
        "37010101"
    }
    for account in Account.objects.select_related("reading_route"):
        assert account.reading_day == account.reading_route.reading_day
        assert account.reading_route.org_unit_id == account.org_unit_id
    assert Meter.objects.filter(status=MeterStatus.IN_STOCK).count() == 8


def test_key_accounts_in_the_managers_city_have_the_demo_manager(seeded: SeedSummary) -> None:
    manager = User.objects.get(username="manager")
    key_in_city = Account.objects.filter(is_key_account=True, org_unit__path__startswith="/37/3701/")
    assignments = AccountManagerAssignment.objects.filter(valid_to__isnull=True)
    assert set(assignments.values_list("account_id", flat=True)) == set(
        key_in_city.values_list("id", flat=True)
    )
    assert set(assignments.values_list("manager", flat=True)) <= {manager.pk}
    for assignment in assignments.select_related("account"):
        assert assignment.account.contact_log.filter(staff=manager, kind="visit").count() == 1


def test_every_customer_has_one_primary_contact(seeded: SeedSummary) -> None:
    assert Customer.objects.count() == 200
    for customer in Customer.objects.prefetch_related("contacts"):
        contacts = list(customer.contacts.all())
        assert [contact.is_primary for contact in contacts].count(True) == 1
        assert len(contacts) == (1 if customer.kind == "person" else 2)
        for contact in contacts:
            assert len(contact.mobile) == 11
            assert contact.consents_to_email <= bool(contact.email)
            assert contact.consents_to_wechat <= bool(contact.wechat_openid)


def test_large_industry_accounts_have_two_part_terms(seeded: SeedSummary) -> None:
    from gridcare.billing.models import AccountBillingTerms

    large = Account.objects.filter(usage_category=UsageCategory.LARGE_INDUSTRY)
    terms = AccountBillingTerms.objects.filter(account__in=large)
    assert terms.count() == large.count() == 2
    for term in terms.select_related("account"):
        assert (term.basic_charge_basis, term.contract_demand_kw) == (
            "demand",
            term.account.contract_capacity_kva * 4 // 5,
        )
    assert AccountBillingTerms.objects.exclude(account__in=large).count() == 0
