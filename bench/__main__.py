"""``python -m bench``: run the benchmarks, print their figures, write a JSON summary.

    python -m bench [--only NAME,…] [--data DIR] [--output FILE] [each benchmark's options]

Each benchmark runs in a fresh process, so the peak memory it reports is its own.
Exit status: 0 when every benchmark's checks pass, 1 when one fails (a bill differing from the
comparison's), 2 when a benchmark cannot start (missing data, bad option).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import interval_billing, register_billing, register_engine
from bench.harness import Benchmark, SetupFailure, machine_description, run_isolated

#: Every benchmark, in the order they run; each is a module exposing a ``BENCHMARK``.
BENCHMARKS: dict[str, Benchmark] = {
    benchmark.name: benchmark
    for benchmark in (interval_billing.BENCHMARK, register_engine.BENCHMARK, register_billing.BENCHMARK)
}
DEFAULT_DATA = os.environ.get("BENCH_DATA", "../shared/data")
DEFAULT_OUTPUT = Path("var/bench/summary.json")


def main(arguments: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; the exit status (see the module doc)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated benchmarks to run (default all: {', '.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help="the reference data folder (default $BENCH_DATA or ../shared/data)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON summary (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs of each vectorized engine and of PySAM; the best counts",
    )
    for benchmark in BENCHMARKS.values():
        benchmark.add_arguments(parser)
    options = parser.parse_args(arguments)
    selected = [name.strip() for name in options.only.split(",") if name.strip()]
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    unknown = [name for name in selected if name not in BENCHMARKS]
    if unknown or not selected:
        parser.error(f"--only: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    machine = machine_description()
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items() if version)
    print(f"machine: {machine['cpu_model']}, {machine['cpus_usable']} of {machine['cpu_count']} CPUs usable")
    print(f"python {machine['python']} ({machine['platform']}); {packages}", flush=True)
    results = {}
    passed = True
    for name in selected:
        result = run_isolated(benchmark=BENCHMARKS[name], options=options)
        if isinstance(result, SetupFailure):
            print(f"bench {name}: cannot run: {result.message}", file=sys.stderr)
            return 2
        results[name] = result.summary
        passed = passed and result.passed
        print(f"  result    {'PASS' if result.passed else 'FAIL'}")

    summary = {
        "command": " ".join(["python -m bench", *(sys.argv[1:] if arguments is None else arguments)]),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "passed": passed,
        "benchmarks": results,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"summary written to {options.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
