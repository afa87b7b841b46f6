"""A small SMPP v3.4 SMSC simulator for the demo and the tests.

It accepts ``bind_transceiver`` (any credentials), answers ``enquire_link``, takes ``submit_sm``
(returning a message id per part), reassembles long messages split with a UDH, and sends a
delivery receipt (``deliver_sm`` with esm_class 0x04) back on the same session for every part
submitted with ``registered_delivery``. Which messages fail is decided by :class:`FailureRules`,
deterministically from the destination number, so a test knows in advance which ones will.

Like a real SMSC it is crash-safe towards its clients:

- **Client references.** A ``submit_sm`` may carry a client reference in a vendor-specific TLV
  (tag :data:`CLIENT_REFERENCE_TAG` by default). A second ``submit_sm`` from the same system id
  with a reference already seen is answered with the original message id and otherwise ignored:
  no new receipt, no new :class:`ReceivedMessage`; :meth:`SmscSimulator.duplicate_submissions`
  lists it.
- **Store and forward.** Every ``deliver_sm`` (receipt or customer message) stays pending until
  the client answers it with ``deliver_sm_resp``. When a session ends with some unanswered, they
  go to another bound session of the same system id, or are kept and sent on the next
  ``bind_transceiver`` of that system id.
- **Customer messages.** :meth:`SmscSimulator.inject_incoming` delivers a mobile-originated SMS
  (a 退订 reply) to a bound session (esm_class 0), or keeps it for the next bind.

MMS convention (see docs/channels.md): a ``submit_sm`` whose ``service_type`` is ``"MMS"`` is
an MMS; everything else is an SMS.

PDUs are encoded and decoded with smpplib, the library the client adapter uses; the client
reference TLV, which smpplib does not know, is read from the raw PDU.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import struct
import threading
from dataclasses import dataclass, field
from datetime import datetime

from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator
from smpplib.command import Command
from smpplib.pdu import extract_command

logger = logging.getLogger(__name__)

MMS_SERVICE_TYPE = "MMS"
#: esm_class of a deliver_sm that is an SMSC delivery receipt (SMPP 3.4 §5.2.12).
DELIVERY_RECEIPT_ESM_CLASS = 0x04
#: The vendor-specific TLV tag (SMPP 3.4 §5.3.2) a client reference is read from by default.
CLIENT_REFERENCE_TAG = 0x1401
_HEADER = struct.Struct(">LLLL")
_TLV_HEADER = struct.Struct(">HH")
_UCS2 = consts.SMPP_ENCODING_ISO10646
_DEFAULT_ALPHABET = consts.SMPP_ENCODING_DEFAULT
_GBK = 0x0F
#: How inject_incoming encodes text per data_coding (the default alphabet sent as Latin-1, as
#: gateways do).
_INCOMING_ENCODINGS = {_UCS2: "utf-16-be", _DEFAULT_ALPHABET: "latin-1", _GBK: "gbk"}
_SINGLE_SMS_BYTES = 140
#: The mandatory fields of submit_sm before sm_length (SMPP 3.4 §4.4.1): "c" a C-octet string,
#: 1 a one-octet integer.
_SUBMIT_SM_LEADING_FIELDS = ("c", 1, 1, "c", 1, 1, "c", 1, 1, 1, "c", "c", 1, 1, 1, 1)
_MESSAGE_STATE_DELIVERED = 2
_MESSAGE_STATE_UNDELIVERABLE = 5


def number_hash_bucket(*, number: str, buckets: int) -> int:
    """The bucket (0..buckets-1) a number falls in: the SHA-256 of its digits modulo ``buckets``."""
    return int.from_bytes(hashlib.sha256(number.encode()).digest()[:8], "big") % buckets


@dataclass(frozen=True, kw_only=True)
class FailureRules:
    """Which submitted messages get an UNDELIV receipt instead of DELIVRD.

    ``sms_fail_last_digits``/``mms_fail_last_digits``: destination numbers ending in one of
    these digits fail. ``mms_fail_one_in``: an MMS fails when :func:`number_hash_bucket` of its
    number into that many buckets is 0 (3 → about a third of the numbers, always the same ones).
    """

    sms_fail_last_digits: frozenset[str] = frozenset()
    mms_fail_last_digits: frozenset[str] = frozenset()
    mms_fail_one_in: int = 0

    def fails(self, *, destination: str, is_mms: bool) -> bool:
        """Whether a message to ``destination`` of that kind is to fail."""
        last_digit = destination[-1:]
        if not is_mms:
            return last_digit in self.sms_fail_last_digits
        if last_digit in self.mms_fail_last_digits:
            return True
        return (
            self.mms_fail_one_in > 0
            and number_hash_bucket(number=destination, buckets=self.mms_fail_one_in) == 0
        )


@dataclass(kw_only=True)
class ReceivedMessage:
    """A complete message the simulator received (long messages reassembled)."""

    system_id: str
    destination: str
    source: str
    is_mms: bool
    text: str
    message_ids: list[str]
    delivered: bool
    #: The client reference of each part, in part order ("" for a part submitted without one).
    client_references: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class _PendingParts:
    total: int
    texts: dict[int, bytes] = field(default_factory=dict)
    message_ids: dict[int, str] = field(default_factory=dict)
    client_references: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class _Delivery:
    """A deliver_sm kept until a client answers it: its fields, sent again as they are."""

    fields: dict[str, object]


@dataclass(kw_only=True)
class _Session:
    writer: asyncio.StreamWriter
    # smpplib numbers PDUs it builds from a "client"; the session's own counter serves.
    sequences: SimpleSequenceGenerator = field(default_factory=SimpleSequenceGenerator)
    system_id: str = ""
    #: deliver_sm PDUs sent on this session and not answered yet, by sequence number.
    unanswered: dict[int, _Delivery] = field(default_factory=dict)


class _SessionCut(Exception):
    """The session is to end at once, as when its connection fails."""


class SmscSimulator:
    """The simulator's state and its asyncio server; run it with :meth:`serve` or in a thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rules: FailureRules | None = None,
        client_reference_tag: int = CLIENT_REFERENCE_TAG,
    ) -> None:
        self.host = host
        self.port = port
        self.rules = rules or FailureRules()
        self.client_reference_tag = client_reference_tag
        self._message_ids = itertools.count(1)
        # The lock guards what other threads read or set: received messages, duplicates,
        # sessions and the submit at which to cut one. The rest is the event loop's alone.
        self._lock = threading.Lock()
        self._received: list[ReceivedMessage] = []
        self._duplicates: list[str] = []
        self._sessions: list[_Session] = []
        self._submits_until_cut: int | None = None
        self._pending_parts: dict[tuple[str, str, int], _PendingParts] = {}
        self._original_ids: dict[tuple[str, bytes], str] = {}
        self._stored: dict[str, list[_Delivery]] = {}
        self._unrouted: list[_Delivery] = []
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- what tests read -------------------------------------------------------------------
    def received_messages(self) -> list[ReceivedMessage]:
        """Every complete message received so far, in order of its last part's arrival."""
        with self._lock:
            return list(self._received)

    def duplicate_submissions(self) -> list[str]:
        """The client reference of every submit_sm answered as a duplicate, in arrival order."""
        with self._lock:
            return list(self._duplicates)

    def bound_system_ids(self) -> list[str]:
        """The system id of every session bound now, oldest session first."""
        with self._lock:
            return [session.system_id for session in self._sessions if session.system_id]

    # -- what tests do ---------------------------------------------------------------------
    def lose_response_to_submit(self, *, number: int) -> None:
        """Fault: the ``number``-th submit_sm from now on (1 = the next, on any session) is
        taken — recorded, its receipt kept for the next bind — but its session is cut before the
        submit_sm_resp is written, as when a connection fails at the worst moment."""
        if number < 1:
            raise ValueError("The submit to lose the response of is counted from 1.")
        with self._lock:
            self._submits_until_cut = number

    def inject_incoming(
        self, *, source: str, text: str, destination: str = "95598", data_coding: int = _UCS2
    ) -> None:
        """A customer at ``source`` sends ``text`` (one SMS) to ``destination``: a deliver_sm
        with esm_class 0 goes to the most recently bound session, or is kept for the next bind.
        ``data_coding`` 8 (UCS-2, the default), 0 (Latin-1) or 15 (GBK)."""
        if data_coding not in _INCOMING_ENCODINGS:
            raise ValueError(f"data_coding {data_coding} is not one of {sorted(_INCOMING_ENCODINGS)}.")
        encoded = text.encode(_INCOMING_ENCODINGS[data_coding])
        if len(encoded) > _SINGLE_SMS_BYTES:
            raise ValueError("An injected message is one SMS: at most 140 bytes encoded.")
        if self._loop is None:
            raise RuntimeError("The SMSC simulator is not running.")
        delivery = _Delivery(
            fields={
                "source_addr_ton": consts.SMPP_TON_INTL,
                "source_addr_npi": consts.SMPP_NPI_ISDN,
                "source_addr": source,
                "destination_addr": destination,
                "esm_class": consts.SMPP_MSGTYPE_DEFAULT,
                "data_coding": data_coding,
                "short_message": encoded,
            }
        )
        asyncio.run_coroutine_threadsafe(self._route_incoming(delivery), self._loop).result(timeout=5)

    # -- running ---------------------------------------------------------------------------
    async def serve(self, *, started: threading.Event | None = None) -> None:
        """Listen until cancelled (the ``smsc_simulator`` command runs this)."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        if started is not None:
            started.set()
        async with self._server:
            await self._server.serve_forever()

    def start_in_thread(self) -> int:
        """Start serving in a daemon thread; returns the port it listens on."""
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run_thread, args=(started,), name="smsc-simulator", daemon=True
        )
        self._thread.start()
        if not started.wait(timeout=5):
            raise RuntimeError("The SMSC simulator did not start within 5 seconds.")
        return self.port

    def stop(self) -> None:
        """Close every session and the listening socket, and wait for the thread to end."""
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(timeout=5)
        self._thread = None

    def _run_thread(self, started: threading.Event) -> None:
        # stop() cancels the server's tasks: that is how serving ends.
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(self.serve(started=started))

    def _shutdown(self) -> None:
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.writer.close()
        if self._server is not None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

    # -- one SMPP session ------------------------------------------------------------------
    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer=writer)
        with self._lock:
            self._sessions.append(session)
        try:
            while True:
                header = await reader.readexactly(_HEADER.size)
                length, command_id, status, sequence = _HEADER.unpack(header)
                body = await reader.readexactly(length - _HEADER.size)
                reference = None
                if extract_command(header) == "submit_sm":
                    body, reference = _take_tlv(body, tag=self.client_reference_tag)
                request = smpp.parse_pdu(
                    _HEADER.pack(_HEADER.size + len(body), command_id, status, sequence) + body,
                    client=session.sequences,
                    # Unknown TLVs are skipped, as SMPP 3.4 §3.2.4 asks of a receiver.
                    allow_unknown_opt_params=True,
                )
                goes_on = self._answer(session, request, client_reference=reference)
                await writer.drain()
                if not goes_on:
                    return
        except (_SessionCut, ConnectionError, asyncio.IncompleteReadError):
            # The connection is cut, or the client is gone (with or without unbinding): what it
            # left unanswered is passed on (finally).
            return
        finally:
            self._end(session)

    def _answer(self, session: _Session, request: Command, *, client_reference: bytes | None) -> bool:
        """Act on one PDU of ``session``; whether the session goes on."""
        if request.command == "bind_transceiver":
            with self._lock:
                session.system_id = _text(request.system_id)
            _write(session, _response("bind_transceiver_resp", request, session, system_id="GRIDCARE-SMSC"))
            for delivery in [*self._stored.pop(session.system_id, []), *self._unrouted]:
                self._deliver(session, delivery)
            self._unrouted.clear()
        elif request.command == "enquire_link":
            _write(session, _response("enquire_link_resp", request, session))
        elif request.command == "unbind":
            _write(session, _response("unbind_resp", request, session))
            return False
        elif request.command == "submit_sm":
            self._submit(session, request, client_reference=client_reference)
        elif request.command == "deliver_sm_resp":
            session.unanswered.pop(request.sequence, None)
        elif request.command != "enquire_link_resp":
            _write(session, _response("generic_nack", request, session, status=consts.SMPP_ESME_RINVCMDID))
        return True

    def _end(self, session: _Session) -> None:
        """A session is over: what it left unanswered goes to its system id's next session."""
        with self._lock:
            self._sessions.remove(session)
            successors = [other for other in self._sessions if other.system_id == session.system_id]
        session.writer.close()
        if not session.system_id:
            return
        for delivery in session.unanswered.values():
            self._route(delivery, system_id=session.system_id, sessions=successors)

    def _route(self, delivery: _Delivery, *, system_id: str, sessions: list[_Session]) -> None:
        """Send ``delivery`` on the newest of ``sessions``, or keep it for the next bind."""
        if sessions:
            self._deliver(sessions[-1], delivery)
        else:
            self._stored.setdefault(system_id, []).append(delivery)

    async def _route_incoming(self, delivery: _Delivery) -> None:
        with self._lock:
            bound = [session for session in self._sessions if session.system_id]
        if not bound:
            self._unrouted.append(delivery)
            return
        self._deliver(bound[-1], delivery)
        await bound[-1].writer.drain()

    def _deliver(self, session: _Session, delivery: _Delivery) -> None:
        pdu = smpp.make_pdu("deliver_sm", client=session.sequences, **delivery.fields)
        session.unanswered[pdu.sequence] = delivery
        _write(session, pdu)

    def _submit(self, session: _Session, request: Command, *, client_reference: bytes | None) -> None:
        system_id = session.system_id
        if client_reference is not None:
            original_id = self._original_ids.get((system_id, client_reference))
            if original_id is not None:
                reference_text = client_reference.decode("ascii", errors="replace")
                with self._lock:
                    self._duplicates.append(reference_text)
                logger.info(
                    "Duplicate submit_sm from %s (client reference %s) answered with its id %s",
                    system_id,
                    reference_text,
                    original_id,
                )
                _write(session, _response("submit_sm_resp", request, session, message_id=original_id))
                return
        destination = _text(request.destination_addr)
        is_mms = _text(request.service_type) == MMS_SERVICE_TYPE
        message_id = f"{next(self._message_ids):010X}"
        if client_reference is not None:
            self._original_ids[(system_id, client_reference)] = message_id
        payload: bytes = request.short_message or request.message_payload or b""
        reference, total, index, part = _split_udh(
            payload, has_udh=bool(request.esm_class & consts.SMPP_GSMFEAT_UDHI)
        )
        # Kept across sessions: the rest of a message may come on the next one, after a failure.
        key = (system_id, destination, reference)
        parts = self._pending_parts.setdefault(key, _PendingParts(total=total))
        parts.texts[index] = part
        parts.message_ids[index] = message_id
        parts.client_references[index] = (client_reference or b"").decode("ascii", errors="replace")
        delivered = not self.rules.fails(destination=destination, is_mms=is_mms)
        if len(parts.texts) == parts.total:
            del self._pending_parts[key]
            self._record(parts, request=request, system_id=system_id, is_mms=is_mms, delivered=delivered)
        receipt = _receipt(request, message_id=message_id, delivered=delivered)
        if self._cut_now():
            if request.registered_delivery:
                # Never written: the connection fails first; the session's end passes it on.
                session.unanswered[session.sequences.next_sequence()] = receipt
            raise _SessionCut()
        _write(session, _response("submit_sm_resp", request, session, message_id=message_id))
        if request.registered_delivery:
            self._deliver(session, receipt)

    def _cut_now(self) -> bool:
        """Count a submit towards :meth:`lose_response_to_submit`; whether this is the one."""
        with self._lock:
            if self._submits_until_cut is None:
                return False
            self._submits_until_cut -= 1
            if self._submits_until_cut > 0:
                return False
            self._submits_until_cut = None
        return True

    def _record(
        self, parts: _PendingParts, *, request: Command, system_id: str, is_mms: bool, delivered: bool
    ) -> None:
        encoded = b"".join(parts.texts[i] for i in sorted(parts.texts))
        text = encoded.decode("utf-16-be") if request.data_coding == _UCS2 else encoded.decode("latin-1")
        with self._lock:
            self._received.append(
                ReceivedMessage(
                    system_id=system_id,
                    destination=_text(request.destination_addr),
                    source=_text(request.source_addr),
                    is_mms=is_mms,
                    text=text,
                    message_ids=[parts.message_ids[i] for i in sorted(parts.message_ids)],
                    delivered=delivered,
                    client_references=[parts.client_references[i] for i in sorted(parts.client_references)],
                )
            )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def _write(session: _Session, pdu: Command) -> None:
    session.writer.write(pdu.generate())


def _response(command: str, request: Command, session: _Session, **fields: object) -> Command:
    """The response PDU to ``request``, carrying its sequence number."""
    response = smpp.make_pdu(command, client=session.sequences, **fields)
    response.sequence = request.sequence
    return response


def _take_tlv(body: bytes, *, tag: int) -> tuple[bytes, bytes | None]:
    """A submit_sm body without the TLV ``tag``, and that TLV's value (``None`` without one)."""
    position = 0
    for kind in _SUBMIT_SM_LEADING_FIELDS:
        position = body.index(b"\0", position) + 1 if kind == "c" else position + 1
    start = position + 1 + body[position]  # sm_length, then short_message
    kept, value = [body[:start]], None
    while start + _TLV_HEADER.size <= len(body):
        found_tag, length = _TLV_HEADER.unpack_from(body, start)
        end = start + _TLV_HEADER.size + length
        if found_tag == tag:
            value = body[start + _TLV_HEADER.size : end]
        else:
            kept.append(body[start:end])
        start = end
    return b"".join(kept), value


def _split_udh(payload: bytes, *, has_udh: bool) -> tuple[int, int, int, bytes]:
    """(reference, total parts, this part's index, text) of a part; a whole message is 1 of 1."""
    if not has_udh or len(payload) < 6 or payload[:3] != b"\x05\x00\x03":
        return -1, 1, 1, payload
    return payload[3], payload[4], payload[5], payload[6:]


def _receipt(request: Command, *, message_id: str, delivered: bool) -> _Delivery:
    """A deliver_sm delivery receipt in the customary SMSC text format, with the TLVs too."""
    stamp = datetime.now().strftime("%y%m%d%H%M")
    status, error = ("DELIVRD", "000") if delivered else ("UNDELIV", "001")
    text = (
        f"id:{message_id} sub:001 dlvrd:{'001' if delivered else '000'} submit date:{stamp} "
        f"done date:{stamp} stat:{status} err:{error} text:"
    )
    return _Delivery(
        fields={
            "service_type": _text(request.service_type),
            "source_addr": _text(request.destination_addr),
            "destination_addr": _text(request.source_addr),
            "esm_class": DELIVERY_RECEIPT_ESM_CLASS,
            "short_message": text.encode(),
            "receipted_message_id": message_id,
            "message_state": _MESSAGE_STATE_DELIVERED if delivered else _MESSAGE_STATE_UNDELIVERABLE,
        }
    )


def run_simulator(*, host: str, port: int, rules: FailureRules) -> None:
    """Serve until interrupted (the ``smsc_simulator`` management command)."""
    asyncio.run(SmscSimulator(host=host, port=port, rules=rules).serve())


def digits(value: str) -> frozenset[str]:
    """A set of last digits from text such as ``"7,9"`` or ``"79"``."""
    return frozenset(character for character in value if character.isdigit())


__all__ = [
    "CLIENT_REFERENCE_TAG",
    "DELIVERY_RECEIPT_ESM_CLASS",
    "MMS_SERVICE_TYPE",
    "FailureRules",
    "ReceivedMessage",
    "SmscSimulator",
    "digits",
    "number_hash_bucket",
    "run_simulator",
]
