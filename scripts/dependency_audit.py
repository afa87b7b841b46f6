"""Audit the locked dependencies for known vulnerabilities with pip-audit (``make security``).

    python scripts/dependency_audit.py --requirements var/security/requirements.txt \
        --allowlist security/dependency-audit-allowlist.toml

The requirements are ``uv export --frozen --no-hashes`` of uv.lock, so what is audited is
exactly what ``make setup`` installs. Exit status:

* 0 — no known vulnerability, or every one is accepted in the allowlist until a future date;
  also 0, with a line starting ``skipped: offline``, when the vulnerability service (PyPI's JSON
  API) cannot be reached or audits none of the packages: GridCare is built on internal networks
  (电力内网) without internet, and a build must not fail for that;
* 1 — a vulnerability not accepted, or accepted only until a date now past;
* 2 — pip-audit failed for another reason, or the allowlist is malformed.

The allowlist (TOML) holds ``[[accepted]]`` entries with ``id`` (a PYSEC/GHSA/CVE id or alias),
``package``, ``reason`` and ``expires`` (a date): an accepted finding fails the build again
once its date is past, so each acceptance is reviewed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess  # runs pip-audit with an argument list, never a shell  # nosec B404
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

#: What a failed connection to the vulnerability service looks like in pip-audit's error output.
OFFLINE_SIGNS = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|ProxyError|SSLError|Max retries exceeded|"
    r"NameResolutionError|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|Connection refused|timed out",
)
EXIT_CLEAN, EXIT_VULNERABLE, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Acceptance:
    """One allowlist entry: vulnerability ``id`` in ``package`` is accepted until ``expires``."""

    id: str
    package: str
    reason: str
    expires: date


@dataclass(frozen=True)
class Finding:
    """One known vulnerability of a locked package."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]

    def names(self) -> set[str]:
        return {self.id, *self.aliases}

    def describe(self) -> str:
        fixes = ", ".join(self.fix_versions) or "none yet"
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"{self.package} {self.version}: {self.id}{aliases}; fixed in: {fixes}"


@dataclass(frozen=True)
class Verdict:
    """The audit's outcome: findings that fail the build, accepted ones, and packages the
    service could not audit."""

    failing: tuple[tuple[Finding, str], ...]
    accepted: tuple[tuple[Finding, Acceptance], ...]
    unaudited: tuple[str, ...]
    audited_count: int


class AllowlistInvalid(ValueError):
    """The allowlist file is not as documented."""


def read_allowlist(text: str) -> list[Acceptance]:
    """The entries of an allowlist file's text; :class:`AllowlistInvalid` names a bad one."""
    document = tomllib.loads(text)
    entries = document.get("accepted", [])
    acceptances = []
    for number, entry in enumerate(entries, start=1):
        missing = [key for key in ("id", "package", "reason", "expires") if not entry.get(key)]
        if missing:
            raise AllowlistInvalid(f"allowlist entry {number} lacks {', '.join(missing)}")
        if not isinstance(entry["expires"], date):
            raise AllowlistInvalid(f"allowlist entry {number}: expires must be a date such as 2026-12-31")
        acceptances.append(
            Acceptance(
                id=str(entry["id"]),
                package=_normalized(str(entry["package"])),
                reason=str(entry["reason"]),
                expires=entry["expires"],
            )
        )
    return acceptances


def judge(*, report: Mapping[str, Any], acceptances: Sequence[Acceptance], today: date) -> Verdict:
    """Sort pip-audit's JSON ``report`` into failing and accepted findings (an acceptance holds
    through its ``expires`` day) and the packages it could not audit."""
    failing: list[tuple[Finding, str]] = []
    accepted: list[tuple[Finding, Acceptance]] = []
    unaudited: list[str] = []
    audited = 0
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            unaudited.append(str(dependency["name"]))
            continue
        audited += 1
        for vulnerability in dependency.get("vulns", []):
            finding = Finding(
                package=_normalized(str(dependency["name"])),
                version=str(dependency.get("version", "")),
                id=str(vulnerability["id"]),
                aliases=tuple(str(alias) for alias in vulnerability.get("aliases", [])),
                fix_versions=tuple(str(version) for version in vulnerability.get("fix_versions", [])),
            )
            acceptance = next(
                (
                    entry
                    for entry in acceptances
                    if entry.package == finding.package and entry.id in finding.names()
                ),
                None,
            )
            if acceptance is None:
                failing.append((finding, "not in the allowlist"))
            elif acceptance.expires < today:
                failing.append((finding, f"its acceptance expired on {acceptance.expires.isoformat()}"))
            else:
                accepted.append((finding, acceptance))
    return Verdict(
        failing=tuple(failing), accepted=tuple(accepted), unaudited=tuple(unaudited), audited_count=audited
    )


def run_pip_audit(*, pip_audit: str, requirements: Path, timeout: int) -> tuple[dict[str, Any] | None, str]:
    """pip-audit's JSON report of ``requirements`` (``None`` when it wrote none) and its error output."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "report.json"
        completed = subprocess.run(  # noqa: S603 -- the venv's pip-audit, an argument list  # nosec B603
            [
                pip_audit,
                "--requirement",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--timeout",
                str(timeout),
                "--format",
                "json",
                "--output",
                str(output),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(output.read_text()) if output.exists() and output.stat().st_size else None
    return report, completed.stderr


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, required=True)
    parser.add_argument("--allowlist", type=Path, required=True)
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")))
    parser.add_argument("--timeout", type=int, default=10, help="Seconds per request to the service.")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    options = parser.parse_args(argv)
    try:
        acceptances = read_allowlist(options.allowlist.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, AllowlistInvalid) as error:
        print(f"dependency audit: the allowlist {options.allowlist} is invalid: {error}", file=sys.stderr)
        return EXIT_ERROR
    report, errors = run_pip_audit(
        pip_audit=options.pip_audit, requirements=options.requirements, timeout=options.timeout
    )
    if report is None:
        if OFFLINE_SIGNS.search(errors):
            print("dependency audit: skipped: offline (the vulnerability service cannot be reached)")
            return EXIT_CLEAN
        print(f"dependency audit: pip-audit failed:\n{errors}", file=sys.stderr)
        return EXIT_ERROR
    verdict = judge(report=report, acceptances=acceptances, today=options.today)
    return _print_verdict(verdict)


def _print_verdict(verdict: Verdict) -> int:
    if verdict.audited_count == 0:
        print(
            "dependency audit: skipped: offline (the vulnerability service audited none of the "
            f"{len(verdict.unaudited)} locked packages)"
        )
        return EXIT_CLEAN
    if verdict.unaudited:
        print(f"dependency audit: not audited (unknown to the service): {', '.join(verdict.unaudited)}")
    for finding, acceptance in verdict.accepted:
        print(
            f"dependency audit: accepted until {acceptance.expires.isoformat()}: {finding.describe()} "
            f"— {acceptance.reason}"
        )
    for finding, why in verdict.failing:
        print(f"dependency audit: VULNERABLE: {finding.describe()} ({why})", file=sys.stderr)
    if verdict.failing:
        return EXIT_VULNERABLE
    print(f"dependency audit: {verdict.audited_count} packages audited, no unaccepted vulnerability")
    return EXIT_CLEAN


def _normalized(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


if __name__ == "__main__":
    sys.exit(main())
