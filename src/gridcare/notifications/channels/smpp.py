"""SMS and MMS through an SMPP v3.4 gateway (SMSC), with delivery receipts (smpplib).

One adapter holds one ``bind_transceiver`` session, opened on first use and reopened after a
failure. Chinese text goes as UCS-2 (data_coding 8); text longer than one SMS is split into
parts with a concatenation UDH. Every part asks for a delivery receipt (registered_delivery=1);
receipts arrive as ``deliver_sm`` on the same session and :meth:`SmppAdapter.collect_receipts`
turns them into :class:`DeliveryReceipt` — one per message, keyed by the SMSC id of its first part.

MMS uses the same gateway: ``service_type`` ``"MMS"`` marks the submit as an MMS (the convention
the bundled simulator understands; docs/channels.md). SMPP has no idempotency key: a crash
between submit and recording can resend (at-least-once, documented).
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
from smpplib.command import Command

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)

MMS_SERVICE_TYPE = "MMS"
_RECEIPT_PATTERN = re.compile(
    r"\bid:(?P<id>\S+).*?\bstat:(?P<stat>[A-Z]+)(?:.*?\berr:(?P<err>\S+))?", re.DOTALL
)


@dataclass(frozen=True, kw_only=True)
class SmppSettings:
    """Where the SMSC is and how to bind to it."""

    host: str
    port: int
    system_id: str
    password: str
    source_address: str
    system_type: str = ""
    timeout_seconds: float = 10.0


@dataclass(frozen=True, kw_only=True)
class ParsedReceipt:
    """The fields of a delivery receipt's text (``id:... stat:DELIVRD err:000 ...``)."""

    message_id: str
    status: str
    error_code: str


def parse_receipt_text(text: str) -> ParsedReceipt | None:
    """Parse an SMSC delivery receipt's text; ``None`` when it is not a receipt."""
    match = _RECEIPT_PATTERN.search(text)
    if match is None:
        return None
    return ParsedReceipt(message_id=match["id"], status=match["stat"], error_code=match["err"] or "")


@dataclass(kw_only=True)
class _Submission:
    """The parts of one sent message whose receipts are still awaited."""

    first_part_id: str
    part_count: int
    awaited_part_ids: set[str] = field(default_factory=set)
    submitted_part_count: int = 0
    failures: list[str] = field(default_factory=list)


class SmppAdapter:
    """Sends SMS (or MMS, by ``kind``) to one SMSC over one transceiver session."""

    def __init__(self, *, settings: SmppSettings, kind: ChannelKind = ChannelKind.SMS) -> None:
        if kind not in {ChannelKind.SMS, ChannelKind.MMS}:
            raise ValueError(f"The SMPP adapter sends SMS or MMS, not {kind}.")
        self.kind = kind
        self._settings = settings
        self._client: smpplib.client.Client | None = None
        #: Messages sent through this adapter whose receipts are outstanding, by first part id.
        self._submissions: dict[str, _Submission] = {}
        self._part_owners: dict[str, _Submission] = {}
        self._forgotten_part_ids: set[str] = set()
        self._ready_receipts: list[DeliveryReceipt] = []

    # -- the ChannelAdapter interface --------------------------------------------------------
    def send(self, message: OutgoingMessage) -> SendResult:
        """Submit ``message`` (all its parts); the result carries the SMSC id of the first part."""
        text = self._text_of(message)
        try:
            parts, data_coding, esm_class = smpplib.gsm.make_parts(
                text, encoding=smpplib.consts.SMPP_ENCODING_ISO10646
            )
        except smpplib.exceptions.MessageTooLong:
            return SendResult(accepted=False, error="Text too long for SMS: more than 255 parts.")
        client = self._bound_client()
        submission: _Submission | None = None
        try:
            for number, part in enumerate(parts, start=1):
                pdu = client.send_message(
                    service_type=MMS_SERVICE_TYPE if self.kind is ChannelKind.MMS else "",
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr=self._settings.source_address,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=message.recipient,
                    short_message=part,
                    data_coding=data_coding,
                    esm_class=esm_class,
                    registered_delivery=smpplib.consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
                )
                response = self._await_response(client, sequence=pdu.sequence)
                if response.is_error():
                    if submission is not None:
                        # The message is refused as a whole: receipts of its earlier parts mean nothing.
                        self._forget(submission)
                    return SendResult(
                        accepted=False,
                        provider_message_id=submission.first_part_id if submission else "",
                        error=f"SMSC refused part {number}: status {response.status} "
                        f"({smpplib.consts.DESCRIPTIONS.get(response.status, 'unknown')})",
                    )
                part_id = _decoded(response.message_id)
                if submission is None:
                    submission = _Submission(first_part_id=part_id, part_count=len(parts))
                    self._submissions[part_id] = submission
                # Registered before the next read, so a receipt that overtakes later parts finds it.
                submission.awaited_part_ids.add(part_id)
                submission.submitted_part_count += 1
                self._part_owners[part_id] = submission
        except (OSError, smpplib.exceptions.ConnectionError) as error:
            self._drop_client()
            raise ChannelUnavailable(f"SMSC connection lost: {error}") from error
        if submission is None:
            raise ValueError("An SMS has at least one part.")
        self._complete_if_all_reported(submission)
        return SendResult(accepted=True, provider_message_id=submission.first_part_id)

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """Receipts read from the session: waits (up to ``wait_seconds``) while receipts of
        messages sent through this adapter are outstanding, then takes what else is there.

        Opens the session if none is open: an SMSC hands receipts of messages sent before a
        restart to the next session bound with the same system id; those come back keyed by the
        SMSC id they report (the first part's id for a one-part message)."""
        deadline = time.monotonic() + wait_seconds
        client = self._bound_client()
        try:
            while True:
                remaining = deadline - time.monotonic()
                awaiting = bool(self._submissions)
                if not self._readable(client, timeout=max(remaining, 0) if awaiting else 0):
                    break
                self._handle(client, client.read_pdu())
                if remaining <= 0:
                    break
        except (OSError, smpplib.exceptions.ConnectionError) as error:
            self._drop_client()
            raise ChannelUnavailable(f"SMSC connection lost while reading receipts: {error}") from error
        ready, self._ready_receipts = self._ready_receipts, []
        return ready

    def take_incoming_messages(self) -> list[object]:  # placeholder until the i4-smpp merge
        return []

    # -- session -----------------------------------------------------------------------------
    def close(self) -> None:
        """Unbind and close the session (a later send opens a new one)."""
        if self._client is None:
            return
        # Unbinding is a courtesy: a session that is already broken is closed all the same.
        with contextlib.suppress(OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError):
            self._client.unbind()
        self._drop_client()

    def _bound_client(self) -> smpplib.client.Client:
        if self._client is not None:
            return self._client
        client = smpplib.client.Client(
            self._settings.host,
            self._settings.port,
            timeout=self._settings.timeout_seconds,
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self._settings.system_id,
                password=self._settings.password,
                system_type=self._settings.system_type,
            )
        except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError) as error:
            client.disconnect()
            raise ChannelUnavailable(
                f"SMSC {self._settings.host}:{self._settings.port} unavailable: {error}"
            ) from error
        self._client = client
        return client

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.disconnect()
        self._client = None

    def _await_response(self, client: smpplib.client.Client, *, sequence: int) -> Command:
        """Read PDUs until the response to ``sequence``; receipts read meanwhile are kept."""
        while True:
            pdu = client.read_pdu()
            if pdu.command == "submit_sm_resp" and pdu.sequence == sequence:
                return pdu
            if pdu.command == "generic_nack" and pdu.sequence == sequence:
                return pdu
            self._handle(client, pdu)

    def _handle(self, client: smpplib.client.Client, pdu: Command) -> None:
        """Act on an unsolicited PDU: keep receipts, answer enquire_link."""
        if pdu.command == "deliver_sm":
            self._take_receipt(pdu)
            response = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
            response.sequence = pdu.sequence
            client.send_pdu(response)
        elif pdu.command == "enquire_link":
            response = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            response.sequence = pdu.sequence
            client.send_pdu(response)
        elif pdu.command == "unbind":
            self._drop_client()
            raise smpplib.exceptions.ConnectionError("The SMSC unbound the session.")

    # -- receipts ----------------------------------------------------------------------------
    def _take_receipt(self, pdu: Command) -> None:
        """Apply a receipt to the message whose part it reports; one receipt per message."""
        parsed = parse_receipt_text(_decoded(pdu.short_message))
        if parsed is None or parsed.message_id in self._forgotten_part_ids:
            return
        failure = "" if parsed.status == "DELIVRD" else f"{parsed.status} err:{parsed.error_code}"
        submission = self._part_owners.pop(parsed.message_id, None)
        if submission is None:
            self._ready_receipts.append(
                DeliveryReceipt(
                    provider_message_id=parsed.message_id,
                    delivered=not failure,
                    received_at=datetime.now(tz=UTC),
                    error=failure,
                )
            )
            return
        submission.awaited_part_ids.discard(parsed.message_id)
        if failure:
            submission.failures.append(failure)
        self._complete_if_all_reported(submission)

    def _complete_if_all_reported(self, submission: _Submission) -> None:
        """One receipt for the message once every part is submitted and has its receipt."""
        if submission.submitted_part_count == submission.part_count and not submission.awaited_part_ids:
            del self._submissions[submission.first_part_id]
            self._ready_receipts.append(
                DeliveryReceipt(
                    provider_message_id=submission.first_part_id,
                    delivered=not submission.failures,
                    received_at=datetime.now(tz=UTC),
                    error="; ".join(submission.failures),
                )
            )

    def _forget(self, submission: _Submission) -> None:
        del self._submissions[submission.first_part_id]
        for part_id in submission.awaited_part_ids:
            self._part_owners.pop(part_id, None)
            self._forgotten_part_ids.add(part_id)

    # -- helpers -----------------------------------------------------------------------------
    def _text_of(self, message: OutgoingMessage) -> str:
        if self.kind is ChannelKind.MMS and message.subject:
            return f"{message.subject}\n{message.body}"
        return message.body

    @staticmethod
    def _readable(client: smpplib.client.Client, *, timeout: float) -> bool:
        sock: socket.socket | None = client._socket  # smpplib exposes no public way to poll
        if sock is None:
            return False
        readable, _, _ = select.select([sock], [], [], timeout)
        return bool(readable)


def _decoded(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", errors="replace") if isinstance(value, bytes) else value


__all__ = ["MMS_SERVICE_TYPE", "ParsedReceipt", "SmppAdapter", "SmppSettings", "parse_receipt_text"]
