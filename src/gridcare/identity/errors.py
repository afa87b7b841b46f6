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


__all__ = ["MobileInvalid", "PasswordRejected", "UsernameMissing", "UsernameTaken"]
