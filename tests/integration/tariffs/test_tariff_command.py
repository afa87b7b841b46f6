"""``gridcare tariff``: load, list, show, schema and import-urdb, and their refusals."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gridcare.billing.engine.tariff import tariff_json_schema
from gridcare.kit.clock import to_local
from gridcare.tariffs.models import Tariff, TariffVersion

from .conftest import DocumentFactory, reference_document

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("tariff", *args, stdout=out)
    return out.getvalue()


def _catalog_state() -> list[tuple[str, str, int, date, date | None]]:
    return list(
        TariffVersion.objects.order_by("tariff__code", "version").values_list(
            "tariff__code", "tariff__kind", "version", "valid_from", "valid_to"
        )
    )


def _write(tmp_path: Path, value: Any, name: str = "tariff.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_publishes_a_file(tmp_path: Path, tariff_document: DocumentFactory) -> None:
    path = _write(tmp_path, tariff_document(code="TEST-CMD"))

    out = _run("load", str(path), "--valid-from", "2025-01-01")

    assert out == (
        "已发布电价 TEST-CMD 第 1 版，自 2025-01-01 起 / "
        "Published tariff TEST-CMD version 1 from 2025-01-01\n"
    )
    version = TariffVersion.objects.get(tariff__code="TEST-CMD")
    assert (version.version, version.valid_from, version.source, version.created_by) == (
        1,
        date(2025, 1, 1),
        "tariff.json",
        None,
    )


def test_load_without_a_date_starts_today_in_shanghai(
    tmp_path: Path, tariff_document: DocumentFactory
) -> None:
    before = to_local(timezone.now()).date()

    _run("load", str(_write(tmp_path, tariff_document(code="TEST-CMD"))))

    assert TariffVersion.objects.get(tariff__code="TEST-CMD").valid_from in {
        before,
        to_local(timezone.now()).date(),
    }


def test_load_refuses_an_invalid_document_with_status_2(
    tmp_path: Path, tariff_document: DocumentFactory
) -> None:
    path = _write(tmp_path, tariff_document(code="TEST-CMD", minimum_charge_per_month="-1"))
    before = _catalog_state()

    with pytest.raises(CommandError) as refused:
        _run("load", str(path))

    assert refused.value.returncode == 2
    assert str(refused.value) == (
        "电价文档无效：minimum_charge_per_month: Input should be greater than or equal to 0 / "
        "The tariff document is invalid: minimum_charge_per_month: Input should be greater than or equal to 0"
    )
    assert _catalog_state() == before


def test_load_refuses_a_bad_date_with_status_2(tmp_path: Path, tariff_document: DocumentFactory) -> None:
    with pytest.raises(CommandError) as refused:
        _run("load", str(_write(tmp_path, tariff_document())), "--valid-from", "2025-13-01")

    assert refused.value.returncode == 2
    assert (
        str(refused.value) == "日期须为 YYYY-MM-DD：'2025-13-01' / A date is written YYYY-MM-DD: '2025-13-01'"
    )


def test_list_shows_every_tariff_and_version() -> None:
    lines = _run("list").splitlines()

    assert [line.split()[0] for line in lines] == [
        "CN-BJ-RES-2012",
        "v1",
        "CN-SH-RES-TOU",
        "v1",
        "CN-ZJ-RES-TIER",
        "v1",
        "CN-ZJ-RES-TOU",
        "v1",
        "DEMO-AGR-FLAT",
        "v1",
        "DEMO-GC-FLAT",
        "v1",
        "DEMO-GD-LI-2P",
        "v1",
    ]
    assert (
        lines[0] == "CN-BJ-RES-2012  [gridcare]  北京市居民生活用电（一户一表，月阶梯，2012） / "
        "Beijing residential, monthly tiers (2012)"
    )
    version = TariffVersion.objects.get(tariff__code="CN-BJ-RES-2012")
    assert lines[1] == f"  v1  2012-07-01 → —  CN-BJ-RES-2012.json  sha256:{version.document_sha256[:12]}"


def test_show_prints_the_document_of_the_day(tmp_path: Path, tariff_document: DocumentFactory) -> None:
    assert json.loads(_run("show", "DEMO-GD-LI-2P", "--on", "2024-07-01")) == reference_document(
        "DEMO-GD-LI-2P"
    )
    assert json.loads(_run("show", "CN-ZJ-RES-TOU")) == reference_document("CN-ZJ-RES-TOU")


def test_show_refuses_an_unknown_code_or_day() -> None:
    with pytest.raises(CommandError) as unknown:
        _run("show", "CN-XX-NONE")
    with pytest.raises(CommandError) as too_early:
        _run("show", "CN-BJ-RES-2012", "--on", "2012-06-30")

    assert (unknown.value.returncode, too_early.value.returncode) == (2, 2)
    assert (
        str(unknown.value)
        == "电价目录中没有电价 CN-XX-NONE。 / There is no tariff CN-XX-NONE in the catalog."
    )
    assert str(too_early.value) == (
        "电价 CN-BJ-RES-2012 在 2012-06-30 没有有效版本。 / "
        "Tariff CN-BJ-RES-2012 has no version valid on 2012-06-30."
    )


def test_schema_prints_the_json_schema() -> None:
    schema = json.loads(_run("schema"))

    assert schema == json.loads(json.dumps(tariff_json_schema()))
    assert schema["title"] == "TariffDocument"
    assert schema["required"] == ["code", "name_zh", "name_en", "energy"]


# --- import-urdb ----------------------------------------------------------------------------

RECORD = {
    "label": "5a1b2c3d4e5f",
    "utility": "Example Electric Co",
    "name": "Small commercial TOU",
    "startdate": 1357027200,  # 2013-01-01 08:00 UTC
    "energyratestructure": [[{"rate": 0.1, "adj": 0.01, "unit": "kWh"}]],
    "energyweekdayschedule": [[0] * 24] * 12,
    "energyweekendschedule": [[0] * 24] * 12,
    "fixedchargefirstmeter": 10,
    "fixedchargeunits": "$/month",
}


@pytest.mark.parametrize(
    "content",
    [RECORD, {"items": [RECORD]}, json.dumps(RECORD), json.dumps({"items": [RECORD]})],
    ids=["record", "API response", "JSON string of a record", "JSON string of a response"],
)
def test_import_urdb_stores_the_record(tmp_path: Path, content: Any) -> None:
    out = _run("import-urdb", str(_write(tmp_path, content)))

    assert out == (
        "已导入电价 URDB-5a1b2c3d4e5f 第 1 版，自 2013-01-01 起 / "
        "Imported tariff URDB-5a1b2c3d4e5f version 1 from 2013-01-01\n"
    )
    tariff = Tariff.objects.get(code="URDB-5a1b2c3d4e5f")
    assert (tariff.kind, tariff.name_en, tariff.name_zh) == (
        "urdb",
        "Example Electric Co — Small commercial TOU",
        "Example Electric Co — Small commercial TOU",
    )
    version = tariff.versions.get()
    assert (version.version, version.valid_from, version.source, version.document) == (
        1,
        date(2013, 1, 1),
        "urdb import",
        RECORD,
    )


def test_import_urdb_of_a_response_stores_every_record(tmp_path: Path) -> None:
    second = {"label": "second", "fixedmonthlycharge": 5}

    _run("import-urdb", str(_write(tmp_path, {"items": [RECORD, second]})), "--valid-from", "2020-01-01")

    assert _catalog_state()[-2:] == [
        ("URDB-5a1b2c3d4e5f", "urdb", 1, date(2020, 1, 1), None),
        ("URDB-second", "urdb", 1, date(2020, 1, 1), None),
    ]


def test_import_urdb_with_a_label_for_a_record_without_one(tmp_path: Path) -> None:
    record = {key: value for key, value in RECORD.items() if key != "label"}

    _run("import-urdb", str(_write(tmp_path, record)), "--label", "mine")

    assert Tariff.objects.filter(code="URDB-mine", kind="urdb").count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            [RECORD],
            "URDB 电价记录无效（字段 (record)）：URDB 记录须为 JSON 对象 / "
            "The URDB tariff record is invalid (field (record)): a URDB record is a JSON object",
        ),
        (
            {"items": []},
            "URDB 电价记录无效（字段 items）：须为非空的记录列表 / "
            "The URDB tariff record is invalid (field items): must be a non-empty list of records",
        ),
        (
            {"items": [RECORD, "x"]},
            "URDB 电价记录无效（字段 items[1]）：须为 JSON 对象 / "
            "The URDB tariff record is invalid (field items[1]): must be a JSON object",
        ),
        (
            {"label": "x", "name": "no prices"},
            "URDB 电价记录无效（字段 energyratestructure）：记录中没有任何电价字段（须至少有 "
            "energyratestructure, demandratestructure, flatdemandstructure, fixedchargefirstmeter, "
            "fixedmonthlycharge 之一） / The URDB tariff record is invalid (field energyratestructure): "
            "the record prices nothing (it needs at least one of energyratestructure, demandratestructure, "
            "flatdemandstructure, fixedchargefirstmeter, fixedmonthlycharge)",
        ),
        (
            {"fixedmonthlycharge": 5},
            "URDB 电价记录无效（字段 label）：记录没有 label，请用 --label 指定 / "
            "The URDB tariff record is invalid (field label): the record has no label; give one with --label",
        ),
        (
            "not json",
            "URDB 电价记录无效（字段 (file)）：文件中的字符串不是 JSON（第 1 行第 1 列） / "
            "The URDB tariff record is invalid (field (file)): the string in the file is not JSON "
            "(line 1 column 1: Expecting value)",
        ),
    ],
    ids=["a list", "no items", "an item not an object", "no rate field", "no label", "a string not JSON"],
)
def test_import_urdb_refuses_what_is_not_a_record(tmp_path: Path, content: Any, message: str) -> None:
    before = _catalog_state()

    with pytest.raises(CommandError) as refused:
        _run("import-urdb", str(_write(tmp_path, content)))

    assert refused.value.returncode == 2
    assert str(refused.value) == message
    assert _catalog_state() == before


def test_import_urdb_of_a_response_with_one_bad_record_stores_none(tmp_path: Path) -> None:
    before = _catalog_state()

    with pytest.raises(CommandError) as refused:
        _run("import-urdb", str(_write(tmp_path, {"items": [RECORD, {"label": "bad"}]})))

    assert refused.value.returncode == 2
    assert _catalog_state() == before


def test_import_urdb_twice_from_the_same_date_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORD)
    _run("import-urdb", str(path))
    before = _catalog_state()

    with pytest.raises(CommandError) as refused:
        _run("import-urdb", str(path))

    assert refused.value.returncode == 2
    assert "overlaps version 1 (2013-01-01 to —)" in str(refused.value)
    assert _catalog_state() == before


def test_a_missing_file_is_refused_with_status_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        _run("load", str(tmp_path / "missing.json"))

    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"无法读取电价文件 {tmp_path / 'missing.json'}：")
