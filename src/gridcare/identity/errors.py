"""Expected failures of identity, each with a zh-Hans and an English message."""

from __future__ import annotations

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


__all__ = [
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
    "IntegrationKindUnknown",
    "IntegrationNameInvalid",
    "IntegrationNameTaken",
    "IntegrationNotFound",
    "IntegrationOrgUnitOutOfScope",
    "IntegrationRevoked",
    "IntegrationScopeUnknown",
    "MobileInvalid",
    "PasswordRejected",
    "UsernameMissing",
    "UsernameTaken",
]
