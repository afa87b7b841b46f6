"""Expected failures of metering, each with a zh-Hans and an English message.

Messages name the meter by its asset number (资产编号) and the metering point by its code, so
a reader at the counter or a row in an import report says exactly what is wrong.
"""

from __future__ import annotations

from gridcare.kit.errors import GridCareError

# --- meters and their lifecycle -------------------------------------------------------------


class MeterScrapped(GridCareError):
    code = "meter_scrapped"
    message_zh = "电能表 {asset_no} 已报废，不能再抄表、安装或变更。"
    message_en = "Meter {asset_no} is scrapped: it cannot be read, installed or changed any more."


class MeterNotInstalled(GridCareError):
    """The meter is in stock: it has never been on a metering point, so it has no reads."""

    code = "meter_not_installed"
    message_zh = "电能表 {asset_no} 尚未安装（库存中），不能录入示数。"
    message_en = "Meter {asset_no} is not installed (it is in stock), so it cannot be read."


class MeterNotInstalledAt(GridCareError):
    """No installation of the meter covers the moment (before its install or after its removal)."""

    code = "meter_not_installed_at"
    message_zh = "电能表 {asset_no} 在 {moment} 未安装在任何计量点上（早于装表或晚于拆表）。"
    message_en = (
        "Meter {asset_no} was not installed on any metering point at {moment} "
        "(before its installation or after its removal)."
    )


class MeterAlreadyInstalled(GridCareError):
    code = "meter_already_installed"
    message_zh = (
        "电能表 {asset_no} 已安装在计量点 {current_point} 上，不能再装到计量点 {target_point}；请先拆表。"
    )
    message_en = (
        "Meter {asset_no} is already installed on metering point {current_point}; it cannot also be "
        "installed on metering point {target_point}. Remove it first."
    )


class MeteringPointOccupied(GridCareError):
    code = "metering_point_occupied"
    message_zh = "计量点 {point_code} 已装有电能表 {asset_no}，请先拆表或办理换表。"
    message_en = (
        "Metering point {point_code} already has meter {asset_no} installed; remove it or exchange it."
    )


class MeteringPointHasNoMeter(GridCareError):
    code = "metering_point_has_no_meter"
    message_zh = "计量点 {point_code} 当前未装电能表。"
    message_en = "Metering point {point_code} has no meter installed."


class MeterStatusForbids(GridCareError):
    """The meter's lifecycle status does not allow the action (e.g. scrapping an installed meter)."""

    code = "meter_status_forbids"
    message_zh = "电能表 {asset_no} 当前状态为“{status_zh}”，不能{action_zh}。"
    message_en = "Meter {asset_no} is {status_en}: it cannot be {action_en}."


class MeterAssetNumberTaken(GridCareError):
    code = "meter_asset_no_taken"
    message_zh = "资产编号 {asset_no} 已被另一块电能表使用。"
    message_en = "Asset number {asset_no} already belongs to another meter."


class MeterDialInvalid(GridCareError):
    code = "meter_dial_invalid"
    message_zh = "电能表 {asset_no} 的表盘位数无效：整数位应为 4–10 位，小数位应为 0–2 位。"
    message_en = "Meter {asset_no} has an invalid dial: 4 to 10 integer digits and 0 to 2 decimal digits."


class AccuracyClassUnknown(GridCareError):
    code = "accuracy_class_unknown"
    message_zh = "电能表 {asset_no} 的准确度等级 {accuracy_class} 无法识别。"
    message_en = "Meter {asset_no} has an unknown accuracy class {accuracy_class}."


class InstallationOverlaps(GridCareError):
    """An install dated before the meter (or the metering point) was freed by its last removal."""

    code = "installation_overlaps"
    message_zh = "装表时间 {moment} 早于{subject_zh}上次拆表的时间 {last_removed_at}，安装期不能重叠。"
    message_en = (
        "The installation time {moment} is before the last removal from {subject_en} at "
        "{last_removed_at}; installations cannot overlap."
    )


class RemovalNotAfterInstall(GridCareError):
    code = "removal_not_after_install"
    message_zh = (
        "拆表时间 {moment} 必须晚于电能表 {asset_no} 在计量点 {point_code} 的装表时间 {installed_at}。"
    )
    message_en = (
        "The removal time {moment} must be after meter {asset_no} was installed on metering point "
        "{point_code} at {installed_at}."
    )


class ReadsAfterRemoval(GridCareError):
    code = "reads_after_removal"
    message_zh = (
        "电能表 {asset_no} 在拆表时间 {moment} 之后还有示数（最近一次 {last_read_at}），拆表时间有误。"
    )
    message_en = (
        "Meter {asset_no} has reads after the removal time {moment} (the last at {last_read_at}); "
        "the removal time is wrong."
    )


class MomentInFuture(GridCareError):
    code = "moment_in_future"
    message_zh = "{what_zh}时间 {moment} 晚于当前时间 {now}。"
    message_en = "The {what_en} time {moment} is later than now ({now})."


# --- register readings ------------------------------------------------------------------------


class RegisterValueInvalid(GridCareError):
    """A register value that is not a finite number."""

    code = "register_value_invalid"
    message_zh = "电能表 {asset_no} 的{register_zh}示数 {value} 不是有效数字。"
    message_en = "The {register_en} reading {value} of meter {asset_no} is not a valid number."


class RegisterMissing(GridCareError):
    code = "register_missing"
    message_zh = "电能表 {asset_no} 的正向有功总示数不能为空。"
    message_en = "The import active total reading of meter {asset_no} is required."


class RegisterNegative(GridCareError):
    code = "register_negative"
    message_zh = "电能表 {asset_no} 的{register_zh}示数 {value} 不能为负数。"
    message_en = "The {register_en} reading {value} of meter {asset_no} cannot be negative."


class RegisterBeyondDial(GridCareError):
    code = "register_beyond_dial"
    message_zh = "电能表 {asset_no} 的{register_zh}示数 {value} 超出表盘范围（最大 {dial_max}）。"
    message_en = (
        "The {register_en} reading {value} of meter {asset_no} is beyond its dial (at most {dial_max})."
    )


class RegisterTooPrecise(GridCareError):
    code = "register_too_precise"
    message_zh = (
        "电能表 {asset_no} 的{register_zh}示数 {value} 小数位过多（表盘只有 {decimal_digits} 位小数）。"
    )
    message_en = (
        "The {register_en} reading {value} of meter {asset_no} has too many decimals "
        "(the dial shows {decimal_digits})."
    )


class RegisterNotOnMeter(GridCareError):
    code = "register_not_on_meter"
    message_zh = "电能表 {asset_no} 没有{register_zh}计度器，不能录入该示数。"
    message_en = "Meter {asset_no} has no {register_en} register; that reading cannot be recorded."


class TimeOfUseExceedsTotal(GridCareError):
    code = "time_of_use_exceeds_total"
    message_zh = (
        "电能表 {asset_no} 的尖峰平谷示数之和 {time_of_use_sum} 超过正向有功总示数 {total}"
        "（允许误差 {tolerance}）。"
    )
    message_en = (
        "The time-of-use readings of meter {asset_no} add up to {time_of_use_sum}, more than the "
        "import active total {total} (tolerance {tolerance})."
    )


class ReadReasonReserved(GridCareError):
    code = "read_reason_reserved"
    message_zh = "装表示数和拆表示数只能在装表、拆表或换表时录入。"
    message_en = "Install and removal reads are recorded only by installing, removing or exchanging a meter."


class ReadStatusMismatchesSource(GridCareError):
    code = "read_status_mismatches_source"
    message_zh = "估抄示数的状态必须为“估抄”，且只有估抄示数可以标为“估抄”。"
    message_en = "An estimated read must have the status estimated, and only an estimated read may have it."


class ReadTimeTaken(GridCareError):
    code = "read_time_taken"
    message_zh = "电能表 {asset_no} 在 {read_at} 已有一条示数记录。"
    message_en = "Meter {asset_no} already has a read at {read_at}."


# --- metering points and topology -------------------------------------------------------------


class MeteringPointCodeTaken(GridCareError):
    code = "metering_point_code_taken"
    message_zh = "计量点编号 {point_code} 已存在。"
    message_en = "Metering point code {point_code} already exists."


class MeteringPointInvalid(GridCareError):
    """A metering point whose parameters break a rule (ratios, losses, arrangement)."""

    code = "metering_point_invalid"
    message_zh = "计量点 {point_code} 参数无效：{reason_zh}"
    message_en = "Metering point {point_code} is invalid: {reason_en}"


class ParentMeteringPointInvalid(GridCareError):
    code = "parent_metering_point_invalid"
    message_zh = "计量点 {point_code} 不能挂在计量点 {parent_code} 下：{reason_zh}"
    message_en = "Metering point {point_code} cannot hang under metering point {parent_code}: {reason_en}"


class TopologyInvalid(GridCareError):
    """A feeder, transformer area or a metering point's place on them that breaks a rule."""

    code = "topology_invalid"
    message_zh = "{kind_zh} {code_value} 无效：{reason_zh}"
    message_en = "{kind_en} {code_value} is invalid: {reason_en}"


class TopologyCodeTaken(GridCareError):
    code = "topology_code_taken"
    message_zh = "{kind_zh}编号 {code_value} 已存在。"
    message_en = "A {kind_en} with code {code_value} already exists."


class FieldInvalid(GridCareError):
    """A field value the model refuses (too long, not one of the choices, empty)."""

    code = "field_invalid"
    message_zh = "{label_zh}无效：{reason_zh}"
    message_en = "{label_en} is invalid: {reason_en}"


# --- interval reads -------------------------------------------------------------------------


class IntervalValuesInvalid(GridCareError):
    code = "interval_values_invalid"
    message_zh = "负荷曲线数据无效：{reason_zh}"
    message_en = "Interval values are invalid: {reason_en}"


class IntervalDayTaken(GridCareError):
    code = "interval_day_taken"
    message_zh = "计量点 {point_code} 在 {read_date} 已有{quantity_zh}曲线数据。"
    message_en = "Metering point {point_code} already has {quantity_en} interval reads on {read_date}."


__all__ = [
    "AccuracyClassUnknown",
    "FieldInvalid",
    "InstallationOverlaps",
    "IntervalDayTaken",
    "IntervalValuesInvalid",
    "MeterAlreadyInstalled",
    "MeterAssetNumberTaken",
    "MeterDialInvalid",
    "MeterNotInstalled",
    "MeterNotInstalledAt",
    "MeterScrapped",
    "MeterStatusForbids",
    "MeteringPointCodeTaken",
    "MeteringPointHasNoMeter",
    "MeteringPointInvalid",
    "MeteringPointOccupied",
    "MomentInFuture",
    "ParentMeteringPointInvalid",
    "ReadReasonReserved",
    "ReadStatusMismatchesSource",
    "ReadTimeTaken",
    "ReadsAfterRemoval",
    "RegisterBeyondDial",
    "RegisterMissing",
    "RegisterNegative",
    "RegisterNotOnMeter",
    "RegisterTooPrecise",
    "RegisterValueInvalid",
    "RemovalNotAfterInstall",
    "TimeOfUseExceedsTotal",
    "TopologyCodeTaken",
    "TopologyInvalid",
]
