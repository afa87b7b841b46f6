"""The billing engine's expected failures (pure: kit only)."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class BillInputInvalid(GridCareError):
    """An input of a bill that the tariff's rules cannot bill; ``field`` names it."""

    code = "bill_input_invalid"
    message_zh = "计费输入“{field_name}”无效：{reason_zh}"
    message_en = 'Billing input "{field_name}" is invalid: {reason_en}'

    def __init__(self, *, field: str, reason_zh: str, reason_en: str) -> None:
        super().__init__(field=field, field_name=field, reason_zh=reason_zh, reason_en=reason_en)


class ContractDemandTooLow(GridCareError):
    """The contract demand is below the tariff's minimum share of the running capacity."""

    code = "contract_demand_too_low"
    message_zh = (
        "合同最大需量 {contract_kw} kW 低于运行容量 {capacity_kva} kVA 的 {share}%（最低 {minimum_kw} kW）"
    )
    message_en = (
        "The contract demand {contract_kw} kW is below {share}% of the running capacity "
        "{capacity_kva} kVA (at least {minimum_kw} kW)"
    )
