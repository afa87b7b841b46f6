"""What every benchmark shares: its registration shape, the machine's description, memory, timing.

A benchmark is a :class:`Benchmark` (a name, its command-line options and a ``run`` function)
listed in ``bench/__main__.py``; ``run`` prints human-readable lines through ``say`` and returns
a :class:`BenchmarkResult` whose ``summary`` goes into the JSON summary file (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import multiprocessing
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridcare.kit.errors import GridCareError

#: The packages whose versions a summary records (when installed).
RECORDED_PACKAGES = ("polars", "nrel-pysam", "django", "psycopg")

Say = Callable[[str], None]


class BenchSetupError(Exception):
    """The benchmark cannot start (missing data, bad option): the message says what to do."""


@dataclass(frozen=True)
class BenchmarkResult:
    """A benchmark's outcome: ``summary`` (JSON-ready figures) and whether its checks ``passed``."""

    summary: Mapping[str, Any]
    passed: bool


@dataclass(frozen=True)
class Benchmark:
    """A benchmark the ``bench`` command can run."""

    name: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Say], BenchmarkResult]


@dataclass(frozen=True)
class SetupFailure:
    """Why a benchmark could not start (the message of a BenchSetupError or of bad input)."""

    message: str


def run_isolated(*, benchmark: Benchmark, options: argparse.Namespace) -> BenchmarkResult | SetupFailure:
    """``benchmark`` run in a fresh Python process, printing as it goes.

    A fresh (spawned) process per benchmark makes its peak memory its own: ru_maxrss only grows,
    so in one shared process a later benchmark would report an earlier one's peak.
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run_here, benchmark, options).result()


def _run_here(benchmark: Benchmark, options: argparse.Namespace) -> BenchmarkResult | SetupFailure:
    try:
        return benchmark.run(options, _say)
    except BenchSetupError as error:
        return SetupFailure(message=str(error))
    except GridCareError as error:
        # Bad input (an unreadable URDB record, say) names its field in the message.
        return SetupFailure(message=error.message("en"))


def _say(line: str) -> None:
    # Flushed line by line: the parent prints between benchmarks on the same stream.
    print(line, flush=True)


def machine_description() -> dict[str, Any]:
    """Python, library versions, CPU count and model: what a figure depends on."""
    versions: dict[str, str | None] = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "packages": versions,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def worker_ready(*, barrier: Any, database_name: str) -> None:
    """Run in a pool's worker: set Django up on ``database_name``, then wait until every worker
    has (``barrier``: one party per worker, so each worker takes exactly one such task)."""
    from gridcare.billing.runners.dask_worker import set_up_worker_process

    set_up_worker_process(database_name=database_name)
    barrier.wait()


def worker_peak_rss_mib(*, barrier: Any) -> float:
    """Run in a pool's worker: its peak resident memory (after every worker has taken one)."""
    barrier.wait()
    return peak_rss_mib()


def best_of(*, repeat: int, action: Callable[[], object]) -> tuple[float, list[float]]:
    """Run ``action`` ``repeat`` times; (the fastest wall time in seconds, every time).

    The fastest run is the one least disturbed by other work on the machine (timeit's practice).
    """
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times), times


def data_file(*, data_dir: Path, relative: str) -> Path:
    """``data_dir / relative``, or :class:`BenchSetupError` naming the file and how to point at it."""
    path = data_dir / relative
    if not path.is_file():
        raise BenchSetupError(
            f"benchmark data not found: {path}\n"
            "The benchmarks read the third-party reference data of ../shared/data (see its README);\n"
            "give its folder with BENCH_DATA=DIR (make bench) or --data DIR (python -m bench)."
        )
    return path
