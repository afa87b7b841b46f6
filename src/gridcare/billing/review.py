"""Review exceptions (量费审核异常): what the calculation flags on a bill for a reviewer to look
at, with a message in both languages and whether it blocks approval.

A blocking exception (no usable tariff, no reads to bill or estimate from, inputs the engine
refused) means the bill has no lines: it can only be held, sent back for a read check or
recalculated after the cause is fixed, never approved as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridcare.kit.errors import GridCareError


@dataclass(frozen=True, kw_only=True)
class ExceptionKind:
    code: str
    message_zh: str
    message_en: str
    blocking: bool = False


_KINDS = (
    ExceptionKind(code="zero_usage", message_zh="零电量", message_en="Zero usage"),
    ExceptionKind(
        code="usage_outside_band",
        message_zh="电量超出近 12 个月平均值（同期 {average} kWh）的 {band} 倍范围",
        message_en="Usage outside {band}× the 12-month average ({average} kWh for the period)",
    ),
    ExceptionKind(
        code="estimated",
        message_zh="估抄电量（待实抄冲正）",
        message_en="Estimated usage (trued up by the next actual read)",
    ),
    ExceptionKind(
        code="missing_read",
        message_zh="缺少抄表示数，且无历史电量可估算",
        message_en="A read is missing and there is no history to estimate from",
        blocking=True,
    ),
    ExceptionKind(
        code="backwards_read",
        message_zh="示数倒走（本次示数小于上次）",
        message_en="Negative advance: the read is below the previous one",
    ),
    ExceptionKind(code="suspect_read", message_zh="抄表示数存疑", message_en="A read is marked suspect"),
    ExceptionKind(
        code="estimate_reversed",
        message_zh="实抄示数低于上期估抄示数，冲回多估电量",
        message_en="The actual read is below the estimated one before it: the over-estimate is given back",
    ),
    ExceptionKind(
        code="periods_unavailable",
        message_zh="分时电价但电量无法分时段（无分时示数或整期负荷曲线）",
        message_en=(
            "A time-of-use tariff, but the usage cannot be split into periods "
            "(no TOU registers or full intervals)"
        ),
        blocking=True,
    ),
    ExceptionKind(code="rollover", message_zh="电能表示数翻转", message_en="The register rolled over"),
    ExceptionKind(
        code="meter_exchange", message_zh="本期有换表", message_en="The meter was exchanged in the period"
    ),
    ExceptionKind(
        code="sub_meter_exceeds_parent",
        message_zh="分表电量大于总表电量",
        message_en="A sub-meter's energy exceeds its parent's",
    ),
    ExceptionKind(
        code="tariff_unusable",
        message_zh="电价不能用于本期：{detail}",
        message_en="The tariff cannot bill the period: {detail}",
        blocking=True,
    ),
    ExceptionKind(
        code="terms_missing",
        message_zh="两部制电价缺少基本电费计收方式（按需量或按容量）",
        message_en="A two-part tariff without a basic charge basis (demand or capacity)",
        blocking=True,
    ),
    ExceptionKind(
        code="capacity_mismatch",
        message_zh="最大需量 {demand} kW 超过运行容量 {capacity} kVA",
        message_en="Maximum demand {demand} kW exceeds the running capacity {capacity} kVA",
    ),
    ExceptionKind(
        code="calculation_failed",
        message_zh="无法计算：{detail}",
        message_en="Cannot be calculated: {detail}",
        blocking=True,
    ),
)

EXCEPTION_KINDS: dict[str, ExceptionKind] = {kind.code: kind for kind in _KINDS}


@dataclass(frozen=True, kw_only=True)
class ReviewException:
    code: str
    message_zh: str
    message_en: str
    blocking: bool

    def as_data(self) -> dict[str, object]:
        """As stored in ``Bill.exceptions``."""
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "blocking": self.blocking,
        }


def exception(code: str, **params: object) -> ReviewException:
    """The review exception ``code`` with its messages filled from ``params`` (a GridCareError
    ``detail`` gives its own message in each language)."""
    kind = EXCEPTION_KINDS[code]
    zh = {
        name: value.message("zh-hans") if isinstance(value, GridCareError) else value
        for name, value in params.items()
    }
    en = {
        name: value.message("en") if isinstance(value, GridCareError) else value
        for name, value in params.items()
    }
    return ReviewException(
        code=code,
        message_zh=kind.message_zh.format(**zh),
        message_en=kind.message_en.format(**en),
        blocking=kind.blocking,
    )


def has_blocking_exception(exceptions: list[dict[str, object]]) -> bool:
    """Whether a bill's stored exceptions include one that blocks approval."""
    return any(item.get("blocking") for item in exceptions)
