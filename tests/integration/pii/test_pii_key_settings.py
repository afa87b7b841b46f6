"""Where the personal data keys come from: environment, key file, the demo keys only under
DEBUG (settings.py). Each case starts Django in a fresh process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pii_people import HASH_KEY, KEY_1, KEY_2

SOURCE = Path(__file__).resolve().parents[3] / "src"
PRINT_RING = (
    "import django; django.setup(); from gridcare.identity.pii import pii_key_ring; "
    "ring = pii_key_ring(); print(','.join(ring.key_ids))"
)


def _start(**environment: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("GRIDCARE_PII")}
    return subprocess.run(  # noqa: S603 - this interpreter with a fixed script
        [sys.executable, "-c", PRINT_RING],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "gridcare.settings",
            "PYTHONPATH": str(SOURCE),
            "GRIDCARE_SECRET_KEY": "a-production-secret-for-this-test-only",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_without_keys_uses_the_demo_key() -> None:
    started = _start(GRIDCARE_DEBUG="1")

    assert started.stdout.strip() == "demo1"


def test_production_without_keys_refuses_to_start() -> None:
    started = _start(GRIDCARE_DEBUG="0")

    assert started.returncode != 0
    assert "Set GRIDCARE_PII_KEYS and GRIDCARE_PII_HASH_KEY, or GRIDCARE_PII_KEY_FILE" in started.stderr


def test_production_refuses_the_demo_key() -> None:
    started = _start(
        GRIDCARE_DEBUG="0",
        GRIDCARE_PII_KEYS="demo1:uHX/TTzEsQP7b3thfmxTbIcx0K1lnSefB0vdTmpftis=",
        GRIDCARE_PII_HASH_KEY=HASH_KEY,
    )

    assert started.returncode != 0
    assert "The demo personal data key is refused" in started.stderr


def test_keys_come_from_the_environment_first_key_active() -> None:
    started = _start(
        GRIDCARE_DEBUG="0", GRIDCARE_PII_KEYS=f"k2:{KEY_2},k1:{KEY_1}", GRIDCARE_PII_HASH_KEY=HASH_KEY
    )

    assert started.stdout.strip() == "k2,k1"


def _key_file(folder: Path, *, mode: int) -> Path:
    key_file = folder / "pii.keys"
    key_file.write_text(f"# GridCare personal data keys\nk2:{KEY_2}\nk1:{KEY_1}\nhash:{HASH_KEY}\n")
    key_file.chmod(mode)
    return key_file


def test_keys_come_from_a_key_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    started = _start(GRIDCARE_DEBUG="0", GRIDCARE_PII_KEY_FILE=str(_key_file(tmp_path, mode=0o600)))

    assert started.stdout.strip() == "k2,k1"


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    started = _start(GRIDCARE_DEBUG="0", GRIDCARE_PII_KEY_FILE=str(_key_file(tmp_path, mode=0o644)))

    assert started.returncode != 0
    assert "must be readable by its owner only (chmod 600)" in started.stderr


def test_a_malformed_key_is_a_configuration_error() -> None:
    started = _start(GRIDCARE_DEBUG="0", GRIDCARE_PII_KEYS="k1:c2hvcnQ=", GRIDCARE_PII_HASH_KEY=HASH_KEY)

    assert started.returncode != 0
    assert "Personal data keys: The key 'k1' has 5 bytes" in started.stderr
