"""The request id and client IP of every request, for the audit log and the log lines.

Each request gets a request id: the caller's ``X-Request-ID`` when it is well formed (a load
balancer or tracing proxy in front may set one), else a new UUID4; the response carries it
back in ``X-Request-ID``. The client IP is the connection's peer address (``REMOTE_ADDR``); only
when that peer is one of the proxies in ``settings.GRIDCARE_TRUSTED_PROXIES`` is
``X-Forwarded-For`` believed, read from the right and skipping the trusted proxies, because
anyone else can write any address there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from gridcare.audit.context import HTTP_SOURCE, accepted_request_id, audit_context, new_request_id

REQUEST_ID_HEADER = "X-Request-ID"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RequestContextMiddleware:
    """Runs each request inside an :func:`~gridcare.audit.context.audit_context` holding its
    request id, client IP and the ``http`` source, and echoes the request id in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        ip_address = client_ip_address(
            remote_addr=request.META.get("REMOTE_ADDR", ""),
            forwarded_for=request.headers.get("X-Forwarded-For", ""),
            trusted_proxies=_trusted_networks(tuple(settings.GRIDCARE_TRUSTED_PROXIES)),
        )
        with audit_context(source=HTTP_SOURCE, request_id=request_id, ip_address=ip_address):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def client_ip_address(
    *, remote_addr: str, forwarded_for: str, trusted_proxies: Sequence[IpNetwork]
) -> str | None:
    """The client's IP address: the peer's, unless the peer is a trusted proxy, in which case
    the right-most ``X-Forwarded-For`` address that is not itself a trusted proxy. ``None`` when
    the peer address is not an IP address (e.g. a Unix socket)."""
    peer = _address(remote_addr)
    if peer is None or not _is_trusted(peer, trusted_proxies):
        return None if peer is None else str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break  # a malformed hop: stop at the last address a trusted proxy vouched for
        client = address
        if not _is_trusted(address, trusted_proxies):
            break
    return str(client)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text``, without an IPv6 zone (``fe80::1%eth0``), which the database's
    address column cannot hold; ``None`` when ``text`` is no address."""
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted_proxies: Sequence[IpNetwork]
) -> bool:
    return any(address in network for network in trusted_proxies)


@lru_cache(maxsize=4)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    """The trusted proxies setting as networks (a single address is a /32 or /128 network)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
