"""A small SMPP v3.4 SMSC simulator for the demo and the tests.

It accepts ``bind_transceiver`` (any credentials), answers ``enquire_link``, takes ``submit_sm``
(returning a message id per part), reassembles long messages split with a UDH, and sends a
delivery receipt (``deliver_sm`` with esm_class 0x04) back on the same session for every part
submitted with ``registered_delivery``. Which messages fail is decided by :class:`FailureRules`,
deterministically from the destination number, so a test knows in advance which ones will.

MMS convention (see docs/channels.md): a ``submit_sm`` whose ``service_type`` is ``"MMS"`` is
an MMS; everything else is an SMS.

PDUs are encoded and decoded with smpplib, the library the client adapter uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import struct
import threading
from dataclasses import dataclass, field
from datetime import datetime

from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator
from smpplib.command import Command

MMS_SERVICE_TYPE = "MMS"
#: esm_class of a deliver_sm that is an SMSC delivery receipt (SMPP 3.4 §5.2.12).
DELIVERY_RECEIPT_ESM_CLASS = 0x04
_HEADER = struct.Struct(">LLLL")
_UCS2 = consts.SMPP_ENCODING_ISO10646
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


@dataclass(kw_only=True)
class _PendingParts:
    total: int
    texts: dict[int, bytes] = field(default_factory=dict)
    message_ids: dict[int, str] = field(default_factory=dict)


class SmscSimulator:
    """The simulator's state and its asyncio server; run it with :meth:`serve` or in a thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, rules: FailureRules | None = None) -> None:
        self.host = host
        self.port = port
        self.rules = rules or FailureRules()
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._received: list[ReceivedMessage] = []
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # -- what tests read -------------------------------------------------------------------
    def received_messages(self) -> list[ReceivedMessage]:
        """Every complete message received so far, in order of its last part's arrival."""
        with self._lock:
            return list(self._received)

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
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

    # -- one SMPP session ------------------------------------------------------------------
    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        system_id = ""
        pending: dict[tuple[str, int], _PendingParts] = {}
        # smpplib numbers PDUs it builds from a "client"; the session's own counter serves.
        sequences = SimpleSequenceGenerator()
        try:
            while True:
                try:
                    header = await reader.readexactly(_HEADER.size)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = _HEADER.unpack(header)[0]
                body = await reader.readexactly(length - _HEADER.size)
                request = smpp.parse_pdu(header + body, client=sequences)
                if request.command == "bind_transceiver":
                    system_id = _text(request.system_id)
                    _write(
                        writer,
                        _response("bind_transceiver_resp", request, sequences, system_id="GRIDCARE-SMSC"),
                    )
                elif request.command == "enquire_link":
                    _write(writer, _response("enquire_link_resp", request, sequences))
                elif request.command == "unbind":
                    _write(writer, _response("unbind_resp", request, sequences))
                    await writer.drain()
                    return
                elif request.command == "submit_sm":
                    self._submit(writer, request, system_id=system_id, pending=pending, sequences=sequences)
                elif request.command in {"deliver_sm_resp", "enquire_link_resp"}:
                    continue
                else:
                    _write(
                        writer,
                        _response("generic_nack", request, sequences, status=consts.SMPP_ESME_RINVCMDID),
                    )
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()

    def _submit(
        self,
        writer: asyncio.StreamWriter,
        request: Command,
        *,
        system_id: str,
        pending: dict[tuple[str, int], _PendingParts],
        sequences: SimpleSequenceGenerator,
    ) -> None:
        destination = _text(request.destination_addr)
        is_mms = _text(request.service_type) == MMS_SERVICE_TYPE
        message_id = f"{next(self._message_ids):010X}"
        _write(writer, _response("submit_sm_resp", request, sequences, message_id=message_id))
        payload: bytes = request.short_message or request.message_payload or b""
        reference, total, index, part = _split_udh(
            payload, has_udh=bool(request.esm_class & consts.SMPP_GSMFEAT_UDHI)
        )
        key = (destination, reference)
        parts = pending.setdefault(key, _PendingParts(total=total))
        parts.texts[index] = part
        parts.message_ids[index] = message_id
        delivered = not self.rules.fails(destination=destination, is_mms=is_mms)
        if request.registered_delivery:
            _write(writer, _receipt(request, message_id=message_id, delivered=delivered, sequences=sequences))
        if len(parts.texts) < parts.total:
            return
        del pending[key]
        encoded = b"".join(parts.texts[i] for i in sorted(parts.texts))
        text = encoded.decode("utf-16-be") if request.data_coding == _UCS2 else encoded.decode("latin-1")
        with self._lock:
            self._received.append(
                ReceivedMessage(
                    system_id=system_id,
                    destination=destination,
                    source=_text(request.source_addr),
                    is_mms=is_mms,
                    text=text,
                    message_ids=[parts.message_ids[i] for i in sorted(parts.message_ids)],
                    delivered=delivered,
                )
            )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def _write(writer: asyncio.StreamWriter, pdu: Command) -> None:
    writer.write(pdu.generate())


def _response(
    command: str, request: Command, sequences: SimpleSequenceGenerator, **fields: object
) -> Command:
    """The response PDU to ``request``, carrying its sequence number."""
    response = smpp.make_pdu(command, client=sequences, **fields)
    response.sequence = request.sequence
    return response


def _split_udh(payload: bytes, *, has_udh: bool) -> tuple[int, int, int, bytes]:
    """(reference, total parts, this part's index, text) of a part; a whole message is 1 of 1."""
    if not has_udh or len(payload) < 6 or payload[:3] != b"\x05\x00\x03":
        return -1, 1, 1, payload
    return payload[3], payload[4], payload[5], payload[6:]


def _receipt(
    request: Command, *, message_id: str, delivered: bool, sequences: SimpleSequenceGenerator
) -> Command:
    """A deliver_sm delivery receipt in the customary SMSC text format, with the TLVs too."""
    stamp = datetime.now().strftime("%y%m%d%H%M")
    status, error = ("DELIVRD", "000") if delivered else ("UNDELIV", "001")
    text = (
        f"id:{message_id} sub:001 dlvrd:{'001' if delivered else '000'} submit date:{stamp} "
        f"done date:{stamp} stat:{status} err:{error} text:"
    )
    return smpp.make_pdu(
        "deliver_sm",
        client=sequences,
        service_type=_text(request.service_type),
        source_addr=_text(request.destination_addr),
        destination_addr=_text(request.source_addr),
        esm_class=DELIVERY_RECEIPT_ESM_CLASS,
        short_message=text.encode(),
        receipted_message_id=message_id,
        message_state=_MESSAGE_STATE_DELIVERED if delivered else _MESSAGE_STATE_UNDELIVERABLE,
    )


def run_simulator(*, host: str, port: int, rules: FailureRules) -> None:
    """Serve until interrupted (the ``smsc_simulator`` management command)."""
    asyncio.run(SmscSimulator(host=host, port=port, rules=rules).serve())


def digits(value: str) -> frozenset[str]:
    """A set of last digits from text such as ``"7,9"`` or ``"79"``."""
    return frozenset(character for character in value if character.isdigit())


__all__ = [
    "DELIVERY_RECEIPT_ESM_CLASS",
    "MMS_SERVICE_TYPE",
    "FailureRules",
    "ReceivedMessage",
    "SmscSimulator",
    "digits",
    "number_hash_bucket",
    "run_simulator",
]
