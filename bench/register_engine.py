"""Register billing, engine only: ``register_bill_totals`` (vectorized) against the scalar reference.

The same N random bills of the shipped catalog tariffs (Beijing, Zhejiang and Shanghai
residential tiers and TOU, the demonstration large-industry two-part tariff), drawn from a seeded
generator, are totalled by the vectorized engine in one call and by
``reference.calculate_register_bill`` one bill at a time; every total must be equal. No database:
the end-to-end PostgreSQL run (issue 5 §6, second bullet) is a separate benchmark.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import gridcare
from bench.harness import Benchmark, BenchmarkResult, Say, best_of, peak_rss_mib
from gridcare.billing.engine.reference import RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, TierBasis, parse_tariff_document
from gridcare.billing.engine.vectorized import register_bill_totals

#: The tariff catalog GridCare ships (read as files: the engine needs no database).
CATALOG = Path(gridcare.__file__).parent / "tariffs" / "catalog"
BILL_YEAR = 2026
#: Running capacities drawn for two-part accounts (common transformer sizes, kVA).
CAPACITIES_KVA = (315, 400, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150)
#: Share of residential bills flagged as large households / 低保 or 五保 households.
LARGE_HOUSEHOLD_SHARE = 0.1
LOW_INCOME_SHARE = 0.05
#: Share of two-part bills for a part month (a new or closed account).
PART_MONTH_SHARE = 0.05


def catalog_tariffs() -> list[TariffDocument]:
    """The shipped catalog's tariff documents, by code."""
    return [
        parse_tariff_document(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(CATALOG.glob("*.json"))
    ]


def _milli(rng: random.Random, *, most_kwh: int) -> Decimal:
    """A random quantity from 0 to ``most_kwh`` in steps of 0.001."""
    return Decimal(rng.randint(0, most_kwh * 1000)).scaleb(-3)


def random_register_bills(
    *, count: int, seed: int, tariffs: Sequence[TariffDocument]
) -> list[RegisterBillInput]:
    """``count`` valid monthly bills of ``tariffs`` (each equally likely), the same for the same seed."""
    rng = random.Random(seed)  # reproducible benchmark input, not security  # noqa: S311
    bills = []
    for _ in range(count):
        tariff = tariffs[rng.randrange(len(tariffs))]
        month = rng.randint(1, 12)
        period_start = date(BILL_YEAR, month, 1)
        period_end = date(BILL_YEAR + month // 12, month % 12 + 1, 1)
        if tariff.basic_charge is None:
            annual = tariff.energy.tiers is not None and tariff.energy.tiers.basis is TierBasis.ANNUAL
            bills.append(
                RegisterBillInput(
                    tariff=tariff,
                    period_start=period_start,
                    period_end=period_end,
                    energy_kwh={name: _milli(rng, most_kwh=600) for name in tariff.energy.periods},
                    tier_year_kwh_before=_milli(rng, most_kwh=6000) if annual else Decimal(0),
                    large_household=rng.random() < LARGE_HOUSEHOLD_SHARE,
                    low_income=rng.random() < LOW_INCOME_SHARE,
                )
            )
            continue
        capacity = rng.choice(CAPACITIES_KVA)
        energy = {name: _milli(rng, most_kwh=capacity * 100) for name in tariff.energy.periods}
        active = sum(energy.values(), Decimal(0))
        bills.append(
            RegisterBillInput(
                tariff=tariff,
                period_start=period_start,
                period_end=period_end,
                energy_kwh=energy,
                reactive_kvarh_forward=(active * Decimal(rng.randint(100, 800)) / 1000).quantize(
                    Decimal("0.001")
                ),
                reactive_kvarh_reverse=_milli(rng, most_kwh=capacity),
                basic_charge_method=rng.choice(list(BasicChargeMethod)),
                max_demand_kw=Decimal(rng.randint(0, capacity * 12)).scaleb(-1),
                # at least the 40 % of running capacity the rules require
                contract_demand_kw=Decimal(rng.randint(math.ceil(capacity * 0.4), capacity)),
                capacity_kva=Decimal(capacity),
                days_used=rng.randint(1, 30) if rng.random() < PART_MONTH_SHARE else None,
            )
        )
    return bills


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The register engine benchmark's options."""
    group = parser.add_argument_group("register engine: vectorized totals against the scalar reference")
    group.add_argument(
        "--register-bills", type=int, default=100_000, help="random bills totalled (default 100000)"
    )
    group.add_argument("--register-seed", type=int, default=20261129, help="the bills' random seed")


def run(options: argparse.Namespace, say: Say) -> BenchmarkResult:
    """Total the same random bills with both engines, time them, compare every total."""
    tariffs = catalog_tariffs()
    started = time.perf_counter()
    bills = random_register_bills(count=options.register_bills, seed=options.register_seed, tariffs=tariffs)
    drawn_seconds = time.perf_counter() - started
    say("register engine: vectorized bill totals against the scalar Decimal reference")
    say(
        f"  bills     {len(bills):,} random monthly bills of {len(tariffs)} catalog tariffs "
        f"({', '.join(tariff.code for tariff in tariffs)}), seed {options.register_seed}, "
        f"drawn in {drawn_seconds:.1f} s"
    )
    totals: list[Decimal] = []

    def total_vectorized() -> None:
        totals[:] = register_bill_totals(bills=bills)

    vectorized_seconds, vectorized_times = best_of(repeat=options.repeat, action=total_vectorized)
    memory_after_vectorized = peak_rss_mib()
    started = time.perf_counter()
    reference_totals = [calculate_register_bill(bill=bill).total for bill in bills]
    reference_seconds = time.perf_counter() - started
    vectorized_rate = len(bills) / vectorized_seconds
    reference_rate = len(bills) / reference_seconds
    ratio = vectorized_rate / reference_rate
    mismatches = [
        index
        for index, (ours, reference) in enumerate(zip(totals, reference_totals, strict=True))
        if ours != reference
    ]
    say(
        f"  vectorized {len(bills):,} totals in {vectorized_seconds:.3f} s (best of {options.repeat}) "
        f"= {vectorized_rate:,.0f} bills/s"
    )
    say(
        f"  reference  {len(bills):,} bills in {reference_seconds:.3f} s, one at a time (once) "
        f"= {reference_rate:,.0f} bills/s"
    )
    say(f"  ratio     {ratio:.1f}× the reference's throughput")
    say(f"  check     {len(bills):,} totals compared to the fen: {len(mismatches)} mismatches")
    for index in mismatches[:10]:
        say(
            f"  MISMATCH  bill {index} ({bills[index].tariff.code}): vectorized {totals[index]}, "
            f"reference {reference_totals[index]}"
        )
    say(f"  memory    peak RSS {memory_after_vectorized:,.0f} MiB after the vectorized runs")
    summary = {
        "bills": len(bills),
        "seed": options.register_seed,
        "tariffs": [tariff.code for tariff in tariffs],
        "vectorized": {
            "seconds_best": round(vectorized_seconds, 4),
            "seconds_all": [round(seconds, 4) for seconds in vectorized_times],
            "bills_per_second": round(vectorized_rate, 1),
        },
        "reference": {"seconds": round(reference_seconds, 4), "bills_per_second": round(reference_rate, 1)},
        "ratio": round(ratio, 2),
        "check": {
            "totals_compared": len(bills),
            "mismatches": len(mismatches),
            "first_mismatches": mismatches[:10],
        },
        "peak_rss_mib_after_vectorized": memory_after_vectorized,
    }
    return BenchmarkResult(summary=summary, passed=not mismatches)


BENCHMARK = Benchmark(
    name="register-engine",
    description="register bill totals of random catalog-tariff bills: vectorized engine vs scalar reference",
    add_arguments=add_arguments,
    run=run,
)
