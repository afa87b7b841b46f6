"""The audit browser (/audit/) over HTTP: who may see it, filters, org scoping and the CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from web_world import SHANGHAI, make_org_unit, make_portal_user, make_staff_user

from gridcare.audit.models import AuditEvent
from gridcare.audit.operations import record_audit_event
from gridcare.audit.queries import verify_audit_chain
from gridcare.identity.models import Role, User
from gridcare.organization.models import OrgLevel, OrgUnit

#: The days of the scene's events; the test clients' own login events fall on the real today.
SCENE_DAYS = {"date_from": "2025-03-09", "date_to": "2025-03-11"}


@dataclass(frozen=True)
class Scene:
    county: OrgUnit
    station: OrgUnit
    other_county: OrgUnit
    province_auditor: User
    county_auditor: User
    supervisor: User
    reader: User
    portal_user: User
    events: list[AuditEvent]


@pytest.fixture
def scene(db: None) -> Scene:
    """A province with two counties; staff of several roles; four audit events on 9–11 March
    2025 (Beijing time): a login and an account change at the station, a failed login of an
    unknown user in the other county, and a logout at the station."""
    province = make_org_unit(code="37", name="山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    county = make_org_unit(code="370102", name="历下区供电中心", level=OrgLevel.COUNTY, parent=province)
    station = make_org_unit(code="37010201", name="解放路供电所", level=OrgLevel.STATION, parent=county)
    other_county = make_org_unit(code="370103", name="市中区供电中心", level=OrgLevel.COUNTY, parent=province)
    reader = make_staff_user(username="reader", org_unit=station, roles=(Role.METER_READER,))

    def at(day: int, hour: int, minute: int, second: int) -> dt.datetime:
        return dt.datetime(2025, 3, day, hour, minute, second, tzinfo=SHANGHAI)

    events = [
        record_audit_event(
            actor=reader, action="login", target=reader, occurred_at=at(9, 23, 59, 59), changes={}
        ),
        record_audit_event(
            actor=reader,
            action="change_account",
            target=None,
            object_type="customers.account",
            object_id="3701000001",
            org_unit_id=station.pk,
            occurred_at=at(10, 0, 0, 0),
            changes={"name": ['=HYPERLINK("x")', "张三, 李四"]},
        ),
        record_audit_event(
            actor=None,
            action="login_failed",
            target=None,
            object_type="identity.user",
            org_unit_id=other_county.pk,
            occurred_at=at(10, 23, 59, 59),
            changes={"username": "-nobody"},
        ),
        record_audit_event(
            actor=reader, action="logout", target=reader, occurred_at=at(11, 0, 0, 0), changes={}
        ),
    ]
    return Scene(
        county=county,
        station=station,
        other_county=other_county,
        province_auditor=make_staff_user(username="auditor", org_unit=province, roles=(Role.AUDITOR,)),
        county_auditor=make_staff_user(username="county_auditor", org_unit=county, roles=(Role.AUDITOR,)),
        supervisor=make_staff_user(
            username="supervisor", org_unit=province, roles=(Role.MARKETING_SUPERVISOR,)
        ),
        reader=reader,
        portal_user=make_portal_user(username="portal", customer=None),
        events=events,
    )


@pytest.fixture
def client_for(log_in):
    """``client_for(user)`` → a new client logged in as ``user``, in English."""

    def make(user: User) -> Client:
        client = Client()
        log_in(client, user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def listed_sequences(response: object) -> list[int]:
    return [row[1] for row in response.context["rows"]]  # type: ignore[attr-defined]


def sequences(scene: Scene, *indexes: int) -> list[int]:
    return [scene.events[index].sequence for index in indexes]


@pytest.mark.parametrize("user_name", ["province_auditor", "supervisor"])
def test_auditors_and_supervisors_see_the_audit_log(scene: Scene, user_name: str, client_for) -> None:
    response = client_for(getattr(scene, user_name)).get("/audit/", SCENE_DAYS)

    assert response.status_code == 200
    assert listed_sequences(response) == sequences(scene, 3, 2, 1, 0)
    assert 'href="/audit/"' in response.content.decode()


def test_superuser_sees_the_audit_log(scene: Scene, client_for) -> None:
    superuser = make_staff_user(username="root", org_unit=None, is_superuser=True)

    response = client_for(superuser).get("/audit/", SCENE_DAYS)

    assert response.status_code == 200
    assert listed_sequences(response) == sequences(scene, 3, 2, 1, 0)


def test_other_roles_are_refused(scene: Scene, client_for) -> None:
    client = client_for(scene.reader)

    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert 'href="/audit/"' not in client.get("/").content.decode()
    assert not AuditEvent.objects.filter(action="export_audit_log").exists()


def test_portal_users_are_sent_to_the_portal(scene: Scene, client_for) -> None:
    response = client_for(scene.portal_user).get("/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_anonymous_users_are_sent_to_the_login(scene: Scene) -> None:
    response = Client().get("/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/audit/"


def test_newest_first_without_filters(scene: Scene, client_for) -> None:
    client = client_for(scene.province_auditor)

    response = client.get("/audit/")

    # The auditor's own login through the test client is the newest event.
    own_login = AuditEvent.objects.get(action="login", actor=scene.province_auditor)
    assert listed_sequences(response) == [own_login.sequence, *sequences(scene, 3, 2, 1, 0)]


@pytest.mark.parametrize(
    ("filters", "expected_indexes"),
    [
        ({"actor": "reader"}, (3, 1, 0)),
        ({"actor": "read"}, ()),
        ({"action": "logout"}, (3,)),
        ({"object_type": "customers.account"}, (1,)),
        ({"object_type": "customers.account", "object_id": "3701000001"}, (1,)),
        ({"object_type": "customers.account", "object_id": "3701000002"}, ()),
        ({"date_from": "2025-03-10", "date_to": "2025-03-10"}, (2, 1)),
        ({"date_from": "2025-03-11"}, (3,)),
        ({"date_to": "2025-03-09"}, (0,)),
        ({"actor": "reader", "date_from": "2025-03-10", "date_to": "2025-03-10"}, (1,)),
    ],
)
def test_filters_give_exactly_the_matching_rows(
    scene: Scene, filters: dict[str, str], expected_indexes: tuple[int, ...], client_for
) -> None:
    response = client_for(scene.province_auditor).get("/audit/", {**SCENE_DAYS, **filters})

    assert listed_sequences(response) == sequences(scene, *expected_indexes)


def test_an_end_before_the_start_shows_an_error_and_no_rows(scene: Scene, client_for) -> None:
    response = client_for(scene.province_auditor).get(
        "/audit/", {"date_from": "2025-03-11", "date_to": "2025-03-10"}
    )

    assert response.status_code == 200
    assert listed_sequences(response) == []
    assert "The end date is before the start date." in response.content.decode()


def test_a_county_auditor_sees_only_the_county_subtree(scene: Scene, client_for) -> None:
    response = client_for(scene.county_auditor).get("/audit/", SCENE_DAYS)

    assert listed_sequences(response) == sequences(scene, 3, 1, 0)


def test_rows_show_local_time_actor_object_unit_and_changes(scene: Scene, client_for) -> None:
    response = client_for(scene.province_auditor).get("/audit/", {"action": "change_account"})

    assert response.context["rows"] == [
        [
            "2025-03-10 00:00:00",
            scene.events[1].sequence,
            "reader",
            "change_account",
            "customers.account",
            "3701000001",
            "解放路供电所",
            '{"name":["=HYPERLINK(\\"x\\")","张三, 李四"]}',
            # Recorded outside a request: the acting unit only, no request id, IP or source.
            "解放路供电所",
            "",
            "",
            "",
        ]
    ]


def test_pages_hold_fifty_events(scene: Scene, client_for) -> None:
    for minute in range(55):
        record_audit_event(
            actor=None,
            action="bulk",
            target=None,
            object_type="test.thing",
            object_id=str(minute),
            org_unit_id=scene.station.pk,
            occurred_at=dt.datetime(2025, 3, 12, 8, minute, tzinfo=SHANGHAI),
        )
    client = client_for(scene.province_auditor)

    first = client.get("/audit/", {"action": "bulk"})
    second = client.get("/audit/", {"action": "bulk", "page": 2})

    assert [row[5] for row in first.context["rows"]] == [str(minute) for minute in range(54, 4, -1)]
    assert [row[5] for row in second.context["rows"]] == ["4", "3", "2", "1", "0"]
    assert 'href="?action=bulk&amp;page=2" rel="next"' in first.content.decode()


def test_audit_log_query_count_does_not_grow_with_rows(
    scene: Scene, django_assert_num_queries: DjangoAssertNumQueries, client_for
) -> None:
    client = client_for(scene.province_auditor)
    # Session, user, the authenticator that verified the session (an auditor needs MFA), the
    # role groups (once: the permission check and the navigation share them), the top bar's org
    # unit, the count and one page of events with their actors and units.
    with django_assert_num_queries(7):
        client.get("/audit/")
    for minute in range(60):
        record_audit_event(
            actor=scene.reader,
            action="bulk",
            target=scene.reader,
            occurred_at=dt.datetime(2025, 3, 10, 8, minute, tzinfo=SHANGHAI),
        )
    with django_assert_num_queries(7):
        client.get("/audit/", {"page": 2})
    with django_assert_num_queries(7):
        client.get("/audit/", {"actor": "reader", **SCENE_DAYS})


def test_csv_download_holds_exactly_the_filtered_rows(scene: Scene, client_for) -> None:
    client = client_for(scene.province_auditor)

    response = client.get("/audit/export.csv", {"date_from": "2025-03-10", "date_to": "2025-03-10"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    changed, failed = scene.events[1], scene.events[2]
    assert b"".join(response.streaming_content).decode("utf-8") == (
        "\ufeffTime,Sequence,Actor,Action,Object type,Object id,Org unit,Changes,"
        "Acting org unit,Request id,IP address,Source\r\n"
        f"2025-03-10 23:59:59,{failed.sequence},,login_failed,identity.user,,市中区供电中心,"
        '"{""username"":""-nobody""}",,,,\r\n'
        f"2025-03-10 00:00:00,{changed.sequence},reader,change_account,customers.account,3701000001,"
        "解放路供电所,"
        '"{""name"":[""=HYPERLINK(\\""x\\"")"",""张三, 李四""]}",解放路供电所,,,\r\n'
    )


def test_csv_guards_cells_a_spreadsheet_would_run(scene: Scene, client_for) -> None:
    record_audit_event(
        actor=None,
        action="=cmd|' /C calc'!A0",
        target=None,
        object_type="@evil",
        object_id="-5",
        org_unit_id=scene.station.pk,
        occurred_at=dt.datetime(2025, 3, 12, 8, 0, tzinfo=SHANGHAI),
    )

    response = client_for(scene.province_auditor).get("/audit/export.csv", {"object_type": "@evil"})

    data_line = b"".join(response.streaming_content).decode("utf-8").split("\r\n")[1]
    assert data_line.split(",")[3:6] == ["'=cmd|' /C calc'!A0", "'@evil", "-5"]


def test_the_download_is_audited_with_its_filters_and_row_count(scene: Scene, client_for) -> None:
    client = client_for(scene.province_auditor)

    response = client.get("/audit/export.csv", {"actor": "reader", **SCENE_DAYS})
    b"".join(response.streaming_content)

    export = AuditEvent.objects.get(action="export_audit_log")
    assert (export.actor_id, export.object_type, export.object_id, export.org_unit_id) == (
        scene.province_auditor.pk,
        "audit.auditevent",
        "",
        scene.province_auditor.org_unit_id,
    )
    assert export.changes == {
        "filters": {"actor": "reader", "date_from": "2025-03-09", "date_to": "2025-03-11"},
        "row_count": 3,
    }
    verify_audit_chain()


def test_the_download_does_not_hold_its_own_export_event(scene: Scene, client_for) -> None:
    client = client_for(scene.province_auditor)

    response = client.get("/audit/export.csv", {"action": "export_audit_log"})

    assert b"".join(response.streaming_content).decode("utf-8").count("\r\n") == 1
    assert AuditEvent.objects.get(action="export_audit_log").changes == {
        "filters": {"action": "export_audit_log"},
        "row_count": 0,
    }
