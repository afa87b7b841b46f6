"""Reading OpenEI URDB rate records for the catalog (``gridcare tariff import-urdb``).

The catalog stores a URDB record as it came (a tariff of kind ``urdb``, code ``URDB-<label>``);
the billing engine's URDB parser reads it. Here only the outer shape is checked.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from gridcare.billing.engine.urdb import parse_urdb
from gridcare.tariffs.errors import UrdbRecordInvalid

#: A URDB record prices something through at least one of these fields.
URDB_RATE_FIELDS = (
    "energyratestructure",
    "demandratestructure",
    "flatdemandstructure",
    "fixedchargefirstmeter",
    "fixedmonthlycharge",
)


def _invalid(field: str, reason_zh: str, reason_en: str) -> UrdbRecordInvalid:
    return UrdbRecordInvalid(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


def urdb_records_in(data: Any) -> list[dict[str, Any]]:
    """The records in what a URDB file holds: a single record, an API response
    ``{"items": [...]}``, or a JSON string holding either."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise _invalid(
                "(file)",
                f"文件中的字符串不是 JSON（第 {error.lineno} 行第 {error.colno} 列）",
                f"the string in the file is not JSON (line {error.lineno} column {error.colno}: {error.msg})",
            ) from error
    if isinstance(data, dict) and "items" in data:
        items = data["items"]
        if not isinstance(items, list) or not items:
            raise _invalid("items", "须为非空的记录列表", "must be a non-empty list of records")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise _invalid(f"items[{index}]", "须为 JSON 对象", "must be a JSON object")
        return items
    if not isinstance(data, dict):
        raise _invalid("(record)", "URDB 记录须为 JSON 对象", "a URDB record is a JSON object")
    return [data]


def validate_urdb_record(record: dict[str, Any]) -> None:
    """Refuse what is not a URDB rate record GridCare can bill: the outer shape
    (:class:`UrdbRecordInvalid`, naming the field), then every field through the billing
    engine's parser (its :class:`UrdbInvalid` / :class:`UnsupportedUrdbFeature` name the field
    path, e.g. ``energyratestructure[0][1].max``)."""
    if not isinstance(record, dict):
        raise _invalid("(record)", "URDB 记录须为 JSON 对象", "a URDB record is a JSON object")
    if not any(field in record for field in URDB_RATE_FIELDS):
        fields = ", ".join(URDB_RATE_FIELDS)
        raise _invalid(
            "energyratestructure",
            f"记录中没有任何电价字段（须至少有 {fields} 之一）",
            f"the record prices nothing (it needs at least one of {fields})",
        )
    parse_urdb(record)


def urdb_tariff_code(record: dict[str, Any], *, label: str | None = None) -> str:
    """``URDB-<label>``: the record's ``label`` unless ``label`` is given."""
    label = label if label is not None else record.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _invalid(
            "label",
            "记录没有 label，请用 --label 指定",
            "the record has no label; give one with --label",
        )
    return f"URDB-{label.strip()}"


def urdb_tariff_names(record: dict[str, Any]) -> tuple[str, str]:
    """The catalog names (zh, en) of a record: its utility and name, as URDB gives them."""
    described = " — ".join(
        str(record[field]).strip() for field in ("utility", "name") if str(record.get(field) or "").strip()
    )
    name = (described or "OpenEI URDB")[:200]
    return name, name


def urdb_start_date(record: dict[str, Any]) -> date | None:
    """The record's ``startdate`` (URDB gives seconds since the epoch) as a date, if any."""
    start = record.get("startdate")
    if isinstance(start, int | float) and not isinstance(start, bool):
        return datetime.fromtimestamp(start, tz=UTC).date()
    return None
