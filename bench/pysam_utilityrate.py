"""NREL PySAM Utilityrate5 set up to bill a year of hourly load on a URDB record, as docs/urdb.md checked it.

Imported only when the interval benchmark runs: PySAM is in the ``bench`` dependency group,
which ``make bench`` installs and ``make setup`` does not.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import PySAM.Utilityrate5 as utilityrate5
from PySAM.UtilityRateTools import URDBv8_to_ElectricityRates

from bench.harness import BenchSetupError

#: Our month components and the PySAM outputs (year × month matrices) that hold them.
OUTPUTS = {
    "energy": "charge_wo_sys_ec_ym",
    "demand_flat": "charge_wo_sys_dc_fixed_ym",
    "demand_tou": "charge_wo_sys_dc_tou_ym",
    "fixed": "charge_wo_sys_fixed_ym",
    "minimum": "charge_wo_sys_minimum_ym",
}
HOURS_PER_YEAR = 8760


class PysamBiller:
    """One Utilityrate5 model holding the tariff, reused for every load (PySAM's fastest use)."""

    def __init__(self, *, record: Mapping[str, Any]) -> None:
        model = utilityrate5.new()
        model.Lifetime.analysis_period = 1
        model.Lifetime.inflation_rate = 0
        model.Lifetime.system_use_lifetime_output = 0
        model.SystemOutput.gen = [0.0] * HOURS_PER_YEAR
        model.SystemOutput.degradation = [0]
        model.Load.load_escalation = [0]
        # The converter edits the record's schedules in place: give it a copy.
        rates = URDBv8_to_ElectricityRates(_with_energy_schedule(copy.deepcopy(dict(record))))
        rates |= {"rate_escalation": [0], "ur_en_ts_sell_rate": 0, "ur_en_ts_buy_rate": 0}
        for key in ("ur_monthly_fixed_charge", "ur_monthly_min_charge", "ur_annual_min_charge"):
            rates.setdefault(key, 0)
        model.ElectricityRates.assign(rates)
        self._model = model

    def bill(self, *, load_kw: Sequence[float]) -> dict[str, tuple[float, ...]]:
        """Year one's 12 monthly amounts of each component (unrounded dollars) for ``load_kw`` (8760 h)."""
        self._model.Load.load = load_kw
        try:
            self._model.execute(0)
        except Exception as error:  # PySAM raises a bare Exception for a tariff SAM refuses
            raise BenchSetupError(f"PySAM cannot bill this tariff: {error}") from error
        outputs = self._model.Outputs
        # Row 0 of each year × month matrix is year zero (no bill): year one is row 1.
        return {component: getattr(outputs, name)[1] for component, name in OUTPUTS.items()}


def _with_energy_schedule(record: dict[str, Any]) -> dict[str, Any]:
    # SAM needs an energy schedule even for a demand-only tariff: a zero-rate period. Schedules
    # are built row by row: the converter increments each row in place, and [[0] * 24] * 12
    # would share one row twelve times.
    if not record.get("energyratestructure"):
        record["energyratestructure"] = [[{"rate": 0}]]
        record["energyweekdayschedule"] = [[0] * 24 for _ in range(12)]
        record["energyweekendschedule"] = [[0] * 24 for _ in range(12)]
    return record
