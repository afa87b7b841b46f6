"""Registering customers: numbering, identifier validation, duplicates, audit, constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Customer, CustomerKind
from gridcare.customers.operations import register_customer
from gridcare.kit.errors import GridCareError

pytestmark = pytest.mark.django_db


def test_a_person_gets_the_first_customer_number_and_a_normalized_id_number(
    org_tree: Any, actor: Any, now: datetime
) -> None:
    customer = register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name=" 李四 ",
        id_number=" 11010519491231002x ",
        postal_address="济南市历下区泉城路 8 号",
        actor=actor,
        now=now,
    )

    customer.refresh_from_db()
    assert customer.customer_no == "C000000001"
    assert (customer.kind, customer.name, customer.id_number, customer.credit_code) == (
        "person",
        "李四",
        "11010519491231002X",
        None,
    )
    assert (customer.org_unit, customer.created_at) == (org_tree.station, now)
    event = AuditEvent.objects.get(action="register_customer")
    assert (event.actor, event.object_type, event.object_id, event.org_unit, event.occurred_at) == (
        actor,
        "customers.customer",
        str(customer.pk),
        org_tree.station,
        now,
    )
    assert event.changes == {
        "customer_no": "C000000001",
        "org_unit": "37010201",
        "kind": "person",
        "name": "李四",
        "id_number": "110***********002X",
        "credit_code": None,
        "postal_address": "济南市历下区泉城路 8 号",
    }


def test_an_enterprise_is_registered_by_its_normalized_credit_code(
    org_tree: Any, actor: Any, now: datetime
) -> None:
    register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name="李四",
        id_number="11010519491231002X",
        actor=actor,
        now=now,
    )

    customer = register_customer(
        org_unit=org_tree.county,
        kind=CustomerKind.ENTERPRISE,
        name="济南泉城机械制造有限公司",
        credit_code="91370100ma3c12345 9",
        actor=actor,
        now=now,
    )

    assert customer.customer_no == "C000000002"
    assert (customer.credit_code, customer.id_number, customer.postal_address) == (
        "91370100MA3C123459",
        None,
        "",
    )
    event = AuditEvent.objects.get(action="register_customer", object_id=str(customer.pk))
    assert event.changes == {
        "customer_no": "C000000002",
        "org_unit": "370102",
        "kind": "enterprise",
        "name": "济南泉城机械制造有限公司",
        "id_number": None,
        "credit_code": "91370100MA3C123459",
        "postal_address": "",
    }


def test_numbering_jumps_past_customer_numbers_written_without_the_sequence(
    org_tree: Any, actor: Any, now: datetime
) -> None:
    # As the bulk seeder or an import would write them.
    for customer_no, id_number in (
        ("C000000001", "110105198808083339"),
        ("C000000040", "440305199201014443"),
    ):
        Customer.objects.create(
            org_unit=org_tree.station,
            customer_no=customer_no,
            kind=CustomerKind.PERSON,
            name="导入客户",
            id_number=id_number,
            created_at=now,
        )

    customer = register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name="李四",
        id_number="11010519491231002X",
        actor=actor,
        now=now,
    )

    assert customer.customer_no == "C000000041"


PERSON = CustomerKind.PERSON
ENTERPRISE = CustomerKind.ENTERPRISE


@pytest.mark.parametrize(
    ("kind", "name", "id_number", "credit_code", "error", "message_zh", "message_en"),
    [
        (
            PERSON,
            "李四",
            None,
            None,
            errors.PersonIdentityRequired,
            "自然人客户须登记身份证号，且不能登记统一社会信用代码",
            "A person needs a resident ID number and cannot have a unified social credit code",
        ),
        (
            PERSON,
            "李四",
            "11010519491231002X",
            "91370102MA3D567813",
            errors.PersonIdentityRequired,
            "自然人客户须登记身份证号，且不能登记统一社会信用代码",
            "A person needs a resident ID number and cannot have a unified social credit code",
        ),
        (
            ENTERPRISE,
            "某公司",
            None,
            "  ",
            errors.EnterpriseIdentityRequired,
            "企业客户须登记统一社会信用代码，且不能登记身份证号",
            "An enterprise needs a unified social credit code and cannot have a resident ID number",
        ),
        (
            ENTERPRISE,
            "某公司",
            "11010519491231002X",
            "91370102MA3D567813",
            errors.EnterpriseIdentityRequired,
            "企业客户须登记统一社会信用代码，且不能登记身份证号",
            "An enterprise needs a unified social credit code and cannot have a resident ID number",
        ),
        (
            PERSON,
            "李四",
            "110105194912310021",
            None,
            errors.IdNumberInvalid,
            "身份证号 110105194912310021 无效：校验码错误",
            "Resident ID number 110105194912310021 is invalid: the checksum does not match",
        ),
        (
            PERSON,
            "李四",
            "370102198013011234",
            None,
            errors.IdNumberInvalid,
            "身份证号 370102198013011234 无效：出生日期或地区码无效",
            "Resident ID number 370102198013011234 is invalid: the birth date or region code is not valid",
        ),
        (
            PERSON,
            "李四",
            "370102199002301230",
            None,
            errors.IdNumberInvalid,
            "身份证号 370102199002301230 无效：出生日期或地区码无效",
            "Resident ID number 370102199002301230 is invalid: the birth date or region code is not valid",
        ),
        (
            PERSON,
            "李四",
            "11010519491231002",
            None,
            errors.IdNumberInvalid,
            "身份证号 11010519491231002 无效：长度错误",
            "Resident ID number 11010519491231002 is invalid: the length is wrong",
        ),
        (
            ENTERPRISE,
            "某公司",
            None,
            "91370102MA3D567814",
            errors.CreditCodeInvalid,
            "统一社会信用代码 91370102MA3D567814 无效：校验码错误",
            "Unified social credit code 91370102MA3D567814 is invalid: the checksum does not match",
        ),
        (
            ENTERPRISE,
            "某公司",
            None,
            "9137010XMA3D567813",
            errors.CreditCodeInvalid,
            "统一社会信用代码 9137010XMA3D567813 无效：格式错误",
            "Unified social credit code 9137010XMA3D567813 is invalid: the format is wrong",
        ),
        (
            "government",
            "某机关",
            None,
            "91370102MA3D567813",
            errors.ChoiceInvalid,
            "类型 government 无效，可选值：person, enterprise",
            "kind government is invalid; allowed values: person, enterprise",
        ),
        (
            PERSON,
            "   ",
            "11010519491231002X",
            None,
            errors.RequiredFieldMissing,
            "名称不能为空",
            "The name is required",
        ),
        (
            PERSON,
            "张" * 201,
            "11010519491231002X",
            None,
            errors.FieldTooLong,
            "名称最多 200 个字符，收到 201 个",
            "The name takes at most 200 characters, got 201",
        ),
    ],
)
def test_invalid_registrations_are_refused_with_clear_messages(
    org_tree: Any,
    actor: Any,
    now: datetime,
    snapshot: Any,
    kind: str,
    name: str,
    id_number: str | None,
    credit_code: str | None,
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    before = snapshot()

    with pytest.raises(error) as raised:
        register_customer(
            org_unit=org_tree.station,
            kind=kind,
            name=name,
            id_number=id_number,
            credit_code=credit_code,
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert snapshot() == before


def test_a_registered_id_number_is_refused_naming_the_customer(
    org_tree: Any, person: Customer, actor: Any, now: datetime, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.IdNumberAlreadyRegistered) as raised:
        register_customer(
            org_unit=org_tree.other_station,
            kind=CustomerKind.PERSON,
            name="张三（重复）",
            id_number=" 370102199002152343 ",
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == "身份证号 370102199002152343 已登记为客户 C000000001"
    assert raised.value.message("en") == (
        "Resident ID number 370102199002152343 is already registered as customer C000000001"
    )
    assert snapshot() == before


def test_a_registered_credit_code_is_refused_naming_the_customer(
    org_tree: Any, enterprise: Customer, actor: Any, now: datetime, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.CreditCodeAlreadyRegistered) as raised:
        register_customer(
            org_unit=org_tree.county,
            kind=CustomerKind.ENTERPRISE,
            name="同一家公司",
            credit_code="91370100MA3C123459",
            actor=actor,
            now=now,
        )

    assert raised.value.message("zh-hans") == "统一社会信用代码 91370100MA3C123459 已登记为客户 C000000001"
    assert raised.value.message("en") == (
        "Unified social credit code 91370100MA3C123459 is already registered as customer C000000001"
    )
    assert snapshot() == before


def _insert_customer(**fields: Any) -> Customer:
    with transaction.atomic():
        return Customer.objects.create(**fields)


@pytest.mark.parametrize(
    ("kind", "id_number", "credit_code"),
    [
        (PERSON, None, None),
        (PERSON, "11010519491231002X", "91370102MA3D567813"),
        (PERSON, None, "91370102MA3D567813"),
        (ENTERPRISE, None, None),
        (ENTERPRISE, "11010519491231002X", None),
        (ENTERPRISE, "11010519491231002X", "91370102MA3D567813"),
    ],
)
def test_the_database_refuses_an_identity_that_does_not_match_the_kind(
    org_tree: Any, now: datetime, kind: str, id_number: str | None, credit_code: str | None
) -> None:
    with pytest.raises(IntegrityError):
        _insert_customer(
            org_unit=org_tree.station,
            customer_no="C000000099",
            kind=kind,
            name="某",
            id_number=id_number,
            credit_code=credit_code,
            created_at=now,
        )
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "duplicate"),
    [
        ("customer_no", {"customer_no": "C000000001", "kind": PERSON, "id_number": "11010519491231002X"}),
        ("id_number", {"customer_no": "C000000002", "kind": PERSON, "id_number": "370102199002152343"}),
    ],
)
def test_the_database_refuses_a_duplicate_person(
    org_tree: Any, person: Customer, now: datetime, field: str, duplicate: dict[str, str]
) -> None:
    with pytest.raises(IntegrityError):
        _insert_customer(org_unit=org_tree.station, name="重复", created_at=now, **duplicate)
    assert list(Customer.objects.values_list("customer_no", flat=True)) == ["C000000001"]


def test_the_database_refuses_a_duplicate_credit_code(
    org_tree: Any, enterprise: Customer, now: datetime
) -> None:
    with pytest.raises(IntegrityError):
        _insert_customer(
            org_unit=org_tree.county,
            customer_no="C000000002",
            kind=ENTERPRISE,
            name="重复",
            credit_code="91370100MA3C123459",
            created_at=now,
        )
    assert list(Customer.objects.values_list("customer_no", flat=True)) == ["C000000001"]


def test_model_validation_explains_a_bad_id_number(org_tree: Any, now: datetime) -> None:
    customer = Customer(
        org_unit=org_tree.station,
        customer_no="C000000009",
        kind=PERSON,
        name="某",
        id_number="110105194912310021",
        created_at=now,
    )

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        customer.full_clean()

    assert raised.value.message_dict == {
        "id_number": ["Resident ID number 110105194912310021 is invalid: the checksum does not match"]
    }


def test_model_validation_explains_a_kind_mismatch(org_tree: Any, now: datetime) -> None:
    customer = Customer(
        org_unit=org_tree.station,
        customer_no="C000000009",
        kind=ENTERPRISE,
        name="某",
        id_number="11010519491231002X",
        created_at=now,
    )

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        customer.full_clean()

    assert raised.value.messages == [
        "A person needs a resident ID number and an enterprise a unified social credit code."
    ]
