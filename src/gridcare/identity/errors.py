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


# --- Staff authentication (issue 3, item 1) ---


class CurrentPasswordWrong(GridCareError):
    code = "current_password_wrong"
    message_zh = "当前密码不正确"
    message_en = "The current password is not correct"


class MfaCodeInvalid(GridCareError):
    code = "mfa_code_invalid"
    message_zh = "验证码不正确或已使用，请输入认证器当前显示的 6 位数字或一个未用过的恢复码"
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
    message_zh = "尚未开始绑定认证器，请重新打开绑定页面"
    message_en = "No authenticator enrolment is under way: open the enrolment page again"


class MfaNotEnrolled(GridCareError):
    code = "mfa_not_enrolled"
    message_zh = "用户 {username} 尚未绑定认证器"
    message_en = "User {username} has not enrolled an authenticator"


class NotLockedOut(GridCareError):
    code = "not_locked_out"
    message_zh = "{subject} 没有失败登录记录，无需解锁"
    message_en = "{subject} has no failed logins on record: nothing to unlock"


__all__ = [
    "CurrentPasswordWrong",
    "MfaCodeInvalid",
    "MfaEnrolmentNotStarted",
    "MfaNotEnrolled",
    "MfaThrottled",
    "MobileAlreadyRegistered",
    "MobileInvalid",
    "NotLockedOut",
    "OneTimeCodeAttemptsExhausted",
    "OneTimeCodeExpired",
    "OneTimeCodeRejected",
    "OneTimeCodeUsed",
    "OneTimeCodeWrong",
    "PasswordRejected",
    "RateLimited",
    "UsernameMissing",
    "UsernameTaken",
]
