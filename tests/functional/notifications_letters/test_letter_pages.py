"""The letter pages over HTTP: batches of one's units, printing, a batch's letters with masked
addresses, recording a letter served (and its refusal), the PDF download and the navigation."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridcare.audit.models import AuditEvent
from gridcare.notifications.models import (
    LetterBatch,
    LetterService,
    MessageEvent,
    MessageState,
    OutboxMessage,
)

from .conftest import SHANGHAI, LetterScene

pytestmark = pytest.mark.django_db


def _client(log_in: Any, user: Any) -> Client:
    return log_in(Client(), user)


def _served_form(message: OutboxMessage, **fields: str) -> dict[str, str]:
    data = {"method": "in_person", "served_at": "2025-03-11T10:15", "receiver_name": "张三", "note": ""}
    data.update(fields)
    return {f"m{message.pk}-{name}": value for name, value in data.items()}


def test_the_batch_list_shows_the_batches_of_ones_units_and_the_letters_waiting(
    letter_scene: LetterScene, log_in: Any
) -> None:
    cashier_page = _client(log_in, letter_scene.cashier).get(reverse("web:letter_batches")).content.decode()
    inspector_page = (
        _client(log_in, letter_scene.inspector).get(reverse("web:letter_batches")).content.decode()
    )

    for body in (cashier_page, inspector_page):
        assert 'data-batch="37010201-20250310-0001"' in body
        assert 'data-batch="37010202-20250310-0001"' not in body
        assert 'data-waiting="1"' in body
    assert reverse("web:letter_batch_print") in cashier_page
    assert reverse("web:letter_batch_print") not in inspector_page


def test_a_batch_shows_each_letters_recipient_with_the_address_masked_without_pii_unmask(
    letter_scene: LetterScene, log_in: Any
) -> None:
    url = reverse("web:letter_batch_detail", args=[letter_scene.batch.pk])

    masked = _client(log_in, letter_scene.inspector).get(url).content.decode()
    unmasked = _client(log_in, letter_scene.manager).get(url).content.decode()

    assert "张三" in masked
    assert "李四" in masked
    assert f'<dd class="mono">济南市历下区{"*" * 12}</dd>' in masked  # 泉城路1号 / 张三 收 hidden
    assert "泉城路1号" not in masked
    assert "济南市历下区泉城路1号 / 张三 收" in unmasked
    assert masked.count("data-served-form=") == 2
    assert "37010201-20250310-0001-p1" in masked
    assert reverse("web:letter_batch_pdf", args=[letter_scene.batch.pk]) not in masked
    assert reverse("web:letter_batch_pdf", args=[letter_scene.batch.pk]) in unmasked


def test_printing_makes_a_batch_of_the_waiting_letters_and_shows_it(
    letter_scene: LetterScene, log_in: Any
) -> None:
    response = _client(log_in, letter_scene.cashier).post(
        reverse("web:letter_batch_print"), {"org_unit": letter_scene.station.pk}
    )

    batch = LetterBatch.objects.get(created_by=letter_scene.cashier)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:letter_batch_detail", args=[batch.pk])
    assert (batch.org_unit, batch.letter_count) == (letter_scene.station, 1)
    waiting = OutboxMessage.objects.get(pk=letter_scene.waiting.pk)
    assert (waiting.state, waiting.provider_message_id) == (MessageState.SENT, f"{batch.batch_no}-p1")


def test_printing_with_nothing_waiting_says_so_and_prints_nothing(
    letter_scene: LetterScene, log_in: Any
) -> None:
    client = _client(log_in, letter_scene.cashier)
    client.post(reverse("web:letter_batch_print"), {"org_unit": letter_scene.station.pk})

    response = client.post(
        reverse("web:letter_batch_print"), {"org_unit": letter_scene.station.pk}, follow=True
    )

    assert LetterBatch.objects.count() == 3
    assert "没有待打印的信函" in response.content.decode()


def test_printing_for_a_unit_outside_ones_scope_is_refused(letter_scene: LetterScene, log_in: Any) -> None:
    response = _client(log_in, letter_scene.cashier).post(
        reverse("web:letter_batch_print"), {"org_unit": letter_scene.other_station.pk}
    )

    assert response.status_code == 302
    assert LetterBatch.objects.count() == 2


def test_recording_a_letter_served_delivers_it_and_shows_the_service(
    letter_scene: LetterScene, log_in: Any
) -> None:
    client = _client(log_in, letter_scene.inspector)
    url = reverse("web:letter_served", args=[letter_scene.batch.pk, letter_scene.zhang.pk])

    response = client.post(url, _served_form(letter_scene.zhang, note="本人签收"))
    page = client.get(reverse("web:letter_batch_detail", args=[letter_scene.batch.pk])).content.decode()

    assert response.status_code == 302
    service = LetterService.objects.get()
    assert (
        service.message_id,
        service.served_by,
        service.method,
        service.receiver_name,
        service.note,
        service.served_at,
    ) == (
        letter_scene.zhang.pk,
        letter_scene.inspector,
        "in_person",
        "张三",
        "本人签收",
        datetime(2025, 3, 11, 10, 15, tzinfo=SHANGHAI),
    )
    assert OutboxMessage.objects.get(pk=letter_scene.zhang.pk).state == MessageState.DELIVERED
    assert 'data-method="in_person"' in page
    assert page.count("data-served-form=") == 1


def test_a_refused_service_shows_the_reason_in_the_form_and_changes_nothing(
    letter_scene: LetterScene, log_in: Any
) -> None:
    client = _client(log_in, letter_scene.inspector)
    url = reverse("web:letter_served", args=[letter_scene.batch.pk, letter_scene.zhang.pk])
    history = MessageEvent.objects.count()

    future = client.post(url, _served_form(letter_scene.zhang, served_at="2999-01-01T08:00"))
    nameless = client.post(url, _served_form(letter_scene.zhang, receiver_name=""))

    assert (future.status_code, nameless.status_code) == (400, 400)
    assert "晚于当前时间" in future.content.decode()
    assert "直接送达须填写签收人姓名" in nameless.content.decode()
    assert LetterService.objects.count() == 0
    assert MessageEvent.objects.count() == history
    assert OutboxMessage.objects.get(pk=letter_scene.zhang.pk).state == MessageState.SENT


def test_a_batch_of_another_station_is_not_found(letter_scene: LetterScene, log_in: Any) -> None:
    client = _client(log_in, letter_scene.manager)
    other = letter_scene.other_batch
    other_letter = other.entries.get().message

    assert client.get(reverse("web:letter_batch_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("web:letter_batch_pdf", args=[other.pk])).status_code == 404
    served = client.post(
        reverse("web:letter_served", args=[other.pk, other_letter.pk]), _served_form(other_letter)
    )
    assert served.status_code == 404
    # A letter of one's own batch posted under another batch's address is not found either.
    mixed = client.post(
        reverse("web:letter_served", args=[other.pk, letter_scene.zhang.pk]), _served_form(letter_scene.zhang)
    )
    assert mixed.status_code == 404
    assert LetterService.objects.count() == 0


def test_the_pdf_downloads_as_printed_and_is_recorded_as_an_export(
    letter_scene: LetterScene, log_in: Any
) -> None:
    response = _client(log_in, letter_scene.cashier).get(
        reverse("web:letter_batch_pdf", args=[letter_scene.batch.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="letters-37010201-20250310-0001.pdf"'
    assert hashlib.sha256(response.content).hexdigest() == letter_scene.batch.pdf_sha256
    event = AuditEvent.objects.get(action="export_letter_batch")
    assert (event.actor, event.object_id) == (letter_scene.cashier, str(letter_scene.batch.pk))


def test_inspectors_may_not_download_and_readers_see_no_letters(
    letter_scene: LetterScene, log_in: Any
) -> None:
    inspector = _client(log_in, letter_scene.inspector)
    reader = _client(log_in, letter_scene.reader)

    assert inspector.get(reverse("web:letter_batch_pdf", args=[letter_scene.batch.pk])).status_code == 403
    assert reader.get(reverse("web:letter_batches")).status_code == 403
    assert reverse("web:letter_batches") in inspector.get(reverse("web:home")).content.decode()
    assert reverse("web:letter_batches") not in reader.get(reverse("web:home")).content.decode()
    assert AuditEvent.objects.filter(action="export_letter_batch").count() == 0
