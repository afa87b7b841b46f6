"""Where the code that records an audit event was started from: a web request (its request id
and client IP) or a command or job (its name). The interface that starts the work sets the
context (:class:`gridcare.web.request_context.RequestContextMiddleware`, ``gridcare <command>``);
:func:`gridcare.audit.operations.record_audit_event` and the log lines read it.

The context lives in a :class:`contextvars.ContextVar`, so concurrent requests (threads or
asyncio tasks) each see their own.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: The source of events recorded while serving a web request.
HTTP_SOURCE = "http"
#: The prefix of a command's source, e.g. ``command:import``.
COMMAND_SOURCE_PREFIX = "command:"
#: Shown in log lines written outside a request.
NO_REQUEST_ID = "-"

# A UUID, or a short opaque token as load balancers and tracing proxies send: letters, digits,
# "-" and "_" only, so the value cannot break a log line, a CSV cell or an HTTP header.
_WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")


@dataclass(frozen=True)
class AuditContext:
    """What started the current work: ``source`` (``http``, ``command:<name>``), and for a
    request its ``request_id`` and the client's ``ip_address``."""

    source: str = ""
    request_id: str = ""
    ip_address: str | None = None


_NO_CONTEXT = AuditContext()
_current: ContextVar[AuditContext] = ContextVar("gridcare_audit_context", default=_NO_CONTEXT)


def current_audit_context() -> AuditContext:
    """The context set by the innermost :func:`audit_context`; empty fields outside any (a test,
    a bare Python process)."""
    return _current.get()


@contextmanager
def audit_context(
    *, source: str, request_id: str = "", ip_address: str | None = None
) -> Iterator[AuditContext]:
    """Run the ``with`` block in a context: audit events and log lines written inside carry it."""
    context = AuditContext(source=source, request_id=request_id, ip_address=ip_address)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def command_source(command_name: str) -> str:
    """The source of events recorded by the command ``command_name``: ``command:<name>``."""
    return f"{COMMAND_SOURCE_PREFIX}{command_name}"


def accepted_request_id(value: str | None) -> str | None:
    """``value`` when it is a well-formed request id (a UUID, or 8 to 64 letters, digits,
    ``-`` and ``_`` starting with a letter or digit), else ``None``."""
    if value and _WELL_FORMED_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    """A fresh random request id (a UUID4 in its canonical text form)."""
    return str(uuid.uuid4())


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every log record, so a log line can be
    matched with the audit events and the response of the same request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_audit_context().request_id or NO_REQUEST_ID
        return True
