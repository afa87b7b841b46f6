"""Writing the outbox: consent, opt-outs and the legally-required exception, deduplication,
quiet hours, languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import signing

from gridcare.audit.models import AuditEvent
from gridcare.jobs.models import JobRun
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.errors import ContextIncomplete, UnsubscribeTokenInvalid
from gridcare.notifications.models import MessageEvent, OutboxMessage, RecipientOptOut
from gridcare.notifications.operations import (
    next_send_time,
    notify,
    opt_out,
    opt_out_by_token,
    record_sms_reply,
)

from .conftest import BILL_CONTEXT, Policies, RecipientFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ARREARS_CONTEXT = BILL_CONTEXT | {"disconnect_date": "2025-04-01"}


def _channels(messages: list[OutboxMessage]) -> list[tuple[str, str]]:
    return [(message.recipient_key, message.channel) for message in messages]


def test_each_recipient_gets_the_channels_it_consents_to(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    recipients = [
        recipient_factory(1),
        recipient_factory(2, consents=frozenset({ChannelKind.SMS})),
        recipient_factory(3, consents=frozenset()),
    ]

    written = notify(
        event="bill_reminder", recipients=recipients, context=BILL_CONTEXT, now=now, dedupe_key="2025-02"
    )

    assert _channels(written) == [("customer:1", "email"), ("customer:1", "sms"), ("customer:2", "sms")]
    sms = written[1]
    assert sms.body == "张三您好，户号3100000001本期电费128.50元，请于2025-03-25前缴纳。"
    assert (sms.address, sms.state, sms.send_after, sms.step_index) == ("13800000001", "queued", now, 0)
    assert sms.template is not None
    assert sms.template.version == 1
    assert list(MessageEvent.objects.filter(message=sms).values_list("from_state", "to_state")) == [
        ("", "queued")
    ]
    audit = AuditEvent.objects.get(action="notify")
    assert audit.changes == {"event": "bill_reminder", "policy_version": 1, "recipients": 3, "messages": 3}


def test_email_carries_an_unsubscribe_link_that_opts_out(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    written = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1)],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="k",
    )
    email = next(message for message in written if message.channel == "email")
    link = email.context["unsubscribe_url"]
    assert email.context == BILL_CONTEXT | {"unsubscribe_url": link}
    assert link.startswith("http://localhost:8000/notifications/unsubscribe/")
    assert link.endswith("/")
    token = link.removeprefix("http://localhost:8000/notifications/unsubscribe/").removesuffix("/")
    assert signing.loads(token, salt="gridcare.notifications.unsubscribe") == {
        "recipient": "customer:1",
        "channel": "email",
    }

    refusal = opt_out_by_token(token=token, now=now)

    assert (refusal.recipient_key, refusal.channel, refusal.source) == (
        "customer:1",
        "email",
        "unsubscribe_link",
    )
    later = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1)],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="k2",
    )
    assert _channels(later) == [("customer:1", "sms")]
    with pytest.raises(UnsubscribeTokenInvalid):
        opt_out_by_token(token=token[:-2] + "xx", now=now)
    assert RecipientOptOut.objects.count() == 1


def test_an_sms_reply_of_tuiding_opts_the_mobile_out_but_not_of_legally_required_notices(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    assert record_sms_reply(mobile="13800000001", text="你好", now=now) is False
    assert record_sms_reply(mobile="13800000001", text=" 退订 ", now=now) is True

    bill = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1)],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="b",
    )
    arrears = notify(
        event="arrears_notice",
        recipients=[recipient_factory(1)],
        context=ARREARS_CONTEXT,
        now=now,
        dedupe_key="a",
    )

    assert _channels(bill) == [("customer:1", "email")]
    assert _channels(arrears) == [("customer:1", "sms")]
    assert policies.arrears_notice.legally_required is True


def test_an_opted_out_recipient_gets_only_legally_required_notices(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    opt_out(recipient_key="customer:1", address="", channel=None, source="service_desk", now=now)
    recipient = recipient_factory(1)

    bill = notify(
        event="bill_reminder", recipients=[recipient], context=BILL_CONTEXT, now=now, dedupe_key="b"
    )
    arrears = notify(
        event="arrears_notice", recipients=[recipient], context=ARREARS_CONTEXT, now=now, dedupe_key="a"
    )

    assert bill == []
    assert _channels(arrears) == [("customer:1", "sms")]
    assert arrears[0].body == "张三：户号3100000001欠费128.50元，将于2025-04-01停电。"


def test_the_same_event_recipient_and_key_gives_one_message(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    recipient = recipient_factory(1, consents=frozenset({ChannelKind.SMS}))
    notify(event="bill_reminder", recipients=[recipient], context=BILL_CONTEXT, now=now, dedupe_key="2025-02")

    again = notify(
        event="bill_reminder",
        recipients=[recipient, recipient],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="2025-02",
    )
    other_month = notify(
        event="bill_reminder", recipients=[recipient], context=BILL_CONTEXT, now=now, dedupe_key="2025-03"
    )

    assert again == []
    assert len(other_month) == 1
    assert OutboxMessage.objects.filter(recipient_key="customer:1").count() == 2


def test_a_missing_variable_is_refused_and_writes_nothing(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    with pytest.raises(ContextIncomplete) as refusal:
        notify(
            event="bill_reminder",
            recipients=[recipient_factory(1)],
            context={"amount": "1"},
            now=now,
            dedupe_key="x",
        )
    assert refusal.value.message("en") == (
        'The event "bill_reminder" is missing the variables: account_no, customer_name, due_date.'
    )
    assert OutboxMessage.objects.count() == 0


def test_english_recipients_get_the_english_template_and_others_fall_back_to_chinese(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    written = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1, language="en")],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="x",
    )
    email, sms = written
    assert sms.body == "Dear 张三, account 3100000001 owes 128.50 yuan by 2025-03-25."
    assert (sms.language, email.language) == ("en", "zh-hans")


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (datetime(2025, 3, 10, 20, 59, tzinfo=SHANGHAI), datetime(2025, 3, 10, 20, 59, tzinfo=SHANGHAI)),
        (datetime(2025, 3, 10, 21, 0, tzinfo=SHANGHAI), datetime(2025, 3, 11, 8, 0, tzinfo=SHANGHAI)),
        (datetime(2025, 3, 11, 2, 15, tzinfo=SHANGHAI), datetime(2025, 3, 11, 8, 0, tzinfo=SHANGHAI)),
        (datetime(2025, 3, 11, 8, 0, tzinfo=SHANGHAI), datetime(2025, 3, 11, 8, 0, tzinfo=SHANGHAI)),
    ],
)
def test_quiet_hours_hold_non_urgent_messages_until_eight(local_time: datetime, expected: datetime) -> None:
    assert next_send_time(now=local_time, urgent=False) == expected
    assert next_send_time(now=local_time, urgent=True) == local_time


def test_a_late_evening_bill_reminder_waits_and_a_disconnection_notice_does_not(
    policies: Policies, recipient_factory: RecipientFactory
) -> None:
    evening = datetime(2025, 3, 10, 22, 30, tzinfo=SHANGHAI)
    recipient = recipient_factory(1, consents=frozenset({ChannelKind.SMS}))

    bill = notify(
        event="bill_reminder", recipients=[recipient], context=BILL_CONTEXT, now=evening, dedupe_key="b"
    )
    arrears = notify(
        event="arrears_notice", recipients=[recipient], context=ARREARS_CONTEXT, now=evening, dedupe_key="a"
    )

    assert bill[0].send_after == datetime(2025, 3, 11, 8, 0, tzinfo=SHANGHAI)
    assert arrears[0].send_after == evening
    assert evening + timedelta(hours=9, minutes=30) == bill[0].send_after


def test_a_burst_of_notifications_wakes_one_dispatch_run(
    policies: Policies,
    recipient_factory: RecipientFactory,
    now: datetime,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for number in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                event="bill_reminder",
                recipients=[recipient_factory(number)],
                context=BILL_CONTEXT,
                now=now,
                dedupe_key="burst",
            )
    assert list(JobRun.objects.values_list("task_path", "status")) == [
        ("gridcare.notifications.tasks.dispatch_notifications", "READY")
    ]


def test_a_repeated_opt_out_reply_from_an_international_number_opts_the_mobile_out_once(
    now: datetime,
) -> None:
    assert record_sms_reply(mobile="8613800000005", text=" 退订 ", now=now)
    assert record_sms_reply(mobile="+8613800000005", text="TD", now=now)
    assert not record_sms_reply(mobile="95598", text="退订", now=now)
    assert not record_sms_reply(mobile="8613800000006", text="谢谢", now=now)
    assert sorted(RecipientOptOut.objects.values_list("address", "channel", "source")) == [
        ("13800000005", "mms", "sms_reply"),
        ("13800000005", "sms", "sms_reply"),
    ]
    assert AuditEvent.objects.filter(action="opt_out_of_notifications").count() == 2
