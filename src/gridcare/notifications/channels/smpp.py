"""SMS and MMS through an SMPP v3.4 gateway (SMSC), with delivery receipts and replies (smpplib).

One adapter holds one ``bind_transceiver`` session, opened on first use and reopened after a
failure. Chinese text goes as UCS-2 (data_coding 8); text longer than one SMS is split into
parts with a concatenation UDH whose reference is derived from the message id, so a resent
message is split exactly as before. Every part asks for a delivery receipt (registered_delivery=1).

Every ``submit_sm`` carries a client reference, ``<message id>:<part>/<parts>``, as one
vendor-specific TLV (SMPP 3.4 §5.3.2; tag :data:`CLIENT_REFERENCE_TAG` unless configured
otherwise): a gateway that honours it (the bundled simulator does) answers a resubmitted part
with its original id and does not send it again, so a crash between submit and recording does
not send twice. A gateway that ignores the TLV (the specification says unknown TLVs are ignored)
gives at-least-once delivery (docs/channels.md).

``deliver_sm`` PDUs on the session are either delivery receipts (esm_class 0x04, or text that
reads as one), which :meth:`SmppAdapter.collect_receipts` turns into :class:`DeliveryReceipt` —
one per message, keyed by the SMSC id of its first part — or messages customers sent (a 退订
reply), which :meth:`SmppAdapter.take_incoming_messages` hands over.

MMS uses the same gateway: ``service_type`` ``"MMS"`` marks the submit as an MMS (the convention
the bundled simulator understands; docs/channels.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import smpplib.client
import smpplib.command
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp
from smpplib.command import Command

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    IncomingMessage,
    OutgoingMessage,
    SendResult,
)

MMS_SERVICE_TYPE = "MMS"
#: What makes a session unusable: the socket, the SMSC closing it, or a PDU smpplib cannot
#: read (the session is dropped and the message stays queued).
_SESSION_ERRORS = (
    OSError,
    smpplib.exceptions.ConnectionError,
    smpplib.exceptions.PDUError,
    smpplib.exceptions.UnknownCommandError,
)
#: The vendor-specific TLV tag the client reference goes in by default.
CLIENT_REFERENCE_TAG = 0x1401
#: TLV tags SMPP 3.4 §5.3.2 reserves for vendor-specific optional parameters.
VENDOR_SPECIFIC_TAGS = range(0x1400, 0x4000)
_RECEIPT_PATTERN = re.compile(
    r"\bid:(?P<id>\S+).*?\bstat:(?P<stat>[A-Z]+)(?:.*?\berr:(?P<err>\S+))?", re.DOTALL
)
#: esm_class bits 2-5 (SMPP 3.4 §5.2.12): the message type; 0 is a plain message from a handset.
_MESSAGE_TYPE_BITS = 0x3C
_DELIVERY_RECEIPT_BIT = 0x04
_DATA_CODING_UCS2 = smpplib.consts.SMPP_ENCODING_ISO10646
#: data_coding 15 is GB 2312 / GBK on Chinese operators' gateways (CMPP msg_fmt 15).
_DATA_CODING_GBK = 0x0F
_UCS2_SINGLE_BYTES = 140
_UCS2_PART_BYTES = 134  # 140 minus the 6-byte concatenation UDH
_MAX_PARTS = 255
#: How many part receipts the adapter remembers, to count parts that a resend finds already
#: reported; a bound so that a long-running worker does not grow without limit.
_REMEMBERED_PART_REPORTS = 10_000


@dataclass(frozen=True, kw_only=True)
class SmppSettings:
    """Where the SMSC is and how to bind to it.

    ``client_reference_tag``: the vendor TLV tag the client reference is sent in (0x1400-0x3FFF),
    or ``None`` to send none (for a gateway that refuses unknown TLVs, against the specification).
    """

    host: str
    port: int
    system_id: str
    password: str
    source_address: str
    system_type: str = ""
    timeout_seconds: float = 10.0
    client_reference_tag: int | None = CLIENT_REFERENCE_TAG

    def __post_init__(self) -> None:
        if self.client_reference_tag is not None and self.client_reference_tag not in VENDOR_SPECIFIC_TAGS:
            raise ValueError(
                f"client_reference_tag {self.client_reference_tag:#06x} is not a vendor-specific "
                "TLV tag (0x1400-0x3FFF)."
            )


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


def client_reference(*, message_id: str, part_number: int, part_count: int) -> str:
    """The client reference of one part of a message, as sent in the vendor TLV."""
    return f"{message_id}:{part_number}/{part_count}"


class _SubmitSmWithClientReference(smpplib.command.SubmitSM):  # type: ignore[misc]  # smpplib is untyped
    """A ``submit_sm`` that ends with one vendor-specific TLV, the client reference; smpplib
    itself generates only the TLVs the specification names."""

    def __init__(self, command: str, *, reference_tag: int, reference: bytes, **fields: object) -> None:
        super().__init__(command, **fields)
        self.reference_tag = reference_tag
        self.reference = reference

    def generate_params(self) -> bytes:
        tlv = struct.pack(">HH", self.reference_tag, len(self.reference)) + self.reference
        body: bytes = super().generate_params()
        return body + tlv


@dataclass(kw_only=True)
class _Submission:
    """The parts of one sent message whose receipts are still awaited."""

    first_part_id: str
    part_count: int
    awaited_part_ids: set[str] = field(default_factory=set)
    submitted_part_count: int = 0
    failures: list[str] = field(default_factory=list)


class SmppAdapter:
    """Sends SMS (or MMS, by ``kind``) to one SMSC over one transceiver session, and reads the
    receipts and customer replies that come back on it."""

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
        #: Every part receipt read (part id -> failure, "" when delivered), oldest first.
        self._part_reports: dict[str, str] = {}
        #: Receipts of parts no outstanding message owns (yet), by part id.
        self._unclaimed_receipts: dict[str, DeliveryReceipt] = {}
        self._ready_receipts: list[DeliveryReceipt] = []
        self._incoming: list[IncomingMessage] = []
        #: Sequence numbers of the deliver_sm read and not yet answered: receipts, replies, and
        #: those whose content was handed over and awaits :meth:`acknowledge`.
        self._unanswered_receipts: list[int] = []
        self._unanswered_replies: list[int] = []
        self._handed_over: list[int] = []

    # -- the ChannelAdapter interface --------------------------------------------------------
    def send(self, message: OutgoingMessage) -> SendResult:
        """Submit ``message`` (all its parts); the result carries the SMSC id of the first part."""
        try:
            parts, esm_class = sms_parts(text=self._text_of(message), message_id=message.message_id)
        except smpplib.exceptions.MessageTooLong:
            return SendResult(accepted=False, error="Text too long for SMS: more than 255 parts.")
        client = self._bound_client()
        submission: _Submission | None = None
        try:
            for number, part in enumerate(parts, start=1):
                pdu = self._submit_pdu(
                    client,
                    message=message,
                    part=part,
                    esm_class=esm_class,
                    part_number=number,
                    part_count=len(parts),
                )
                client.send_pdu(pdu)
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
                self._register_part(submission, part_id=part_id)
        except _SESSION_ERRORS as error:
            if submission is not None:
                # The message stays queued and is sent again; the gateway answers its parts with
                # the same ids (client reference), and their receipts are kept meanwhile.
                self._abandon(submission)
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
        SMSC id they report (the first part's id for a one-part message). Customer replies read
        meanwhile are kept for :meth:`take_incoming_messages`."""
        deadline = time.monotonic() + wait_seconds
        client = self._bound_client()
        try:
            while self._submissions:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._readable(client, timeout=remaining):
                    break
                self._handle(client, client.read_pdu())
            self._read_what_was_sent(client)
        except _SESSION_ERRORS as error:
            self._drop_client()
            raise ChannelUnavailable(f"SMSC connection lost while reading receipts: {error}") from error
        ready = [*self._ready_receipts, *self._unclaimed_receipts.values()]
        self._ready_receipts, self._unclaimed_receipts = [], {}
        self._handed_over += self._unanswered_receipts
        self._unanswered_receipts = []
        return ready

    def take_incoming_messages(self) -> list[IncomingMessage]:
        """The messages customers sent (mobile-originated SMS) read so far, during ``send`` or
        ``collect_receipts``, oldest first; each is handed over once."""
        incoming, self._incoming = self._incoming, []
        self._handed_over += self._unanswered_replies
        self._unanswered_replies = []
        return incoming

    def acknowledge(self) -> None:
        """Answer (``deliver_sm_resp``) the receipts and replies handed over so far by
        :meth:`collect_receipts` and :meth:`take_incoming_messages`. Call it once they are
        recorded: until answered, the SMSC keeps them and sends them again to the next session
        if this one dies, so a crash between reading and recording loses none."""
        handed_over, self._handed_over = self._handed_over, []
        if self._client is None:
            return  # the session is gone: the SMSC sends them again on the next bind
        client = self._client
        try:
            for sequence in handed_over:
                response = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
                response.sequence = sequence
                client.send_pdu(response)
        except (OSError, smpplib.exceptions.ConnectionError) as error:
            self._drop_client()
            raise ChannelUnavailable(f"SMSC connection lost while acknowledging: {error}") from error

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
        # Sequence numbers belong to the session: what it left unanswered the SMSC sends again.
        self._unanswered_receipts, self._unanswered_replies, self._handed_over = [], [], []

    def _submit_pdu(
        self,
        client: smpplib.client.Client,
        *,
        message: OutgoingMessage,
        part: bytes,
        esm_class: int,
        part_number: int,
        part_count: int,
    ) -> Command:
        fields: dict[str, object] = {
            "client": client,
            "service_type": MMS_SERVICE_TYPE if self.kind is ChannelKind.MMS else "",
            "source_addr_ton": smpplib.consts.SMPP_TON_ALNUM,
            "source_addr_npi": smpplib.consts.SMPP_NPI_UNK,
            "source_addr": self._settings.source_address,
            "dest_addr_ton": smpplib.consts.SMPP_TON_INTL,
            "dest_addr_npi": smpplib.consts.SMPP_NPI_ISDN,
            "destination_addr": message.recipient,
            "short_message": part,
            "data_coding": _DATA_CODING_UCS2,
            "esm_class": esm_class,
            "registered_delivery": smpplib.consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
        }
        tag = self._settings.client_reference_tag
        if tag is None:
            return smpplib.smpp.make_pdu("submit_sm", **fields)
        reference = client_reference(
            message_id=message.message_id, part_number=part_number, part_count=part_count
        )
        return _SubmitSmWithClientReference(
            "submit_sm", reference_tag=tag, reference=reference.encode("ascii"), **fields
        )

    def _await_response(self, client: smpplib.client.Client, *, sequence: int) -> Command:
        """Read PDUs until the response to ``sequence``; receipts and replies read meanwhile
        are kept."""
        while True:
            pdu = client.read_pdu()
            if pdu.command in {"submit_sm_resp", "enquire_link_resp", "generic_nack"} and (
                pdu.sequence == sequence
            ):
                return pdu
            self._handle(client, pdu)

    def _read_what_was_sent(self, client: smpplib.client.Client) -> None:
        """Read everything the SMSC sent before now: it answers an ``enquire_link`` only after
        what it queued earlier (receipts stored for this system id are sent right after a bind)."""
        probe = smpplib.smpp.make_pdu("enquire_link", client=client)
        client.send_pdu(probe)
        self._await_response(client, sequence=probe.sequence)

    def _handle(self, client: smpplib.client.Client, pdu: Command) -> None:
        """Act on an unsolicited PDU: keep receipts and replies, answer enquire_link."""
        if pdu.command == "deliver_sm":
            # Answered by acknowledge() once its content is recorded: an SMSC sends an
            # unanswered deliver_sm again to the next session.
            if self._take_delivery(pdu):
                self._unanswered_replies.append(pdu.sequence)
            else:
                self._unanswered_receipts.append(pdu.sequence)
        elif pdu.command == "enquire_link":
            response = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            response.sequence = pdu.sequence
            client.send_pdu(response)
        elif pdu.command == "unbind":
            self._drop_client()
            raise smpplib.exceptions.ConnectionError("The SMSC unbound the session.")

    def _take_delivery(self, pdu: Command) -> bool:
        """A ``deliver_sm``: a delivery receipt, or a message a customer sent. Whether it was
        a customer's message."""
        esm_class = pdu.esm_class or 0
        text = _message_text(pdu, esm_class=esm_class)
        parsed = parse_receipt_text(text)
        if esm_class & _DELIVERY_RECEIPT_BIT or parsed is not None:
            if parsed is not None:
                self._take_receipt(parsed)
            return False
        if esm_class & _MESSAGE_TYPE_BITS:
            return False
        self._incoming.append(
            IncomingMessage(sender=_decoded(pdu.source_addr), text=text, received_at=datetime.now(tz=UTC))
        )
        return True

    # -- receipts ----------------------------------------------------------------------------
    def _register_part(self, submission: _Submission, *, part_id: str) -> None:
        submission.submitted_part_count += 1
        self._forgotten_part_ids.discard(part_id)
        earlier_report = self._part_reports.get(part_id)
        if earlier_report is None:
            submission.awaited_part_ids.add(part_id)
            self._part_owners[part_id] = submission
            return
        # A resent part the gateway recognised (same id): its receipt was read before.
        self._unclaimed_receipts.pop(part_id, None)
        if earlier_report:
            submission.failures.append(earlier_report)

    def _take_receipt(self, parsed: ParsedReceipt) -> None:
        """Apply a receipt to the message whose part it reports; one receipt per message."""
        failure = "" if parsed.status == "DELIVRD" else f"{parsed.status} err:{parsed.error_code}"
        self._remember_part_report(part_id=parsed.message_id, failure=failure)
        if parsed.message_id in self._forgotten_part_ids:
            return
        submission = self._part_owners.pop(parsed.message_id, None)
        if submission is None:
            self._unclaimed_receipts[parsed.message_id] = DeliveryReceipt(
                provider_message_id=parsed.message_id,
                delivered=not failure,
                received_at=datetime.now(tz=UTC),
                error=failure,
            )
            return
        submission.awaited_part_ids.discard(parsed.message_id)
        if failure:
            submission.failures.append(failure)
        self._complete_if_all_reported(submission)

    def _remember_part_report(self, *, part_id: str, failure: str) -> None:
        self._part_reports[part_id] = failure
        if len(self._part_reports) > _REMEMBERED_PART_REPORTS:
            del self._part_reports[next(iter(self._part_reports))]

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
        """A refused message: receipts of the parts it had submitted are ignored."""
        self._abandon(submission)
        self._forgotten_part_ids.update(submission.awaited_part_ids)

    def _abandon(self, submission: _Submission) -> None:
        """Stop awaiting a message that was not completely submitted."""
        del self._submissions[submission.first_part_id]
        for part_id in submission.awaited_part_ids:
            self._part_owners.pop(part_id, None)

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


def sms_parts(*, text: str, message_id: str) -> tuple[list[bytes], int]:
    """The UCS-2 ``short_message`` of each part of ``text`` (message ``message_id``), and the
    esm_class to send them with.

    More than 140 bytes are split into parts of at most 134 bytes behind a concatenation UDH
    (``05 00 03 reference total index``). The reference comes from the message id, not at random,
    so a resend is split identically and a handset joins its parts with those sent before.
    Raises ``MessageTooLong`` beyond 255 parts."""
    encoded = text.encode("utf-16-be")
    if len(encoded) <= _UCS2_SINGLE_BYTES:
        return [encoded], smpplib.consts.SMPP_MSGTYPE_DEFAULT
    chunks: list[bytes] = []
    start = 0
    while start < len(encoded):
        end = min(start + _UCS2_PART_BYTES, len(encoded))
        if end < len(encoded) and 0xD8 <= encoded[end - 2] <= 0xDB:
            end -= 2  # a high surrogate: keep the pair (an emoji, a rare character) in one part
        chunks.append(encoded[start:end])
        start = end
    if len(chunks) > _MAX_PARTS:
        raise smpplib.exceptions.MessageTooLong()
    reference = hashlib.sha256(message_id.encode()).digest()[0]
    return (
        [bytes((5, 0, 3, reference, len(chunks), index)) + chunk for index, chunk in enumerate(chunks, 1)],
        smpplib.consts.SMPP_GSMFEAT_UDHI,
    )


def _message_text(pdu: Command, *, esm_class: int) -> str:
    """The text of a ``deliver_sm``, without its UDH, decoded by its data_coding."""
    payload: bytes = pdu.short_message or pdu.message_payload or b""
    if esm_class & smpplib.consts.SMPP_GSMFEAT_UDHI and payload:
        payload = payload[1 + payload[0] :]
    if pdu.data_coding == _DATA_CODING_UCS2:
        return payload.decode("utf-16-be", errors="replace")
    if pdu.data_coding == _DATA_CODING_GBK:
        return payload.decode("gb18030", errors="replace")
    # data_coding 0 (the SMSC default alphabet, which gateways send unpacked and ASCII-compatible)
    # and 3 (Latin-1).
    return payload.decode("latin-1")


def _decoded(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", errors="replace") if isinstance(value, bytes) else value


__all__ = [
    "CLIENT_REFERENCE_TAG",
    "MMS_SERVICE_TYPE",
    "VENDOR_SPECIFIC_TAGS",
    "ParsedReceipt",
    "SmppAdapter",
    "SmppSettings",
    "client_reference",
    "parse_receipt_text",
    "sms_parts",
]
