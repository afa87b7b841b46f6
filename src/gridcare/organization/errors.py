"""Expected failures of the org unit tree, each with a zh-Hans and an English message."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class OrgUnitCodeInvalid(GridCareError):
    code = "org_unit_code_invalid"
    message_zh = "供电单位编码 {code_value} 无效：应为 1 至 {max_length} 位字母或数字"
    message_en = "Org unit code {code_value} is invalid: it must be 1 to {max_length} letters or digits"


class OrgUnitCodeTaken(GridCareError):
    code = "org_unit_code_taken"
    message_zh = "供电单位编码 {code_value} 已被 {existing_name} 使用"
    message_en = "Org unit code {code_value} is already used by {existing_name}"


class OrgUnitNameMissing(GridCareError):
    code = "org_unit_name_missing"
    message_zh = "供电单位名称不能为空"
    message_en = "The org unit needs a name"


class OrgUnitLevelInvalid(GridCareError):
    code = "org_unit_level_invalid"
    message_zh = "供电单位层级 {level} 无效：应为省公司、地市公司、县公司或供电所"
    message_en = "Org unit level {level} is invalid: it must be province, city, county or station"


class OrgUnitAreaTypeInvalid(GridCareError):
    code = "org_unit_area_type_invalid"
    message_zh = "区域类型 {area_type} 无效：应为城市、农村或偏远地区"
    message_en = "Area type {area_type} is invalid: it must be urban, rural or remote"


class ProvinceCannotHaveParent(GridCareError):
    code = "org_unit_province_has_parent"
    message_zh = "省公司是供电单位树的根，不能有上级单位"
    message_en = "A provincial company is the root of the org tree and cannot have a parent unit"


class OrgUnitParentMissing(GridCareError):
    code = "org_unit_parent_missing"
    message_zh = "{level_zh}必须隶属于一个{parent_level_zh}"
    message_en = "A {level_en} must belong to a {parent_level_en}"


class OrgUnitParentLevelWrong(GridCareError):
    code = "org_unit_parent_level_wrong"
    message_zh = "{level_zh}只能隶属于{parent_level_zh}，而 {parent_name} 是{actual_parent_level_zh}"
    message_en = (
        "A {level_en} can only belong to a {parent_level_en}, but {parent_name} is a {actual_parent_level_en}"
    )


class SequenceCountInvalid(GridCareError):
    code = "sequence_count_invalid"
    message_zh = "编号序列 {name} 一次须分配至少 1 个编号，收到 {count}"
    message_en = "Number sequence {name} must hand out at least 1 number at a time, got {count}"


__all__ = [
    "OrgUnitAreaTypeInvalid",
    "OrgUnitCodeInvalid",
    "OrgUnitCodeTaken",
    "OrgUnitLevelInvalid",
    "OrgUnitNameMissing",
    "OrgUnitParentLevelWrong",
    "OrgUnitParentMissing",
    "ProvinceCannotHaveParent",
    "SequenceCountInvalid",
]
