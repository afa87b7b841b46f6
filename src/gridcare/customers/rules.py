"""Customer-file rules shared by operations and bulk imports: checks that never write.

The operations of :mod:`gridcare.customers.operations` run these checks before they change
rows, and :mod:`gridcare.exchange` runs them on every row of a file before it writes
anything, so a record is judged the same way whichever door it comes in by. A check may read
the database but never changes it. Failures are :mod:`gridcare.customers.errors` classes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from gridcare.customers import validators
from gridcare.customers.errors import (
    AccountOrgUnitNotStation,
    AccountOrgUnitOutsideCustomer,
    BankNameMissing,
    ConsentWithoutChannel,
    ContractCapacityInvalid,
    CreditCodeAlreadyRegistered,
    DateInFuture,
    EnterpriseIdentityRequired,
    IdNumberAlreadyRegistered,
    PersonIdentityRequired,
    ReadingDayDiffersFromRoute,
    ReadingDayOutOfRange,
    ReadingRouteElsewhere,
)
from gridcare.customers.models import Customer, CustomerKind, ReadingRoute
from gridcare.identity.pii import pii_hash
from gridcare.kit.clock import local_date
from gridcare.organization.models import OrgLevel, OrgUnit

#: Reading days every month has (抄表例日).
READING_DAY_RANGE = range(1, 29)
CAPACITY_STEP = Decimal("0.01")
CAPACITY_LIMIT = Decimal("100000000")  # max_digits=10 with 2 decimals


def check_customer_identity(
    *, kind: str, id_number: str | None, credit_code: str | None
) -> tuple[str | None, str | None]:
    """The normalized ``(id_number, credit_code)`` pair of a customer of ``kind``.

    Blanks count as absent; the pair must fit the kind (:func:`check_identity_matches_kind`)
    and the identifier given must be valid. Whether it is already registered is
    :func:`check_identity_not_registered`'s question.
    """
    id_number = (id_number or "").strip() or None
    credit_code = (credit_code or "").strip() or None
    check_identity_matches_kind(kind=kind, id_number=id_number, credit_code=credit_code)
    # Exactly one identifier is left: the one the kind needs.
    if id_number is not None:
        return validators.validate_id_number(id_number), None
    return None, validators.validate_credit_code(credit_code or "")


def check_identity_matches_kind(*, kind: str, id_number: str | None, credit_code: str | None) -> None:
    """Refuse identifiers that do not fit ``kind``: a person has a 身份证号 and no 统一社会信用代码,
    an enterprise the reverse (``None`` is absent). The error names the identifier that is
    missing or out of place.

    Imports call this alone: their columns have already validated and normalized each identifier.
    """
    if kind == CustomerKind.PERSON:
        if id_number is None or credit_code is not None:
            raise PersonIdentityRequired(field="credit_code" if credit_code is not None else "id_number")
    elif credit_code is None or id_number is not None:
        raise EnterpriseIdentityRequired(field="id_number" if id_number is not None else "credit_code")


def check_identity_not_registered(*, id_number: str | None, credit_code: str | None) -> None:
    """Refuse a normalized identifier another customer already has, naming that customer."""
    if id_number is not None:
        existing = Customer.objects.filter(id_number_hash=pii_hash(id_number, kind="id_number")).first()
        if existing is not None:
            raise IdNumberAlreadyRegistered(
                field="id_number", value=id_number, customer_no=existing.customer_no
            )
    if credit_code is not None:
        existing = Customer.objects.filter(credit_code=credit_code).first()
        if existing is not None:
            raise CreditCodeAlreadyRegistered(
                field="credit_code", value=credit_code, customer_no=existing.customer_no
            )


def check_consents(
    *,
    mobile: str,
    landline: str,
    email: str,
    wechat_openid: str,
    consents_to_sms: bool,
    consents_to_phone: bool,
    consents_to_email: bool,
    consents_to_wechat: bool,
) -> None:
    """Refuse consent to a channel the contact has no address for: SMS needs a mobile, phone
    calls a mobile or landline, email an address, WeChat an openid."""
    checks = [
        (consents_to_sms, bool(mobile), "consents_to_sms", ("短信", "SMS"), ("手机号", "mobile number")),
        (
            consents_to_phone,
            bool(mobile or landline),
            "consents_to_phone",
            ("电话", "phone calls"),
            ("手机号或固定电话", "mobile or landline"),
        ),
        (consents_to_email, bool(email), "consents_to_email", ("电子邮件", "email"), ("电子邮箱", "email")),
        (
            consents_to_wechat,
            bool(wechat_openid),
            "consents_to_wechat",
            ("微信", "WeChat"),
            ("微信 openid", "WeChat openid"),
        ),
    ]
    for consents, has_channel, field, (channel_zh, channel_en), (needs_zh, needs_en) in checks:
        if consents and not has_channel:
            raise ConsentWithoutChannel(
                field=field,
                channel_zh=channel_zh,
                channel_en=channel_en,
                needs_zh=needs_zh,
                needs_en=needs_en,
            )


def check_account_org_unit(*, customer: Customer, org_unit: OrgUnit) -> None:
    """Refuse an account org unit that is not a supply station (供电所) inside the customer's
    org subtree (the customer's own unit when that is a station)."""
    if org_unit.level != OrgLevel.STATION:
        raise AccountOrgUnitNotStation(field="org_unit", org_unit_name=org_unit.name)
    customer_org_unit = customer.org_unit
    if not org_unit.path.startswith(customer_org_unit.path):
        raise AccountOrgUnitOutsideCustomer(
            field="org_unit",
            org_unit_name=org_unit.name,
            customer_no=customer.customer_no,
            customer_org_unit_name=customer_org_unit.name,
        )


def check_contract_capacity(*, contract_capacity_kva: Decimal) -> None:
    """Refuse a contract capacity that is not a finite, non-negative kVA value with at most two
    decimals below :data:`CAPACITY_LIMIT`; a float is a programming error (:class:`TypeError`)."""
    if not isinstance(contract_capacity_kva, Decimal):
        # Capacities are exact: a float here is a programming error, not a user's.
        raise TypeError(
            f"contract_capacity_kva must be a Decimal, got {type(contract_capacity_kva).__name__}"
        )
    if not contract_capacity_kva.is_finite():
        reason = ("不是有限数值", "it is not a finite number")
    elif contract_capacity_kva < 0:
        reason = ("不能为负数", "it cannot be negative")
    elif contract_capacity_kva >= CAPACITY_LIMIT:
        reason = ("超出上限", "it is too large")
    elif contract_capacity_kva != contract_capacity_kva.quantize(CAPACITY_STEP):
        reason = ("最多保留两位小数", "it takes at most two decimals")
    else:
        return
    raise ContractCapacityInvalid(
        field="contract_capacity_kva", value=contract_capacity_kva, reason_zh=reason[0], reason_en=reason[1]
    )


def check_reading_day(*, reading_day: int) -> None:
    """Refuse a reading day outside :data:`READING_DAY_RANGE` (1–28)."""
    if reading_day not in READING_DAY_RANGE:
        raise ReadingDayOutOfRange(field="reading_day", reading_day=reading_day)


def check_reading_route(*, reading_route: ReadingRoute, org_unit: OrgUnit, reading_day: int) -> None:
    """Refuse a reading route (抄表段) of another station or with another reading day: an
    account is read with its route."""
    if reading_route.org_unit_id != org_unit.pk:
        raise ReadingRouteElsewhere(
            field="reading_route",
            route_code=reading_route.code,
            route_org_unit_name=reading_route.org_unit.name,
            org_unit_name=org_unit.name,
        )
    if reading_route.reading_day != reading_day:
        raise ReadingDayDiffersFromRoute(
            field="reading_day",
            reading_day=reading_day,
            route_code=reading_route.code,
            route_reading_day=reading_route.reading_day,
        )


__all__ = [
    "CAPACITY_LIMIT",
    "CAPACITY_STEP",
    "READING_DAY_RANGE",
    "check_account_org_unit",
    "check_consents",
    "check_contract_capacity",
    "check_customer_identity",
    "check_identity_matches_kind",
    "check_identity_not_registered",
    "check_reading_day",
    "check_reading_route",
]


#: Labels of the dates that may not lie in the future, for :class:`DateInFuture`.
FUTURE_DATE_LABELS: dict[str, tuple[str, str]] = {
    "opened_date": ("立户日期", "opening date"),
    "effective_date": ("生效日期", "effective date"),
}


def check_date_not_in_future(*, day: date, field: str, now: datetime) -> None:
    """Refuse ``day`` if it is after today in Asia/Shanghai.

    An account's opening and status changes take effect as soon as they are recorded (the
    account's ``status`` is its status today), so a future date would show tomorrow's status
    today; scheduled changes are a later feature, not a silent one.
    """
    today = local_date(now)
    if day > today:
        label_zh, label_en = FUTURE_DATE_LABELS[field]
        raise DateInFuture(field=field, day=day, today=today, label_zh=label_zh, label_en=label_en)


def check_bank_named(*, bank_name: str, bank_account_no: str) -> None:
    """Refuse a direct-debit bank account number without the bank it is held at."""
    if bank_account_no and not bank_name:
        raise BankNameMissing(field="bank_name")
