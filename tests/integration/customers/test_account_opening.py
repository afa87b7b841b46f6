"""Opening accounts: 户号 allocation and validation, org unit rules, field checks, reading routes,
audit and the database constraints behind them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Account, Customer, ReadingRoute
from gridcare.customers.operations import create_reading_route, open_account
from gridcare.identity.models import Role
from gridcare.kit.errors import GridCareError

pytestmark = pytest.mark.django_db


def test_an_account_gets_the_next_account_number_and_its_opening_status(
    org_tree: Any, person: Customer, actor: Any, now: datetime
) -> None:
    route = create_reading_route(
        org_unit=org_tree.station, code="QCL-05", name="泉城路 5 日段", reading_day=5, actor=actor, now=now
    )

    account = open_account(
        customer=person,
        org_unit=org_tree.station,
        name=" 张三 ",
        service_address="济南市历下区泉城路 1 号 1 单元 101 室",
        usage_category="residential",
        voltage_level="220V",
        contract_capacity_kva=Decimal("8.5"),
        tariff_code="RES-220V",
        payment_method="prepaid",
        reading_route=route,
        reading_day=5,
        opened_date=date(2025, 1, 2),
        industry_code=" t9700 ",
        actor=actor,
        now=now,
    )

    account.refresh_from_db()
    assert account.account_no == "0000000018"
    assert (account.name, account.industry_code, account.contract_capacity_kva) == (
        "张三",
        "T9700",
        Decimal("8.50"),
    )
    assert (account.status, account.status_effective_date, account.opened_date) == (
        "normal",
        date(2025, 1, 2),
        date(2025, 1, 2),
    )
    assert (account.reading_route, account.is_key_account, account.org_unit) == (
        route,
        False,
        org_tree.station,
    )
    assert list(
        account.status_changes.values_list("status", "effective_date", "reason", "recorded_at", "recorded_by")
    ) == [("normal", date(2025, 1, 2), "", now, actor.pk)]
    event = AuditEvent.objects.get(action="open_account")
    assert (event.actor, event.object_type, event.object_id, event.org_unit, event.occurred_at) == (
        actor,
        "customers.account",
        str(account.pk),
        org_tree.station,
        now,
    )
    assert event.changes == {
        "account_no": "0000000018",
        "customer_no": "C000000001",
        "org_unit": "37010201",
        "name": "张三",
        "service_address": "济南市历下区泉城路 1 号 1 单元 101 室",
        "usage_category": "residential",
        "industry_code": "T9700",
        "voltage_level": "220V",
        "contract_capacity_kva": "8.5",
        "tariff_code": "RES-220V",
        "payment_method": "prepaid",
        "reading_route": "QCL-05",
        "reading_day": 5,
        "opened_date": "2025-01-02",
        "is_key_account": False,
    }


def test_consecutive_accounts_get_consecutive_account_numbers(open_account_with: Any) -> None:
    numbers = [open_account_with().account_no for _ in range(3)]
    assert numbers == ["0000000018", "0000000026", "0000000034"]


def test_a_given_account_number_is_used_as_is(open_account_with: Any) -> None:
    account = open_account_with(account_no="0000005009")
    assert account.account_no == "0000005009"


def test_numbering_jumps_past_account_numbers_written_without_the_sequence(
    open_account_with: Any, org_tree: Any, person: Customer
) -> None:
    open_account_with(account_no="0000000018")  # sequence 1, given explicitly
    # Sequence 7, as the bulk seeder writes rows.
    Account.objects.create(
        org_unit=org_tree.station,
        account_no="0000000075",
        customer=person,
        name="导入户",
        service_address="济南市历下区泉城路 7 号",
        usage_category="residential",
        voltage_level="220V",
        contract_capacity_kva=Decimal("8"),
        tariff_code="RES-220V",
        reading_day=5,
        status_effective_date=date(2025, 1, 2),
        opened_date=date(2025, 1, 2),
    )

    assert open_account_with().account_no == "0000000083"  # sequence 8
    assert open_account_with().account_no == "0000000091"  # sequence 9


def test_a_duplicate_account_number_is_refused_with_a_clear_message(
    open_account_with: Any, snapshot: Any
) -> None:
    open_account_with(account_no="0000005009")
    before = snapshot()

    with pytest.raises(errors.AccountNumberTaken) as raised:
        open_account_with(account_no="0000005009")

    assert raised.value.message("zh-hans") == "户号 0000005009 已被使用"
    assert raised.value.message("en") == "Account number 0000005009 is already in use"
    assert snapshot() == before


def test_an_opening_date_after_today_is_refused(open_account_with: Any, snapshot: Any) -> None:
    before = snapshot()

    with pytest.raises(errors.DateInFuture) as raised:
        open_account_with(opened_date=date(2031, 1, 1))

    assert raised.value.message("zh-hans") == (
        "立户日期 2031-01-01 晚于今天（2025-03-10）：只能登记已经发生的日期"
    )
    assert raised.value.field == "opened_date"
    assert snapshot() == before


def test_the_database_refuses_a_duplicate_account_number(account: Account) -> None:
    duplicate = Account.objects.get(pk=account.pk)
    duplicate.pk = None
    duplicate.name = "重复户"

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()

    assert list(Account.objects.values_list("account_no", "name")) == [("0000000018", "张三")]


@pytest.mark.parametrize(
    ("overrides", "error", "message_zh", "message_en"),
    [
        (
            {"account_no": "0000000019"},
            errors.AccountNumberInvalid,
            "户号 0000000019 无效：校验位错误",
            "Account number 0000000019 is invalid: the check digit does not match",
        ),
        (
            {"account_no": "000000018"},
            errors.AccountNumberInvalid,
            "户号 000000018 无效：应为 10 位数字",
            "Account number 000000018 is invalid: it must be exactly 10 digits",
        ),
        (
            {"industry_code": "Z99"},
            errors.IndustryCodeInvalid,
            "行业分类代码 Z99 无效：应为 GB/T 4754 门类字母 A–T 加 0、2、3 或 4 位数字",
            "Industry code Z99 is invalid: a GB/T 4754 code is a section letter A–T "
            "followed by 0, 2, 3 or 4 digits",
        ),
        (
            {"reading_day": 0},
            errors.ReadingDayOutOfRange,
            "抄表例日 0 无效：须在 1 至 28 之间",
            "Reading day 0 is invalid: it must be between 1 and 28",
        ),
        (
            {"reading_day": 29},
            errors.ReadingDayOutOfRange,
            "抄表例日 29 无效：须在 1 至 28 之间",
            "Reading day 29 is invalid: it must be between 1 and 28",
        ),
        (
            {"contract_capacity_kva": Decimal("-1")},
            errors.ContractCapacityInvalid,
            "合同容量 -1 kVA 无效：不能为负数",
            "Contract capacity -1 kVA is invalid: it cannot be negative",
        ),
        (
            {"contract_capacity_kva": Decimal("8.125")},
            errors.ContractCapacityInvalid,
            "合同容量 8.125 kVA 无效：最多保留两位小数",
            "Contract capacity 8.125 kVA is invalid: it takes at most two decimals",
        ),
        (
            {"contract_capacity_kva": Decimal("100000000")},
            errors.ContractCapacityInvalid,
            "合同容量 100000000 kVA 无效：超出上限",
            "Contract capacity 100000000 kVA is invalid: it is too large",
        ),
        (
            {"contract_capacity_kva": Decimal("NaN")},
            errors.ContractCapacityInvalid,
            "合同容量 NaN kVA 无效：不是有限数值",
            "Contract capacity NaN kVA is invalid: it is not a finite number",
        ),
        (
            {"usage_category": "household"},
            errors.ChoiceInvalid,
            "用电类别 household 无效，可选值：residential, general_commercial, large_industry, agriculture",
            "usage category household is invalid; allowed values: "
            "residential, general_commercial, large_industry, agriculture",
        ),
        (
            {"voltage_level": "400V"},
            errors.ChoiceInvalid,
            "电压等级 400V 无效，可选值：220V, 380V, 10kV, 20kV, 35kV, 110kV, 220kV",
            "voltage level 400V is invalid; allowed values: 220V, 380V, 10kV, 20kV, 35kV, 110kV, 220kV",
        ),
        (
            {"payment_method": "cash"},
            errors.ChoiceInvalid,
            "缴费方式 cash 无效，可选值：postpaid, prepaid, bank_debit",
            "payment method cash is invalid; allowed values: postpaid, prepaid, bank_debit",
        ),
        (
            {"name": ""},
            errors.RequiredFieldMissing,
            "户名不能为空",
            "The account name is required",
        ),
        (
            {"service_address": "  "},
            errors.RequiredFieldMissing,
            "用电地址不能为空",
            "The service address is required",
        ),
        (
            {"tariff_code": ""},
            errors.RequiredFieldMissing,
            "电价代码不能为空",
            "The tariff code is required",
        ),
        (
            {"tariff_code": "T" * 33},
            errors.FieldTooLong,
            "电价代码最多 32 个字符，收到 33 个",
            "The tariff code takes at most 32 characters, got 33",
        ),
    ],
)
def test_invalid_accounts_are_refused_with_clear_messages(
    open_account_with: Any,
    snapshot: Any,
    overrides: dict[str, Any],
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    before = snapshot()

    with pytest.raises(error) as raised:
        open_account_with(**overrides)

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert snapshot() == before


def test_a_float_capacity_is_a_programming_error(open_account_with: Any, snapshot: Any) -> None:
    before = snapshot()
    with pytest.raises(TypeError, match="contract_capacity_kva must be a Decimal, got float"):
        open_account_with(contract_capacity_kva=8.0)
    assert snapshot() == before


def test_an_account_belongs_to_a_supply_station(open_account_with: Any, org_tree: Any, snapshot: Any) -> None:
    before = snapshot()

    with pytest.raises(errors.AccountOrgUnitNotStation) as raised:
        open_account_with(org_unit=org_tree.county)

    assert raised.value.message("zh-hans") == "用电户须归属供电所，历下区供电中心 不是供电所"
    assert (
        raised.value.message("en") == "An account must belong to a supply station; 历下区供电中心 is not one"
    )
    assert snapshot() == before


def test_an_account_station_must_be_inside_the_customer_org_unit(
    open_account_with: Any, org_tree: Any, snapshot: Any
) -> None:
    before = snapshot()

    with pytest.raises(errors.AccountOrgUnitOutsideCustomer) as raised:
        open_account_with(org_unit=org_tree.other_station)

    assert (
        raised.value.message("zh-hans")
        == "解放路供电所 不在客户 C000000001 所属单位 泉城路供电所 的管辖范围内"
    )
    assert raised.value.message("en") == (
        "解放路供电所 is not within 泉城路供电所, the org unit of customer C000000001"
    )
    assert snapshot() == before


def test_a_county_customer_may_open_accounts_at_any_of_its_stations(
    open_account_with: Any, org_tree: Any, enterprise: Customer
) -> None:
    first = open_account_with(customer=enterprise, org_unit=org_tree.station)
    second = open_account_with(customer=enterprise, org_unit=org_tree.other_station)
    assert [first.org_unit, second.org_unit] == [org_tree.station, org_tree.other_station]


def test_an_account_is_read_with_its_route(
    open_account_with: Any, org_tree: Any, actor: Any, now: datetime, snapshot: Any
) -> None:
    other_route = create_reading_route(
        org_unit=org_tree.other_station,
        code="JFL-05",
        name="解放路 5 日段",
        reading_day=5,
        actor=actor,
        now=now,
    )
    route = create_reading_route(
        org_unit=org_tree.station, code="QCL-10", name="泉城路 10 日段", reading_day=10, actor=actor, now=now
    )
    before = snapshot()

    with pytest.raises(errors.ReadingRouteElsewhere) as elsewhere:
        open_account_with(reading_route=other_route)
    with pytest.raises(errors.ReadingDayDiffersFromRoute) as differs:
        open_account_with(reading_route=route, reading_day=5)

    assert elsewhere.value.message("zh-hans") == "抄表段 JFL-05 属于 解放路供电所，不属于 泉城路供电所"
    assert (
        elsewhere.value.message("en") == "Reading route JFL-05 belongs to 解放路供电所, not to 泉城路供电所"
    )
    assert differs.value.message("zh-hans") == "抄表例日 5 与抄表段 QCL-10 的例日 10 不一致"
    assert differs.value.message("en") == "Reading day 5 differs from day 10 of reading route QCL-10"
    assert snapshot() == before


def _insert_account(account: Account, **changes: Any) -> None:
    row = Account.objects.get(pk=account.pk)
    row.pk = None
    row.account_no = "0000000026"
    for field, value in changes.items():
        setattr(row, field, value)
    with transaction.atomic():
        row.save()


@pytest.mark.parametrize(
    "changes",
    [
        {"account_no": "12345"},
        {"account_no": "00000000A8"},
        {"contract_capacity_kva": Decimal("-0.01")},
        {"reading_day": 0},
        {"reading_day": 29},
        {"status_effective_date": date(2025, 1, 1)},
    ],
)
def test_the_database_refuses_an_invalid_account(account: Account, changes: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError):
        _insert_account(account, **changes)
    assert Account.objects.count() == 1


def test_model_validation_explains_a_bad_check_digit_and_reading_day(account: Account) -> None:
    row = Account.objects.get(pk=account.pk)
    row.pk = None
    row.account_no = "0000000019"
    row.reading_day = 29

    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            row.full_clean()
        # Messages are lazy: read them while the language is still active.
        assert raised.value.message_dict == {
            "account_no": ["Account number 0000000019 is invalid: the check digit does not match"],
            "__all__": ["The reading day must be between 1 and 28."],
        }


def test_model_validation_explains_a_duplicate_account_number(account: Account) -> None:
    row = Account.objects.get(pk=account.pk)
    row.pk = None

    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            row.full_clean()
        assert raised.value.message_dict == {
            "account_no": ["An account with this account number already exists."]
        }
    with translation.override("zh-hans"):
        assert raised.value.message_dict == {"account_no": ["该户号已存在。"]}


# --- reading routes ------------------------------------------------------------------------


def test_a_reading_route_is_created_with_its_reader_and_audited(
    org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime
) -> None:
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])

    route = create_reading_route(
        org_unit=org_tree.station,
        code="QCL-05",
        name="泉城路 5 日段",
        reading_day=5,
        reader=reader,
        actor=actor,
        now=now,
    )

    assert (route.code, route.reading_day, route.reader, route.org_unit) == (
        "QCL-05",
        5,
        reader,
        org_tree.station,
    )
    event = AuditEvent.objects.get(action="create_reading_route")
    assert (event.object_type, event.object_id, event.org_unit) == (
        "customers.readingroute",
        str(route.pk),
        org_tree.station,
    )
    assert event.changes == {
        "code": "QCL-05",
        "name": "泉城路 5 日段",
        "org_unit": "37010201",
        "reading_day": 5,
        "reader": "reader",
    }


def test_invalid_reading_routes_are_refused(
    org_tree: Any, staff_user_factory: Any, actor: Any, now: datetime, snapshot: Any
) -> None:
    create_reading_route(
        org_unit=org_tree.station, code="QCL-05", name="泉城路 5 日段", reading_day=5, actor=actor, now=now
    )
    cashier = staff_user_factory(username="cashier", org_unit=org_tree.station, roles=[Role.CASHIER])
    before = snapshot()

    def refused(error: type[GridCareError], **overrides: Any) -> GridCareError:
        arguments: dict[str, Any] = {
            "org_unit": org_tree.station,
            "code": "QCL-10",
            "name": "泉城路 10 日段",
            "reading_day": 10,
            "actor": actor,
            "now": now,
            **overrides,
        }
        with pytest.raises(error) as raised:
            create_reading_route(**arguments)
        return raised.value

    assert (
        refused(errors.ReadingRouteCodeTaken, code="QCL-05").message("zh-hans")
        == "抄表段编码 QCL-05 已被使用"
    )
    assert refused(errors.ReadingDayOutOfRange, reading_day=31).message("en") == (
        "Reading day 31 is invalid: it must be between 1 and 28"
    )
    assert refused(errors.ReadingRouteOrgUnitNotStation, org_unit=org_tree.county).message("en") == (
        "A reading route must belong to a supply station; 历下区供电中心 is not one"
    )
    assert refused(errors.StaffLacksRole, reader=cashier).message("zh-hans") == "cashier 没有抄表员角色"
    assert snapshot() == before


def test_the_database_refuses_a_reading_route_day_out_of_range(org_tree: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadingRoute.objects.create(
            org_unit=org_tree.station, code="QCL-30", name="泉城路 30 日段", reading_day=30
        )
    assert ReadingRoute.objects.count() == 0
