"""Expected failures of the tariff catalog, each with a zh-Hans and an English message naming
the tariff code, the version or the document field at fault."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class TariffDocumentInvalid(GridCareError):
    """The document breaks the tariff schema; ``problems`` lists ``path: reason`` per problem
    (``field`` is the path of the first)."""

    code = "tariff_document_invalid"
    message_zh = "电价文档无效：{problems}"
    message_en = "The tariff document is invalid: {problems}"


class TariffFileUnreadable(GridCareError):
    code = "tariff_file_unreadable"
    message_zh = "无法读取电价文件 {path}：{reason}"
    message_en = "The tariff file {path} cannot be read: {reason}"


class TariffVersionOverlaps(GridCareError):
    """A new version must start after the start of every existing one and not inside a closed
    one: validity periods never overlap."""

    code = "tariff_version_overlaps"
    message_zh = (
        "电价 {code} 的新版本自 {valid_from} 起生效，"
        "与第 {version} 版（{existing_from} 至 {existing_to}）重叠；新版本须晚于现有版本的生效日期。"
    )
    message_en = (
        "The new version of tariff {code} from {valid_from} overlaps version {version} "
        "({existing_from} to {existing_to}); a new version must start after the existing ones."
    )


class TariffKindMismatch(GridCareError):
    code = "tariff_kind_mismatch"
    message_zh = "电价 {code} 已作为 {existing_kind} 类电价存在，不能以 {kind} 类发布新版本。"
    message_en = (
        "Tariff {code} exists as a {existing_kind} tariff; a {kind} version cannot be published for it."
    )


class TariffNotFound(GridCareError):
    code = "tariff_not_found"
    message_zh = "电价目录中没有电价 {code}。"
    message_en = "There is no tariff {code} in the catalog."


class TariffVersionMissing(GridCareError):
    code = "tariff_version_missing"
    message_zh = "电价 {code} 在 {on} 没有有效版本。"
    message_en = "Tariff {code} has no version valid on {on}."


class TariffVersionImmutable(GridCareError):
    code = "tariff_version_immutable"
    message_zh = "电价 {code} 第 {version} 版已保存，不能修改；请发布新版本。"
    message_en = "Version {version} of tariff {code} is saved and cannot change; publish a new version."


class TariffNotGridCareDocument(GridCareError):
    code = "tariff_not_gridcare_document"
    message_zh = "电价 {code} 是 {kind} 类电价，不是 GridCare 电价文档。"
    message_en = "Tariff {code} is a {kind} tariff, not a GridCare tariff document."


class TariffPeriodInvalid(GridCareError):
    code = "tariff_period_invalid"
    message_zh = "期间无效：开始日期 {start} 须早于结束日期 {end}。"
    message_en = "The period is invalid: its start {start} must come before its end {end}."


class TariffChangeStale(GridCareError):
    """An approved tariff change whose tariff got another version after the request."""

    code = "tariff_change_stale"
    message_zh = "电价 {code} 在申请后已有新版本（第 {version} 版），请重新申请。"
    message_en = "Tariff {code} got a new version (version {version}) after the request; file a new one."


class UrdbRecordInvalid(GridCareError):
    code = "urdb_record_invalid"
    message_zh = "URDB 电价记录无效（字段 {field_name}）：{reason_zh}"
    message_en = "The URDB tariff record is invalid (field {field_name}): {reason_en}"
