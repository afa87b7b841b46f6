"""Expected failures of the demo seeder, each with a zh-Hans and an English message."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class DemoDatabaseNotEmpty(GridCareError):
    """The database already holds utility data: seeding would duplicate it."""

    code = "demo_database_not_empty"
    message_zh = (
        "数据库中已有数据（{org_units} 个供电单位、{accounts} 个用电户、{meters} 块电能表，"
        "已存在的演示账号：{usernames}）：演示数据只能写入空库。要保留现有数据并跳过，请加 --if-empty"
    )
    message_en = (
        "The database already holds data ({org_units} org units, {accounts} accounts, {meters} meters; "
        "demo usernames taken: {usernames}): the demo utility seeds only an empty database. "
        "To keep the data and skip seeding, add --if-empty"
    )


class DemoSeedOptionInvalid(GridCareError):
    """An option of the seed that cannot be honoured."""

    code = "demo_seed_option_invalid"
    message_zh = "参数 {option} = {value} 无效：{reason_zh}"
    message_en = "Option {option} = {value} is invalid: {reason_en}"


class DemoTotpUnavailable(GridCareError):
    """``gridcare demo_totp`` gives codes only for demo logins with an authenticator."""

    code = "demo_totp_unavailable"
    message_zh = "{username} 不是带身份验证器的演示账号：只能为演示账号生成验证码"
    message_en = "{username} is not a demo login with an authenticator: codes are given only for those"


__all__ = ["DemoDatabaseNotEmpty", "DemoSeedOptionInvalid", "DemoTotpUnavailable"]
