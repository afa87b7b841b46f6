"""Expected failures of identity, each with a zh-Hans and an English message."""

from __future__ import annotations

from typing import Any

from gridcare.kit.errors import GridCareError


class UsernameMissing(GridCareError):
    code = "username_missing"
    message_zh = "用户名不能为空"
    message_en = "The user needs a username"


class UsernameTaken(GridCareError):
    code = "username_taken"
    message_zh = "用户名 {username} 已被使用"
    message_en = "Username {username} is already taken"


class PasswordRejected(GridCareError):
    code = "password_rejected"
    message_zh = "密码不符合要求：{reasons_zh}"
    message_en = "The password is not acceptable: {reasons_en}"


class MobileInvalid(GridCareError):
    code = "mobile_invalid"
    message_zh = "手机号 {value} 无效：应为以 1 开头的 11 位数字"
    message_en = "Mobile number {value} is invalid: it must be 11 digits starting with 1"


__all__ = ["MobileInvalid", "PasswordRejected", "UsernameMissing", "UsernameTaken"]


# --- access: permission and org-scope denials, four-eyes approvals (issue 3) ----------------


class AccessDenied(GridCareError):
    """The acting user may not do this. Besides the message it carries what the
    ``deny_permission`` audit event records: who, which operation, which permission, which org
    unit; ``is_recorded`` turns true once that event is written, so it is written once."""

    code = "access_denied"

    def __init__(
        self,
        *,
        actor: Any,
        operation: str,
        permission: str,
        org_unit: Any = None,
        field: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(field=field, permission=permission, **params)
        self.actor = actor
        self.operation = operation
        self.permission = permission
        self.org_unit = org_unit
        self.is_recorded = False


class PermissionMissing(AccessDenied):
    code = "permission_missing"
    message_zh = "您没有此操作所需的权限（{permission}）"
    message_en = "You do not hold the permission this needs ({permission})"


class OutsideOrgScope(AccessDenied):
    code = "outside_org_scope"
    message_zh = "{org_unit_name} 不在您所在单位的管辖范围内"
    message_en = "{org_unit_name} is outside the org units you may change"


class StaffUnbound(AccessDenied):
    code = "staff_unbound"
    message_zh = "您的账号未绑定供电单位，请联系系统管理员"
    message_en = "Your user is not bound to an org unit. Ask a system administrator to assign one."


class ApprovalKindUnknown(GridCareError):
    code = "approval_kind_unknown"
    message_zh = "没有名为 {kind} 的复核事项"
    message_en = "There is no approval kind named {kind}"


class ApprovalNotPending(GridCareError):
    code = "approval_not_pending"
    message_zh = "复核申请 {request_id} 已处理（{status}），不能再处理"
    message_en = "Approval request {request_id} is already {status} and cannot be decided again"


class ApprovalByRequester(AccessDenied):
    code = "approval_by_requester"
    message_zh = "申请人不能复核自己的申请：须由另一位有复核权限的人员复核"
    message_en = "You cannot approve your own request: another user with the approver permission must"


class ApprovalReasonMissing(GridCareError):
    code = "approval_reason_missing"
    message_zh = "驳回申请须填写原因"
    message_en = "Give a reason for rejecting the request"


class ApprovalJustificationMissing(GridCareError):
    code = "approval_justification_missing"
    message_zh = "请说明申请的理由"
    message_en = "Say why you make this request"


class ApprovalCancelledByOther(AccessDenied):
    code = "approval_cancelled_by_other"
    message_zh = "只有申请人本人可以撤回申请"
    message_en = "Only the requester may cancel a request"


class ApprovalChangeEmpty(GridCareError):
    code = "approval_change_empty"
    message_zh = "申请的内容与现状相同，无需复核"
    message_en = "The requested change is what is already in place; there is nothing to approve"


class ApprovalTargetInvalid(GridCareError):
    code = "approval_target_invalid"
    message_zh = "申请的对象无效：{reason_zh}"
    message_en = "The request's subject is not valid: {reason_en}"


class BulkUnmaskGrantMissing(AccessDenied):
    code = "bulk_unmask_grant_missing"
    message_zh = "没有可用的批量明文导出授权：请先提交申请并经另一人复核"
    message_en = (
        "There is no unused approval for this unmasked export: request one and have it approved first"
    )


__all__ += [
    "AccessDenied",
    "ApprovalByRequester",
    "ApprovalCancelledByOther",
    "ApprovalChangeEmpty",
    "ApprovalJustificationMissing",
    "ApprovalKindUnknown",
    "ApprovalNotPending",
    "ApprovalReasonMissing",
    "ApprovalTargetInvalid",
    "BulkUnmaskGrantMissing",
    "OutsideOrgScope",
    "PermissionMissing",
    "StaffUnbound",
]
