"""JSON of calculation results as stored data: dataclasses as objects of their fields, decimals as
exact strings (digit for digit, never a float), dates and times in ISO 8601, sets sorted.

One encoding pass: the standard library's C encoder walks the data and calls
:meth:`ExactJSONEncoder.default` only for what JSON has no type for, so a bill's usage
explanation (dataclasses of decimals, about fifty values) is encoded without first being copied
into dictionaries and strings in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class ExactJSONEncoder(json.JSONEncoder):
    """Encodes dataclasses, decimals, dates, datetimes, sets and read-only mappings besides JSON's
    own types (Django's JSONField ``encoder``; :func:`exact_json` for one value)."""

    def default(self, o: Any) -> Any:
        kind = type(o)
        convert = _CONVERSIONS.get(kind)
        if convert is None:
            convert = _CONVERSIONS[kind] = _conversion_of(kind)
        return convert(o)


def exact_json(value: Any) -> str:
    """``value`` as JSON text, with :class:`ExactJSONEncoder`'s conversions."""
    return _ENCODER.encode(value)


def exact_json_data(value: Any) -> Any:
    """``value`` as the JSON data it is stored as (what reading it back from the database gives)."""
    return json.loads(exact_json(value))


def _conversion_of(kind: type) -> Callable[[Any], Any]:
    if kind is Decimal:
        return str
    if is_dataclass(kind):
        names = tuple(item.name for item in fields(kind))
        return lambda value: {name: getattr(value, name) for name in names}
    if issubclass(kind, Mapping):
        return dict
    if issubclass(kind, (frozenset, set)):
        return sorted
    if issubclass(kind, (date, datetime)):
        return lambda value: value.isoformat()
    raise TypeError(f"{kind.__name__} is not JSON serializable")


#: The conversion of each type the encoder has met (one dictionary lookup per value after that).
_CONVERSIONS: dict[type, Callable[[Any], Any]] = {}
_ENCODER = ExactJSONEncoder(ensure_ascii=False)
