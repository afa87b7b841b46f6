"""Register values of a demo meter over its reads, kept as integers until written.

Energy registers count hundredths of kWh (kvarh) on the dial, before the multiplier; maximum
demand counts ten-thousandths of kW. A read row's register columns come out as decimal text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from gridcare.demo import catalog
from gridcare.demo.drafts import AccountProfile, MeterDraft
from gridcare.demo.draws import Draws

#: Where a dial wraps to zero, in hundredths: 10 ** integer digits kWh.
DIAL_CAPACITY = 10**catalog.METER_INTEGER_DIGITS * 100
_NO_OTHER_REGISTERS = (None,) * 8


class AnomalyKind:
    """The read anomalies the demo plants, by the name they are recorded under."""

    ROLLOVER = "rollover"
    ZERO_USAGE = "zero_usage"
    SPIKE = "spike"
    METER_EXCHANGE = "meter_exchange"
    ALL = (ROLLOVER, ZERO_USAGE, SPIKE, METER_EXCHANGE)


@dataclass(frozen=True)
class Anomaly:
    """A planted anomaly of ``kind`` in ``period`` (between reads ``period - 1`` and
    ``period``), lasting ``length`` periods."""

    kind: str
    period: int
    length: int = 1


def hundredths_text(value: int) -> str:
    """``12345`` → ``"123.45"``."""
    return "%d.%02d" % divmod(value, 100)  # noqa: UP031 - measurably faster than an f-string here


def ten_thousandths_text(value: int) -> str:
    """``12345`` → ``"1.2345"``."""
    return "%d.%04d" % divmod(value, 10000)  # noqa: UP031


def _add(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a + b for a, b in zip(left, right, strict=True))


@dataclass(slots=True)
class RegisterSeries:
    """One meter's registers at its install read and at each periodic read.

    ``deltas[0]`` is the dial advance from the install read to the first periodic read,
    ``deltas[n]`` the advance in period ``n``; the total register is the running sum from
    ``start``, modulo the dial capacity.
    """

    meter: MeterDraft
    start: int
    deltas: list[int]
    totals: list[int]
    time_of_use: list[tuple[int, ...]] = field(default_factory=list)
    reactive: list[tuple[int, ...]] = field(default_factory=list)
    demand: list[int] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        draws: Draws,
        profile: AccountProfile,
        meter: MeterDraft,
        deltas: list[int],
        read_dates: list[date],
        anomaly: Anomaly | None,
    ) -> RegisterSeries:
        """The series for ``deltas``; a rollover anomaly starts the dial high enough to wrap
        during its period."""
        series = cls(meter=meter, start=0, deltas=deltas, totals=list(accumulate(deltas)))
        if anomaly is not None and anomaly.kind == AnomalyKind.ROLLOVER:
            before_wrap = round(deltas[anomaly.period] * draws.uniform(0.2, 0.8))
            series.start = DIAL_CAPACITY - before_wrap - series.totals[anomaly.period - 1]
        if meter.has_time_of_use:
            sharp_share, peak_share, valley_share = profile.time_of_use_shares
            parts = []
            for delta in deltas:
                sharp, peak, valley = (
                    round(delta * sharp_share),
                    round(delta * peak_share),
                    round(delta * valley_share),
                )
                parts.append((sharp, peak, delta - sharp - peak - valley, valley))
            series.time_of_use = list(accumulate(parts, _add))
        if meter.has_reactive:
            reactive_ratio = math.tan(math.acos(profile.power_factor))
            series.reactive = list(
                accumulate(
                    (
                        (
                            round(delta * reactive_ratio * draws.uniform(0.95, 1.05)),
                            round(delta * draws.uniform(0, 0.01)),
                        )
                        for delta in deltas
                    ),
                    _add,
                )
            )
        if meter.has_demand:
            for period in range(1, len(deltas)):
                hours = (read_dates[period] - read_dates[period - 1]).days * 24
                peak_ratio = profile.peak_to_average * draws.uniform(0.95, 1.05)
                series.demand.append(round(deltas[period] / hours * peak_ratio * 100))
            # The first read closes a period before the window: show a month like the next.
            series.demand.insert(0, series.demand[0])
        return series

    def restarted(self, *, at_period: int, already_counted: int) -> RegisterSeries:
        """The series of a new meter fitted during ``at_period``, starting from zero: its first
        periodic read shows only what ran through it after the exchange (total register only)."""
        deltas = [0] * at_period + [self.deltas[at_period] - already_counted] + self.deltas[at_period + 1 :]
        return RegisterSeries(meter=self.meter, start=0, deltas=deltas, totals=list(accumulate(deltas)))

    def install_values(self, *, start: int | None = None) -> tuple[str | None, ...]:
        """The register columns when the meter was fitted."""
        return self._columns(self.start if start is None else start, (0, 0, 0, 0), (0, 0), 0)

    def values_at(self, period: int, *, extra: int = 0) -> tuple[str | None, ...]:
        """The register columns at periodic read ``period`` (plus ``extra`` hundredths since)."""
        total = (self.start + self.totals[period] + extra) % DIAL_CAPACITY
        if not (self.time_of_use or self.reactive or self.demand):
            return (hundredths_text(total), *_NO_OTHER_REGISTERS)
        time_of_use = self.time_of_use[period] if self.time_of_use else (0, 0, 0, 0)
        reactive = self.reactive[period] if self.reactive else (0, 0)
        return self._columns(total, time_of_use, reactive, self.demand[period] if self.demand else 0)

    def _columns(
        self, total: int, time_of_use: tuple[int, ...], reactive: tuple[int, ...], demand: int
    ) -> tuple[str | None, ...]:
        """Total, sharp, peak, flat, valley, export, reactive forward and reverse, demand: text,
        or None for registers the meter does not have."""
        meter = self.meter
        sharp = peak = flat = valley = reactive_import = reactive_export = maximum_demand = None
        if meter.has_time_of_use:
            sharp, peak, flat, valley = (hundredths_text(value) for value in time_of_use)
        if meter.has_reactive:
            reactive_import, reactive_export = (hundredths_text(value) for value in reactive)
        if meter.has_demand:
            maximum_demand = ten_thousandths_text(demand)
        total_text = hundredths_text(total)
        return (total_text, sharp, peak, flat, valley, None, reactive_import, reactive_export, maximum_demand)
