"""The tables the seeder writes, with the columns of its row tuples, and a chunk's rows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from gridcare.billing.models import AccountBillingTerms
from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatusChange,
    Contact,
    ContactLogEntry,
    Customer,
    ReadingRoute,
)
from gridcare.demo.bulk import BulkTable
from gridcare.metering.models import (
    Feeder,
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    TransformerArea,
)

#: Model and the fields each row tuple gives, in order, by the name the seeder uses.
#: Parents come before children, so foreign keys resolve as each table is written.
TABLE_FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "feeder": (Feeder, ("id", "org_unit", "code", "name", "voltage_kv")),
    "transformer_area": (TransformerArea, ("id", "org_unit", "code", "name", "feeder", "capacity_kva")),
    "reading_route": (ReadingRoute, ("id", "org_unit", "code", "name", "reading_day", "reader")),
    "customer": (
        Customer,
        (
            "id", "org_unit", "customer_no", "kind", "name", "id_number", "id_number_hash", "credit_code",
            "postal_address", "created_at",
        ),
    ),
    "contact": (
        Contact,
        (
            "id", "customer", "name", "is_primary", "mobile", "mobile_hash", "landline", "email",
            "wechat_openid", "consents_to_sms", "consents_to_phone", "consents_to_email",
            "consents_to_wechat",
        ),
    ),
    "account": (
        Account,
        (
            "id", "org_unit", "account_no", "customer", "name", "service_address", "usage_category",
            "industry_code", "voltage_level", "contract_capacity_kva", "tariff_code", "payment_method",
            "reading_route", "reading_day", "status", "status_effective_date", "opened_date",
            "is_key_account",
        ),
    ),
    # billing (issue 5): the contract terms two-part tariffs need (large-industry accounts).
    "billing_terms": (
        AccountBillingTerms,
        (
            "id", "org_unit", "account", "basic_charge_basis", "contract_demand_kw", "running_capacity_kva",
            "large_household", "low_income", "changed_at",
        ),
    ),
    "status_change": (
        AccountStatusChange,
        ("id", "account", "status", "effective_date", "reason", "recorded_at", "recorded_by"),
    ),
    "manager_assignment": (AccountManagerAssignment, ("id", "account", "manager", "valid_from", "valid_to")),
    "contact_log": (
        ContactLogEntry,
        (
            "id", "org_unit", "account", "kind", "occurred_at", "staff", "summary", "notes", "follow_up_date",
            "follow_up_done_at",
        ),
    ),
    "metering_point": (
        MeteringPoint,
        (
            "id", "org_unit", "code", "account", "name", "metering_arrangement", "ct_ratio", "pt_ratio",
            "transformer_capacity_kva", "transformer_no_load_loss_kw", "transformer_load_loss_kw",
            "line_loss_percent", "parent", "child_relation", "transformer_area", "feeder",
        ),
    ),
    "meter": (
        Meter,
        (
            "id", "org_unit", "asset_no", "meter_type", "manufacturer", "model", "accuracy_class",
            "has_time_of_use", "has_export", "has_reactive", "has_demand", "integer_digits", "decimal_digits",
            "status", "status_changed_at",
        ),
    ),
    "meter_read": (
        MeterRead,
        (
            "id", "org_unit", "meter", "metering_point", "read_at", "source", "status", "reason",
            "import_active_total", "import_active_sharp", "import_active_peak", "import_active_flat",
            "import_active_valley", "export_active_total", "reactive_import_total", "reactive_export_total",
            "maximum_demand_kw",
        ),
    ),
    "installation": (
        MeterInstallation,
        (
            "id", "org_unit", "meter", "metering_point", "installed_at", "removed_at", "install_read",
            "removal_read",
        ),
    ),
    "interval_day": (
        IntervalReadDay,
        (
            "id", "org_unit", "metering_point", "read_date", "quantity", "interval_minutes", "values",
            "missing", "source",
        ),
    ),
}  # fmt: skip


def bulk_tables(connection: BaseDatabaseWrapper) -> dict[str, BulkTable]:
    """The seeder's tables with their columns resolved on ``connection``, in writing order."""
    return {name: BulkTable(model, names, connection) for name, (model, names) in TABLE_FIELDS.items()}


@dataclass(slots=True)
class Rows:
    """Rows waiting to be written, one list per table (named as in :data:`TABLE_FIELDS`)."""

    feeder: list[tuple[Any, ...]] = field(default_factory=list)
    transformer_area: list[tuple[Any, ...]] = field(default_factory=list)
    reading_route: list[tuple[Any, ...]] = field(default_factory=list)
    customer: list[tuple[Any, ...]] = field(default_factory=list)
    contact: list[tuple[Any, ...]] = field(default_factory=list)
    account: list[tuple[Any, ...]] = field(default_factory=list)
    billing_terms: list[tuple[Any, ...]] = field(default_factory=list)
    status_change: list[tuple[Any, ...]] = field(default_factory=list)
    manager_assignment: list[tuple[Any, ...]] = field(default_factory=list)
    contact_log: list[tuple[Any, ...]] = field(default_factory=list)
    metering_point: list[tuple[Any, ...]] = field(default_factory=list)
    meter: list[tuple[Any, ...]] = field(default_factory=list)
    meter_read: list[tuple[Any, ...]] = field(default_factory=list)
    installation: list[tuple[Any, ...]] = field(default_factory=list)
    interval_day: list[tuple[Any, ...]] = field(default_factory=list)

    def by_table(self) -> dict[str, list[tuple[Any, ...]]]:
        """The non-empty lists by table name, in writing order."""
        return {
            row_field.name: getattr(self, row_field.name)
            for row_field in fields(self)
            if getattr(self, row_field.name)
        }
