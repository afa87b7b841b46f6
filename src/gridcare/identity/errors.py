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


# --- Portal (网上营业厅) logins: rate limits and one-time codes ------------------------------


class RateLimited(GridCareError):
    code = "rate_limited"
    message_zh = "操作过于频繁，请 {wait_zh}后再试"
    message_en = "Too many attempts. Try again in {wait_en}."


class OneTimeCodeRejected(GridCareError):
    """A one-time code that does not log in or register; the subclasses say why."""

    code = "one_time_code_rejected"
    message_zh = "验证码无效，请重新获取"
    message_en = "The code is not valid. Request a new code."


class OneTimeCodeWrong(OneTimeCodeRejected):
    code = "one_time_code_wrong"
    message_zh = "验证码不正确，还可再试 {tries_left} 次"
    message_en = "The code is wrong. Tries left: {tries_left}."


class OneTimeCodeAttemptsExhausted(OneTimeCodeRejected):
    code = "one_time_code_attempts_exhausted"
    message_zh = "验证码错误次数过多，已经失效，请重新获取"
    message_en = "Too many wrong tries: this code no longer works. Request a new code."


class OneTimeCodeExpired(OneTimeCodeRejected):
    code = "one_time_code_expired"
    message_zh = "验证码已过期或尚未获取，请重新获取"
    message_en = "The code has expired or was never requested. Request a new code."


class OneTimeCodeUsed(OneTimeCodeRejected):
    code = "one_time_code_used"
    message_zh = "验证码已使用过，请重新获取"
    message_en = "This code has already been used. Request a new code."


class MobileAlreadyRegistered(GridCareError):
    code = "mobile_already_registered"
    message_zh = "手机号 {mobile} 已注册网上营业厅，请直接登录"
    message_en = "Mobile {mobile} already has a portal login. Log in instead."


# Portal mobile changes (issue 4): the new mobile is confirmed with a code sent to it.


class MobileUnchanged(GridCareError):
    code = "mobile_unchanged"
    message_zh = "新手机号 {mobile} 与当前手机号相同，无需修改"
    message_en = "The new mobile {mobile} is the one you already have: nothing to change"


class MobileUsedByAnotherPortalUser(GridCareError):
    code = "mobile_used_by_another_portal_user"
    message_zh = "手机号 {mobile} 已被另一个网上营业厅账号使用，不能改用此号码"
    message_en = "Mobile {mobile} is already used by another portal login: choose another number"


# --- Staff authentication (issue 3, item 1) ---


class CurrentPasswordWrong(GridCareError):
    code = "current_password_wrong"
    message_zh = "当前密码不正确"
    message_en = "The current password is not correct"


class MfaCodeInvalid(GridCareError):
    code = "mfa_code_invalid"
    message_zh = "验证码不正确或已使用，请输入身份验证器当前显示的 6 位数字或一个未用过的恢复码"
    message_en = (
        "The code is wrong or already used: enter the 6 digits your authenticator shows now, "
        "or an unused recovery code"
    )


class MfaThrottled(GridCareError):
    code = "mfa_throttled"
    message_zh = "错误次数过多，请 {seconds} 秒后再试"
    message_en = "Too many wrong codes: try again after {seconds} s"


class MfaEnrolmentNotStarted(GridCareError):
    code = "mfa_enrolment_not_started"
    message_zh = "尚未开始绑定身份验证器，请重新打开绑定页面"
    message_en = "No authenticator enrolment is under way: open the enrolment page again"


class MfaNotEnrolled(GridCareError):
    code = "mfa_not_enrolled"
    message_zh = "用户 {username} 尚未绑定身份验证器"
    message_en = "User {username} has not enrolled an authenticator"


class NotLockedOut(GridCareError):
    code = "not_locked_out"
    message_zh = "{subject} 没有失败登录记录，无需解锁"
    message_en = "{subject} has no failed logins on record: nothing to unlock"


# --- integrations and API requests (appended by the integrations part) --------------------


class IntegrationNameInvalid(GridCareError):
    code = "integration_name_invalid"
    message_zh = "接口名称 {name} 无效：只能包含小写字母、数字和连字符，且以字母或数字开头，最长 64 个字符"
    message_en = (
        "Integration name {name} is invalid: use lowercase letters, digits and hyphens, starting "
        "with a letter or digit, at most 64 characters"
    )


class IntegrationNameTaken(GridCareError):
    code = "integration_name_taken"
    message_zh = "接口名称 {name} 已被使用"
    message_en = "Integration name {name} is already taken"


class IntegrationScopeUnknown(GridCareError):
    code = "integration_scope_unknown"
    message_zh = "未知的接口权限范围 {scope}；可用：{known}"
    message_en = "Unknown integration scope {scope}; the scopes are: {known}"


class IntegrationKindUnknown(GridCareError):
    code = "integration_kind_unknown"
    message_zh = "未知的接口类型 {kind}；可用：{known}"
    message_en = "Unknown integration kind {kind}; the kinds are: {known}"


class IntegrationOrgUnitOutOfScope(GridCareError):
    code = "integration_org_unit_out_of_scope"
    message_zh = "单位 {code} 不在您的管辖范围内，不能为其创建接口"
    message_en = "Org unit {code} is not one of your units: you cannot create an integration for it"


class IntegrationNotFound(GridCareError):
    code = "integration_not_found"
    message_zh = "没有名为 {name} 的接口"
    message_en = "There is no integration named {name}"


class IntegrationRevoked(GridCareError):
    code = "integration_revoked"
    message_zh = "接口 {name} 已于 {revoked_at} 吊销，不能再轮换或使用其凭据"
    message_en = "Integration {name} was revoked at {revoked_at}: its credentials cannot be rotated or used"


class ApiRequestRefused(GridCareError):
    """An API request refused before it reached its endpoint; ``status_code`` is the HTTP status."""

    status_code = 401


class ApiCredentialsMissing(ApiRequestRefused):
    code = "api_credentials_missing"
    message_zh = "请求未认证：请登录，或携带接口令牌和签名"
    message_en = "The request is not authenticated: log in, or send an API token and a signature"


class ApiTokenInvalid(ApiRequestRefused):
    code = "api_token_invalid"
    message_zh = "接口令牌无效"
    message_en = "The API token is not valid"


class ApiTokenRevoked(ApiRequestRefused):
    code = "api_token_revoked"
    message_zh = "接口令牌 {token_id} 已吊销"
    message_en = "API token {token_id} has been revoked"


class ApiIntegrationInactive(ApiRequestRefused):
    code = "api_integration_inactive"
    message_zh = "接口 {name} 已停用"
    message_en = "Integration {name} is not active"


class ApiSignatureMissing(ApiRequestRefused):
    code = "api_signature_missing"
    message_zh = "缺少签名请求头 {header}"
    message_en = "The signature header {header} is missing or malformed"


class ApiTimestampStale(ApiRequestRefused):
    code = "api_timestamp_stale"
    message_zh = "请求时间戳 {timestamp} 与服务器时间相差超过 {window} 秒"
    message_en = "The request timestamp {timestamp} is more than {window} seconds from the server's clock"


class ApiSignatureInvalid(ApiRequestRefused):
    code = "api_signature_invalid"
    message_zh = "请求签名不正确"
    message_en = "The request signature does not match"


class ApiNonceReplayed(ApiRequestRefused):
    code = "api_nonce_replayed"
    message_zh = "请求随机数 {nonce} 已使用过（疑似重放）"
    message_en = "The request nonce {nonce} was used before (a replay)"


class ApiScopeMissing(ApiRequestRefused):
    status_code = 403
    code = "api_scope_missing"
    message_zh = "接口 {name} 没有权限范围 {scope}"
    message_en = "Integration {name} does not hold the scope {scope}"


class ApiPermissionDenied(ApiRequestRefused):
    status_code = 403
    code = "api_permission_denied"
    message_zh = "您没有权限：{permission}"
    message_en = "You do not hold the permission {permission}"


class ApiStaffRequired(ApiRequestRefused):
    status_code = 403
    code = "api_staff_required"
    message_zh = "仅限绑定了供电单位的员工使用"
    message_en = "Only staff bound to an org unit may use the API"


class ApiCsrfFailed(ApiRequestRefused):
    status_code = 403
    code = "api_csrf_failed"
    message_zh = "CSRF 校验失败：登录会话发出的修改请求须带 X-CSRFToken 请求头"
    message_en = (
        "CSRF check failed: a changing request made with a login session needs the X-CSRFToken header"
    )


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


class WholeOrgTreeRequired(AccessDenied):
    code = "whole_org_tree_required"
    message_zh = (
        "只有能看到全公司的人员（省公司人员或超级用户）才能处理不属于任何单位的对象，如 IP 地址的锁定"
    )
    message_en = (
        "Only staff who see the whole company (the provincial company, or a superuser) may act on "
        "what belongs to no org unit, such as an IP address lockout"
    )


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


__all__ = [
    "AccessDenied",
    "ApiCredentialsMissing",
    "ApiCsrfFailed",
    "ApiIntegrationInactive",
    "ApiNonceReplayed",
    "ApiPermissionDenied",
    "ApiRequestRefused",
    "ApiScopeMissing",
    "ApiSignatureInvalid",
    "ApiSignatureMissing",
    "ApiStaffRequired",
    "ApiTimestampStale",
    "ApiTokenInvalid",
    "ApiTokenRevoked",
    "ApprovalByRequester",
    "ApprovalCancelledByOther",
    "ApprovalChangeEmpty",
    "ApprovalJustificationMissing",
    "ApprovalKindUnknown",
    "ApprovalNotPending",
    "ApprovalReasonMissing",
    "ApprovalTargetInvalid",
    "BulkUnmaskGrantMissing",
    "CurrentPasswordWrong",
    "IntegrationKindUnknown",
    "IntegrationNameInvalid",
    "IntegrationNameTaken",
    "IntegrationNotFound",
    "IntegrationOrgUnitOutOfScope",
    "IntegrationRevoked",
    "IntegrationScopeUnknown",
    "MfaCodeInvalid",
    "MfaEnrolmentNotStarted",
    "MfaNotEnrolled",
    "MfaThrottled",
    "MobileAlreadyRegistered",
    "MobileInvalid",
    "MobileUnchanged",
    "MobileUsedByAnotherPortalUser",
    "NotLockedOut",
    "OneTimeCodeAttemptsExhausted",
    "OneTimeCodeExpired",
    "OneTimeCodeRejected",
    "OneTimeCodeUsed",
    "OneTimeCodeWrong",
    "OutsideOrgScope",
    "PasswordRejected",
    "PermissionMissing",
    "RateLimited",
    "StaffUnbound",
    "UsernameMissing",
    "UsernameTaken",
    "WholeOrgTreeRequired",
]
