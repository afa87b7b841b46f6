"""Expected failures of imports and exports, each with a zh-Hans and an English message.

Row-level errors become lines of an import report (row, column, value, reason); file-level
errors (unreadable file, unknown or missing columns) are reported against the header row.
Messages do not repeat the row or column: the report shows those beside the reason.
"""

from __future__ import annotations

from gridcare.kit.errors import GridCareError

# --- files and headers ----------------------------------------------------------------------


class FileTypeUnsupported(GridCareError):
    code = "file_type_unsupported"
    message_zh = "不支持文件 {file_name} 的格式：请使用 .csv 或 .xlsx 文件。"
    message_en = "The format of {file_name} is not supported: use a .csv or .xlsx file."


class FileUnreadable(GridCareError):
    code = "file_unreadable"
    message_zh = "无法读取文件 {file_name}：{reason}"
    message_en = "The file {file_name} cannot be read: {reason}"


class FileEmpty(GridCareError):
    code = "file_empty"
    message_zh = "文件没有标题行：第 1 行应为列名。"
    message_en = "The file has no header row: row 1 must hold the column names."


class ColumnUnknown(GridCareError):
    code = "column_unknown"
    message_zh = "未知的列 {column}；可用的列：{known}"
    message_en = "Unknown column {column}; the columns are: {known}"


class ColumnMissing(GridCareError):
    code = "column_missing"
    message_zh = "缺少必需的列 {column}。"
    message_en = "The required column {column} is missing."


class ColumnRepeated(GridCareError):
    code = "column_repeated"
    message_zh = "列 {column} 出现了不止一次。"
    message_en = "The column {column} appears more than once."


class CellsBeyondHeader(GridCareError):
    code = "cells_beyond_header"
    message_zh = "该行在标题行之外还有 {count} 个非空单元格。"
    message_en = "The row has {count} non-empty cells beyond the header's columns."


# --- cell values ----------------------------------------------------------------------------


class ValueRequired(GridCareError):
    code = "value_required"
    message_zh = "必填，不能为空。"
    message_en = "A value is required."


class TextTooLong(GridCareError):
    code = "text_too_long"
    message_zh = "过长：最多 {max_length} 个字符。"
    message_en = "Too long: at most {max_length} characters."


class TextHasControlCharacter(GridCareError):
    code = "text_has_control_character"
    message_zh = "第 {position} 个字符是不可见的控制字符 {code_point}，请删除后重试。"
    message_en = "Character {position} is the invisible control character {code_point}; remove it."


class ChoiceInvalid(GridCareError):
    code = "choice_invalid"
    message_zh = "“{value}”不是可选值；可选：{allowed}"
    message_en = '"{value}" is not one of the allowed values: {allowed}'


class NumberInvalid(GridCareError):
    code = "number_invalid"
    message_zh = "“{value}”不是数字：应写成 1234.5 或 1,234.5（不用科学计数法）。"
    message_en = '"{value}" is not a number: write it like 1234.5 or 1,234.5 (no exponent notation).'


class NumberNegative(GridCareError):
    code = "number_negative"
    message_zh = "“{value}”不能为负数。"
    message_en = '"{value}" cannot be negative.'


class NumberTooPrecise(GridCareError):
    code = "number_too_precise"
    message_zh = "“{value}”小数位过多：最多 {decimal_places} 位。"
    message_en = '"{value}" has too many decimals: at most {decimal_places}.'


class NumberOutOfRange(GridCareError):
    code = "number_out_of_range"
    message_zh = "“{value}”超出范围：应在 {minimum} 与 {maximum} 之间。"
    message_en = '"{value}" is out of range: it must be from {minimum} to {maximum}.'


class IntegerInvalid(GridCareError):
    code = "integer_invalid"
    message_zh = "“{value}”不是整数。"
    message_en = '"{value}" is not a whole number.'


class BooleanInvalid(GridCareError):
    code = "boolean_invalid"
    message_zh = "“{value}”不是是/否值：请填 true 或 false（也接受 1/0、yes/no、是/否）。"
    message_en = '"{value}" is not a yes/no value: use true or false (1/0, yes/no and 是/否 also work).'


class DateInvalid(GridCareError):
    code = "date_invalid"
    message_zh = "“{value}”不是日期：请按 ISO 8601 填写，如 2025-03-01。"
    message_en = '"{value}" is not a date: use ISO 8601, e.g. 2025-03-01.'


class DateTimeInvalid(GridCareError):
    code = "datetime_invalid"
    message_zh = (
        "“{value}”不是日期时间：请按 ISO 8601 填写，如 2025-03-01T08:00:00（不带时区按北京时间）"
        "或 2025-03-01T08:00:00+08:00。"
    )
    message_en = (
        '"{value}" is not a date and time: use ISO 8601, e.g. 2025-03-01T08:00:00 (Beijing time '
        "when no offset is given) or 2025-03-01T08:00:00+08:00."
    )


class EmailInvalid(GridCareError):
    code = "email_invalid"
    message_zh = "“{value}”不是有效的电子邮箱地址。"
    message_en = '"{value}" is not a valid email address.'


# --- references and uniqueness --------------------------------------------------------------


class ReferenceNotFound(GridCareError):
    """The referenced record does not exist, or it lies outside the importing user's org scope
    (one message for both, so an import cannot probe for records the user may not see)."""

    code = "reference_not_found"
    message_zh = "{label_zh} {value} 不存在，或不在您的管辖范围内。"
    message_en = "{label_en} {value} does not exist or is outside your org units."


class ValueTaken(GridCareError):
    code = "value_taken"
    message_zh = "{label_zh} {value} 已存在。"
    message_en = "{label_en} {value} already exists."


class DuplicateOfRow(GridCareError):
    code = "duplicate_of_row"
    message_zh = "与第 {other_row} 行重复（{label_zh} {value}）。"
    message_en = "Duplicates row {other_row} ({label_en} {value})."


class DuplicateOfEarlierRow(GridCareError):
    code = "duplicate_of_earlier_row"
    message_zh = "与本文件前面的某一行重复（{label_zh} {value}）。"
    message_en = "Duplicates an earlier row of this file ({label_en} {value})."


# --- rules across a row's columns -----------------------------------------------------------


class CustomerIdentityMismatch(GridCareError):
    code = "customer_identity_mismatch"
    message_zh = "个人客户须填身份证号且不填统一社会信用代码；企业客户须填统一社会信用代码且不填身份证号。"
    message_en = (
        "A person needs a resident ID number and no unified social credit code; an enterprise "
        "needs a unified social credit code and no resident ID number."
    )


class StatusBeforeOpening(GridCareError):
    code = "status_before_opening"
    message_zh = "状态生效日期 {status_effective_date} 早于立户日期 {opened_date}。"
    message_en = "The status effective date {status_effective_date} is before the opening date {opened_date}."


class InstallationColumnsMismatch(GridCareError):
    code = "installation_columns_mismatch"
    message_zh = "状态为“已安装”的电能表须填写计量点和安装时间；其他状态的电能表不填这两列。"
    message_en = (
        "An installed meter needs metering_point and installed_at; a meter in any other status "
        "leaves both empty."
    )


class OrgUnitRequired(GridCareError):
    code = "org_unit_required"
    message_zh = "请填写供电单位编码，或在导入时指定供电单位。"
    message_en = "Give the org unit code, or choose an org unit for the import."


# --- who may import and export --------------------------------------------------------------


class ExchangeUserInvalid(GridCareError):
    code = "exchange_user_invalid"
    message_zh = "用户 {username} 不存在、已停用，或不是绑定了供电单位的员工。"
    message_en = "User {username} does not exist, is inactive, or is not staff bound to an org unit."


class ExchangeOrgUnitInvalid(GridCareError):
    code = "exchange_org_unit_invalid"
    message_zh = "供电单位 {code} 不存在，或不在您的管辖范围内。"
    message_en = "Org unit {code} does not exist or is outside your org units."


class KindUnknown(GridCareError):
    code = "exchange_kind_unknown"
    message_zh = "未知的数据类型 {kind}；可选：{known}"
    message_en = "Unknown kind {kind}; the kinds are: {known}"


# --- file manifests (integrations part of issue 3) -----------------------------------------


class ManifestUnreadable(GridCareError):
    code = "manifest_unreadable"
    message_zh = "清单文件 {file_name} 无法读取或格式不对：{reason}"
    message_en = "The manifest {file_name} cannot be read or is malformed: {reason}"


class ManifestIntegrationInvalid(GridCareError):
    code = "manifest_integration_invalid"
    message_zh = "清单中的接口 {name} 不存在或已停用，无法验证签名"
    message_en = (
        "The manifest's integration {name} does not exist or is not active: its signature cannot be checked"
    )


class ManifestSignatureInvalid(GridCareError):
    code = "manifest_signature_invalid"
    message_zh = "清单签名不正确：清单不是接口 {name} 签发的，或已被改动。文件未导入"
    message_en = (
        "The manifest signature does not match: it was not signed by integration {name} or was "
        "changed. Nothing was imported"
    )


class ManifestFileMismatch(GridCareError):
    code = "manifest_file_mismatch"
    message_zh = "文件 {file_name} 与清单不符（{what_zh}）：文件可能被篡改或传输不完整。文件未导入"
    message_en = (
        "The file {file_name} does not match its manifest ({what_en}): it may have been altered "
        "or truncated. Nothing was imported"
    )


__all__ = [
    "BooleanInvalid",
    "CellsBeyondHeader",
    "ChoiceInvalid",
    "ColumnMissing",
    "ColumnRepeated",
    "ColumnUnknown",
    "CustomerIdentityMismatch",
    "DateInvalid",
    "DateTimeInvalid",
    "DuplicateOfEarlierRow",
    "DuplicateOfRow",
    "EmailInvalid",
    "ExchangeOrgUnitInvalid",
    "ExchangeUserInvalid",
    "FileEmpty",
    "FileTypeUnsupported",
    "FileUnreadable",
    "InstallationColumnsMismatch",
    "IntegerInvalid",
    "KindUnknown",
    "ManifestFileMismatch",
    "ManifestIntegrationInvalid",
    "ManifestSignatureInvalid",
    "ManifestUnreadable",
    "NumberInvalid",
    "NumberNegative",
    "NumberOutOfRange",
    "NumberTooPrecise",
    "OrgUnitRequired",
    "ReferenceNotFound",
    "StatusBeforeOpening",
    "TextHasControlCharacter",
    "TextTooLong",
    "ValueRequired",
    "ValueTaken",
]
