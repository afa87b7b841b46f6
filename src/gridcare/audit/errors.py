"""Expected failures of the audit log: refused changes and broken links in the hash chain."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class AuditEventImmutable(GridCareError):
    code = "audit_event_immutable"
    message_zh = "审计事件只能追加，不能修改或删除"
    message_en = "Audit events are append-only: they cannot be changed or deleted"


class AuditEventAltered(GridCareError):
    code = "audit_event_altered"
    message_zh = "审计事件 #{event_id}（序号 {sequence}）已被篡改：哈希值与内容不符"
    message_en = (
        "Audit event #{event_id} (sequence {sequence}) was altered: its hash does not match its contents"
    )


class AuditEventMissing(GridCareError):
    code = "audit_event_missing"
    message_zh = "序号为 {sequence} 的审计事件缺失（已被删除）"
    message_en = "The audit event with sequence {sequence} is missing (deleted)"


class AuditEventOutOfOrder(GridCareError):
    code = "audit_event_out_of_order"
    message_zh = (
        "审计事件 #{event_id}（序号 {sequence}）未链接到序号 {previous_sequence} 的事件：记录被重排或伪造"
    )
    message_en = (
        "Audit event #{event_id} (sequence {sequence}) does not link to the event with sequence "
        "{previous_sequence}: records were reordered or forged"
    )


class AuditChainHeadMismatch(GridCareError):
    code = "audit_chain_head_mismatch"
    message_zh = "审计链头（序号 {head_sequence}）与最后一条审计事件（序号 {last_sequence}）不符：链尾被篡改"
    message_en = (
        "The audit chain head (sequence {head_sequence}) does not match the last audit event "
        "(sequence {last_sequence}): the end of the chain was tampered with"
    )
