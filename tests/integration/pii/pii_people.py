"""People with known personal data, registered through the operations: shared by the tests
of this folder and by ``write_pii_database.py``, which builds a database file in a subprocess."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from gridcare.customers.models import Account, Contact, Customer, CustomerKind, PaymentMethod
from gridcare.customers.operations import (
    add_contact,
    open_account,
    register_customer,
    set_direct_debit_account,
)
from gridcare.identity.models import User
from gridcare.identity.operations import create_portal_user


def id_number(body: str) -> str:
    """A valid 身份证号 from its first 17 digits."""
    return next(body + check for check in "0123456789X" if ric.is_valid(body + check))


ID_NUMBERS = (id_number("37010219900215234"), id_number("37010519851130002"))
MOBILES = ("13912345678", "15866554433")
PORTAL_MOBILE = "18653120001"
STAFF_MOBILE = "17705310002"
LANDLINE = "0531-86661234"
BANK_ACCOUNT_NO = "6222020200112233445"
NAMES = ("泉城张三", "历下李四")

KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(32, 64))).decode()
HASH_KEY = base64.b64encode(bytes(range(64, 96))).decode()
OTHER_HASH_KEY = base64.b64encode(bytes(range(96, 128))).decode()


@dataclass(frozen=True)
class People:
    customers: list[Customer]
    contacts: list[Contact]
    account: Account
    portal_user: User
    staff_user: User


def every_secret() -> list[str]:
    """Each personal value as stored by the operations, and its digits without separators."""
    values = [*ID_NUMBERS, *MOBILES, PORTAL_MOBILE, STAFF_MOBILE, LANDLINE, BANK_ACCOUNT_NO]
    return sorted({*values, *(value.replace("-", "") for value in values)})


def register_people(*, org_unit: Any, actor: User | None, now: datetime) -> People:
    """Two persons with a mobile each (the first also a landline), an account paying by direct
    debit, a portal user and a staff user with mobiles."""
    customers, contacts = [], []
    for name, number, mobile in zip(NAMES, ID_NUMBERS, MOBILES, strict=True):
        customer = register_customer(
            org_unit=org_unit, kind=CustomerKind.PERSON, name=name, id_number=number, actor=actor, now=now
        )
        customers.append(customer)
        contacts.append(
            add_contact(
                customer=customer,
                name=name,
                mobile=mobile,
                landline=LANDLINE if not contacts else "",
                is_primary=True,
                actor=actor,
                now=now,
            )
        )
    account = open_account(
        customer=customers[0],
        org_unit=org_unit,
        name=NAMES[0],
        service_address="济南市历下区泉城路 1 号",
        usage_category="residential",
        voltage_level="220V",
        contract_capacity_kva=Decimal("8.00"),
        tariff_code="RES-1",
        payment_method=PaymentMethod.BANK_DEBIT,
        reading_day=5,
        opened_date=date(2025, 1, 2),
        actor=actor,
        now=now,
    )
    set_direct_debit_account(
        account=account,
        bank_name="中国工商银行济南分行",
        bank_account_no=BANK_ACCOUNT_NO,
        actor=actor,
        now=now,
    )
    portal_user = create_portal_user(
        username="portal_zhang", password="Quancheng-Road-88", mobile=PORTAL_MOBILE, actor=actor, now=now
    )
    staff_user = User.objects.get(pk=actor.pk) if actor is not None else portal_user
    staff_user.mobile = STAFF_MOBILE
    staff_user.save()
    return People(customers, contacts, account, portal_user, staff_user)
