"""Letters: printing the due letters of an org unit as one PDF batch, recording each served,
and the refusals that change nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import OutsideOrgScope, PermissionMissing
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.errors import (
    LetterAlreadyServed,
    LetterNotPrinted,
    NoLettersDue,
    NotALetter,
    ReceiverNameRequired,
    ServedBeforePrinted,
    ServedInFuture,
)
from gridcare.notifications.letters import export_letter_batch, print_letter_batch, record_letter_served
from gridcare.notifications.models import (
    LetterBatch,
    LetterBatchEntry,
    LetterService,
    MessageEvent,
    MessageState,
    OutboxMessage,
    ServiceMethod,
)
from gridcare.notifications.operations import dispatch_due_messages, notify, opt_out

from .conftest import (
    ARREARS_CONTEXT,
    OUTAGE_CONTEXT,
    OUTAGE_LETTER_MINUTES,
    LetterPolicies,
    LetterRecipientFactory,
    LetterStaff,
    pdf_page_count,
)

pytestmark = pytest.mark.django_db

BATCH_NO = "370102-20250310-0001"


def _arrears_letters(
    *, make: LetterRecipientFactory, org_tree: Any, now: datetime, numbers_by_unit: dict[str, list[int]]
) -> list[OutboxMessage]:
    written: list[OutboxMessage] = []
    for unit_name, numbers in numbers_by_unit.items():
        written += notify(
            event="arrears_notice",
            recipients=[make(number, org_unit=getattr(org_tree, unit_name)) for number in numbers],
            context=ARREARS_CONTEXT,
            now=now,
            dedupe_key="2025-03",
        )
    return written


def _history(message: OutboxMessage) -> list[tuple[str, str, str]]:
    return list(
        MessageEvent.objects.filter(message=message)
        .order_by("occurred_at", "id")
        .values_list("from_state", "to_state", "detail")
    )


def _snapshot() -> object:
    """Everything a refused letter operation must leave as it was."""
    return (
        sorted(
            OutboxMessage.objects.values_list("pk", "state", "provider_message_id", "sent_at", "receipt_at")
        ),
        MessageEvent.objects.count(),
        LetterBatch.objects.count(),
        LetterBatchEntry.objects.count(),
        LetterService.objects.count(),
        AuditEvent.objects.exclude(action="deny_permission").count(),
    )


@pytest.fixture
def printed(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> LetterBatch:
    """A county batch of two arrears letters (泉城路 customers 1 and 2)."""
    _arrears_letters(
        make=letter_recipient_factory, org_tree=org_tree, now=now, numbers_by_unit={"station": [1, 2]}
    )
    return print_letter_batch(actor=letter_staff.county_cashier, org_unit=org_tree.county, now=now)


def test_a_batch_prints_every_due_letter_of_the_unit_and_below_one_page_each(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    written = _arrears_letters(
        make=letter_recipient_factory,
        org_tree=org_tree,
        now=now,
        numbers_by_unit={"other_station": [3], "station": [1, 2], "city": [4]},
    )
    by_number = {message.recipient_key: message for message in written}
    printed_at = now + timedelta(hours=1)

    batch = print_letter_batch(actor=letter_staff.county_cashier, org_unit=org_tree.county, now=printed_at)

    pdf = bytes(batch.pdf)
    assert (batch.batch_no, batch.org_unit, batch.created_by, batch.created_at, batch.letter_count) == (
        BATCH_NO,
        org_tree.county,
        letter_staff.county_cashier,
        printed_at,
        3,
    )
    assert pdf.startswith(b"%PDF-")
    assert pdf_page_count(pdf) == 3
    assert batch.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    # Page order: by org unit (泉城路 before 解放路), then as written.
    expected_pages = {"customer:1": 1, "customer:2": 2, "customer:3": 3}
    assert sorted(
        LetterBatchEntry.objects.filter(batch=batch).values_list("message__recipient_key", "position")
    ) == sorted(expected_pages.items())
    for key, page in expected_pages.items():
        message = OutboxMessage.objects.get(pk=by_number[key].pk)
        assert (
            message.state,
            message.provider_message_id,
            message.sent_at,
            message.receipt_due_at,
            message.attempts,
        ) == (MessageState.SENT, f"{BATCH_NO}-p{page}", printed_at, None, 1)
        assert _history(message) == [
            ("", MessageState.QUEUED, ""),
            (MessageState.QUEUED, MessageState.SENT, f"printed in batch {BATCH_NO} as {BATCH_NO}-p{page}"),
        ]
    city_letter = OutboxMessage.objects.get(pk=by_number["customer:4"].pk)
    assert (city_letter.state, city_letter.provider_message_id) == (MessageState.QUEUED, "")
    event = AuditEvent.objects.get(action="print_letter_batch")
    assert (event.actor, event.object_id, event.org_unit_id, event.changes) == (
        letter_staff.county_cashier,
        str(batch.pk),
        org_tree.county.pk,
        {"batch_no": BATCH_NO, "letters": 3, "pdf_sha256": batch.pdf_sha256},
    )


def test_the_next_batch_of_the_unit_gets_the_next_number_and_printed_letters_are_not_printed_again(
    printed: LetterBatch,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    later = now + timedelta(days=1)
    notify(
        event="arrears_notice",
        recipients=[letter_recipient_factory(5, org_unit=org_tree.station)],
        context=ARREARS_CONTEXT,
        now=later,
        dedupe_key="2025-03",
    )

    second = print_letter_batch(actor=letter_staff.county_cashier, org_unit=org_tree.county, now=later)

    assert (second.batch_no, second.letter_count, pdf_page_count(bytes(second.pdf))) == (
        "370102-20250311-0002",
        1,
        1,
    )
    assert list(
        LetterBatchEntry.objects.filter(batch=second).values_list("message__recipient_key", flat=True)
    ) == ["customer:5"]


def test_nothing_due_is_refused_and_writes_nothing(
    printed: LetterBatch, letter_staff: LetterStaff, org_tree: Any, now: datetime
) -> None:
    before = _snapshot()

    with pytest.raises(NoLettersDue) as refusal:
        print_letter_batch(actor=letter_staff.county_cashier, org_unit=org_tree.county, now=now)

    assert refusal.value.message("en") == (
        'No letter of "历下区供电中心" or the units below it is waiting to be printed.'
    )
    assert _snapshot() == before


def test_letters_not_yet_due_wait_for_their_time(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    _arrears_letters(
        make=letter_recipient_factory, org_tree=org_tree, now=now, numbers_by_unit={"station": [1]}
    )

    with pytest.raises(NoLettersDue):
        print_letter_batch(
            actor=letter_staff.county_cashier, org_unit=org_tree.county, now=now - timedelta(minutes=1)
        )

    assert LetterBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("actor_name", "unit_name", "error"),
    [
        ("station_cashier", "county", OutsideOrgScope),  # the county lies above the cashier's station
        ("station_inspector", "station", PermissionMissing),  # 用电检查员 serve letters, not print them
        ("province_supervisor", "county", PermissionMissing),  # read-only
    ],
)
def test_printing_outside_ones_permission_or_scope_is_refused_and_changes_nothing(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
    actor_name: str,
    unit_name: str,
    error: type[Exception],
) -> None:
    _arrears_letters(
        make=letter_recipient_factory, org_tree=org_tree, now=now, numbers_by_unit={"station": [1]}
    )
    before = _snapshot()
    actor = getattr(letter_staff, actor_name)

    with pytest.raises(error):
        print_letter_batch(actor=actor, org_unit=getattr(org_tree, unit_name), now=now)

    assert _snapshot() == before
    denial = AuditEvent.objects.get(action="deny_permission")
    assert (denial.actor, denial.changes["operation"], denial.changes["permission"]) == (
        actor,
        "print_letter_batch",
        "notifications.print_letters",
    )


def test_a_served_letter_is_delivered_with_its_service_recorded(
    printed: LetterBatch, letter_staff: LetterStaff, now: datetime
) -> None:
    letter = OutboxMessage.objects.get(provider_message_id=f"{BATCH_NO}-p1")
    served_at = now + timedelta(hours=3)
    recorded_at = now + timedelta(hours=5)

    service = record_letter_served(
        actor=letter_staff.station_inspector,
        message=letter,
        method=ServiceMethod.IN_PERSON,
        receiver_name=" 张三 ",
        served_at=served_at,
        note="本人签收",
        now=recorded_at,
    )

    service.refresh_from_db()
    assert (
        service.message_id,
        service.served_at,
        service.served_by,
        service.method,
        service.receiver_name,
        service.note,
        service.recorded_at,
    ) == (letter.pk, served_at, letter_staff.station_inspector, "in_person", "张三", "本人签收", recorded_at)
    letter.refresh_from_db()
    assert (letter.state, letter.receipt_at, letter.finished_at) == (
        MessageState.DELIVERED,
        served_at,
        recorded_at,
    )
    assert _history(letter) == [
        ("", MessageState.QUEUED, ""),
        (MessageState.QUEUED, MessageState.SENT, f"printed in batch {BATCH_NO} as {BATCH_NO}-p1"),
        (MessageState.SENT, MessageState.DELIVERED, "served (in_person)"),
    ]
    event = AuditEvent.objects.get(action="record_letter_served")
    assert (event.actor, event.object_id, event.changes) == (
        letter_staff.station_inspector,
        str(letter.pk),
        {
            "page": f"{BATCH_NO}-p1",
            "method": "in_person",
            "served_at": served_at.isoformat(),
            "receiver_name": "张三",
        },
    )


def _serve(*, actor: Any, message: OutboxMessage, served_at: datetime, now: datetime, **changes: Any) -> None:
    record_letter_served(
        actor=actor,
        message=message,
        method=changes.get("method", ServiceMethod.POSTED),
        receiver_name=changes.get("receiver_name", ""),
        served_at=served_at,
        note="",
        now=now,
    )


def test_a_letter_is_recorded_served_once(
    printed: LetterBatch, letter_staff: LetterStaff, now: datetime
) -> None:
    letter = OutboxMessage.objects.get(provider_message_id=f"{BATCH_NO}-p1")
    _serve(actor=letter_staff.station_inspector, message=letter, served_at=now, now=now)
    before = _snapshot()

    with pytest.raises(LetterAlreadyServed) as refusal:
        _serve(actor=letter_staff.county_cashier, message=letter, served_at=now, now=now + timedelta(hours=1))

    assert (
        refusal.value.message("en")
        == f"Letter #{letter.pk} was already recorded as served on 2025-03-10 09:30."
    )
    assert _snapshot() == before


def test_service_of_what_is_no_printed_letter_or_at_an_impossible_time_is_refused(
    printed: LetterBatch,
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    letter = OutboxMessage.objects.get(provider_message_id=f"{BATCH_NO}-p1")
    (queued_letter,) = _arrears_letters(
        make=letter_recipient_factory, org_tree=org_tree, now=now, numbers_by_unit={"station": [7]}
    )
    (sms,) = notify(
        event="outage_notice",
        recipients=[
            letter_recipient_factory(8, org_unit=org_tree.station, consents=frozenset({ChannelKind.SMS}))
        ],
        context=OUTAGE_CONTEXT,
        now=now,
        dedupe_key="o-1",
    )
    inspector = letter_staff.station_inspector
    before = _snapshot()
    refusals = [
        (NotALetter, {"message": sms, "served_at": now}),
        (LetterNotPrinted, {"message": queued_letter, "served_at": now}),
        (ServedInFuture, {"message": letter, "served_at": now + timedelta(minutes=1)}),
        (ServedBeforePrinted, {"message": letter, "served_at": now - timedelta(minutes=1)}),
        (
            ReceiverNameRequired,
            {"message": letter, "served_at": now, "method": ServiceMethod.IN_PERSON, "receiver_name": " "},
        ),
    ]

    for error, arguments in refusals:
        with pytest.raises(error):
            _serve(actor=inspector, now=now, **arguments)

    assert _snapshot() == before


def test_serving_a_letter_of_another_station_or_without_the_permission_is_refused(
    printed: LetterBatch, letter_staff: LetterStaff, now: datetime
) -> None:
    letter = OutboxMessage.objects.get(provider_message_id=f"{BATCH_NO}-p1")
    before = _snapshot()

    with pytest.raises(OutsideOrgScope):
        _serve(actor=letter_staff.other_station_inspector, message=letter, served_at=now, now=now)
    with pytest.raises(PermissionMissing):
        _serve(actor=letter_staff.station_reader, message=letter, served_at=now, now=now)

    assert _snapshot() == before
    assert [
        (event.actor.username, event.changes["reason"])
        for event in AuditEvent.objects.filter(action="deny_permission").order_by("sequence")
    ] == [("inspector_o", "outside_org_scope"), ("reader_s", "permission_missing")]


def test_a_legally_required_notice_reaches_an_opted_out_recipient_by_letter(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    recipient = letter_recipient_factory(1, org_unit=org_tree.station, consents=frozenset())
    opt_out(recipient_key=recipient.key, address="", channel=None, source="counter", now=now)

    outage = notify(
        event="outage_notice", recipients=[recipient], context=OUTAGE_CONTEXT, now=now, dedupe_key="o"
    )
    arrears = notify(
        event="arrears_notice", recipients=[recipient], context=ARREARS_CONTEXT, now=now, dedupe_key="a"
    )
    batch = print_letter_batch(actor=letter_staff.station_cashier, org_unit=org_tree.station, now=now)

    assert outage == []
    assert [(message.channel, message.address) for message in arrears] == [
        (ChannelKind.LETTER, "济南市历下区泉城路1号\n客户1 收")
    ]
    assert (batch.batch_no, batch.letter_count, pdf_page_count(bytes(batch.pdf))) == (
        "37010201-20250310-0001",
        1,
        1,
    )
    assert OutboxMessage.objects.get(pk=arrears[0].pk).state == MessageState.SENT


def test_an_unserved_letter_is_followed_by_the_next_step_and_a_late_service_still_counts(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    (letter,) = notify(
        event="outage_notice",
        recipients=[letter_recipient_factory(1, org_unit=org_tree.station)],
        context=OUTAGE_CONTEXT,
        now=now,
        dedupe_key="o",
    )
    print_letter_batch(actor=letter_staff.station_cashier, org_unit=org_tree.station, now=now)
    letter.refresh_from_db()
    overdue = now + timedelta(minutes=OUTAGE_LETTER_MINUTES)

    assert letter.receipt_due_at == overdue
    dispatch_due_messages(adapters={}, now=overdue)
    letter.refresh_from_db()
    fallback = OutboxMessage.objects.get(fallback_of=letter)
    record_letter_served(
        actor=letter_staff.station_inspector,
        message=letter,
        method=ServiceMethod.LEFT_AT_PREMISES,
        receiver_name="",
        served_at=overdue + timedelta(hours=1),
        note="拒签，留置",
        now=overdue + timedelta(hours=2),
    )

    assert (fallback.channel, fallback.state) == (ChannelKind.SMS, MessageState.QUEUED)
    letter.refresh_from_db()
    assert [row[:2] for row in _history(letter)] == [
        ("", MessageState.QUEUED),
        (MessageState.QUEUED, MessageState.SENT),
        (MessageState.SENT, MessageState.EXPIRED),
        (MessageState.EXPIRED, MessageState.DELIVERED),
    ]


def test_the_pdf_download_is_the_printed_file_and_is_recorded_as_an_export(
    printed: LetterBatch, letter_staff: LetterStaff, org_tree: Any, now: datetime
) -> None:
    pdf = export_letter_batch(actor=letter_staff.county_cashier, batch=printed, now=now)

    assert hashlib.sha256(pdf).hexdigest() == printed.pdf_sha256
    event = AuditEvent.objects.get(action="export_letter_batch")
    assert (event.actor, event.object_id, event.changes) == (
        letter_staff.county_cashier,
        str(printed.pk),
        {"batch_no": BATCH_NO, "letters": 2, "pdf_sha256": printed.pdf_sha256},
    )
    with pytest.raises(OutsideOrgScope):
        export_letter_batch(actor=letter_staff.station_cashier, batch=printed, now=now)
    assert AuditEvent.objects.filter(action="export_letter_batch").count() == 1
