"""Build a fresh SQLite database file holding :mod:`pii_people`, the way a deployment would:
``python write_pii_database.py <folder>`` with ``DATABASE_URL`` pointing at ``<folder>/gc.sqlite3``.

While the last connection is still open it copies the file and its write-ahead log to
``before-checkpoint.sqlite3`` and ``before-checkpoint.sqlite3-wal``; then it checkpoints the
log into the file (``PRAGMA wal_checkpoint(TRUNCATE)``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import django


def main(folder: Path) -> None:
    django.setup()
    # Models can be imported only once Django is set up.
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from pii_people import register_people

    from gridcare.identity.models import Role
    from gridcare.identity.operations import create_staff_user
    from gridcare.organization.models import AreaType, OrgLevel
    from gridcare.organization.operations import create_org_unit

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    now = timezone.now()
    province = create_org_unit(
        code="37",
        name="国网山东省电力公司",
        level=OrgLevel.PROVINCE,
        parent=None,
        area_type=AreaType.URBAN,
        actor=None,
        now=now,
    )
    parent = province
    for code, name, level in (
        ("3701", "国网济南供电公司", OrgLevel.CITY),
        ("370102", "历下区供电中心", OrgLevel.COUNTY),
        ("37010201", "泉城路供电所", OrgLevel.STATION),
    ):
        parent = create_org_unit(
            code=code, name=name, level=level, parent=parent, area_type=AreaType.URBAN, actor=None, now=now
        )
    station = parent
    actor = create_staff_user(
        username="clerk",
        password="Clerk-Secret-2025",
        org_unit=province,
        roles=[Role.BUSINESS_EXPANSION_CLERK],
        display_name="clerk",
        actor=None,
        now=now,
    )
    register_people(org_unit=station, actor=actor, now=now)
    database = Path(settings.DATABASES["default"]["NAME"])
    for suffix in ("", "-wal"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            shutil.copyfile(source, folder / f"before-checkpoint.sqlite3{suffix}")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
