"""The org tree: placement rules, paths, audit, database constraints and visibility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.kit.errors import GridCareError
from gridcare.organization import errors
from gridcare.organization.models import AreaType, OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int]:
    return OrgUnit.objects.count(), AuditEvent.objects.count()


def test_paths_follow_the_codes_from_the_root(org_tree: Any) -> None:
    assert org_tree.province.path == "/37/"
    assert org_tree.city.path == "/37/3701/"
    assert org_tree.county.path == "/37/3701/370102/"
    assert org_tree.station.path == "/37/3701/370102/37010201/"
    assert org_tree.other_station.path == "/37/3701/370102/37010202/"
    assert list(OrgUnit.objects.values_list("code", flat=True)) == [
        "37",
        "3701",
        "370102",
        "37010201",
        "37010202",
    ]


def test_creating_an_org_unit_is_audited(org_tree: Any, staff_user_factory: Any, now: datetime) -> None:
    admin = staff_user_factory(username="admin", org_unit=org_tree.province)
    before = AuditEvent.objects.count()

    county = create_org_unit(
        code="370112",
        name=" 历城区供电中心 ",
        level=OrgLevel.COUNTY,
        parent=org_tree.city,
        area_type=AreaType.RURAL,
        actor=admin,
        now=now,
    )

    assert county.name == "历城区供电中心"
    assert county.path == "/37/3701/370112/"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="create_org_unit", object_id=str(county.pk))
    assert event.actor == admin
    assert event.occurred_at == now
    assert event.object_type == "organization.orgunit"
    assert event.org_unit is None
    assert event.changes == {
        "code": "370112",
        "name": "历城区供电中心",
        "level": "county",
        "parent": "3701",
        "path": "/37/3701/370112/",
        "area_type": "rural",
    }


@pytest.mark.parametrize(
    ("code", "name", "level", "parent_key", "area_type", "error", "message_zh", "message_en"),
    [
        (
            "3799",
            "德州供电公司",
            OrgLevel.CITY,
            None,
            AreaType.URBAN,
            errors.OrgUnitParentMissing,
            "地市公司必须隶属于一个省公司",
            "A city company must belong to a provincial company",
        ),
        (
            "37010299",
            "新供电所",
            OrgLevel.STATION,
            "city",
            AreaType.URBAN,
            errors.OrgUnitParentLevelWrong,
            "供电所只能隶属于县公司，而 国网济南供电公司 是地市公司",
            "A supply station can only belong to a county company, but 国网济南供电公司 is a city company",
        ),
        (
            "370199",
            "新县公司",
            OrgLevel.COUNTY,
            "province",
            AreaType.URBAN,
            errors.OrgUnitParentLevelWrong,
            "县公司只能隶属于地市公司，而 国网山东省电力公司 是省公司",
            "A county company can only belong to a city company, "
            "but 国网山东省电力公司 is a provincial company",
        ),
        (
            "38",
            "另一省公司",
            OrgLevel.PROVINCE,
            "province",
            AreaType.URBAN,
            errors.ProvinceCannotHaveParent,
            "省公司是供电单位树的根，不能有上级单位",
            "A provincial company is the root of the org tree and cannot have a parent unit",
        ),
        (
            "3701",
            "重复的济南",
            OrgLevel.CITY,
            "province",
            AreaType.URBAN,
            errors.OrgUnitCodeTaken,
            "供电单位编码 3701 已被 国网济南供电公司 使用",
            "Org unit code 3701 is already used by 国网济南供电公司",
        ),
        (
            "37-05",
            "淄博供电公司",
            OrgLevel.CITY,
            "province",
            AreaType.URBAN,
            errors.OrgUnitCodeInvalid,
            "供电单位编码 37-05 无效：应为 1 至 16 位字母或数字",
            "Org unit code 37-05 is invalid: it must be 1 to 16 letters or digits",
        ),
        (
            "12345678901234567",
            "编码过长",
            OrgLevel.CITY,
            "province",
            AreaType.URBAN,
            errors.OrgUnitCodeInvalid,
            "供电单位编码 12345678901234567 无效：应为 1 至 16 位字母或数字",
            "Org unit code 12345678901234567 is invalid: it must be 1 to 16 letters or digits",
        ),
        (
            "3705",
            "  ",
            OrgLevel.CITY,
            "province",
            AreaType.URBAN,
            errors.OrgUnitNameMissing,
            "供电单位名称不能为空",
            "The org unit needs a name",
        ),
        (
            "3705",
            "淄博供电公司",
            "district",
            "province",
            AreaType.URBAN,
            errors.OrgUnitLevelInvalid,
            "供电单位层级 district 无效：应为省公司、地市公司、县公司或供电所",
            "Org unit level district is invalid: it must be province, city, county or station",
        ),
        (
            "3705",
            "淄博供电公司",
            OrgLevel.CITY,
            "province",
            "suburban",
            errors.OrgUnitAreaTypeInvalid,
            "区域类型 suburban 无效：应为城市、农村或偏远地区",
            "Area type suburban is invalid: it must be urban, rural or remote",
        ),
    ],
)
def test_placement_rules_are_enforced_with_clear_messages(
    org_tree: Any,
    now: datetime,
    code: str,
    name: str,
    level: str,
    parent_key: str | None,
    area_type: str,
    error: type[GridCareError],
    message_zh: str,
    message_en: str,
) -> None:
    parent = getattr(org_tree, parent_key) if parent_key else None
    before = _counts()

    with pytest.raises(error) as raised:
        create_org_unit(
            code=code, name=name, level=level, parent=parent, area_type=area_type, actor=None, now=now
        )

    assert raised.value.message("zh-hans") == message_zh
    assert raised.value.message("en") == message_en
    assert _counts() == before


def _insert(**fields: Any) -> OrgUnit:
    with transaction.atomic():
        return OrgUnit.objects.create(**fields)


def test_the_database_refuses_a_root_that_is_not_a_province(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError):
        _insert(code="3799", name="孤立的地市", level=OrgLevel.CITY, parent=None, path="/3799/")
    assert _counts() == before


def test_the_database_refuses_a_province_with_a_parent(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError):
        _insert(code="38", name="另一省", level=OrgLevel.PROVINCE, parent=org_tree.province, path="/37/38/")
    assert _counts() == before


def test_the_database_refuses_a_code_with_punctuation(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError):
        _insert(code="37-05", name="淄博", level=OrgLevel.CITY, parent=org_tree.province, path="/37/37-05/")
    assert _counts() == before


def test_the_database_refuses_a_duplicate_code(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError):
        _insert(code="3701", name="重复", level=OrgLevel.CITY, parent=org_tree.province, path="/37/x3701/")
    assert _counts() == before


def test_the_database_refuses_a_duplicate_path(org_tree: Any) -> None:
    before = _counts()
    with pytest.raises(IntegrityError):
        _insert(code="3705", name="重复路径", level=OrgLevel.CITY, parent=org_tree.province, path="/37/3701/")
    assert _counts() == before


def test_model_validation_reports_the_root_constraint_message(org_tree: Any) -> None:
    unit = OrgUnit(code="3799", name="孤立的地市", level=OrgLevel.CITY, parent=None, path="/3799/")
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        unit.full_clean()
    assert raised.value.messages == ["Only a provincial company has no parent unit."]


def _visible_codes(user: Any) -> list[str]:
    return list(OrgUnit.objects.visible_to(user).values_list("code", flat=True))


def test_org_units_visible_to_each_kind_of_user(org_tree: Any, staff_user_factory: Any) -> None:
    station_user = staff_user_factory(username="station", org_unit=org_tree.station)
    county_user = staff_user_factory(username="county", org_unit=org_tree.county)
    superuser = staff_user_factory(username="root", org_unit=org_tree.station, is_superuser=True)
    inactive = staff_user_factory(username="gone", org_unit=org_tree.province)
    inactive.is_active = False
    inactive.save()

    assert _visible_codes(station_user) == ["37010201"]
    assert _visible_codes(county_user) == ["370102", "37010201", "37010202"]
    assert _visible_codes(superuser) == ["37", "3701", "370102", "37010201", "37010202"]
    assert _visible_codes(inactive) == []
    assert _visible_codes(AnonymousUser()) == []
