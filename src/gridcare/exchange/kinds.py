"""The five kinds of exchange file and their columns, declared once for import and export.

Row 1 of a file holds the column names below (English snake_case, the model's field names;
a reference column holds the referenced record's number or code); the order of the columns
is free and optional columns may be left out. Every export writes all columns, in this order,
so an exported file imports back unchanged.

``customers`` — 客户
    customer_no*, kind* (person | enterprise), name*, id_number (身份证号, persons),
    credit_code (统一社会信用代码, enterprises), postal_address, org_unit (org unit code; default:
    the import's org unit), and the primary contact: contact_name, mobile, landline, email,
    wechat_openid, consents_to_sms, consents_to_phone, consents_to_email, consents_to_wechat.
``accounts`` — 用电户
    account_no* (户号 with its check digit), customer_no*, org_unit (a supply station),
    name*, service_address*, usage_category*, industry_code (GB/T 4754), voltage_level*,
    contract_capacity_kva*, tariff_code*, payment_method, reading_route (route code),
    reading_day*, status, status_effective_date (default: opened_date), opened_date*,
    is_key_account, bank_name and bank_account_no (the direct-debit account, 代扣).

ID numbers, phones and bank account numbers are exported masked unless the export is unmasked.
``metering_points`` — 计量点 (in the account's org unit)
    code*, account_no*, name*, metering_arrangement* (hv_hv | hv_lv | lv_lv), ct_ratio, pt_ratio,
    transformer_capacity_kva, transformer_no_load_loss_kw, transformer_load_loss_kw,
    line_loss_percent, parent (parent point code: in the database or on an earlier row),
    child_relation, transformer_area (台区 code), feeder (馈线 code).
``meters`` — 电能表
    asset_no*, meter_type*, manufacturer*, model, accuracy_class*, has_time_of_use, has_export,
    has_reactive, has_demand, integer_digits, decimal_digits, status, status_changed_at,
    org_unit, and for an installed meter its installation: metering_point (code), installed_at.
``reads`` — 抄表示数 (on the metering point the meter was installed on at read_at)
    asset_no*, read_at*, source* (ami | manual | estimated), status, reason,
    import_active_total*, import_active_sharp, import_active_peak, import_active_flat,
    import_active_valley, export_active_total, reactive_import_total, reactive_export_total,
    maximum_demand_kw.

(* required.) Every row goes through the rules the operations apply to the same record
(:mod:`gridcare.customers.rules` and :mod:`gridcare.metering.rules`); install and removal
reads are refused as by ``record_meter_read``: they come with installing and removing a meter.
So the reads export leaves them out too; a meter's installation travels in the ``meters``
file (its current one, without its install read).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.functional import Promise

from gridcare.customers import validators
from gridcare.customers.errors import (
    AccountNumberTaken,
    ContactChannelMissing,
    CreditCodeAlreadyRegistered,
    IdNumberAlreadyRegistered,
)
from gridcare.customers.models import (
    Account,
    AccountStatus,
    AccountStatusChange,
    Contact,
    Customer,
    CustomerKind,
    PaymentMethod,
    ReadingRoute,
    UsageCategory,
    VoltageLevel,
)
from gridcare.customers.rules import (
    check_account_org_unit,
    check_bank_named,
    check_consents,
    check_contract_capacity,
    check_identity_matches_kind,
    check_reading_day,
    check_reading_route,
)
from gridcare.exchange.errors import (
    DuplicateOfEarlierRow,
    InstallationColumnsMismatch,
    StatusBeforeOpening,
    ValueTaken,
)
from gridcare.exchange.parsers import (
    Boolean,
    Choice,
    Email,
    Energy,
    Integer,
    IsoDate,
    IsoDateTime,
    Number,
    Parser,
    Text,
)
from gridcare.exchange.queries import ExchangeScope, existing_keys, in_scope
from gridcare.identity.models import User
from gridcare.identity.pii import pii_hash
from gridcare.kit.errors import GridCareError
from gridcare.kit.ids import validate_account_number
from gridcare.kit.masking import mask_bank_account_no, mask_id_number, mask_landline, mask_mobile
from gridcare.metering.errors import (
    MeterAssetNumberTaken,
    MeteringPointCodeTaken,
    MeteringPointOccupied,
    ReadTimeTaken,
)
from gridcare.metering.models import (
    DEMAND_DECIMALS,
    ChildRelation,
    Feeder,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadReason,
    ReadSource,
    ReadStatus,
    TransformerArea,
)
from gridcare.metering.rules import (
    REGISTER_NAMES,
    InstallationIndex,
    RegisterValues,
    check_accuracy_class,
    check_meter_dial,
    check_meter_read,
    check_metering_point_parameters,
    check_no_overlap,
    check_not_in_future,
    check_parent_metering_point,
    format_moment,
    load_installation_index,
    load_last_removals,
    resolve_topology,
)
from gridcare.organization.models import OrgUnit

#: The largest value of a ``PositiveIntegerField`` on both databases.
_INTEGER_MAX = 2**31 - 1
#: Small integers (dial digits, reading day) are parsed wide and judged by the domain rule,
#: whose message says what the range is.
_SMALL_INTEGER_MAX = 32767


@dataclass(frozen=True, kw_only=True)
class Reference:
    """A column naming another record by its number or code, looked up in the import's scope.

    ``related`` are the relations the rules read, loaded with the lookup so no row costs a
    query. ``earlier_rows_column`` lets a row name a record created by an earlier row of the
    same file (a parent metering point), by that row's value in this column.
    """

    model: type[models.Model]
    key: str
    label_zh: str
    label_en: str
    related: tuple[str, ...] = ()
    earlier_rows_column: str | None = None
    defaults_to_scope_org_unit: bool = False


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a kind's file.

    ``pii_mask`` marks personal data (身份证号, phones): exports mask it by default, so a masked
    export does not import back.

    ``field`` is the attribute of the new record the value is written to (for a reference,
    the foreign key that receives the referenced record); ``None`` when the kind writes it
    elsewhere (a primary contact, an installation). ``export`` is the ORM path an export
    reads, by default the field (``field__key`` for a reference). ``described_by`` names the
    model field whose verbose name explains the column, when it is not the record's own.
    """

    name: str
    parser: Parser
    required: bool = False
    default: Any = None
    field: str | None = None
    reference: Reference | None = None
    export: str | None = None
    described_by: tuple[type[models.Model], str] | None = None
    #: The mask of a personal-data column, applied on export unless the export is unmasked.
    pii_mask: Callable[[str | None], str] | None = None

    @property
    def is_text(self) -> bool:
        """Whether the column holds free text (guarded against formulas in CSV files), not a
        number, date, flag or code from a fixed set."""
        return isinstance(self.parser, Text | Email)

    @property
    def export_path(self) -> str:
        if self.export is not None:
            return self.export
        if self.reference is not None and self.field is not None:
            return f"{self.field}__{self.reference.key}"
        return self.field or self.name


@dataclass
class Row:
    """One data row: its number as the user sees it (the header is row 1), the cell text by
    column, and the parsed values by column (a reference column's value is the record)."""

    number: int
    cells: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Batch:
    """What every row of one import shares."""

    scope: ExchangeScope
    now: datetime
    file_name: str

    @property
    def actor(self) -> User | None:
        return self.scope.user


@dataclass
class Built:
    """The record a row creates, and the records that hang on it (a contact, a status change,
    an installation), which are inserted after it."""

    record: models.Model
    extras: list[models.Model] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Unique:
    """A key no two records may share: checked against the database (one query per chunk) and
    within the file. ``key`` gives a row's key (``None``: the row has none); ``existing`` finds
    the keys already taken as ``{key: (pk, holder)}``; ``taken`` is the error for a key held
    by a record that was there before the import; ``model``'s primary keys tell those from the
    rows this import added."""

    column: str
    label_zh: str
    label_en: str
    model: type[models.Model]
    key: Callable[[Row], Hashable | None]
    existing: Callable[[set[Hashable]], dict[Hashable, tuple[int, str]]]
    taken: Callable[[Row, str], GridCareError]

    def duplicate_of_earlier_row(self, row: Row) -> GridCareError:
        return DuplicateOfEarlierRow(
            field=self.column, label_zh=self.label_zh, label_en=self.label_en, value=row.cells[self.column]
        )


def _unique_field(
    model: type[models.Model],
    column: str,
    *,
    label_zh: str,
    label_en: str,
    taken: Callable[[Row, str], GridCareError] | None = None,
    holder: str | None = None,
    pii_kind: str | None = None,
) -> Unique:
    """A unique single field whose column has the field's name. An encrypted field names its
    ``pii_kind``: its rows are compared by keyed hash, through the ``<column>_hash`` field."""

    def default_taken(row: Row, _holder: str) -> GridCareError:
        return ValueTaken(field=column, label_zh=label_zh, label_en=label_en, value=row.values[column])

    def key(row: Row) -> Hashable | None:
        value = row.values.get(column)
        return pii_hash(value, kind=pii_kind) if pii_kind is not None and value is not None else value

    key_field = f"{column}_hash" if pii_kind is not None else column
    return Unique(
        column=column,
        label_zh=label_zh,
        label_en=label_en,
        model=model,
        key=key,
        existing=lambda keys: existing_keys(
            model._default_manager.filter(**{f"{key_field}__in": list(keys)}),
            key_fields=(key_field,),
            holder_field=holder,
        ),
        taken=taken or default_taken,
    )


class Kind:
    """A kind of exchange file: its model, columns and uniqueness, and how a row becomes records."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    uniques: ClassVar[tuple[Unique, ...]] = ()
    #: Where an error about a record field that is not a column of its own is reported.
    column_of_field: ClassVar[dict[str, str]] = {}
    #: Rows per ``INSERT``; stays under PostgreSQL's 65,535 parameters for every kind.
    insert_batch_size: ClassVar[int] = 1000

    def describe(self, column: Column) -> str | Promise:
        """The column's meaning for the upload page: the verbose name of the field it fills."""
        model, field_name = column.described_by or (self.model, column.field or column.name)
        return model._meta.get_field(field_name).verbose_name  # type: ignore[union-attr]

    def prepare(self, rows: Sequence[Row], *, batch: Batch) -> Any:
        """Load, in a few queries, what :meth:`build` needs for a chunk of rows."""
        return None

    def build(self, row: Row, *, batch: Batch, prepared: Any) -> Built:
        """The records of one row whose cells parsed and references resolved, or the
        :class:`GridCareError` of the first rule it breaks."""
        raise NotImplementedError

    def insert(self, built: Sequence[Built]) -> None:
        """Insert the records, then the records hanging on them."""
        self.model._default_manager.bulk_create(
            [item.record for item in built], batch_size=self.insert_batch_size
        )
        _insert_extras(built, batch_size=self.insert_batch_size)

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        """The records an export writes, in file order."""
        raise NotImplementedError

    def field_values(self, row: Row) -> dict[str, Any]:
        """The record's fields filled straight from columns."""
        return {column.field: row.values[column.name] for column in self.columns if column.field}


def _insert_extras(built: Sequence[Built], *, batch_size: int) -> None:
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for item in built:
        for extra in item.extras:
            by_model[type(extra)].append(extra)
    for model, records in by_model.items():
        model._default_manager.bulk_create(records, batch_size=batch_size)


def _org_unit_column() -> Column:
    """The record's org unit by code; a blank cell takes the import's org unit."""
    return Column(
        name="org_unit",
        parser=Text(max_length=16),
        field="org_unit",
        reference=Reference(
            model=OrgUnit,
            key="code",
            label_zh="供电单位",
            label_en="Org unit",
            defaults_to_scope_org_unit=True,
        ),
    )


# --- customers ------------------------------------------------------------------------------


class CustomersKind(Kind):
    name = "customers"
    model = Customer
    columns = (
        Column(name="customer_no", parser=Text(max_length=20), required=True, field="customer_no"),
        Column(name="kind", parser=Choice.of(CustomerKind), required=True, field="kind"),
        Column(name="name", parser=Text(max_length=200), required=True, field="name"),
        Column(
            name="id_number",
            pii_mask=mask_id_number,
            parser=Text(max_length=18, check=validators.validate_id_number),
            field="id_number",
        ),
        Column(
            name="credit_code",
            parser=Text(max_length=18, check=validators.validate_credit_code),
            field="credit_code",
        ),
        Column(name="postal_address", parser=Text(max_length=300), default="", field="postal_address"),
        _org_unit_column(),
        Column(
            name="contact_name",
            parser=Text(max_length=100),
            default="",
            described_by=(Contact, "name"),
        ),
        Column(
            name="mobile",
            pii_mask=mask_mobile,
            parser=Text(max_length=11, check=validators.validate_mobile),
            default="",
            described_by=(Contact, "mobile"),
        ),
        Column(
            name="landline",
            pii_mask=mask_landline,
            parser=Text(max_length=20, check=validators.validate_landline),
            default="",
            described_by=(Contact, "landline"),
        ),
        Column(
            name="email",
            parser=Text(max_length=254, check=validators.validate_email),
            default="",
            described_by=(Contact, "email"),
        ),
        Column(
            name="wechat_openid",
            parser=Text(max_length=64, check=validators.validate_wechat_openid),
            default="",
            described_by=(Contact, "wechat_openid"),
        ),
        *(
            Column(name=consent, parser=Boolean(), default=False, described_by=(Contact, consent))
            for consent in ("consents_to_sms", "consents_to_phone", "consents_to_email", "consents_to_wechat")
        ),
    )
    _CONTACT_FIELDS: ClassVar[tuple[str, ...]] = (
        "mobile",
        "landline",
        "email",
        "wechat_openid",
        "consents_to_sms",
        "consents_to_phone",
        "consents_to_email",
        "consents_to_wechat",
    )
    uniques = (
        _unique_field(Customer, "customer_no", label_zh="客户编号", label_en="Customer number"),
        _unique_field(
            Customer,
            "id_number",
            label_zh="身份证号",
            label_en="Resident ID number",
            holder="customer_no",
            pii_kind="id_number",
            taken=lambda row, holder: IdNumberAlreadyRegistered(
                field="id_number", value=row.values["id_number"], customer_no=holder
            ),
        ),
        _unique_field(
            Customer,
            "credit_code",
            label_zh="统一社会信用代码",
            label_en="Unified social credit code",
            holder="customer_no",
            taken=lambda row, holder: CreditCodeAlreadyRegistered(
                field="credit_code", value=row.values["credit_code"], customer_no=holder
            ),
        ),
    )

    def build(self, row: Row, *, batch: Batch, prepared: Any) -> Built:
        """The identity rule of ``register_customer`` (its uniqueness half is :attr:`uniques`,
        checked per chunk), and the primary contact."""
        values = row.values
        check_identity_matches_kind(
            kind=values["kind"], id_number=values["id_number"], credit_code=values["credit_code"]
        )
        customer = Customer(**self.field_values(row), created_at=batch.now)
        contact = self._primary_contact(row, customer=customer)
        return Built(record=customer, extras=[contact] if contact is not None else [])

    def _primary_contact(self, row: Row, *, customer: Customer) -> Contact | None:
        """The primary contact the contact columns describe (as ``add_contact`` checks it), or
        ``None`` when they are all empty."""
        values = row.values
        contact_values = {name: values[name] for name in self._CONTACT_FIELDS}
        check_consents(**contact_values)
        channels = (values["mobile"], values["landline"], values["email"], values["wechat_openid"])
        if not any(channels):
            if values["contact_name"]:
                raise ContactChannelMissing(field="mobile")
            return None
        return Contact(
            customer=customer,
            name=values["contact_name"] or values["name"][:100],
            is_primary=True,
            **contact_values,
        )

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        primary = Contact.objects.filter(customer=OuterRef("pk"), is_primary=True)
        contact_columns = {
            "contact_name": Subquery(primary.values("name")[:1]),
            **{name: Subquery(primary.values(name)[:1]) for name in self._CONTACT_FIELDS},
        }
        customers: QuerySet[Any] = in_scope(Customer, scope=scope)
        if scope.account_nos is not None:
            holders = Account.objects.filter(account_no__in=scope.account_nos).values("customer_id")
            customers = customers.filter(pk__in=holders)
        annotated: QuerySet[Any] = customers.annotate(**contact_columns)
        return annotated.order_by("customer_no")


# --- accounts -------------------------------------------------------------------------------


class AccountsKind(Kind):
    name = "accounts"
    model = Account
    columns = (
        Column(
            name="account_no",
            parser=Text(max_length=10, check=validate_account_number),
            required=True,
            field="account_no",
        ),
        Column(
            name="customer_no",
            parser=Text(max_length=20),
            required=True,
            field="customer",
            reference=Reference(
                model=Customer,
                key="customer_no",
                label_zh="客户编号",
                label_en="Customer number",
                related=("org_unit",),
            ),
        ),
        _org_unit_column(),
        Column(name="name", parser=Text(max_length=200), required=True, field="name"),
        Column(name="service_address", parser=Text(max_length=300), required=True, field="service_address"),
        Column(name="usage_category", parser=Choice.of(UsageCategory), required=True, field="usage_category"),
        Column(
            name="industry_code",
            parser=Text(max_length=5, check=validators.validate_industry_code),
            default="",
            field="industry_code",
        ),
        Column(name="voltage_level", parser=Choice.of(VoltageLevel), required=True, field="voltage_level"),
        Column(
            name="contract_capacity_kva",
            parser=Number(max_digits=10, decimal_places=2),
            required=True,
            field="contract_capacity_kva",
        ),
        Column(name="tariff_code", parser=Text(max_length=32), required=True, field="tariff_code"),
        Column(
            name="payment_method",
            parser=Choice.of(PaymentMethod),
            default=PaymentMethod.POSTPAID,
            field="payment_method",
        ),
        Column(
            name="reading_route",
            parser=Text(max_length=20),
            field="reading_route",
            reference=Reference(
                model=ReadingRoute,
                key="code",
                label_zh="抄表段",
                label_en="Reading route",
                related=("org_unit",),
            ),
        ),
        Column(
            name="reading_day",
            parser=Integer(minimum=0, maximum=_SMALL_INTEGER_MAX),
            required=True,
            field="reading_day",
        ),
        Column(name="status", parser=Choice.of(AccountStatus), default=AccountStatus.NORMAL, field="status"),
        Column(name="status_effective_date", parser=IsoDate(), field="status_effective_date"),
        Column(name="opened_date", parser=IsoDate(), required=True, field="opened_date"),
        Column(name="is_key_account", parser=Boolean(), default=False, field="is_key_account"),
        Column(name="bank_name", parser=Text(max_length=100), default="", field="bank_name"),
        Column(
            name="bank_account_no",
            pii_mask=mask_bank_account_no,
            parser=Text(max_length=34, check=validators.validate_bank_account_no),
            default="",
            field="bank_account_no",
        ),
    )
    uniques = (
        _unique_field(
            Account,
            "account_no",
            label_zh="户号",
            label_en="Account number",
            taken=lambda row, _holder: AccountNumberTaken(
                field="account_no", account_no=row.values["account_no"]
            ),
        ),
    )

    def build(self, row: Row, *, batch: Batch, prepared: Any) -> Built:
        values = self.field_values(row)
        check_account_org_unit(customer=values["customer"], org_unit=values["org_unit"])
        check_bank_named(bank_name=values["bank_name"], bank_account_no=values["bank_account_no"])
        check_contract_capacity(contract_capacity_kva=values["contract_capacity_kva"])
        check_reading_day(reading_day=values["reading_day"])
        if values["reading_route"] is not None:
            check_reading_route(
                reading_route=values["reading_route"],
                org_unit=values["org_unit"],
                reading_day=values["reading_day"],
            )
        if values["status_effective_date"] is None:
            values["status_effective_date"] = values["opened_date"]
        if values["status_effective_date"] < values["opened_date"]:
            raise StatusBeforeOpening(
                field="status_effective_date",
                status_effective_date=values["status_effective_date"],
                opened_date=values["opened_date"],
            )
        account = Account(**values)
        return Built(record=account, extras=self._status_history(account, batch=batch))

    def _status_history(self, account: Account, *, batch: Batch) -> list[models.Model]:
        """The status history ``open_account`` starts (the opening date), then the file's
        status from its effective date if that is later."""
        recorded = {"recorded_at": batch.now, "recorded_by": batch.actor}
        changed_later = account.status_effective_date != account.opened_date
        history: list[models.Model] = [
            AccountStatusChange(
                account=account,
                status=AccountStatus.NORMAL if changed_later else account.status,
                effective_date=account.opened_date,
                **recorded,
            )
        ]
        if changed_later:
            history.append(
                AccountStatusChange(
                    account=account,
                    status=account.status,
                    effective_date=account.status_effective_date,
                    reason=f"import {batch.file_name}"[:200],
                    **recorded,
                )
            )
        return history

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        accounts = in_scope(Account, scope=scope)
        if scope.account_nos is not None:
            accounts = accounts.filter(account_no__in=scope.account_nos)
        return accounts.order_by("account_no")


# --- metering points ------------------------------------------------------------------------


class MeteringPointsKind(Kind):
    name = "metering_points"
    model = MeteringPoint
    columns = (
        Column(name="code", parser=Text(max_length=20), required=True, field="code"),
        Column(
            name="account_no",
            parser=Text(max_length=10),
            required=True,
            field="account",
            reference=Reference(
                model=Account,
                key="account_no",
                label_zh="户号",
                label_en="Account number",
                related=("org_unit", "customer"),
            ),
        ),
        Column(name="name", parser=Text(max_length=100), required=True, field="name"),
        Column(
            name="metering_arrangement",
            parser=Choice.of(MeteringArrangement),
            required=True,
            field="metering_arrangement",
        ),
        Column(name="ct_ratio", parser=Integer(minimum=0, maximum=_INTEGER_MAX), default=1, field="ct_ratio"),
        Column(name="pt_ratio", parser=Integer(minimum=0, maximum=_INTEGER_MAX), default=1, field="pt_ratio"),
        Column(
            name="transformer_capacity_kva",
            parser=Number(max_digits=10, decimal_places=2),
            field="transformer_capacity_kva",
        ),
        Column(
            name="transformer_no_load_loss_kw",
            parser=Number(max_digits=8, decimal_places=3),
            field="transformer_no_load_loss_kw",
        ),
        Column(
            name="transformer_load_loss_kw",
            parser=Number(max_digits=8, decimal_places=3),
            field="transformer_load_loss_kw",
        ),
        Column(
            name="line_loss_percent",
            parser=Number(max_digits=5, decimal_places=2),
            default=Decimal("0.00"),
            field="line_loss_percent",
        ),
        Column(
            name="parent",
            parser=Text(max_length=20),
            field="parent",
            reference=Reference(
                model=MeteringPoint,
                key="code",
                label_zh="上级计量点",
                label_en="Parent metering point",
                related=("account", "parent__parent"),
                earlier_rows_column="code",
            ),
        ),
        Column(name="child_relation", parser=Choice.of(ChildRelation), default="", field="child_relation"),
        Column(
            name="transformer_area",
            parser=Text(max_length=32),
            field="transformer_area",
            reference=Reference(
                model=TransformerArea,
                key="code",
                label_zh="台区",
                label_en="Transformer area",
                related=("org_unit", "feeder__org_unit"),
            ),
        ),
        Column(
            name="feeder",
            parser=Text(max_length=32),
            field="feeder",
            reference=Reference(
                model=Feeder, key="code", label_zh="馈线", label_en="Feeder", related=("org_unit",)
            ),
        ),
    )
    uniques = (
        _unique_field(
            MeteringPoint,
            "code",
            label_zh="计量点编号",
            label_en="Metering point code",
            taken=lambda row, _holder: MeteringPointCodeTaken(field="code", point_code=row.values["code"]),
        ),
    )

    def build(self, row: Row, *, batch: Batch, prepared: Any) -> Built:
        values = self.field_values(row)
        code, account = values["code"], values["account"]
        check_metering_point_parameters(
            code=code,
            metering_arrangement=values["metering_arrangement"],
            ct_ratio=values["ct_ratio"],
            pt_ratio=values["pt_ratio"],
            transformer_capacity_kva=values["transformer_capacity_kva"],
            transformer_no_load_loss_kw=values["transformer_no_load_loss_kw"],
            transformer_load_loss_kw=values["transformer_load_loss_kw"],
            line_loss_percent=values["line_loss_percent"],
        )
        check_parent_metering_point(
            code=code, account=account, parent=values["parent"], child_relation=values["child_relation"]
        )
        values["feeder"] = resolve_topology(
            code=code,
            org_unit=account.org_unit,
            transformer_area=values["transformer_area"],
            feeder=values["feeder"],
        )
        return Built(record=MeteringPoint(org_unit=account.org_unit, **values))

    def insert(self, built: Sequence[Built]) -> None:
        """Insert parents before the children that name them on later rows of the same chunk."""
        generation_of: dict[int, int] = {}
        generations: dict[int, list[Built]] = defaultdict(list)
        for item in built:
            parent = item.record.parent  # type: ignore[attr-defined]
            generation = 0 if parent is None or parent.pk is not None else generation_of[id(parent)] + 1
            generation_of[id(item.record)] = generation
            generations[generation].append(item)
        for generation in sorted(generations):
            super().insert(generations[generation])

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        # Roots first, then by creation: a parent is written before the points under it.
        return in_scope(MeteringPoint, scope=scope).order_by(models.F("parent").asc(nulls_first=True), "pk")


# --- meters ---------------------------------------------------------------------------------


class MetersKind(Kind):
    name = "meters"
    model = Meter
    columns = (
        Column(name="asset_no", parser=Text(max_length=32), required=True, field="asset_no"),
        Column(name="meter_type", parser=Choice.of(MeterType), required=True, field="meter_type"),
        Column(name="manufacturer", parser=Text(max_length=100), required=True, field="manufacturer"),
        Column(name="model", parser=Text(max_length=50), default="", field="model"),
        Column(name="accuracy_class", parser=Text(max_length=8), required=True, field="accuracy_class"),
        *(
            Column(name=flag, parser=Boolean(), default=False, field=flag)
            for flag in ("has_time_of_use", "has_export", "has_reactive", "has_demand")
        ),
        Column(
            name="integer_digits",
            parser=Integer(minimum=0, maximum=_SMALL_INTEGER_MAX),
            default=6,
            field="integer_digits",
        ),
        Column(
            name="decimal_digits",
            parser=Integer(minimum=0, maximum=_SMALL_INTEGER_MAX),
            default=2,
            field="decimal_digits",
        ),
        Column(name="status", parser=Choice.of(MeterStatus), default=MeterStatus.IN_STOCK, field="status"),
        Column(name="status_changed_at", parser=IsoDateTime(), field="status_changed_at"),
        _org_unit_column(),
        Column(
            name="metering_point",
            parser=Text(max_length=20),
            reference=Reference(
                model=MeteringPoint, key="code", label_zh="计量点", label_en="Metering point"
            ),
            export="metering_point",
            described_by=(MeterInstallation, "metering_point"),
        ),
        Column(
            name="installed_at",
            parser=IsoDateTime(),
            export="installed_at",
            described_by=(MeterInstallation, "installed_at"),
        ),
    )
    uniques = (
        _unique_field(
            Meter,
            "asset_no",
            label_zh="资产编号",
            label_en="Asset number",
            taken=lambda row, _holder: MeterAssetNumberTaken(
                field="asset_no", asset_no=row.values["asset_no"]
            ),
        ),
        Unique(
            column="metering_point",
            label_zh="计量点",
            label_en="Metering point",
            model=MeterInstallation,
            key=lambda row: row.values["metering_point"].pk if row.values["metering_point"] else None,
            existing=lambda keys: existing_keys(
                MeterInstallation.objects.filter(metering_point_id__in=list(keys), removed_at__isnull=True),
                key_fields=("metering_point_id",),
                holder_field="meter__asset_no",
            ),
            taken=lambda row, holder: MeteringPointOccupied(
                field="metering_point", point_code=row.values["metering_point"].code, asset_no=holder
            ),
        ),
    )

    def prepare(self, rows: Sequence[Row], *, batch: Batch) -> dict[int, datetime]:
        """The last removal from each metering point the chunk installs on."""
        return load_last_removals(
            metering_point_ids={
                row.values["metering_point"].pk for row in rows if row.values.get("metering_point")
            }
        )

    def build(self, row: Row, *, batch: Batch, prepared: dict[int, datetime]) -> Built:
        values = self.field_values(row)
        asset_no = values["asset_no"]
        check_meter_dial(
            asset_no=asset_no,
            integer_digits=values["integer_digits"],
            decimal_digits=values["decimal_digits"],
        )
        check_accuracy_class(asset_no=asset_no, accuracy_class=values["accuracy_class"])
        metering_point, installed_at = row.values["metering_point"], row.values["installed_at"]
        is_installed = values["status"] == MeterStatus.INSTALLED
        if is_installed != (metering_point is not None) or is_installed != (installed_at is not None):
            raise InstallationColumnsMismatch(field="metering_point" if is_installed else "status")
        if values["status_changed_at"] is None:
            values["status_changed_at"] = installed_at or batch.now
        meter = Meter(**values)
        if metering_point is None:
            return Built(record=meter)
        self._check_installation(
            metering_point=metering_point, installed_at=installed_at, batch=batch, last_removals=prepared
        )
        installation = MeterInstallation(
            org_unit_id=metering_point.org_unit_id,
            meter=meter,
            metering_point=metering_point,
            installed_at=installed_at,
        )
        return Built(record=meter, extras=[installation])

    def _check_installation(
        self,
        *,
        metering_point: MeteringPoint,
        installed_at: datetime,
        batch: Batch,
        last_removals: dict[int, datetime],
    ) -> None:
        """The checks ``install_meter`` makes on a new meter's install (no install read: the
        file has no registers; a new meter has no removals of its own)."""
        check_not_in_future(
            moment=installed_at, now=batch.now, what_zh="装表", what_en="installation", field="installed_at"
        )
        check_no_overlap(
            subject=metering_point,
            installed_at=installed_at,
            last_removed_at=last_removals.get(metering_point.pk),
        )

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        current = MeterInstallation.objects.filter(meter=OuterRef("pk"), removed_at__isnull=True)
        meters: QuerySet[Any] = (
            in_scope(Meter, scope=scope)
            .annotate(
                metering_point=Subquery(current.values("metering_point__code")[:1]),
                installed_at=Subquery(current.values("installed_at")[:1]),
            )
            .order_by("asset_no")
        )
        return meters


# --- reads ----------------------------------------------------------------------------------


def _read_key(row: Row) -> Hashable:
    return (row.values["asset_no"].pk, row.values["read_at"])


def _existing_reads(keys: set[Hashable]) -> dict[Hashable, tuple[int, str]]:
    """Reads already stored for the chunk's (meter, read_at) pairs: one query over the chunk's
    meters and time span, matched exactly here."""
    pairs: set[tuple[int, datetime]] = keys  # type: ignore[assignment]
    if not pairs:
        return {}
    moments = [moment for _meter_id, moment in pairs]
    rows = MeterRead.objects.filter(
        meter_id__in={meter_id for meter_id, _moment in pairs},
        read_at__gte=min(moments),
        read_at__lte=max(moments),
    )
    found = existing_keys(rows, key_fields=("meter_id", "read_at"))
    return {key: value for key, value in found.items() if key in pairs}


class ReadsKind(Kind):
    name = "reads"
    model = MeterRead
    columns = (
        Column(
            name="asset_no",
            parser=Text(max_length=32),
            required=True,
            field="meter",
            reference=Reference(model=Meter, key="asset_no", label_zh="电能表", label_en="Meter"),
        ),
        Column(name="read_at", parser=IsoDateTime(), required=True, field="read_at"),
        Column(name="source", parser=Choice.of(ReadSource), required=True, field="source"),
        Column(name="status", parser=Choice.of(ReadStatus), default=ReadStatus.VALID, field="status"),
        Column(name="reason", parser=Choice.of(ReadReason), default=ReadReason.PERIODIC, field="reason"),
        *(
            Column(name=register, parser=Energy(), required=register == "import_active_total", field=register)
            for register in REGISTER_NAMES
            if register != "maximum_demand_kw"
        ),
        Column(
            name="maximum_demand_kw",
            parser=Number(max_digits=12, decimal_places=DEMAND_DECIMALS),
            field="maximum_demand_kw",
        ),
    )
    column_of_field = {"meter": "asset_no"}
    uniques = (
        Unique(
            column="read_at",
            label_zh="抄表时间",
            label_en="Read time",
            model=MeterRead,
            key=_read_key,
            existing=_existing_reads,
            taken=lambda row, _holder: ReadTimeTaken(
                field="read_at",
                asset_no=row.values["asset_no"].asset_no,
                read_at=format_moment(row.values["read_at"]),
            ),
        ),
    )

    def prepare(self, rows: Sequence[Row], *, batch: Batch) -> InstallationIndex:
        return load_installation_index(meter_ids={row.values["asset_no"].pk for row in rows})

    def build(self, row: Row, *, batch: Batch, prepared: InstallationIndex) -> Built:
        """The checks of ``record_meter_read`` (the same rule function)."""
        values = row.values
        meter: Meter = values["asset_no"]
        read_at: datetime = values["read_at"]
        installation = check_meter_read(
            meter=meter,
            read_at=read_at,
            source=values["source"],
            status=values["status"],
            reason=values["reason"],
            registers=RegisterValues(**{name: values[name] for name in REGISTER_NAMES}),
            find_installation=lambda: prepared.at(meter_id=meter.pk, moment=read_at),
            now=batch.now,
        )
        read = MeterRead(
            org_unit_id=installation.org_unit_id,
            metering_point_id=installation.metering_point_id,
            **self.field_values(row),
        )
        return Built(record=read)

    def exported(self, *, scope: ExchangeScope) -> QuerySet[Any]:
        # Install and removal reads would be refused on import (see above).
        return (
            in_scope(MeterRead, scope=scope)
            .exclude(reason__in=(ReadReason.INSTALL, ReadReason.REMOVAL))
            .order_by("meter_id", "read_at")
        )


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (CustomersKind(), AccountsKind(), MeteringPointsKind(), MetersKind(), ReadsKind())
}

__all__ = ["KINDS", "Batch", "Built", "Column", "Kind", "Reference", "Row", "Unique"]
