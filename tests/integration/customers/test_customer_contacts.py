"""Contacts: channels, consent per channel, one primary contact, audit and constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.customers import errors
from gridcare.customers.models import Contact, Customer
from gridcare.customers.operations import add_contact, set_primary_contact
from gridcare.kit.errors import GridCareError

pytestmark = pytest.mark.django_db


def test_a_contact_is_added_with_normalized_channels_and_audited_on_the_customer(
    org_tree: Any, person: Customer, actor: Any, now: datetime
) -> None:
    contact = add_contact(
        customer=person,
        name=" 张三 ",
        mobile="+86 138-0013-8000",
        landline=" 0531-88888888 ",
        email=" zhangsan@example.cn ",
        wechat_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        consents_to_sms=True,
        consents_to_phone=True,
        consents_to_wechat=True,
        is_primary=True,
        actor=actor,
        now=now,
    )

    contact.refresh_from_db()
    assert (contact.name, contact.mobile, contact.landline, contact.email, contact.wechat_openid) == (
        "张三",
        "13800138000",
        "0531-88888888",
        "zhangsan@example.cn",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
    assert (contact.is_primary, contact.consents_to_email) == (True, False)
    event = AuditEvent.objects.get(action="add_contact")
    assert (event.actor, event.object_type, event.object_id, event.org_unit) == (
        actor,
        "customers.customer",
        str(person.pk),
        org_tree.station,
    )
    assert event.changes == {
        "contact": contact.pk,
        "name": "张三",
        "is_primary": True,
        "mobile": "138****8000",
        "landline": "0531-******88",
        "email": "zhangsan@example.cn",
        "wechat_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "consents_to_sms": True,
        "consents_to_phone": True,
        "consents_to_email": False,
        "consents_to_wechat": True,
    }


@pytest.mark.parametrize(
    ("channels", "error", "message_zh", "message_en"),
    [
        (
            {},
            errors.ContactChannelMissing,
            "联系人至少需要手机、固定电话、电子邮箱或微信 openid 之一",
            "A contact needs at least a mobile, landline, email or WeChat openid",
        ),
        (
            {"mobile": "  ", "email": ""},
            errors.ContactChannelMissing,
            "联系人至少需要手机、固定电话、电子邮箱或微信 openid 之一",
            "A contact needs at least a mobile, landline, email or WeChat openid",
        ),
        (
            {"landline": "0531-88888888", "consents_to_sms": True},
            errors.ConsentWithoutChannel,
            "联系人同意短信联系，但未登记手机号",
            "The contact consents to SMS but has no mobile number",
        ),
        (
            {"email": "zhangsan@example.cn", "consents_to_phone": True},
            errors.ConsentWithoutChannel,
            "联系人同意电话联系，但未登记手机号或固定电话",
            "The contact consents to phone calls but has no mobile or landline",
        ),
        (
            {"mobile": "13800138000", "consents_to_email": True},
            errors.ConsentWithoutChannel,
            "联系人同意电子邮件联系，但未登记电子邮箱",
            "The contact consents to email but has no email",
        ),
        (
            {"mobile": "13800138000", "consents_to_wechat": True},
            errors.ConsentWithoutChannel,
            "联系人同意微信联系，但未登记微信 openid",
            "The contact consents to WeChat but has no WeChat openid",
        ),
        (
            {"mobile": "12800138000"},
            errors.MobileInvalid,
            "手机号 12800138000 无效：应为以 1 开头的 11 位数字",
            "Mobile number 12800138000 is invalid: it must be 11 digits starting with 1",
        ),
        (
            {"landline": "88888888"},
            errors.LandlineInvalid,
            "固定电话 88888888 无效：应为区号加号码，如 0531-88888888，可带分机号",
            "Landline 88888888 is invalid: it must be an area code and number such as 0531-88888888, "
            "optionally with an extension",
        ),
        (
            {"email": "zhangsan@"},
            errors.EmailInvalid,
            "电子邮箱 zhangsan@ 无效",
            "Email address zhangsan@ is invalid",
        ),
        (
            {"wechat_openid": "o#1"},
            errors.WechatOpenidInvalid,
            "微信 openid o#1 无效：应为 6 至 64 位字母、数字、下划线或连字符",
            "WeChat openid o#1 is invalid: it must be 6 to 64 letters, digits, underscores or dashes",
        ),
        (
            {"name": " ", "mobile": "13800138000"},
            errors.RequiredFieldMissing,
            "联系人姓名不能为空",
            "The contact name is required",
        ),
    ],
)
def test_invalid_contacts_are_refused_with_clear_messages(
    person: Customer,
    actor: Any,
    now: datetime,
    snapshot: Any,
    channels: dict[str, Any],
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    arguments: dict[str, Any] = {"name": "张三", **channels}
    before = snapshot()

    with pytest.raises(error) as raised:
        add_contact(customer=person, actor=actor, now=now, **arguments)

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert snapshot() == before


def test_a_second_primary_contact_is_refused_naming_the_first(
    person: Customer, actor: Any, now: datetime, snapshot: Any
) -> None:
    add_contact(customer=person, name="张三", mobile="13800138000", is_primary=True, actor=actor, now=now)
    before = snapshot()

    with pytest.raises(errors.PrimaryContactExists) as raised:
        add_contact(
            customer=person, name="张三之妻", mobile="13900139000", is_primary=True, actor=actor, now=now
        )

    assert raised.value.message("zh-hans") == "客户 C000000001 已有主要联系人 张三"
    assert raised.value.message("en") == "Customer C000000001 already has a primary contact, 张三"
    assert snapshot() == before


def test_the_primary_contact_can_be_changed(person: Customer, actor: Any, now: datetime) -> None:
    first = add_contact(
        customer=person, name="张三", mobile="13800138000", is_primary=True, actor=actor, now=now
    )
    second = add_contact(customer=person, name="张三之妻", mobile="13900139000", actor=actor, now=now)

    set_primary_contact(contact=second, actor=actor, now=now)

    assert list(person.contacts.order_by("pk").values_list("name", "is_primary")) == [
        ("张三", False),
        ("张三之妻", True),
    ]
    event = AuditEvent.objects.get(action="set_primary_contact")
    assert (event.object_type, event.object_id) == ("customers.customer", str(person.pk))
    assert event.changes == {"primary_contact": [first.pk, second.pk]}


def test_making_the_primary_contact_primary_again_is_refused(
    person: Customer, actor: Any, now: datetime, snapshot: Any
) -> None:
    contact = add_contact(
        customer=person, name="张三", mobile="13800138000", is_primary=True, actor=actor, now=now
    )
    before = snapshot()

    with pytest.raises(errors.ContactAlreadyPrimary) as raised:
        set_primary_contact(contact=contact, actor=actor, now=now)

    assert raised.value.message("zh-hans") == "张三 已是客户 C000000001 的主要联系人"
    assert raised.value.message("en") == "张三 is already the primary contact of customer C000000001"
    assert snapshot() == before


def test_the_database_refuses_two_primary_contacts(person: Customer, actor: Any, now: datetime) -> None:
    add_contact(customer=person, name="张三", mobile="13800138000", is_primary=True, actor=actor, now=now)

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=person, name="张三之妻", mobile="13900139000", is_primary=True)

    assert list(Contact.objects.values_list("name", "is_primary")) == [("张三", True)]


def test_the_database_refuses_a_contact_without_a_channel(person: Customer) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=person, name="张三")
    assert Contact.objects.count() == 0


def test_model_validation_explains_the_contact_constraints(
    person: Customer, actor: Any, now: datetime
) -> None:
    add_contact(customer=person, name="张三", mobile="13800138000", is_primary=True, actor=actor, now=now)

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        Contact(customer=person, name="张三之妻", is_primary=True).full_clean()

    assert sorted(raised.value.messages) == [
        "A contact needs at least a mobile, landline, email or WeChat openid.",
        "A customer can have only one primary contact.",
    ]
