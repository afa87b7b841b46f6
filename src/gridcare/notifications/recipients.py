"""Who a notification goes to, as the caller describes it.

``notifications`` sits below ``customers`` and never imports it: the customers layer (or any
caller) fills a :class:`Recipient` from its own records — the contact's mobile, e-mail and
WeChat openid, and its consents (``Contact.consents_to_sms`` …) — and passes it to
:func:`gridcare.notifications.operations.notify`. Opt-outs are stored here, keyed by the
recipient's opaque ``key`` and by address (a 退订 SMS reply names only a mobile).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gridcare.notifications.channels.base import ChannelKind


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """One recipient: an opaque stable ``key`` (e.g. ``customer:123``), its address on each
    channel it has one for, the channels it consents to (its channel preferences), its
    language (``zh-hans`` or ``en``) and the org unit whose staff may see its messages."""

    key: str
    addresses: Mapping[ChannelKind, str]
    consents: frozenset[ChannelKind]
    language: str = "zh-hans"
    org_unit_id: int | None = None

    def as_data(self) -> dict[str, Any]:
        """The recipient as JSON data (kept on each message for its fallback steps)."""
        return {
            "key": self.key,
            "addresses": {str(kind): address for kind, address in self.addresses.items()},
            "consents": sorted(str(kind) for kind in self.consents),
            "language": self.language,
            "org_unit_id": self.org_unit_id,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Recipient:
        """The recipient :meth:`as_data` wrote."""
        return cls(
            key=data["key"],
            addresses={ChannelKind(kind): address for kind, address in data["addresses"].items()},
            consents=frozenset(ChannelKind(kind) for kind in data["consents"]),
            language=data["language"],
            org_unit_id=data["org_unit_id"],
        )
