"""The dunning plan (催费方案) as versioned data: the document format, its checks — the legal
minimums of disconnection for arrears are checked here whatever the document says — and
publishing a new version (docs/dunning.md).

A document is ``{"steps": [step, ...]}``, each step
``{"code": str, "day": int, "action": DunningAction, "channels": [channel, ...],
"customer_classes": ["residential" | "non_residential", ...]}``: ``day`` counts the days after
the due date of the case's oldest overdue bill (day 1 is the first overdue day).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from gridcare.audit.operations import record_audit_event
from gridcare.identity.access import denials_audited, ensure_permission, ensure_sees_whole_org_tree
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.notifications.channels.base import ChannelKind
from gridcare.payments.errors import DunningPlanInvalid, DunningPlanVersionOverlaps, NoDunningPlan
from gridcare.payments.late_fee_rules import CustomerClass
from gridcare.payments.models import DunningAction, DunningPlanVersion

#: Disconnection for arrears only after MORE than 30 days overdue (电力供应与使用条例 Art. 39).
MIN_DAYS_OVERDUE_TO_DISCONNECT = 31
#: The disconnection notice is served at least this many days before the cut (rules-cn.md §5).
NOTICE_DAYS_BEFORE_DISCONNECTION: Mapping[CustomerClass, int] = {
    CustomerClass.RESIDENTIAL: 7,
    CustomerClass.NON_RESIDENTIAL: 3,
}
#: The notification event each messaging action sends (its delivery policy and templates are
#: the notification service's versioned data; the step's channels choose among them).
ACTION_EVENTS: Mapping[DunningAction, str] = {
    DunningAction.REMINDER: "arrears_reminder",
    DunningAction.FORMAL_NOTICE: "arrears_formal_notice",
    DunningAction.DISCONNECTION_NOTICE: "arrears_notice",
    DunningAction.PRE_DISCONNECTION_REMINDER: "disconnection_reminder",
}
MESSAGE_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.WECHAT, ChannelKind.EMAIL, ChannelKind.LETTER})
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
_STEP_FIELDS = frozenset({"code", "day", "action", "channels", "customer_classes"})


@dataclass(frozen=True, kw_only=True)
class PlanStep:
    code: str
    day: int
    action: DunningAction
    channels: tuple[ChannelKind, ...]
    customer_classes: frozenset[CustomerClass]


@dataclass(frozen=True, kw_only=True)
class DunningPlan:
    """A checked plan document: its steps in day order (then document order)."""

    steps: tuple[PlanStep, ...]

    def steps_for(self, customer_class: CustomerClass) -> tuple[PlanStep, ...]:
        return tuple(step for step in self.steps if customer_class in step.customer_classes)


def _invalid(field: str, reason_zh: str, reason_en: str) -> DunningPlanInvalid:
    return DunningPlanInvalid(field=field, reason_zh=reason_zh, reason_en=reason_en)


def _parse_step(index: int, raw: Any) -> PlanStep:
    path = f"steps[{index}]"
    if not isinstance(raw, dict):
        raise _invalid(path, "须为对象", "it must be an object")
    unknown = sorted(set(raw) - _STEP_FIELDS)
    if unknown:
        raise _invalid(f"{path}.{unknown[0]}", "未知字段", "unknown field")
    missing = sorted(_STEP_FIELDS - set(raw))
    if missing:
        raise _invalid(f"{path}.{missing[0]}", "必填", "it is required")
    code = raw["code"]
    if not isinstance(code, str) or not _CODE.match(code):
        raise _invalid(
            f"{path}.code", "须为 1–40 位小写字母、数字或下划线", "use 1–40 lowercase letters, digits or _"
        )
    day = raw["day"]
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 365:
        raise _invalid(f"{path}.day", "须为 1–365 的整数", "it must be a whole number from 1 to 365")
    if raw["action"] not in DunningAction.values:
        raise _invalid(f"{path}.action", "未知动作", "unknown action")
    action = DunningAction(raw["action"])
    channels = raw["channels"]
    if not isinstance(channels, list) or any(channel not in MESSAGE_CHANNELS for channel in channels):
        raise _invalid(
            f"{path}.channels", "须为 sms、wechat、email、letter 的列表", "list sms, wechat, email or letter"
        )
    if len(set(channels)) != len(channels):
        raise _invalid(f"{path}.channels", "渠道重复", "a channel is repeated")
    if action == DunningAction.DISCONNECTION and channels:
        raise _invalid(f"{path}.channels", "停电步骤不发送消息", "the disconnection step sends no message")
    if action != DunningAction.DISCONNECTION and not channels:
        raise _invalid(f"{path}.channels", "至少一个渠道", "name at least one channel")
    classes = raw["customer_classes"]
    if (
        not isinstance(classes, list)
        or not classes
        or any(name not in {member.value for member in CustomerClass} for name in classes)
    ):
        raise _invalid(
            f"{path}.customer_classes",
            "须为 residential、non_residential 的非空列表",
            "a non-empty list of residential, non_residential",
        )
    return PlanStep(
        code=code,
        day=day,
        action=action,
        channels=tuple(ChannelKind(channel) for channel in channels),
        customer_classes=frozenset(CustomerClass(name) for name in classes),
    )


def _check_legal_minimums(steps: list[tuple[int, PlanStep]], customer_class: CustomerClass) -> None:
    """Refuse a plan whose disconnection for ``customer_class`` could come too early: not after
    more than 30 days overdue, without a served notice (a letter) the required days before, or
    without a reminder between the notice and the cut."""
    mine = [(index, step) for index, step in steps if customer_class in step.customer_classes]
    by_action: dict[DunningAction, list[tuple[int, PlanStep]]] = {}
    for index, step in mine:
        by_action.setdefault(step.action, []).append((index, step))
    for action in (DunningAction.DISCONNECTION, DunningAction.DISCONNECTION_NOTICE):
        if len(by_action.get(action, [])) > 1:
            index, _step = by_action[action][1]
            raise _invalid(
                f"steps[{index}].action",
                f"{customer_class.value} 只能有一个此动作",
                f"{customer_class.value} may have this action once only",
            )
    if DunningAction.DISCONNECTION not in by_action:
        return
    ((cut_index, cut),) = by_action[DunningAction.DISCONNECTION]
    if cut.day < MIN_DAYS_OVERDUE_TO_DISCONNECT:
        raise _invalid(
            f"steps[{cut_index}].day",
            f"逾期超过 30 日方可停电（第 {MIN_DAYS_OVERDUE_TO_DISCONNECT} 日起）",
            f"disconnection needs more than 30 days overdue (day {MIN_DAYS_OVERDUE_TO_DISCONNECT} or later)",
        )
    notices = by_action.get(DunningAction.DISCONNECTION_NOTICE)
    if not notices:
        raise _invalid(
            f"steps[{cut_index}]",
            f"{customer_class.value} 停电前须送达停电通知书",
            f"{customer_class.value} disconnection needs a disconnection notice served before",
        )
    ((notice_index, notice),) = notices
    if ChannelKind.LETTER not in notice.channels:
        raise _invalid(
            f"steps[{notice_index}].channels",
            "停电通知书须以书面送达（letter）",
            "the disconnection notice must be served as a letter",
        )
    lead_days = NOTICE_DAYS_BEFORE_DISCONNECTION[customer_class]
    if cut.day - notice.day < lead_days:
        raise _invalid(
            f"steps[{cut_index}].day",
            f"{customer_class.value} 停电通知书须至少提前 {lead_days} 日送达",
            f"{customer_class.value} notice must be served at least {lead_days} days before disconnection",
        )
    reminders = [
        step
        for _index, step in by_action.get(DunningAction.PRE_DISCONNECTION_REMINDER, [])
        if notice.day <= step.day < cut.day
    ]
    if not reminders:
        raise _invalid(
            f"steps[{cut_index}]",
            f"{customer_class.value} 停电前须在通知书之后再提醒一次",
            f"{customer_class.value} disconnection needs a reminder after the notice and before the cut",
        )


def parse_dunning_plan(document: Any) -> DunningPlan:
    """The checked plan of ``document``, or :class:`DunningPlanInvalid` naming the first fault."""
    if (
        not isinstance(document, dict)
        or set(document) != {"steps"}
        or not isinstance(document["steps"], list)
    ):
        raise _invalid("steps", '文档须为 {"steps": [...]}', 'the document must be {"steps": [...]}')
    if not document["steps"]:
        raise _invalid("steps", "至少一个步骤", "name at least one step")
    steps = [(index, _parse_step(index, raw)) for index, raw in enumerate(document["steps"])]
    seen: set[str] = set()
    for index, step in steps:
        if step.code in seen:
            raise _invalid(f"steps[{index}].code", "步骤代码重复", "the step code is repeated")
        seen.add(step.code)
    for customer_class in CustomerClass:
        _check_legal_minimums(steps, customer_class)
    return DunningPlan(
        steps=tuple(step for _index, step in sorted(steps, key=lambda pair: (pair[1].day, pair[0])))
    )


def document_sha256(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@denials_audited
@transaction.atomic
def publish_dunning_plan_version(
    *, actor: User | None, document: dict[str, Any], valid_from: date, source: str, now: datetime
) -> DunningPlanVersion:
    """Publish ``document`` as the next dunning plan version, in force from ``valid_from``; the
    open version ends there. Refused, changing nothing: an invalid document or one that breaks
    a legal minimum (:class:`DunningPlanInvalid`), a start not after every existing version's
    (:class:`DunningPlanVersionOverlaps`). Needs ``payments.manage_arrears`` over the whole
    org tree (the plan is the province's)."""
    if actor is not None:
        operation = "publish_dunning_plan_version"
        ensure_permission(user=actor, permission=Permission.MANAGE_ARREARS, operation=operation)
        ensure_sees_whole_org_tree(user=actor, permission=Permission.MANAGE_ARREARS, operation=operation)
    parse_dunning_plan(document)
    versions = list(DunningPlanVersion.objects.select_for_update().order_by("-valid_from"))
    for existing in versions:
        if existing.valid_from >= valid_from or (
            existing.valid_to is not None and existing.valid_to > valid_from
        ):
            raise DunningPlanVersionOverlaps(
                field="valid_from",
                valid_from=valid_from.isoformat(),
                version=existing.version,
                existing_from=existing.valid_from.isoformat(),
            )
    latest = versions[0] if versions else None
    if latest is not None and latest.valid_to is None:
        latest.valid_to = valid_from
        latest.save(update_fields=["valid_to"])
    version = DunningPlanVersion.objects.create(
        version=max((existing.version for existing in versions), default=0) + 1,
        valid_from=valid_from,
        document=document,
        document_sha256=document_sha256(document),
        source=source[:200],
        created_by=actor,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.dunning_plan_published",
        target=version,
        occurred_at=now,
        changes={
            "version": version.version,
            "valid_from": valid_from.isoformat(),
            "document_sha256": version.document_sha256,
            "ended_version": latest.version if latest is not None and latest.valid_to == valid_from else None,
        },
    )
    return version


def plan_version_in_force(*, on: date) -> DunningPlanVersion:
    """The plan version in force on ``on`` (what a case opened that day runs on)."""
    version = (
        DunningPlanVersion.objects.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-version")
        .first()
    )
    if version is None:
        raise NoDunningPlan(on=on.isoformat())
    return version
