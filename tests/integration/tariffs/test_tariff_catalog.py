"""Publishing tariff versions: validation, versioning, overlap refusal, permissions, audit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.billing.engine.tariff import TierBasis
from gridcare.identity.errors import PermissionMissing, WholeOrgTreeRequired
from gridcare.identity.models import Role
from gridcare.tariffs.errors import (
    TariffDocumentInvalid,
    TariffFileUnreadable,
    TariffKindMismatch,
    TariffVersionImmutable,
    TariffVersionOverlaps,
)
from gridcare.tariffs.models import Tariff, TariffKind, TariffVersion
from gridcare.tariffs.operations import (
    document_sha256,
    import_urdb_tariff,
    load_tariff_file,
    publish_tariff_version,
)
from gridcare.tariffs.queries import tariff_document_for, tariff_version_for

from .conftest import REFERENCE_CODES, DocumentFactory, reference_document

pytestmark = pytest.mark.django_db


def _catalog_state() -> list[tuple[str, int, date, date | None, str]]:
    return [
        (version.tariff.code, version.version, version.valid_from, version.valid_to, version.document_sha256)
        for version in TariffVersion.objects.select_related("tariff").order_by("tariff__code", "version")
    ]


def test_the_reference_tariffs_are_in_the_catalog_after_migrate() -> None:
    assert list(Tariff.objects.order_by("code").values_list("code", "kind")) == [
        (code, "gridcare") for code in REFERENCE_CODES
    ]
    for code in REFERENCE_CODES:
        version = tariff_version_for(code=code, on=date(2012, 7, 1))
        assert (version.version, version.valid_from, version.valid_to, version.source) == (
            1,
            date(2012, 7, 1),
            None,
            f"{code}.json",
        )
        assert version.document == reference_document(code)
        assert version.document_sha256 == document_sha256(reference_document(code))
    beijing = tariff_document_for(code="CN-BJ-RES-2012", on=date(2025, 1, 1))
    assert beijing.energy.tiers is not None
    assert beijing.energy.tiers.basis is TierBasis.MONTHLY
    assert beijing.energy.tiers.thresholds_kwh == (Decimal(240), Decimal(400))
    assert beijing.energy.prices["flat"] == (Decimal("0.4883"), Decimal("0.5383"), Decimal("0.7883"))
    demo = tariff_document_for(code="DEMO-GD-LI-2P", on=date(2025, 1, 1))
    assert demo.basic_charge is not None
    assert (demo.basic_charge.demand_price, demo.basic_charge.capacity_price) == (
        Decimal("32.00"),
        Decimal("22.00"),
    )
    assert [(fund.code, fund.price_per_kwh) for fund in demo.funds] == [
        ("government_funds", Decimal("0.02900"))
    ]


@pytest.mark.parametrize("code", REFERENCE_CODES)
def test_each_reference_file_loads_as_a_new_version(code: str, now: datetime) -> None:
    path = Path(__file__).parents[3] / "src" / "gridcare" / "tariffs" / "catalog" / f"{code}.json"

    version = load_tariff_file(actor=None, path=path, valid_from=date(2025, 1, 1), now=now)

    assert (version.tariff.code, version.version, version.valid_from, version.valid_to) == (
        code,
        2,
        date(2025, 1, 1),
        None,
    )
    assert version.source == f"{code}.json"
    assert version.document == reference_document(code)
    first = TariffVersion.objects.get(tariff__code=code, version=1)
    assert first.valid_to == date(2025, 1, 1)


def test_publishing_a_second_version_ends_the_first(tariff_document: DocumentFactory, now: datetime) -> None:
    first = publish_tariff_version(
        actor=None, document=tariff_document(), valid_from=date(2024, 1, 1), source="test", now=now
    )
    cheaper = tariff_document(
        name_en="Test tariff, cheaper",
        energy={
            "periods": ["flat"],
            "tiers": {"basis": "monthly", "thresholds_kwh": ["240", "400"]},
            "prices": {"flat": ["0.4000", "0.5000", "0.7000"]},
        },
    )

    second = publish_tariff_version(
        actor=None, document=cheaper, valid_from=date(2025, 3, 1), source="test", now=now
    )

    first.refresh_from_db()
    assert (first.version, first.valid_from, first.valid_to) == (1, date(2024, 1, 1), date(2025, 3, 1))
    assert (second.version, second.valid_from, second.valid_to) == (2, date(2025, 3, 1), None)
    assert Tariff.objects.get(code="TEST-BJ").name_en == "Test tariff, cheaper"
    assert tariff_version_for(code="TEST-BJ", on=date(2025, 2, 28)).pk == first.pk
    assert tariff_version_for(code="TEST-BJ", on=date(2025, 3, 1)).pk == second.pk
    assert tariff_document_for(code="TEST-BJ", on=date(2025, 3, 1)).energy.prices["flat"][0] == Decimal(
        "0.4000"
    )
    event = AuditEvent.objects.filter(action="publish_tariff_version").order_by("-sequence").first()
    assert event is not None
    assert (event.object_type, event.object_id) == ("tariffs.tariffversion", str(second.pk))
    assert event.changes == {
        "code": "TEST-BJ",
        "kind": "gridcare",
        "version": 2,
        "valid_from": "2025-03-01",
        "source": "test",
        "document_sha256": document_sha256(cheaper),
        "ended_version": 1,
    }


@pytest.mark.parametrize(
    "valid_from",
    [date(2024, 1, 1), date(2023, 12, 31), date(2012, 7, 1)],
    ids=["same start", "before the open version", "long before"],
)
def test_an_overlapping_version_is_refused_and_changes_nothing(
    tariff_document: DocumentFactory, now: datetime, valid_from: date
) -> None:
    publish_tariff_version(
        actor=None, document=tariff_document(), valid_from=date(2024, 1, 1), source="test", now=now
    )
    before, events = _catalog_state(), AuditEvent.objects.count()

    with pytest.raises(TariffVersionOverlaps) as refused:
        publish_tariff_version(
            actor=None, document=tariff_document(), valid_from=valid_from, source="test", now=now
        )

    assert refused.value.field == "valid_from"
    assert refused.value.message("en") == (
        f"The new version of tariff TEST-BJ from {valid_from.isoformat()} overlaps version 1 "
        "(2024-01-01 to —); a new version must start after the existing ones."
    )
    assert refused.value.message("zh-hans") == (
        f"电价 TEST-BJ 的新版本自 {valid_from.isoformat()} 起生效，与第 1 版（2024-01-01 至 —）重叠；"
        "新版本须晚于现有版本的生效日期。"
    )
    assert (_catalog_state(), AuditEvent.objects.count()) == (before, events)


def test_a_version_inside_a_closed_one_is_refused(tariff_document: DocumentFactory, now: datetime) -> None:
    for valid_from in (date(2024, 1, 1), date(2025, 1, 1)):
        publish_tariff_version(
            actor=None, document=tariff_document(), valid_from=valid_from, source="t", now=now
        )
    before = _catalog_state()

    with pytest.raises(TariffVersionOverlaps) as refused:
        publish_tariff_version(
            actor=None, document=tariff_document(), valid_from=date(2024, 6, 1), source="t", now=now
        )

    assert "overlaps version 2 (2025-01-01 to —)" in refused.value.message("en")
    assert _catalog_state() == before


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"energy": {"periods": ["flat"], "prices": {"flat": ["-0.1"]}}},
            "energy.prices.flat[0]",
            "Input should be greater than or equal to 0",
        ),
        (
            {
                "energy": {
                    "periods": ["flat"],
                    "tiers": {"basis": "monthly", "thresholds_kwh": ["400", "240"]},
                    "prices": {"flat": ["0.4883", "0.5383", "0.7883"]},
                }
            },
            "energy.tiers",
            "tier thresholds must increase",
        ),
        ({"code": "lower-case"}, "code", "String should match pattern '^[A-Z0-9][A-Z0-9-]{1,63}$'"),
        ({"surcharge": "1"}, "surcharge", "Extra inputs are not permitted"),
        (
            {"energy": {"periods": ["peak", "valley"], "prices": {"peak": ["1"], "valley": ["0.3"]}}},
            "(document)",
            "a tariff with several periods needs a schedule",
        ),
    ],
    ids=["negative price", "tiers out of order", "code pattern", "unknown field", "periods without schedule"],
)
def test_an_invalid_document_is_refused_naming_the_field(
    tariff_document: DocumentFactory, now: datetime, change: dict[str, object], field: str, reason: str
) -> None:
    before, events = _catalog_state(), AuditEvent.objects.count()

    with pytest.raises(TariffDocumentInvalid) as refused:
        publish_tariff_version(
            actor=None, document=tariff_document(**change), valid_from=date(2024, 1, 1), source="t", now=now
        )

    assert refused.value.field == field
    assert refused.value.message("en") == f"The tariff document is invalid: {field}: {reason}"
    assert refused.value.message("zh-hans") == f"电价文档无效：{field}: {reason}"
    assert (_catalog_state(), AuditEvent.objects.count()) == (before, events)
    assert not Tariff.objects.filter(code="TEST-BJ").exists()


def test_every_problem_of_a_document_is_named(tariff_document: DocumentFactory, now: datetime) -> None:
    document = tariff_document()
    del document["name_zh"]
    document["minimum_charge_per_month"] = "abc"

    with pytest.raises(TariffDocumentInvalid) as refused:
        publish_tariff_version(
            actor=None, document=document, valid_from=date(2024, 1, 1), source="t", now=now
        )

    assert refused.value.message("en") == (
        "The tariff document is invalid: name_zh: Field required; "
        "minimum_charge_per_month: Input should be a valid decimal"
    )


def test_a_document_that_is_not_an_object_is_refused(now: datetime) -> None:
    with pytest.raises(TariffDocumentInvalid) as refused:
        publish_tariff_version(actor=None, document=[], valid_from=date(2024, 1, 1), source="t", now=now)  # type: ignore[arg-type]

    assert refused.value.message("en") == (
        "The tariff document is invalid: (document): a tariff document is a JSON object"
    )


def test_a_file_that_is_not_json_is_refused(tmp_path: Path, now: datetime) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"code": "X",\n  oops}', encoding="utf-8")
    before = _catalog_state()

    with pytest.raises(TariffFileUnreadable) as refused:
        load_tariff_file(actor=None, path=path, valid_from=date(2024, 1, 1), now=now)

    assert refused.value.message("en") == (
        f"The tariff file {path} cannot be read: "
        "line 2 column 3: Expecting property name enclosed in double quotes"
    )
    assert _catalog_state() == before


def test_a_saved_version_cannot_be_edited(now: datetime) -> None:
    version = TariffVersion.objects.get(tariff__code="CN-BJ-RES-2012", version=1)
    version.document = {"changed": True}

    with pytest.raises(TariffVersionImmutable):
        version.save()
    with pytest.raises(TariffVersionImmutable):
        version.save(update_fields=["document"])

    version.refresh_from_db()
    assert version.document == reference_document("CN-BJ-RES-2012")


def test_a_code_of_a_urdb_tariff_cannot_take_a_gridcare_document(
    tariff_document: DocumentFactory, now: datetime
) -> None:
    import_urdb_tariff(
        actor=None, record={"label": "ABC", "fixedmonthlycharge": 10}, valid_from=date(2024, 1, 1), now=now
    )
    before = _catalog_state()

    with pytest.raises(TariffKindMismatch) as refused:
        publish_tariff_version(
            actor=None,
            document=tariff_document(code="URDB-ABC"),
            valid_from=date(2025, 1, 1),
            source="t",
            now=now,
        )

    assert refused.value.message("en") == (
        "Tariff URDB-ABC exists as a urdb tariff; a gridcare version cannot be published for it."
    )
    assert _catalog_state() == before
    assert Tariff.objects.get(code="URDB-ABC").kind == TariffKind.URDB


def test_changing_tariffs_needs_the_permission_and_the_whole_org_tree(
    org_tree, staff_user_factory, tariff_document: DocumentFactory, now: datetime
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.province, roles=[Role.BILLING_CLERK])
    station_admin = staff_user_factory(
        username="admin_s", org_unit=org_tree.station, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    province_admin = staff_user_factory(
        username="admin_p", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    before = _catalog_state()

    with pytest.raises(PermissionMissing):
        publish_tariff_version(
            actor=clerk, document=tariff_document(), valid_from=date(2024, 1, 1), source="t", now=now
        )
    with pytest.raises(WholeOrgTreeRequired):
        publish_tariff_version(
            actor=station_admin, document=tariff_document(), valid_from=date(2024, 1, 1), source="t", now=now
        )

    assert _catalog_state() == before
    assert list(
        AuditEvent.objects.filter(action="deny_permission")
        .order_by("sequence")
        .values_list("actor_id", flat=True)
    ) == [clerk.pk, station_admin.pk]
    version = publish_tariff_version(
        actor=province_admin, document=tariff_document(), valid_from=date(2024, 1, 1), source="t", now=now
    )
    assert (version.tariff.code, version.created_by) == ("TEST-BJ", province_admin)
