"""The SMPP adapter against the bundled SMSC simulator: ids, receipts, failures, MMS, long text."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import pytest

from gridcare.notifications.channels.base import ChannelKind, ChannelUnavailable, OutgoingMessage
from gridcare.notifications.channels.smpp import SmppAdapter, SmppSettings, parse_receipt_text
from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator

from .conftest import free_port

Start = Callable[[FailureRules], SmscSimulator]


def adapter_for(simulator: SmscSimulator, *, kind: ChannelKind = ChannelKind.SMS) -> SmppAdapter:
    return SmppAdapter(
        kind=kind,
        settings=SmppSettings(
            host="127.0.0.1",
            port=simulator.port,
            system_id="gridcare",
            password="pw",
            source_address="95598",
            timeout_seconds=5,
        ),
    )


def sms(
    *, message_id: str, recipient: str, body: str, kind: ChannelKind = ChannelKind.SMS
) -> OutgoingMessage:
    return OutgoingMessage(message_id=message_id, channel=kind, recipient=recipient, subject="", body=body)


def test_an_sms_is_accepted_with_the_smsc_id_and_its_delivered_receipt_arrives(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    try:
        result = adapter.send(
            sms(message_id="m-1", recipient="8613800000001", body="您的电费账单已出，请及时缴纳。")
        )
        receipts = adapter.collect_receipts(wait_seconds=2)
    finally:
        adapter.close()

    assert result.accepted is True
    assert result.provider_message_id == "0000000001"
    assert [(receipt.provider_message_id, receipt.delivered, receipt.error) for receipt in receipts] == [
        ("0000000001", True, "")
    ]
    [received] = simulator.received_messages()
    assert (received.system_id, received.destination, received.source, received.is_mms) == (
        "gridcare",
        "8613800000001",
        "95598",
        False,
    )
    assert received.text == "您的电费账单已出，请及时缴纳。"


def test_a_failing_number_gets_an_undeliverable_receipt(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules(sms_fail_last_digits=frozenset({"9"})))
    adapter = adapter_for(simulator)
    try:
        failing = adapter.send(sms(message_id="m-1", recipient="8613800000009", body="停电通知"))
        passing = adapter.send(sms(message_id="m-2", recipient="8613800000008", body="停电通知"))
        receipts = adapter.collect_receipts(wait_seconds=2)
    finally:
        adapter.close()

    assert (failing.accepted, passing.accepted) == (True, True)
    outcomes = {receipt.provider_message_id: (receipt.delivered, receipt.error) for receipt in receipts}
    assert outcomes == {
        failing.provider_message_id: (False, "UNDELIV err:001"),
        passing.provider_message_id: (True, ""),
    }


def test_a_long_chinese_sms_is_split_into_ucs2_parts_and_reassembled(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    text = (
        "尊敬的客户：因10千伏线路检修，您所在区域将于明日08:00至18:00停电，请提前做好准备。" * 4
    )  # 176 characters
    try:
        result = adapter.send(sms(message_id="m-long", recipient="8613800000002", body=text))
        receipts = adapter.collect_receipts(wait_seconds=2)
    finally:
        adapter.close()

    [received] = simulator.received_messages()
    # 176 UCS-2 characters = 352 bytes; 134 bytes of text per part after the 6-byte UDH: 3 parts.
    assert received.message_ids == ["0000000001", "0000000002", "0000000003"]
    assert received.text == text
    assert result.provider_message_id == "0000000001"
    # One receipt for the message, once every part has been delivered.
    assert [(receipt.provider_message_id, receipt.delivered) for receipt in receipts] == [
        ("0000000001", True)
    ]


def test_mms_fails_for_the_same_third_of_numbers_every_time(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules(mms_fail_one_in=3))
    adapter = adapter_for(simulator, kind=ChannelKind.MMS)
    numbers = [f"86139{index:08d}" for index in range(60)]
    expected_failures = {
        number
        for number in numbers
        if int.from_bytes(hashlib.sha256(number.encode()).digest()[:8], "big") % 3 == 0
    }
    try:
        sent = {
            adapter.send(
                sms(message_id=f"mms-{number}", recipient=number, body="会员活动邀请", kind=ChannelKind.MMS)
            ).provider_message_id: number
            for number in numbers
        }
        receipts = adapter.collect_receipts(wait_seconds=3)
    finally:
        adapter.close()

    failed_numbers = {sent[receipt.provider_message_id] for receipt in receipts if not receipt.delivered}
    assert len(receipts) == 60
    assert failed_numbers == expected_failures
    # About a third in expectation (27 of these 60): the hash decides, the same numbers every run.
    assert len(expected_failures) == 27
    assert all(message.is_mms for message in simulator.received_messages())


def test_sms_to_a_number_whose_mms_fails_is_delivered(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules(mms_fail_last_digits=frozenset({"7"})))
    mms_adapter = adapter_for(simulator, kind=ChannelKind.MMS)
    sms_adapter = adapter_for(simulator)
    try:
        mms_adapter.send(
            sms(message_id="x-mms", recipient="8613800000007", body="活动", kind=ChannelKind.MMS)
        )
        mms_receipts = mms_adapter.collect_receipts(wait_seconds=2)
        sms_adapter.send(sms(message_id="x-sms", recipient="8613800000007", body="活动"))
        sms_receipts = sms_adapter.collect_receipts(wait_seconds=2)
    finally:
        mms_adapter.close()
        sms_adapter.close()

    assert [receipt.delivered for receipt in mms_receipts] == [False]
    assert [receipt.delivered for receipt in sms_receipts] == [True]
    assert [(message.is_mms, message.delivered) for message in simulator.received_messages()] == [
        (True, False),
        (False, True),
    ]


def test_a_simulator_that_is_down_makes_the_channel_unavailable() -> None:
    adapter = SmppAdapter(
        settings=SmppSettings(
            host="127.0.0.1", port=free_port(), system_id="gridcare", password="pw", source_address="95598"
        )
    )
    with pytest.raises(ChannelUnavailable, match="unavailable"):
        adapter.send(sms(message_id="m-1", recipient="8613800000001", body="测试"))


def test_a_simulator_stopped_mid_session_makes_the_next_send_unavailable(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    adapter.send(sms(message_id="m-1", recipient="8613800000001", body="第一条"))
    simulator.stop()

    with pytest.raises(ChannelUnavailable):
        adapter.send(sms(message_id="m-2", recipient="8613800000001", body="第二条"))
    assert [message.text for message in simulator.received_messages()] == ["第一条"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id:0000000001 sub:001 dlvrd:001 submit date:2611290800 done date:2611290801 "
            "stat:DELIVRD err:000 text:",
            ("0000000001", "DELIVRD", "000"),
        ),
        (
            "id:AB12 sub:001 dlvrd:000 submit date:2611290800 done date:2611290801 "
            "stat:UNDELIV err:001 text:x",
            ("AB12", "UNDELIV", "001"),
        ),
        ("id:7 stat:EXPIRED", ("7", "EXPIRED", "")),
    ],
)
def test_receipt_texts_are_parsed(text: str, expected: tuple[str, str, str]) -> None:
    parsed = parse_receipt_text(text)
    assert parsed is not None
    assert (parsed.message_id, parsed.status, parsed.error_code) == expected


def test_a_text_that_is_no_receipt_is_not_parsed() -> None:
    assert parse_receipt_text("退订") is None


def test_collecting_receipts_binds_a_new_session_and_returns_at_once_when_none_are_outstanding(
    smsc_factory: Start,
) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    try:
        started = time.monotonic()
        receipts = adapter.collect_receipts(wait_seconds=5)
        elapsed = time.monotonic() - started
    finally:
        adapter.close()

    assert receipts == []
    assert elapsed < 1


def test_collecting_receipts_from_a_simulator_that_is_down_makes_the_channel_unavailable() -> None:
    adapter = SmppAdapter(
        settings=SmppSettings(
            host="127.0.0.1", port=free_port(), system_id="gridcare", password="pw", source_address="95598"
        )
    )
    with pytest.raises(ChannelUnavailable, match="unavailable"):
        adapter.collect_receipts(wait_seconds=1)


def test_a_text_longer_than_255_parts_is_refused_without_contacting_the_smsc(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    try:
        result = adapter.send(sms(message_id="m-huge", recipient="8613800000001", body="电" * 67 * 256))
    finally:
        adapter.close()

    assert (result.accepted, result.error) == (False, "Text too long for SMS: more than 255 parts.")
    assert simulator.received_messages() == []
