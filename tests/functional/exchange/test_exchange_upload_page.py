"""The import and export page: upload with errors shows the report and imports nothing; a
partial upload imports the good rows; exports download the user's records."""

from __future__ import annotations

import io

import openpyxl
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from exchange_world import World, csv_bytes, make_staff
from pytest_django.fixtures import Settings

from gridcare.audit.models import AuditEvent
from gridcare.exchange.forms import MAX_UPLOAD_BYTES, UploadForm
from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.models import Role, User, UserKind
from gridcare.metering.models import MeterRead

#: The back office ignores Accept-Language (Chinese first); the language switch sets this cookie.
LANGUAGE_COOKIE = django_settings.LANGUAGE_COOKIE_NAME
READS = [
    ["asset_no", "read_at", "source", "import_active_total"],
    ["M0001", "2025-02-01T00:00:00", "ami", "100"],
    ["M0003", "2025-02-01T00:00:00", "ami", "100"],
    ["M0002", "2025-02-01T00:00:00", "ami", "1.234"],
]


def _upload(client: Client, *, partial: bool, language: str = "en") -> str:
    data: dict[str, object] = {"kind": "reads", "file": SimpleUploadedFile("reads.csv", csv_bytes(READS))}
    if partial:
        data["partial"] = "on"
    client.cookies[LANGUAGE_COOKIE] = language
    response = client.post(reverse("exchange:upload"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_explains_the_columns_of_each_kind(clerk_client: Client) -> None:
    clerk_client.cookies[LANGUAGE_COOKIE] = "en"
    response = clerk_client.get(reverse("exchange:upload"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<td class="mono">contract_capacity_kva</td>' in page
    assert "number from 0 to 99999999.99, at most 2 decimals" in page
    assert reverse("exchange:export", args=["reads", "xlsx"]) in page


def test_an_upload_with_bad_rows_shows_the_report_and_imports_nothing(clerk_client: Client) -> None:
    page = _upload(clerk_client, partial=False)

    assert 'data-import-result="rejected"' in page
    assert '<span class="stat__value" data-stat="rows_rejected">2</span>' in page
    assert "<td>Meter M0003 is scrapped: it cannot be read, installed or changed any more.</td>" in page
    assert '<td class="mono">4</td>' in page
    assert '<td class="mono">import_active_total</td>' in page
    assert MeterRead.objects.count() == 0
    assert ExchangeBatch.objects.count() == 0


def test_the_report_speaks_the_users_language(clerk_client: Client) -> None:
    page = _upload(clerk_client, partial=False, language="zh-hans")

    assert "<td>电能表 M0003 已报废，不能再抄表、安装或变更。</td>" in page


def test_a_partial_upload_imports_the_good_rows(world: World, clerk_client: Client) -> None:
    page = _upload(clerk_client, partial=True)

    assert 'data-import-result="committed"' in page
    assert '<span class="stat__value" data-stat="rows_imported">1</span>' in page
    assert list(MeterRead.objects.values_list("meter__asset_no", flat=True)) == ["M0001"]
    batch = ExchangeBatch.objects.get()
    assert (batch.actor, batch.rows_read, batch.rows_imported, batch.rows_rejected) == (
        world.county_clerk,
        3,
        1,
        2,
    )


def test_an_unsupported_file_is_a_form_error(clerk_client: Client) -> None:
    clerk_client.cookies[LANGUAGE_COOKIE] = "en"
    response = clerk_client.post(
        reverse("exchange:upload"), {"kind": "reads", "file": SimpleUploadedFile("reads.txt", b"x")}
    )

    assert "The format of reads.txt is not supported: use a .csv or .xlsx file." in response.content.decode()
    assert ExchangeBatch.objects.count() == 0


def test_an_export_downloads_the_users_records(clerk_client: Client) -> None:
    response = clerk_client.get(reverse("exchange:export", args=["meters", "xlsx"]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="meters-')
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    asset_nos = [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert asset_nos == ["M0001", "M0002", "M0003", "M0004"]


def test_an_unknown_export_is_not_found(clerk_client: Client) -> None:
    assert clerk_client.get(reverse("exchange:export", args=["bills", "csv"])).status_code == 404
    assert clerk_client.get(reverse("exchange:export", args=["reads", "pdf"])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(db: None) -> None:
    response = Client().get(reverse("exchange:upload"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_staff_without_an_org_unit_are_refused_and_portal_users_sent_to_the_portal(
    world: World, log_in
) -> None:
    unbound = User.objects.create(username="unbound", kind=UserKind.STAFF, is_staff=True)
    portal = User.objects.create(username="portal", kind=UserKind.PORTAL)
    upload = {"kind": "reads", "file": SimpleUploadedFile("reads.csv", csv_bytes(READS))}
    unbound_client = Client()
    log_in(unbound_client, unbound)
    portal_client = Client()
    log_in(portal_client, portal)

    assert unbound_client.get(reverse("exchange:upload")).status_code == 403
    assert unbound_client.post(reverse("exchange:upload"), upload).status_code == 403
    upload["file"].seek(0)
    refused = portal_client.post(reverse("exchange:upload"), upload)
    assert (refused.status_code, refused["Location"]) == (302, reverse("portal:home"))
    assert MeterRead.objects.count() == 0


def test_a_large_upload_streams_from_its_temporary_file(
    world: World, clerk_client: Client, settings: Settings
) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # every upload goes to a temporary file
    workbook = openpyxl.Workbook()
    for row in READS[:2]:
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)

    response = clerk_client.post(
        reverse("exchange:upload"),
        {"kind": "reads", "file": SimpleUploadedFile("reads.xlsx", content.getvalue())},
    )

    assert 'data-import-result="committed"' in response.content.decode()
    assert MeterRead.objects.get().meter == world.meter


def test_a_province_auditor_sees_the_batches_and_events_of_the_upload_page(
    world: World, clerk_client: Client
) -> None:
    _upload(clerk_client, partial=True)
    response = clerk_client.get(reverse("exchange:export", args=["meters", "csv"]))
    assert response.status_code == 200
    auditor = make_staff("province_auditor", world.province)
    auditor.groups.set([Group.objects.get_or_create(name=Role.AUDITOR.value)[0]])
    far_clerk = make_staff("far_clerk", world.far_station)

    batches = ExchangeBatch.objects.visible_to(auditor).order_by("pk")
    events = (
        AuditEvent.objects.visible_to(auditor).filter(object_type="exchange.exchangebatch").order_by("pk")
    )

    assert [(batch.direction, batch.kind, batch.org_unit) for batch in batches] == [
        ("import", "reads", world.county),
        ("export", "meters", world.county),
    ]
    assert [(event.action, event.object_id, event.org_unit) for event in events] == [
        ("import_reads", str(batches[0].pk), world.county),
        ("export_meters", str(batches[1].pk), world.county),
    ]
    assert [event.changes["org_unit"] for event in events] == ["370102", "370102"]
    assert not ExchangeBatch.objects.visible_to(far_clerk).exists()
    assert not AuditEvent.objects.visible_to(far_clerk).filter(object_type="exchange.exchangebatch").exists()


def test_a_file_over_the_upload_limit_is_sent_to_the_import_command(clerk_client: Client) -> None:
    header = csv_bytes(READS[:2])
    content = header + b" " * (MAX_UPLOAD_BYTES + 1 - len(header))
    clerk_client.cookies[LANGUAGE_COOKIE] = "en"

    response = clerk_client.post(
        reverse("exchange:upload"), {"kind": "reads", "file": SimpleUploadedFile("reads.csv", content)}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "The file is larger than 20 MB, the most this page takes. Import larger files on the server "
        "with the command “gridcare import”."
    ) in page
    assert "data-import-result" not in page
    assert MeterRead.objects.count() == 0
    assert ExchangeBatch.objects.count() == 0


def test_a_file_of_exactly_the_upload_limit_is_taken(db: None) -> None:
    for size, is_valid in ((MAX_UPLOAD_BYTES, True), (MAX_UPLOAD_BYTES + 1, False)):
        form = UploadForm({"kind": "reads"}, {"file": SimpleUploadedFile("reads.csv", b"x" * size)})

        assert (size, form.is_valid()) == (size, is_valid)
