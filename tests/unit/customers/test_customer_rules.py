"""The customer-file rules that operations and imports share, on unsaved records (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridcare.customers.errors import (
    AccountOrgUnitNotStation,
    AccountOrgUnitOutsideCustomer,
    ConsentWithoutChannel,
    ContractCapacityInvalid,
    CreditCodeInvalid,
    EnterpriseIdentityRequired,
    IdNumberInvalid,
    PersonIdentityRequired,
    ReadingDayDiffersFromRoute,
    ReadingDayOutOfRange,
    ReadingRouteElsewhere,
)
from gridcare.customers.models import Customer, CustomerKind, ReadingRoute
from gridcare.customers.rules import (
    check_account_org_unit,
    check_consents,
    check_contract_capacity,
    check_customer_identity,
    check_identity_matches_kind,
    check_reading_day,
    check_reading_route,
)
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgLevel, OrgUnit

ID_NUMBER = "11010519491231002X"
CREDIT_CODE = "91370102MA3D567813"


def org_unit(pk: int, code: str, name: str, level: str, path: str) -> OrgUnit:
    return OrgUnit(pk=pk, code=code, name=name, level=level, path=path)


COUNTY = org_unit(1, "370102", "历下区供电中心", OrgLevel.COUNTY, "/37/3701/370102/")
STATION = org_unit(2, "37010201", "泉城路供电所", OrgLevel.STATION, "/37/3701/370102/37010201/")
FAR_STATION = org_unit(3, "37010301", "大观园供电所", OrgLevel.STATION, "/37/3701/370103/37010301/")


def test_a_persons_identity_is_normalized_and_has_no_credit_code() -> None:
    assert check_customer_identity(
        kind=CustomerKind.PERSON, id_number=" 11010519491231002x ", credit_code="  "
    ) == (
        ID_NUMBER,
        None,
    )


def test_an_enterprises_identity_is_normalized_and_has_no_id_number() -> None:
    assert check_customer_identity(
        kind=CustomerKind.ENTERPRISE, id_number=None, credit_code=" 91370102ma3d567813"
    ) == (None, CREDIT_CODE)


@pytest.mark.parametrize(
    ("kind", "id_number", "credit_code", "error", "field"),
    [
        (CustomerKind.PERSON, None, None, PersonIdentityRequired, "id_number"),
        (CustomerKind.PERSON, "", "", PersonIdentityRequired, "id_number"),
        (CustomerKind.PERSON, None, CREDIT_CODE, PersonIdentityRequired, "credit_code"),
        (CustomerKind.PERSON, ID_NUMBER, CREDIT_CODE, PersonIdentityRequired, "credit_code"),
        (CustomerKind.ENTERPRISE, None, " ", EnterpriseIdentityRequired, "credit_code"),
        (CustomerKind.ENTERPRISE, ID_NUMBER, None, EnterpriseIdentityRequired, "id_number"),
        (CustomerKind.ENTERPRISE, ID_NUMBER, CREDIT_CODE, EnterpriseIdentityRequired, "id_number"),
    ],
)
def test_the_wrong_identifier_pair_is_refused_naming_the_identifier_at_fault(
    kind: str, id_number: str | None, credit_code: str | None, error: type[GridCareError], field: str
) -> None:
    with pytest.raises(error) as refused:
        check_customer_identity(kind=kind, id_number=id_number, credit_code=credit_code)

    assert refused.value.field == field


def test_the_kind_rule_alone_accepts_the_identifier_each_kind_needs() -> None:
    check_identity_matches_kind(kind=CustomerKind.PERSON, id_number=ID_NUMBER, credit_code=None)
    check_identity_matches_kind(kind=CustomerKind.ENTERPRISE, id_number=None, credit_code=CREDIT_CODE)


@pytest.mark.parametrize(
    ("kind", "id_number", "credit_code", "error", "field"),
    [
        (CustomerKind.PERSON, None, None, PersonIdentityRequired, "id_number"),
        (CustomerKind.PERSON, ID_NUMBER, CREDIT_CODE, PersonIdentityRequired, "credit_code"),
        (CustomerKind.ENTERPRISE, None, None, EnterpriseIdentityRequired, "credit_code"),
        (CustomerKind.ENTERPRISE, ID_NUMBER, CREDIT_CODE, EnterpriseIdentityRequired, "id_number"),
    ],
)
def test_the_kind_rule_alone_refuses_the_wrong_pair(
    kind: str, id_number: str | None, credit_code: str | None, error: type[GridCareError], field: str
) -> None:
    with pytest.raises(error) as refused:
        check_identity_matches_kind(kind=kind, id_number=id_number, credit_code=credit_code)

    assert refused.value.field == field


def test_an_invalid_identifier_is_refused_with_its_reason() -> None:
    with pytest.raises(IdNumberInvalid) as refused_person:
        check_customer_identity(kind=CustomerKind.PERSON, id_number="110105194912310021", credit_code=None)
    with pytest.raises(CreditCodeInvalid) as refused_enterprise:
        check_customer_identity(
            kind=CustomerKind.ENTERPRISE, id_number=None, credit_code="91370102MA3D567814"
        )

    assert refused_person.value.message("en") == (
        "Resident ID number 110105194912310021 is invalid: the checksum does not match"
    )
    assert refused_enterprise.value.message("en") == (
        "Unified social credit code 91370102MA3D567814 is invalid: the checksum does not match"
    )


NO_CHANNELS = {"mobile": "", "landline": "", "email": "", "wechat_openid": ""}
NO_CONSENTS = {
    "consents_to_sms": False,
    "consents_to_phone": False,
    "consents_to_email": False,
    "consents_to_wechat": False,
}


def test_consent_to_a_channel_with_its_address_is_accepted() -> None:
    check_consents(
        mobile="",
        landline="0531-88888888",
        email="",
        wechat_openid="",
        **{**NO_CONSENTS, "consents_to_phone": True},
    )


@pytest.mark.parametrize(
    ("consent", "channels", "needs_en"),
    [
        ("consents_to_sms", {"landline": "0531-88888888"}, "SMS but has no mobile number"),
        ("consents_to_phone", {"email": "a@example.cn"}, "phone calls but has no mobile or landline"),
        ("consents_to_email", {"mobile": "13800138000"}, "email but has no email"),
        ("consents_to_wechat", {}, "WeChat but has no WeChat openid"),
    ],
)
def test_consent_to_a_channel_without_its_address_is_refused(
    consent: str, channels: dict[str, str], needs_en: str
) -> None:
    with pytest.raises(ConsentWithoutChannel) as refused:
        check_consents(**{**NO_CHANNELS, **channels}, **{**NO_CONSENTS, consent: True})

    assert (refused.value.field, refused.value.message("en")) == (
        consent,
        f"The contact consents to {needs_en}",
    )


def test_an_account_belongs_to_a_station_inside_its_customers_org_unit() -> None:
    customer = Customer(org_unit=COUNTY, customer_no="C000000001", kind=CustomerKind.PERSON, name="张伟")

    check_account_org_unit(customer=customer, org_unit=STATION)
    with pytest.raises(AccountOrgUnitNotStation) as not_station:
        check_account_org_unit(customer=customer, org_unit=COUNTY)
    with pytest.raises(AccountOrgUnitOutsideCustomer) as outside:
        check_account_org_unit(customer=customer, org_unit=FAR_STATION)

    assert not_station.value.message("en") == (
        "An account must belong to a supply station; 历下区供电中心 is not one"
    )
    assert outside.value.message("en") == (
        "大观园供电所 is not within 历下区供电中心, the org unit of customer C000000001"
    )


@pytest.mark.parametrize("capacity", ["0", "8", "99999999.99", "315.50"])
def test_contract_capacities_within_the_column_are_accepted(capacity: str) -> None:
    check_contract_capacity(contract_capacity_kva=Decimal(capacity))


@pytest.mark.parametrize(
    ("capacity", "reason_en"),
    [
        ("NaN", "it is not a finite number"),
        ("Infinity", "it is not a finite number"),
        ("-1", "it cannot be negative"),
        ("100000000", "it is too large"),
        ("8.001", "it takes at most two decimals"),
    ],
)
def test_contract_capacities_outside_the_column_are_refused(capacity: str, reason_en: str) -> None:
    with pytest.raises(ContractCapacityInvalid) as refused:
        check_contract_capacity(contract_capacity_kva=Decimal(capacity))

    assert refused.value.message("en") == f"Contract capacity {Decimal(capacity)} kVA is invalid: {reason_en}"


def test_a_float_capacity_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="contract_capacity_kva must be a Decimal, got float"):
        check_contract_capacity(contract_capacity_kva=8.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("reading_day", [1, 28])
def test_reading_days_1_to_28_are_accepted(reading_day: int) -> None:
    check_reading_day(reading_day=reading_day)


@pytest.mark.parametrize("reading_day", [0, 29, 31, -1])
def test_reading_days_outside_1_to_28_are_refused(reading_day: int) -> None:
    with pytest.raises(ReadingDayOutOfRange) as refused:
        check_reading_day(reading_day=reading_day)

    assert refused.value.message("en") == f"Reading day {reading_day} is invalid: it must be between 1 and 28"


def test_an_account_is_read_with_a_route_of_its_station_on_the_routes_day() -> None:
    route = ReadingRoute(org_unit=STATION, code="R0101", name="泉城路一段", reading_day=5)

    check_reading_route(reading_route=route, org_unit=STATION, reading_day=5)
    with pytest.raises(ReadingRouteElsewhere) as elsewhere:
        check_reading_route(reading_route=route, org_unit=FAR_STATION, reading_day=5)
    with pytest.raises(ReadingDayDiffersFromRoute) as other_day:
        check_reading_route(reading_route=route, org_unit=STATION, reading_day=6)

    assert elsewhere.value.message("en") == "Reading route R0101 belongs to 泉城路供电所, not to 大观园供电所"
    assert other_day.value.message("en") == "Reading day 6 differs from day 5 of reading route R0101"
