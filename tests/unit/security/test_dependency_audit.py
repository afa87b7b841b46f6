"""The dependency audit of ``make security``: which findings fail the build, the dated
allowlist, and the offline skip (a real pip-audit run against an unreachable service)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[3]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dependency_audit", PROJECT / "scripts" / "dependency_audit.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dependency_audit"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


audit = _load_script()

REPORT = {
    "dependencies": [
        {
            "name": "Django",
            "version": "5.2.1",
            "vulns": [
                {
                    "id": "PYSEC-2025-1",
                    "aliases": ["CVE-2025-0001", "GHSA-aaaa-bbbb-cccc"],
                    "fix_versions": ["5.2.2"],
                },
            ],
        },
        {"name": "openpyxl", "version": "3.1.5", "vulns": []},
        {"name": "private-tool", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}

ALLOWLIST = """
[[accepted]]
id = "GHSA-aaaa-bbbb-cccc"
package = "django"
reason = "Only the admin's password reset is affected; GridCare does not mount it."
expires = 2026-12-31
"""


def test_a_vulnerability_not_in_the_allowlist_fails() -> None:
    verdict = audit.judge(report=REPORT, acceptances=[], today=date(2026, 11, 29))

    assert [(finding.package, finding.id, why) for finding, why in verdict.failing] == [
        ("django", "PYSEC-2025-1", "not in the allowlist")
    ]
    assert (verdict.accepted, verdict.unaudited, verdict.audited_count) == ((), ("private-tool",), 2)
    assert audit._print_verdict(verdict) == audit.EXIT_VULNERABLE


def test_an_accepted_vulnerability_passes_through_its_expiry_day() -> None:
    acceptances = audit.read_allowlist(ALLOWLIST)

    verdict = audit.judge(report=REPORT, acceptances=acceptances, today=date(2026, 12, 31))

    assert verdict.failing == ()
    assert [(finding.id, entry.expires) for finding, entry in verdict.accepted] == [
        ("PYSEC-2025-1", date(2026, 12, 31))
    ]
    assert audit._print_verdict(verdict) == audit.EXIT_CLEAN


def test_an_expired_acceptance_fails_again() -> None:
    acceptances = audit.read_allowlist(ALLOWLIST)

    verdict = audit.judge(report=REPORT, acceptances=acceptances, today=date(2027, 1, 1))

    assert [why for _finding, why in verdict.failing] == ["its acceptance expired on 2026-12-31"]
    assert audit._print_verdict(verdict) == audit.EXIT_VULNERABLE


def test_an_acceptance_for_another_package_does_not_apply() -> None:
    acceptances = audit.read_allowlist(ALLOWLIST.replace('"django"', '"flask"'))

    verdict = audit.judge(report=REPORT, acceptances=acceptances, today=date(2026, 11, 29))

    assert len(verdict.failing) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ALLOWLIST.replace(
                'reason = "Only the admin\'s password reset is affected; GridCare does not mount it."\n', ""
            ),
            "allowlist entry 1 lacks reason",
        ),
        (
            ALLOWLIST.replace("expires = 2026-12-31", 'expires = "soon"'),
            "allowlist entry 1: expires must be a date such as 2026-12-31",
        ),
    ],
)
def test_a_malformed_allowlist_entry_is_refused(text: str, message: str) -> None:
    with pytest.raises(audit.AllowlistInvalid, match=message):
        audit.read_allowlist(text)


def test_the_shipped_allowlist_is_valid() -> None:
    text = (PROJECT / "security" / "dependency-audit-allowlist.toml").read_text(encoding="utf-8")

    assert audit.read_allowlist(text) == []


def test_a_service_that_audits_nothing_is_reported_as_offline(capsys: pytest.CaptureFixture[str]) -> None:
    report = {"dependencies": [{"name": "django", "skip_reason": "not found"}]}

    verdict = audit.judge(report=report, acceptances=[], today=date(2026, 11, 29))

    assert audit._print_verdict(verdict) == audit.EXIT_CLEAN
    assert capsys.readouterr().out == (
        "dependency audit: skipped: offline "
        "(the vulnerability service audited none of the 1 locked packages)\n"
    )


def test_an_unreachable_service_skips_with_a_clear_line(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django==5.2.19\n")
    # A proxy on a closed local port: every request to the service fails to connect.
    environment = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    environment.pop("NO_PROXY", None)
    # An empty cache: an answer cached by an earlier online run would be used without the network.
    environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    environment.pop("no_proxy", None)

    completed = subprocess.run(  # noqa: S603 - this repository's script
        [
            sys.executable,
            str(PROJECT / "scripts" / "dependency_audit.py"),
            "--requirements",
            str(requirements),
            "--allowlist",
            str(PROJECT / "security" / "dependency-audit-allowlist.toml"),
            "--timeout",
            "3",
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )

    assert (completed.returncode, completed.stdout) == (
        0,
        "dependency audit: skipped: offline (the vulnerability service cannot be reached)\n",
    )
