"""An account's notification recipient, filled from the customer file: the primary contact's
addresses and consents, a letter always, and few queries for many accounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gridcare.customers.models import Account, Contact, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.customers.notification_recipients import recipient_for_account, recipients_for_accounts
from gridcare.customers.operations import add_contact
from gridcare.identity.models import User
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.recipients import Recipient

SMS, MMS, EMAIL, WECHAT, LETTER = (
    ChannelKind.SMS,
    ChannelKind.MMS,
    ChannelKind.EMAIL,
    ChannelKind.WECHAT,
    ChannelKind.LETTER,
)


def test_the_primary_contact_gives_the_addresses_and_its_consents(
    account: Account, person: Customer, actor: User, now: datetime
) -> None:
    add_contact(
        customer=person,
        name="张小三",
        mobile="13900002222",
        email="xiaosan@example.cn",
        consents_to_sms=True,
        consents_to_email=True,
        actor=actor,
        now=now,
    )
    add_contact(
        customer=person,
        name="张三",
        mobile="13812345678",
        email="zhangsan@example.cn",
        wechat_openid="oWx3a5Qd8x_zhangsan",
        consents_to_sms=True,
        consents_to_wechat=True,
        is_primary=True,
        actor=actor,
        now=now,
    )

    recipient = recipient_for_account(account=account)

    assert recipient == Recipient(
        key=f"account:{account.pk}",
        addresses={
            LETTER: "张三\n济南市历下区泉城路 1 号",
            SMS: "13812345678",
            MMS: "13812345678",
            EMAIL: "zhangsan@example.cn",
            WECHAT: "oWx3a5Qd8x_zhangsan",
        },
        consents=frozenset({LETTER, SMS, MMS, WECHAT}),
        language="zh-hans",
        org_unit_id=account.org_unit_id,
    )


def test_without_a_primary_contact_the_earliest_is_notified(
    account: Account, person: Customer, actor: User, now: datetime
) -> None:
    add_contact(
        customer=person,
        name="张三",
        email="zhangsan@example.cn",
        consents_to_email=True,
        actor=actor,
        now=now,
    )
    add_contact(
        customer=person, name="李四", mobile="13900002222", consents_to_sms=True, actor=actor, now=now
    )

    recipient = recipient_for_account(account=account)

    assert recipient.addresses == {LETTER: "张三\n济南市历下区泉城路 1 号", EMAIL: "zhangsan@example.cn"}
    assert recipient.consents == frozenset({LETTER, EMAIL})


def test_a_customer_without_contacts_or_postal_address_gets_letters_at_the_service_address(
    account: Account, person: Customer
) -> None:
    Customer.objects.filter(pk=person.pk).update(postal_address="")
    account = Account.objects.get(pk=account.pk)

    recipient = recipient_for_account(account=account)

    assert recipient.as_data() == {
        "key": f"account:{account.pk}",
        "addresses": {"letter": "张三\n济南市历下区泉城路 1 号 1 单元 101 室"},
        "consents": ["letter"],
        "language": "zh-hans",
        "org_unit_id": account.org_unit_id,
    }


def test_addresses_without_consent_are_kept_but_not_consented(
    key_account: Account, enterprise: Customer, actor: User, now: datetime
) -> None:
    add_contact(
        customer=enterprise,
        name="王经理",
        mobile="13700003333",
        wechat_openid="oWx3a5Qd8x_wang",
        is_primary=True,
        actor=actor,
        now=now,
    )

    recipient = recipient_for_account(account=key_account)

    assert recipient.addresses == {
        LETTER: "济南泉城机械制造有限公司\n济南市历下区解放路 100 号",
        SMS: "13700003333",
        MMS: "13700003333",
        WECHAT: "oWx3a5Qd8x_wang",
    }
    assert recipient.consents == frozenset({LETTER})
    assert recipient.org_unit_id == key_account.org_unit_id


def test_many_accounts_in_queryset_order_and_the_same_as_one_by_one(
    account: Account, key_account: Account, person: Customer, actor: User, now: datetime
) -> None:
    add_contact(
        customer=person,
        name="张三",
        mobile="13812345678",
        consents_to_sms=True,
        is_primary=True,
        actor=actor,
        now=now,
    )

    recipients = list(recipients_for_accounts(accounts=Account.objects.order_by("-account_no")))

    expected_order = sorted([account, key_account], key=lambda row: row.account_no, reverse=True)
    assert recipients == [recipient_for_account(account=row) for row in expected_order]


def _bulk_accounts(*, org_tree: Any, now: datetime) -> None:
    """200 accounts of 50 enterprises with two contacts each (one primary), written in bulk."""
    customers = Customer.objects.bulk_create(
        Customer(
            org_unit=org_tree.station,
            customer_no=f"C9{number:08d}",
            kind=CustomerKind.ENTERPRISE,
            name=f"企业{number}",
            credit_code=f"91370100MA{number:08d}",
            postal_address=f"济南市历下区工业路 {number} 号",
            created_at=now,
        )
        for number in range(50)
    )
    Contact.objects.bulk_create(
        Contact(
            customer=customer,
            name=name,
            is_primary=is_primary,
            mobile=f"139{customer.pk % 10**8:08d}",
            consents_to_sms=is_primary,
        )
        for customer in customers
        for name, is_primary in (("联系人", False), ("负责人", True))
    )
    Account.objects.bulk_create(
        Account(
            org_unit=org_tree.station,
            account_no=f"9{index:09d}",
            customer=customers[index // 4],
            name=f"企业{index // 4} 户{index % 4}",
            service_address=f"济南市历下区工业路 {index // 4} 号",
            usage_category=UsageCategory.GENERAL_COMMERCIAL,
            voltage_level=VoltageLevel.KV10,
            contract_capacity_kva=Decimal("100"),
            tariff_code="GI-10KV",
            reading_day=5,
            status_effective_date=date(2025, 1, 2),
            opened_date=date(2025, 1, 2),
        )
        for index in range(200)
    )


def test_200_accounts_take_two_queries(
    org_tree: Any, now: datetime, django_assert_max_num_queries: Any
) -> None:
    _bulk_accounts(org_tree=org_tree, now=now)

    with django_assert_max_num_queries(2):
        recipients = list(recipients_for_accounts(accounts=Account.objects.order_by("account_no")))

    assert len(recipients) == 200
    first = Account.objects.select_related("customer").get(account_no="9000000000")
    mobile = f"139{first.customer_id % 10**8:08d}"
    assert recipients[0] == Recipient(
        key=f"account:{first.pk}",
        addresses={LETTER: "企业0 户0\n济南市历下区工业路 0 号", SMS: mobile, MMS: mobile},
        consents=frozenset({LETTER, SMS, MMS}),
        language="zh-hans",
        org_unit_id=org_tree.station.pk,
    )
    assert [recipient.key for recipient in recipients] == [
        f"account:{pk}" for pk in Account.objects.order_by("account_no").values_list("pk", flat=True)
    ]
