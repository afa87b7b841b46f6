"""The SMPP path survives crashes and hears replies: client references deduplicate resubmits,
receipts of a dead session arrive on the next bind, and customer replies (退订) come out of the
adapter apart from receipts. Real adapter against the bundled SMSC simulator in a thread."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import smpplib.client
import smpplib.consts

from gridcare.notifications.channels.base import ChannelKind, ChannelUnavailable, OutgoingMessage
from gridcare.notifications.channels.smpp import CLIENT_REFERENCE_TAG, SmppAdapter, SmppSettings, sms_parts
from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator

from .conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[3]
Start = Callable[[FailureRules], SmscSimulator]

LONG_TEXT = "尊敬的客户：因10千伏线路检修，您所在区域将于明日08:00至18:00停电，请提前做好准备。" * 4


def adapter_for(
    simulator: SmscSimulator, *, system_id: str = "gridcare", tag: int | None = CLIENT_REFERENCE_TAG
) -> SmppAdapter:
    return SmppAdapter(
        settings=SmppSettings(
            host="127.0.0.1",
            port=simulator.port,
            system_id=system_id,
            password="pw",
            source_address="95598",
            timeout_seconds=5,
            client_reference_tag=tag,
        )
    )


def sms(*, message_id: str, body: str, recipient: str = "8613800000001") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id, channel=ChannelKind.SMS, recipient=recipient, subject="", body=body
    )


def wait_until_unbound(simulator: SmscSimulator, *, system_id: str = "gridcare") -> None:
    """The simulator has noticed that the sessions of ``system_id`` ended (a killed client's
    socket closing)."""
    deadline = time.monotonic() + 5
    while system_id in simulator.bound_system_ids():
        assert time.monotonic() < deadline, f"the simulator still holds a session of {system_id}"
        time.sleep(0.01)


def submit_and_die(simulator: SmscSimulator, *, text: bytes) -> str:
    """A worker that binds, submits one SMS asking for a receipt, reads the submit_sm_resp and
    is killed: its socket closes without unbinding and without reading the receipt."""
    client = smpplib.client.Client("127.0.0.1", simulator.port, timeout=5, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="gridcare", password="pw")
    submit = client.send_message(
        source_addr="95598",
        destination_addr="8613800000001",
        short_message=text,
        registered_delivery=smpplib.consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
    )
    response = client.read_pdu()
    assert (response.command, response.sequence) == ("submit_sm_resp", submit.sequence)
    client.disconnect()
    wait_until_unbound(simulator)
    return response.message_id.decode()


# -- client reference ----------------------------------------------------------------------------
def test_a_resubmitted_sms_gets_its_original_id_and_is_delivered_once(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    crashed = adapter_for(simulator)
    first = crashed.send(sms(message_id="41", body="您的电费账单已出。"))
    # The worker dies before recording the send (and before reading the receipt).
    crashed.close()
    wait_until_unbound(simulator)
    restarted = adapter_for(simulator)
    try:
        again = restarted.send(sms(message_id="41", body="您的电费账单已出。"))
        receipts = restarted.collect_receipts(wait_seconds=2)
    finally:
        restarted.close()

    assert (first.accepted, first.provider_message_id) == (True, "0000000001")
    assert (again.accepted, again.provider_message_id) == (True, "0000000001")
    [received] = simulator.received_messages()
    assert (received.text, received.message_ids, received.client_references) == (
        "您的电费账单已出。",
        ["0000000001"],
        ["41:1/1"],
    )
    assert simulator.duplicate_submissions() == ["41:1/1"]
    # The receipt of the first submit, kept for the dead session, is the message's one receipt.
    assert [(receipt.provider_message_id, receipt.delivered) for receipt in receipts] == [
        ("0000000001", True)
    ]


def test_a_long_message_cut_off_mid_submit_is_resent_part_by_part_without_duplicates(
    smsc_factory: Start,
) -> None:
    simulator = smsc_factory(FailureRules())
    simulator.lose_response_to_submit(number=2)
    adapter = adapter_for(simulator)
    try:
        with pytest.raises(ChannelUnavailable, match="connection lost"):
            adapter.send(sms(message_id="m-long", body=LONG_TEXT))
        assert simulator.received_messages() == []
        # The outbox keeps the message queued and the next dispatch sends it again.
        result = adapter.send(sms(message_id="m-long", body=LONG_TEXT))
        receipts = adapter.collect_receipts(wait_seconds=2)
    finally:
        adapter.close()

    assert (result.accepted, result.provider_message_id) == (True, "0000000001")
    [received] = simulator.received_messages()
    assert received.text == LONG_TEXT
    assert received.message_ids == ["0000000001", "0000000002", "0000000003"]
    assert received.client_references == ["m-long:1/3", "m-long:2/3", "m-long:3/3"]
    # Part 1 was answered before the cut, part 2 was taken but its answer lost: both resent,
    # both recognised; part 3 is sent once.
    assert simulator.duplicate_submissions() == ["m-long:1/3", "m-long:2/3"]
    assert [(receipt.provider_message_id, receipt.delivered) for receipt in receipts] == [
        ("0000000001", True)
    ]


def test_without_a_client_reference_a_resubmit_is_sent_twice(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator, tag=None)
    try:
        first = adapter.send(sms(message_id="41", body="停电通知"))
        second = adapter.send(sms(message_id="41", body="停电通知"))
    finally:
        adapter.close()

    assert (first.provider_message_id, second.provider_message_id) == ("0000000001", "0000000002")
    assert [message.client_references for message in simulator.received_messages()] == [[""], [""]]
    assert simulator.duplicate_submissions() == []


def test_a_gateway_that_does_not_know_the_tag_ignores_it_and_delivers_at_least_once(
    smsc_factory: Start,
) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator, tag=0x1402)
    try:
        first = adapter.send(sms(message_id="41", body="停电通知"))
        second = adapter.send(sms(message_id="41", body="停电通知"))
        receipts = adapter.collect_receipts(wait_seconds=2)
    finally:
        adapter.close()

    assert (first.provider_message_id, second.provider_message_id) == ("0000000001", "0000000002")
    assert [message.text for message in simulator.received_messages()] == ["停电通知", "停电通知"]
    assert simulator.duplicate_submissions() == []
    assert sorted(receipt.provider_message_id for receipt in receipts) == ["0000000001", "0000000002"]


def test_the_client_reference_tag_must_be_a_vendor_specific_tag() -> None:
    with pytest.raises(ValueError, match=r"0x0204 is not a vendor-specific TLV tag \(0x1400-0x3FFF\)"):
        SmppSettings(
            host="127.0.0.1",
            port=2775,
            system_id="gridcare",
            password="pw",
            source_address="95598",
            client_reference_tag=0x0204,
        )


def test_a_long_text_is_split_the_same_way_every_time_and_never_inside_a_surrogate_pair() -> None:
    text = "电" * 66 + "😀" + "费" * 60  # the emoji's 4 bytes would straddle the 134-byte boundary
    parts, esm_class = sms_parts(text=text, message_id="m-emoji")
    again, _ = sms_parts(text=text, message_id="m-emoji")

    reference = hashlib.sha256(b"m-emoji").digest()[0]
    assert esm_class == smpplib.consts.SMPP_GSMFEAT_UDHI
    assert again == parts
    assert [part[:6] for part in parts] == [
        bytes((5, 0, 3, reference, 2, 1)),
        bytes((5, 0, 3, reference, 2, 2)),
    ]
    assert [part[6:].decode("utf-16-be") for part in parts] == ["电" * 66, "😀" + "费" * 60]


# -- receipts store and forward ------------------------------------------------------------------
def test_receipts_of_a_killed_session_arrive_on_the_next_bind_of_its_system_id(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    message_id = submit_and_die(simulator, text=b"bill ready")
    other_system = adapter_for(simulator, system_id="billing")
    restarted = adapter_for(simulator)
    later = adapter_for(simulator)
    try:
        other_receipts = other_system.collect_receipts(wait_seconds=0)
        receipts = restarted.collect_receipts(wait_seconds=0)
        restarted.acknowledge()  # recorded
        restarted.close()
        wait_until_unbound(simulator)
        later_receipts = later.collect_receipts(wait_seconds=0)
    finally:
        other_system.close()
        restarted.close()
        later.close()

    assert message_id == "0000000001"
    assert other_receipts == []
    assert [(receipt.provider_message_id, receipt.delivered, receipt.error) for receipt in receipts] == [
        ("0000000001", True, "")
    ]
    # Answered by the restarted worker: not sent again.
    assert later_receipts == []
    assert restarted.take_incoming_messages() == []


def test_receipts_read_but_not_acknowledged_are_sent_again_to_the_next_session(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    first = adapter_for(simulator)
    second = adapter_for(simulator)
    try:
        sent = first.send(sms(message_id="5", body="停电通知"))
        read_by_the_first = first.collect_receipts(wait_seconds=2)
        first.close()  # dies before recording them: nothing acknowledged
        wait_until_unbound(simulator)
        read_again = second.collect_receipts(wait_seconds=0)
        second.acknowledge()
        second.close()
        wait_until_unbound(simulator)
        third = adapter_for(simulator)
        after_acknowledging = third.collect_receipts(wait_seconds=0)
        third.close()
    finally:
        first.close()
        second.close()

    expected = [(sent.provider_message_id, True)]
    assert [(r.provider_message_id, r.delivered) for r in read_by_the_first] == expected
    assert [(r.provider_message_id, r.delivered) for r in read_again] == expected
    assert after_acknowledging == []


# -- incoming messages ---------------------------------------------------------------------------
def test_a_reply_to_a_bound_session_comes_out_as_an_incoming_message_not_a_receipt(
    smsc_factory: Start,
) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    try:
        assert adapter.collect_receipts(wait_seconds=0) == []  # binds
        before = datetime.now(tz=UTC)
        simulator.inject_incoming(source="8613800000005", text="退订")
        receipts = adapter.collect_receipts(wait_seconds=0)
        after = datetime.now(tz=UTC)
        [incoming] = adapter.take_incoming_messages()
        taken_again = adapter.take_incoming_messages()
    finally:
        adapter.close()

    assert receipts == []
    assert (incoming.sender, incoming.text) == ("8613800000005", "退订")
    assert before <= incoming.received_at <= after
    assert taken_again == []


def test_a_reply_read_while_sending_is_kept_apart_from_the_receipt(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    adapter = adapter_for(simulator)
    try:
        adapter.collect_receipts(wait_seconds=0)
        simulator.inject_incoming(source="8613800000006", text="退订")
        result = adapter.send(sms(message_id="7", body="欠费提醒"))
        during_send = [(message.sender, message.text) for message in adapter.take_incoming_messages()]
        receipts = adapter.collect_receipts(wait_seconds=2)
        after_collect = adapter.take_incoming_messages()
    finally:
        adapter.close()

    assert during_send == [("8613800000006", "退订")]
    assert [(receipt.provider_message_id, receipt.delivered) for receipt in receipts] == [
        (result.provider_message_id, True)
    ]
    assert after_collect == []


@pytest.mark.parametrize(
    ("data_coding", "text"),
    [(8, "退订"), (15, "退订"), (0, "TD")],
    ids=["ucs2", "gbk", "default-alphabet"],
)
def test_a_reply_sent_while_no_session_is_bound_arrives_on_the_next_bind(
    smsc_factory: Start, data_coding: int, text: str
) -> None:
    simulator = smsc_factory(FailureRules())
    simulator.inject_incoming(source="8613800000007", text=text, data_coding=data_coding)
    adapter = adapter_for(simulator)
    try:
        receipts = adapter.collect_receipts(wait_seconds=0)
        incoming = adapter.take_incoming_messages()
    finally:
        adapter.close()

    assert receipts == []
    assert [(message.sender, message.text) for message in incoming] == [("8613800000007", text)]


def test_a_reply_left_unanswered_by_a_killed_session_is_sent_again(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules())
    killed = smpplib.client.Client("127.0.0.1", simulator.port, timeout=5, allow_unknown_opt_params=True)
    killed.connect()
    killed.bind_transceiver(system_id="gridcare", password="pw")
    simulator.inject_incoming(source="8613800000008", text="退订")
    killed.disconnect()
    wait_until_unbound(simulator)
    adapter = adapter_for(simulator)
    try:
        adapter.collect_receipts(wait_seconds=0)
        incoming = adapter.take_incoming_messages()
    finally:
        adapter.close()

    assert [(message.sender, message.text) for message in incoming] == [("8613800000008", "退订")]


def test_a_receipt_is_not_taken_for_a_reply(smsc_factory: Start) -> None:
    simulator = smsc_factory(FailureRules(sms_fail_last_digits=frozenset({"9"})))
    adapter = adapter_for(simulator)
    try:
        adapter.send(sms(message_id="1", body="停电通知", recipient="8613800000001"))
        adapter.send(sms(message_id="2", body="停电通知", recipient="8613800000009"))
        receipts = adapter.collect_receipts(wait_seconds=2)
        incoming = adapter.take_incoming_messages()
    finally:
        adapter.close()

    assert sorted((receipt.provider_message_id, receipt.delivered) for receipt in receipts) == [
        ("0000000001", True),
        ("0000000002", False),
    ]
    assert incoming == []


# -- the smsc_simulator command ------------------------------------------------------------------
def test_the_smsc_simulator_command_logs_a_duplicate_submit() -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "gridcare", "smsc_simulator", "--port", str(port)],
        env={
            **os.environ,
            "PYTHONPATH": str(REPOSITORY / "src"),
            "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, "the simulator exited"
                assert time.monotonic() < deadline, "the simulator did not start within 30 seconds"
                time.sleep(0.1)
        settings = SmppSettings(
            host="127.0.0.1", port=port, system_id="gridcare", password="pw", source_address="95598"
        )
        for _attempt in range(2):
            adapter = SmppAdapter(settings=settings)
            try:
                adapter.send(sms(message_id="41", body="停电通知"))
            finally:
                adapter.close()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)

    assert (
        "Duplicate submit_sm from gridcare (client reference 41:1/1) answered with its id 0000000001"
        in output
    )
