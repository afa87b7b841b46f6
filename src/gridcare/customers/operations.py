"""State changes of the customer file (客户档案).

Every operation is keyword-only and atomic: it validates its input with
:mod:`gridcare.customers.validators` and :mod:`gridcare.customers.rules` (which imports share)
before it touches the database, so a user gets a specific zh-Hans/English
:class:`~gridcare.kit.errors.GridCareError` instead of an ``IntegrityError``; then it changes
the rows and records one audit event in the same transaction. Audit ``changes`` hold the new
values of a created record, and ``[old, new]`` pairs for a changed field.

An operation acting for a user (``actor``) first checks that the user holds the change
permission and that the record's org unit lies in their org subtree
(:func:`~gridcare.identity.access.ensure_changeable`); a refusal is audited as
``deny_permission`` and changes nothing. ``actor=None`` is the server's operator (the seeder,
the command line), whom nothing limits.

Org units: a customer belongs to any org unit (an enterprise with accounts in several
stations belongs to their county or city company); each of its accounts belongs to a supply
station (供电所) inside the customer's org subtree, or to the customer's own unit when that
is a station.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from gridcare.audit.operations import record_audit_event
from gridcare.customers import validators
from gridcare.customers.errors import (
    AccountAlreadyBound,
    AccountClosed,
    AccountNumberTaken,
    AccountStatusUnchanged,
    AssignmentStartsTooEarly,
    BindingProofRejected,
    ChoiceInvalid,
    ContactAlreadyPrimary,
    ContactChannelMissing,
    ContactInFuture,
    FieldTooLong,
    FollowUpAlreadyDone,
    FollowUpBeforeContact,
    ManagerAlreadyAssigned,
    ManagerAssignmentAfterClosure,
    NoFollowUpPlanned,
    NotKeyAccount,
    NotPortalUser,
    PiiUnmaskNotPermitted,
    PortalLoginServesOneCustomer,
    PortalUserAlreadyLinked,
    PrimaryContactExists,
    ReadingRouteCodeTaken,
    ReadingRouteOrgUnitNotStation,
    RequiredFieldMissing,
    StaffLacksRole,
    StaffOutsideOrgUnit,
    StaffUserRequired,
    StatusEffectiveDateTooEarly,
    TextHasControlCharacter,
)
from gridcare.customers.masking import mask_id_number
from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatus,
    AccountStatusChange,
    Contact,
    ContactKind,
    ContactLogEntry,
    Customer,
    CustomerKind,
    PaymentMethod,
    PortalLink,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.customers.rules import (
    check_account_org_unit,
    check_bank_named,
    check_consents,
    check_contract_capacity,
    check_customer_identity,
    check_date_not_in_future,
    check_identity_not_registered,
    check_reading_day,
    check_reading_route,
)
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import Role, User, UserKind
from gridcare.identity.permissions import Permission, has_permission
from gridcare.identity.rate_limits import RateLimit, check_rate_limits, record_rate_limit_hit
from gridcare.kit.ids import make_account_number
from gridcare.kit.text import first_forbidden_character
from gridcare.organization.models import OrgLevel, OrgUnit
from gridcare.organization.operations import reserve_sequence_numbers

#: Names of the number sequences; the bulk seeder reserves blocks from the same ones.
CUSTOMER_NUMBER_SEQUENCE = "customer_no"
ACCOUNT_NUMBER_SEQUENCE = "account_no"
CUSTOMER_NUMBER_PREFIX = "C"
CUSTOMER_NUMBER_DIGITS = 9

#: Field labels for error messages, which carry both languages whatever the active one is.
LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "name"),
    "postal_address": ("通信地址", "postal address"),
    "kind": ("类型", "kind"),
    "contact_name": ("联系人姓名", "contact name"),
    "bank_name": ("开户银行", "bank name"),
    "account_name": ("户名", "account name"),
    "service_address": ("用电地址", "service address"),
    "usage_category": ("用电类别", "usage category"),
    "voltage_level": ("电压等级", "voltage level"),
    "payment_method": ("缴费方式", "payment method"),
    "tariff_code": ("电价代码", "tariff code"),
    "status": ("用电户状态", "account status"),
    "reason": ("变更原因", "reason"),
    "route_code": ("抄表段编码", "reading route code"),
    "route_name": ("抄表段名称", "reading route name"),
    "summary": ("联系摘要", "summary"),
}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    AccountStatus.NORMAL: ("正常", "normal"),
    AccountStatus.SUSPENDED: ("暂停", "suspended"),
    AccountStatus.CLOSED: ("销户", "closed"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    Role.ACCOUNT_MANAGER: ("客户经理", "account manager"),
    Role.METER_READER: ("抄表员", "meter reader"),
}


def make_customer_number(*, sequence: int) -> str:
    """The customer number (客户编号) for a sequence: ``C`` and 9 zero-padded digits."""
    if not 0 < sequence < 10**CUSTOMER_NUMBER_DIGITS:
        raise ValueError(f"customer sequence out of range: {sequence}")
    return f"{CUSTOMER_NUMBER_PREFIX}{sequence:0{CUSTOMER_NUMBER_DIGITS}d}"


# --- customers and contacts -------------------------------------------------------------


@denials_audited
@transaction.atomic
def register_customer(
    *,
    org_unit: OrgUnit,
    kind: str,
    name: str,
    id_number: str | None = None,
    credit_code: str | None = None,
    postal_address: str = "",
    actor: User | None,
    now: datetime,
) -> Customer:
    """Register a person (by 身份证号) or an enterprise (by 统一社会信用代码) with a new customer number.

    The identifier is validated and normalized (blanks trimmed, upper case); one already
    registered is refused naming the existing customer number.
    """
    ensure_changeable(
        user=actor, permission=Permission.CHANGE_CUSTOMERS, org_unit=org_unit, operation="register_customer"
    )
    _check_choice(kind, CustomerKind, label="kind")
    name = _text(Customer, "name", name, label="name", required=True)
    postal_address = _text(Customer, "postal_address", postal_address, label="postal_address")
    id_number, credit_code = check_customer_identity(kind=kind, id_number=id_number, credit_code=credit_code)
    check_identity_not_registered(id_number=id_number, credit_code=credit_code)
    customer = Customer.objects.create(
        org_unit=org_unit,
        customer_no=_allocate_customer_number(),
        kind=kind,
        name=name,
        id_number=id_number,
        credit_code=credit_code,
        postal_address=postal_address,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="register_customer",
        target=customer,
        occurred_at=now,
        changes={
            "customer_no": customer.customer_no,
            "org_unit": org_unit.code,
            "kind": kind,
            "name": name,
            # The audit log is kept forever: it holds a masked 身份证号, not the person's number.
            "id_number": mask_id_number(id_number) if id_number else None,
            "credit_code": credit_code,
            "postal_address": postal_address,
        },
    )
    return customer


def _allocate_customer_number() -> str:
    pattern = rf"^{CUSTOMER_NUMBER_PREFIX}[0-9]{{{CUSTOMER_NUMBER_DIGITS}}}$"
    return _allocate_number(
        sequence_name=CUSTOMER_NUMBER_SEQUENCE,
        make=lambda sequence: make_customer_number(sequence=sequence),
        is_taken=lambda number: Customer.objects.filter(customer_no=number).exists(),
        highest_taken=lambda: _highest(
            Customer.objects.filter(customer_no__regex=pattern), "customer_no", prefix_length=1
        ),
    )


def _allocate_account_number() -> str:
    return _allocate_number(
        sequence_name=ACCOUNT_NUMBER_SEQUENCE,
        make=lambda sequence: make_account_number(sequence=sequence),
        is_taken=lambda number: Account.objects.filter(account_no=number).exists(),
        # Every 户号 is 10 digits, so the greatest string is the greatest number; its first
        # nine digits are its sequence.
        highest_taken=lambda: _highest(Account.objects.all(), "account_no", prefix_length=0, suffix_length=1),
    )


def _allocate_number(
    *,
    sequence_name: str,
    make: Callable[[int], str],
    is_taken: Callable[[str], bool],
    highest_taken: Callable[[], int],
) -> str:
    """The next number of the sequence, jumping past numbers that were written without it
    (imports with given numbers, the bulk seeder) instead of probing them one by one."""
    number = make(reserve_sequence_numbers(name=sequence_name)[0])
    if not is_taken(number):
        return number
    return make(reserve_sequence_numbers(name=sequence_name, above=highest_taken())[0])


def _highest(
    queryset: models.QuerySet[Customer] | models.QuerySet[Account],
    field: str,
    *,
    prefix_length: int,
    suffix_length: int = 0,
) -> int:
    highest: str | None = queryset.aggregate(highest=Max(field))["highest"]
    if highest is None:
        return 0
    return int(highest[prefix_length : len(highest) - suffix_length])


@denials_audited
@transaction.atomic
def add_contact(
    *,
    customer: Customer,
    name: str,
    mobile: str = "",
    landline: str = "",
    email: str = "",
    wechat_openid: str = "",
    consents_to_sms: bool = False,
    consents_to_phone: bool = False,
    consents_to_email: bool = False,
    consents_to_wechat: bool = False,
    is_primary: bool = False,
    actor: User | None,
    now: datetime,
) -> Contact:
    """Add a way to reach ``customer``: at least one channel, consent only for channels given.

    A second primary contact is refused; use :func:`set_primary_contact` to change it.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=customer.org_unit,
        operation="add_contact",
    )
    name = _text(Contact, "name", name, label="contact_name", required=True)
    mobile = validators.validate_mobile(mobile) if mobile.strip() else ""
    landline = validators.validate_landline(landline) if landline.strip() else ""
    email = validators.validate_email(email) if email.strip() else ""
    wechat_openid = validators.validate_wechat_openid(wechat_openid) if wechat_openid.strip() else ""
    if not (mobile or landline or email or wechat_openid):
        raise ContactChannelMissing(field="mobile")
    check_consents(
        mobile=mobile,
        landline=landline,
        email=email,
        wechat_openid=wechat_openid,
        consents_to_sms=consents_to_sms,
        consents_to_phone=consents_to_phone,
        consents_to_email=consents_to_email,
        consents_to_wechat=consents_to_wechat,
    )
    if is_primary:
        current_primary = customer.contacts.filter(is_primary=True).first()
        if current_primary is not None:
            raise PrimaryContactExists(
                field="is_primary", customer_no=customer.customer_no, existing_name=current_primary.name
            )
    contact = Contact.objects.create(
        customer=customer,
        name=name,
        is_primary=is_primary,
        mobile=mobile,
        landline=landline,
        email=email,
        wechat_openid=wechat_openid,
        consents_to_sms=consents_to_sms,
        consents_to_phone=consents_to_phone,
        consents_to_email=consents_to_email,
        consents_to_wechat=consents_to_wechat,
    )
    # Contacts carry no org unit: the event targets the customer so it stays org-scoped.
    record_audit_event(
        actor=actor,
        action="add_contact",
        target=customer,
        occurred_at=now,
        changes={
            "contact": contact.pk,
            "name": name,
            "is_primary": is_primary,
            "mobile": mobile,
            "landline": landline,
            "email": email,
            "wechat_openid": wechat_openid,
            "consents_to_sms": consents_to_sms,
            "consents_to_phone": consents_to_phone,
            "consents_to_email": consents_to_email,
            "consents_to_wechat": consents_to_wechat,
        },
    )
    return contact


@denials_audited
@transaction.atomic
def set_primary_contact(*, contact: Contact, actor: User | None, now: datetime) -> Contact:
    """Make ``contact`` its customer's primary contact; the previous one stays as a contact."""
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=contact.customer.org_unit,
        operation="set_primary_contact",
    )
    customer = contact.customer
    if contact.is_primary:
        raise ContactAlreadyPrimary(field="is_primary", name=contact.name, customer_no=customer.customer_no)
    previous = customer.contacts.select_for_update().filter(is_primary=True).first()
    if previous is not None:
        # Demote first: the one-primary unique index is checked row by row.
        previous.is_primary = False
        previous.save(update_fields=["is_primary"])
    contact.is_primary = True
    contact.save(update_fields=["is_primary"])
    record_audit_event(
        actor=actor,
        action="set_primary_contact",
        target=customer,
        occurred_at=now,
        changes={"primary_contact": [previous.pk if previous else None, contact.pk]},
    )
    return contact


@denials_audited
@transaction.atomic
def link_portal_user(*, user: User, customer: Customer, actor: User | None, now: datetime) -> PortalLink:
    """Let a 网上营业厅 user see ``customer``'s accounts; a portal user serves one customer."""
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=customer.org_unit,
        operation="link_portal_user",
    )
    if user.kind != UserKind.PORTAL:
        raise NotPortalUser(field="user", username=user.username)
    existing = PortalLink.objects.filter(user=user).select_related("customer").first()
    if existing is not None:
        raise PortalUserAlreadyLinked(
            field="user", username=user.username, customer_no=existing.customer.customer_no
        )
    link = PortalLink.objects.create(user=user, customer=customer)
    record_audit_event(
        actor=actor,
        action="link_portal_user",
        target=customer,
        occurred_at=now,
        changes={"portal_user": user.username},
    )
    return link


# --- reading routes and accounts --------------------------------------------------------


@denials_audited
@transaction.atomic
def create_reading_route(
    *,
    org_unit: OrgUnit,
    code: str,
    name: str,
    reading_day: int,
    reader: User | None = None,
    actor: User | None,
    now: datetime,
) -> ReadingRoute:
    """Create a reading route (抄表段) of a supply station, optionally with its 抄表员."""
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=org_unit,
        operation="create_reading_route",
    )
    if org_unit.level != OrgLevel.STATION:
        raise ReadingRouteOrgUnitNotStation(field="org_unit", org_unit_name=org_unit.name)
    code = _text(ReadingRoute, "code", code, label="route_code", required=True)
    name = _text(ReadingRoute, "name", name, label="route_name", required=True)
    check_reading_day(reading_day=reading_day)
    if reader is not None:
        _check_staff(reader, role=Role.METER_READER, org_unit=org_unit)
    if ReadingRoute.objects.filter(code=code).exists():
        raise ReadingRouteCodeTaken(field="code", route_code=code)
    route = ReadingRoute.objects.create(
        org_unit=org_unit, code=code, name=name, reading_day=reading_day, reader=reader
    )
    record_audit_event(
        actor=actor,
        action="create_reading_route",
        target=route,
        occurred_at=now,
        changes={
            "code": code,
            "name": name,
            "org_unit": org_unit.code,
            "reading_day": reading_day,
            "reader": reader.username if reader else None,
        },
    )
    return route


@denials_audited
@transaction.atomic
def open_account(
    *,
    customer: Customer,
    org_unit: OrgUnit,
    name: str,
    service_address: str,
    usage_category: str,
    voltage_level: str,
    contract_capacity_kva: Decimal,
    tariff_code: str,
    payment_method: str,
    reading_route: ReadingRoute | None = None,
    reading_day: int,
    opened_date: date,
    industry_code: str = "",
    is_key_account: bool = False,
    account_no: str | None = None,
    actor: User | None,
    now: datetime,
) -> Account:
    """Open a service account (用电户) for ``customer`` at the supply station ``org_unit``.

    Without ``account_no`` the next 户号 comes from the account number sequence; a given one
    must carry a valid check digit and be unused. The account starts ``normal`` on
    ``opened_date``, which is recorded as its first status change.
    """
    ensure_changeable(
        user=actor, permission=Permission.CHANGE_CUSTOMERS, org_unit=org_unit, operation="open_account"
    )
    account_no = _check_account_number(account_no) if account_no is not None else None
    check_date_not_in_future(day=opened_date, field="opened_date", now=now)
    check_account_org_unit(customer=customer, org_unit=org_unit)
    name = _text(Account, "name", name, label="account_name", required=True)
    service_address = _text(
        Account, "service_address", service_address, label="service_address", required=True
    )
    _check_choice(usage_category, UsageCategory, label="usage_category")
    _check_choice(voltage_level, VoltageLevel, label="voltage_level")
    _check_choice(payment_method, PaymentMethod, label="payment_method")
    tariff_code = _text(Account, "tariff_code", tariff_code, label="tariff_code", required=True)
    industry_code = validators.validate_industry_code(industry_code) if industry_code.strip() else ""
    check_contract_capacity(contract_capacity_kva=contract_capacity_kva)
    check_reading_day(reading_day=reading_day)
    if reading_route is not None:
        check_reading_route(reading_route=reading_route, org_unit=org_unit, reading_day=reading_day)
    account = Account.objects.create(
        org_unit=org_unit,
        account_no=account_no or _allocate_account_number(),
        customer=customer,
        name=name,
        service_address=service_address,
        usage_category=usage_category,
        industry_code=industry_code,
        voltage_level=voltage_level,
        contract_capacity_kva=contract_capacity_kva,
        tariff_code=tariff_code,
        payment_method=payment_method,
        reading_route=reading_route,
        reading_day=reading_day,
        status=AccountStatus.NORMAL,
        status_effective_date=opened_date,
        opened_date=opened_date,
        is_key_account=is_key_account,
    )
    AccountStatusChange.objects.create(
        account=account,
        status=AccountStatus.NORMAL,
        effective_date=opened_date,
        recorded_at=now,
        recorded_by=_user_or_none(actor),
    )
    record_audit_event(
        actor=actor,
        action="open_account",
        target=account,
        occurred_at=now,
        changes={
            "account_no": account.account_no,
            "customer_no": customer.customer_no,
            "org_unit": org_unit.code,
            "name": name,
            "service_address": service_address,
            "usage_category": usage_category,
            "industry_code": industry_code,
            "voltage_level": voltage_level,
            "contract_capacity_kva": contract_capacity_kva,
            "tariff_code": tariff_code,
            "payment_method": payment_method,
            "reading_route": reading_route.code if reading_route else None,
            "reading_day": reading_day,
            "opened_date": opened_date,
            "is_key_account": is_key_account,
        },
    )
    return account


def _check_account_number(account_no: str) -> str:
    account_no = validators.validate_account_number(account_no.strip())
    if Account.objects.filter(account_no=account_no).exists():
        raise AccountNumberTaken(field="account_no", account_no=account_no)
    return account_no


@denials_audited
@transaction.atomic
def change_account_status(
    *,
    account: Account,
    status: str,
    effective_date: date,
    reason: str,
    actor: User | None,
    now: datetime,
) -> AccountStatusChange:
    """Suspend (暂停), resume or close (销户) an account from ``effective_date``.

    Normal and suspended switch both ways; any status may close; closed is final. The
    effective date must be after the latest status change. Closing ends the current account
    manager assignment on the closing date.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=account.org_unit,
        operation="change_account_status",
    )
    _check_choice(status, AccountStatus, label="status")
    reason = _text(AccountStatusChange, "reason", reason, label="reason", required=True)
    check_date_not_in_future(day=effective_date, field="effective_date", now=now)
    _lock(account)
    if account.status == AccountStatus.CLOSED:
        raise AccountClosed(
            field="status", account_no=account.account_no, closed_date=account.status_effective_date
        )
    if status == account.status:
        status_zh, status_en = STATUS_NAMES[status]
        raise AccountStatusUnchanged(
            field="status", account_no=account.account_no, status_zh=status_zh, status_en=status_en
        )
    latest_date = account.status_changes.aggregate(latest=Max("effective_date"))["latest"]
    if latest_date is not None and effective_date <= latest_date:
        raise StatusEffectiveDateTooEarly(
            field="effective_date", effective_date=effective_date, latest_date=latest_date
        )
    changes: dict[str, object] = {
        "status": [account.status, status],
        "status_effective_date": [account.status_effective_date, effective_date],
        "reason": reason,
    }
    if status == AccountStatus.CLOSED:
        ended = _end_current_assignment(account=account, valid_to=effective_date)
        if ended is not None:
            changes["account_manager"] = [ended.manager.username, None]
    account.status = status
    account.status_effective_date = effective_date
    account.save(update_fields=["status", "status_effective_date"])
    status_change = AccountStatusChange.objects.create(
        account=account,
        status=status,
        effective_date=effective_date,
        reason=reason,
        recorded_at=now,
        recorded_by=_user_or_none(actor),
    )
    record_audit_event(
        actor=actor, action="change_account_status", target=account, occurred_at=now, changes=changes
    )
    return status_change


def _end_current_assignment(*, account: Account, valid_to: date) -> AccountManagerAssignment | None:
    current = _current_assignment(account)
    if current is None:
        return None
    if current.valid_from >= valid_to:
        raise ManagerAssignmentAfterClosure(
            field="effective_date", valid_from=current.valid_from, effective_date=valid_to
        )
    current.valid_to = valid_to
    current.save(update_fields=["valid_to"])
    return current


def _current_assignment(account: Account) -> AccountManagerAssignment | None:
    return account.manager_assignments.select_related("manager").filter(valid_to__isnull=True).first()


@denials_audited
@transaction.atomic
def assign_account_manager(
    *, account: Account, manager: User, valid_from: date, actor: User | None, now: datetime
) -> AccountManagerAssignment:
    """Make ``manager`` the 客户经理 of a key account from ``valid_from``.

    The manager is an active staff user holding the 客户经理 role whose org subtree contains
    the account. The current assignment, if any, ends on ``valid_from``.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=account.org_unit,
        operation="assign_account_manager",
    )
    _lock(account)
    if not account.is_key_account:
        raise NotKeyAccount(field="account", account_no=account.account_no)
    if account.status == AccountStatus.CLOSED:
        raise AccountClosed(
            field="account", account_no=account.account_no, closed_date=account.status_effective_date
        )
    _check_staff(manager, role=Role.ACCOUNT_MANAGER, org_unit=account.org_unit)
    current = _current_assignment(account)
    if current is not None:
        if current.manager_id == manager.pk:
            raise ManagerAlreadyAssigned(
                field="manager", username=manager.username, account_no=account.account_no
            )
        if valid_from <= current.valid_from:
            raise AssignmentStartsTooEarly(
                field="valid_from", valid_from=valid_from, current_from=current.valid_from
            )
        current.valid_to = valid_from
        current.save(update_fields=["valid_to"])
    assignment = AccountManagerAssignment.objects.create(
        account=account, manager=manager, valid_from=valid_from
    )
    record_audit_event(
        actor=actor,
        action="assign_account_manager",
        target=account,
        occurred_at=now,
        changes={
            "account_manager": [current.manager.username if current else None, manager.username],
            "valid_from": valid_from,
        },
    )
    return assignment


# --- contact log -------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def log_customer_contact(
    *,
    account: Account,
    kind: str,
    occurred_at: datetime,
    staff: User,
    summary: str,
    notes: str = "",
    follow_up_date: date | None = None,
    actor: User | None,
    now: datetime,
) -> ContactLogEntry:
    """Record a visit, call or meeting with an account's customer, with an optional follow-up."""
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=account.org_unit,
        operation="log_customer_contact",
    )
    _check_choice(kind, ContactKind, label="kind")
    _check_staff(staff)
    summary = _text(ContactLogEntry, "summary", summary, label="summary", required=True)
    if occurred_at > now:
        raise ContactInFuture(field="occurred_at", occurred_at=_local(occurred_at))
    contact_date = timezone.localdate(occurred_at)
    if follow_up_date is not None and follow_up_date < contact_date:
        raise FollowUpBeforeContact(
            field="follow_up_date", follow_up_date=follow_up_date, contact_date=contact_date
        )
    entry = ContactLogEntry.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        kind=kind,
        occurred_at=occurred_at,
        staff=staff,
        summary=summary,
        notes=notes.strip(),
        follow_up_date=follow_up_date,
    )
    record_audit_event(
        actor=actor,
        action="log_customer_contact",
        target=entry,
        occurred_at=now,
        changes={
            "account_no": account.account_no,
            "kind": kind,
            "occurred_at": occurred_at,
            "staff": staff.username,
            "summary": summary,
            "follow_up_date": follow_up_date,
        },
    )
    return entry


@denials_audited
@transaction.atomic
def complete_follow_up(*, entry: ContactLogEntry, actor: User | None, now: datetime) -> ContactLogEntry:
    """Mark the follow-up planned on a contact log entry as done at ``now``."""
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_CUSTOMERS,
        org_unit=entry.org_unit,
        operation="complete_follow_up",
    )
    _lock(entry)
    if entry.follow_up_date is None:
        raise NoFollowUpPlanned(field="follow_up_date")
    if entry.follow_up_done_at is not None:
        raise FollowUpAlreadyDone(field="follow_up_done_at", done_at=_local(entry.follow_up_done_at))
    entry.follow_up_done_at = now
    entry.save(update_fields=["follow_up_done_at"])
    record_audit_event(
        actor=actor,
        action="complete_follow_up",
        target=entry,
        occurred_at=now,
        changes={"follow_up_done_at": [None, now]},
    )
    return entry


# --- shared checks -----------------------------------------------------------------------


def _text(model: type[models.Model], field: str, value: str, *, label: str, required: bool = False) -> str:
    """``value`` stripped, refused when required and blank, when it holds a control character
    (see :mod:`gridcare.kit.text`) or when longer than the column."""
    value = value.strip()
    label_zh, label_en = LABELS[label]
    if required and not value:
        raise RequiredFieldMissing(field=field, label_zh=label_zh, label_en=label_en)
    forbidden = first_forbidden_character(value)
    if forbidden is not None:
        raise TextHasControlCharacter(
            field=field, label_zh=label_zh, label_en=label_en, position=forbidden[0], code_point=forbidden[1]
        )
    column = model._meta.get_field(field)
    max_length = column.max_length if isinstance(column, models.Field) else None
    if max_length is not None and len(value) > max_length:
        raise FieldTooLong(
            field=field, label_zh=label_zh, label_en=label_en, max_length=max_length, length=len(value)
        )
    return value


def _check_choice(value: str, choices: type[models.TextChoices], *, label: str) -> None:
    if value not in choices.values:
        label_zh, label_en = LABELS[label]
        raise ChoiceInvalid(
            field=label,
            label_zh=label_zh,
            label_en=label_en,
            value=value,
            allowed=", ".join(str(choice) for choice in choices.values),
        )


def _check_staff(user: User, *, role: Role | None = None, org_unit: OrgUnit | None = None) -> None:
    """``user`` is an active staff user, holding ``role`` and covering ``org_unit`` when given."""
    if user.kind != UserKind.STAFF or not user.is_active:
        raise StaffUserRequired(field="staff", username=user.username)
    if role is not None and not user.groups.filter(name=role.value).exists():
        role_zh, role_en = ROLE_NAMES[role]
        raise StaffLacksRole(field="staff", username=user.username, role_zh=role_zh, role_en=role_en)
    if org_unit is not None and (user.org_unit is None or not org_unit.path.startswith(user.org_unit.path)):
        raise StaffOutsideOrgUnit(field="staff", username=user.username, org_unit_name=org_unit.name)


# --- Direct-debit bank account (代扣; issue 3 item 5) ---------------------------------------


@transaction.atomic
def set_direct_debit_account(
    *, account: Account, bank_name: str, bank_account_no: str, actor: User | None, now: datetime
) -> Account:
    """Record the bank account ``account`` pays by direct debit (代扣) from. The number is
    stored encrypted with its keyed hash and audited masked (``***************3445``)."""
    normalized = validators.validate_bank_account_no(bank_account_no)
    bank_name = _text(Account, "bank_name", bank_name, label="bank_name")
    check_bank_named(bank_name=bank_name, bank_account_no=normalized)
    _lock(account)
    before = {"bank_name": account.bank_name, "bank_account_no": account.bank_account_no}
    account.bank_name, account.bank_account_no = bank_name, normalized
    account.save(update_fields=["bank_name", "bank_account_no", "bank_account_no_hash"])
    record_audit_event(
        actor=_user_or_none(actor),
        action="set_direct_debit_account",
        target=account,
        occurred_at=now,
        changes={
            "bank_name": [before["bank_name"], bank_name],
            "bank_account_no": [before["bank_account_no"], normalized],
        },
    )
    return account


# --- Audited reveal of personal data (issue 3 item 5; ADR 0004) ------------------------------


@dataclass(frozen=True, kw_only=True)
class RevealedContact:
    """One contact's phones, unmasked."""

    name: str
    mobile: str
    landline: str


@dataclass(frozen=True, kw_only=True)
class RevealedPii:
    """One customer's personal data, unmasked, as :func:`reveal_customer_pii` returns it."""

    customer: Customer
    id_number: str | None
    contacts: list[RevealedContact]
    fields: list[str]


@transaction.atomic
def reveal_customer_pii(*, actor: User, customer: Customer, now: datetime) -> RevealedPii:
    """The unmasked 身份证号 and contact phones of ``customer`` for a holder of
    ``Permission.UNMASK_PII`` who may see the customer, recorded as an ``unmask_pii`` audit
    event naming the fields shown (never their values).

    Raises :class:`PiiUnmaskNotPermitted` without the permission and ``Customer.DoesNotExist``
    for a customer outside the actor's org subtree; nothing is recorded then.
    """
    if not has_permission(actor, Permission.UNMASK_PII):
        raise PiiUnmaskNotPermitted()
    customer = Customer.objects.visible_to(actor).get(pk=customer.pk)
    contacts = [
        RevealedContact(name=contact.name, mobile=contact.mobile, landline=contact.landline)
        for contact in customer.contacts.order_by("-is_primary", "name", "id")
    ]
    fields = (["id_number"] if customer.id_number else []) + sorted(
        {name for contact in contacts for name in ("mobile", "landline") if getattr(contact, name)}
    )
    record_audit_event(
        actor=actor,
        action="unmask_pii",
        target=customer,
        occurred_at=now,
        changes={"customer_no": customer.customer_no, "fields": fields},
    )
    return RevealedPii(customer=customer, id_number=customer.id_number, contacts=contacts, fields=fields)


def _lock(record: models.Model) -> None:
    """Lock ``record``'s row for the rest of the transaction and reload it, so checks see the
    latest committed state."""
    type(record)._default_manager.select_for_update().filter(pk=record.pk).values_list("pk").get()
    record.refresh_from_db()


def _user_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


# --- portal account binding ---------------------------------------------------------------

#: Failed binding attempts a portal user may make per hour.
BINDING_FAILURES_PER_USER = RateLimit(scope="portal_binding_failure_user", limit=5, window=timedelta(hours=1))
#: The length of a binding proof: the last characters of the holder's identity number.
BINDING_PROOF_LENGTH = 6
#: An attempted 户号 is cut to this length before it is audited (it is whatever the user typed).
ACCOUNT_NUMBER_AUDIT_LENGTH = 20


def _holder_identity_tail_matches(account: Account, proof: str) -> bool:
    """Whether ``proof`` is the last 6 characters of the account holder's 身份证号 (a person) or
    统一社会信用代码 (an enterprise)."""
    customer = account.customer
    identity_number = customer.id_number if customer.kind == CustomerKind.PERSON else customer.credit_code
    tail = (identity_number or "").upper()[-BINDING_PROOF_LENGTH:]
    return len(tail) == BINDING_PROOF_LENGTH and constant_time_compare(tail, proof)


#: The proofs a portal user may give that an account is theirs; any one that matches binds.
#: Hook: the billing issue adds "the amount of the account's last issued bill" here, as a
#: check taking the account and the proof text.
ACCOUNT_BINDING_PROOFS: tuple[Callable[[Account, str], bool], ...] = (_holder_identity_tail_matches,)


def bind_portal_account(*, portal_user: User, account_no: str, proof: str, now: datetime) -> PortalLink:
    """Bind the customer holding ``account_no`` to ``portal_user`` (who then sees all of that
    customer's accounts) when ``proof`` fits one of :data:`ACCOUNT_BINDING_PROOFS`, and audit it.

    A wrong proof, or a 户号 that does not exist, raises the same
    :class:`~gridcare.customers.errors.BindingProofRejected`, is audited and counts towards
    :data:`BINDING_FAILURES_PER_USER`; past that limit
    :class:`~gridcare.identity.errors.RateLimited` is raised before anything is checked. A
    portal login serves one customer (:class:`PortalLink` is one per user).
    """
    if portal_user.kind != UserKind.PORTAL:
        raise NotPortalUser(field="user", username=portal_user.username)
    user_key = str(portal_user.pk)
    check_rate_limits(checks=[(BINDING_FAILURES_PER_USER, user_key)], now=now)
    account_no = account_no.strip()
    proof = proof.strip().upper()
    with transaction.atomic():
        # Not through visible_to: a portal user has no org scope; the proof is the access check.
        account = Account.objects.select_related("customer").filter(account_no=account_no).first()
        if account is not None and any(matches(account, proof) for matches in ACCOUNT_BINDING_PROOFS):
            return _bind(portal_user=portal_user, account=account, now=now)
        record_rate_limit_hit(scope=BINDING_FAILURES_PER_USER.scope, key=user_key, now=now)
        record_audit_event(
            actor=portal_user,
            action="refuse_portal_account_binding",
            target=portal_user,
            occurred_at=now,
            changes={"account_no": account_no[:ACCOUNT_NUMBER_AUDIT_LENGTH]},
        )
    # Raised after the block commits, so the failed attempt stays counted and audited.
    raise BindingProofRejected(field="proof")


def _bind(*, portal_user: User, account: Account, now: datetime) -> PortalLink:
    existing = (
        PortalLink.objects.select_for_update().filter(user=portal_user).select_related("customer").first()
    )
    if existing is not None and existing.customer_id == account.customer_id:
        raise AccountAlreadyBound(field="account_no", account_no=account.account_no)
    if existing is not None:
        raise PortalLoginServesOneCustomer(field="account_no", customer_name=existing.customer.name)
    link = PortalLink.objects.create(user=portal_user, customer=account.customer)
    record_audit_event(
        actor=portal_user,
        action="bind_portal_account",
        target=account.customer,
        occurred_at=now,
        changes={"portal_user": portal_user.username, "account_no": account.account_no},
    )
    return link


__all__ = [
    "ACCOUNT_NUMBER_SEQUENCE",
    "CUSTOMER_NUMBER_SEQUENCE",
    "add_contact",
    "assign_account_manager",
    "bind_portal_account",
    "change_account_status",
    "complete_follow_up",
    "create_reading_route",
    "link_portal_user",
    "log_customer_contact",
    "make_customer_number",
    "open_account",
    "register_customer",
    "reveal_customer_pii",
    "set_direct_debit_account",
    "set_primary_contact",
]
