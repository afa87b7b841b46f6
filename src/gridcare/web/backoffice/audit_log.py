"""The audit browser: the audit events a holder of ``audit.view`` (审计员, 营销主管, 系统管理员)
may see, filtered and paged; holders of ``audit.export`` (审计员) download them as CSV (each
download is itself audited)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcare.audit import queries as audit_queries
from gridcare.audit.models import AuditEvent
from gridcare.audit.operations import export_audit_log
from gridcare.identity.access import permission_required
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_midnight
from gridcare.web.csv_export import Cell, streaming_csv_response
from gridcare.web.forms import AuditLogFilterForm

EVENTS_PER_PAGE = 50
#: Rows read per query while a download streams.
EXPORT_CHUNK_SIZE = 2000


@permission_required(Permission.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The filtered audit events, newest first, 50 a page."""
    form = AuditLogFilterForm(request.GET)
    if form.is_valid():
        events = audit_queries.search_audit_events(user=request.user, **_search_filters(form.cleaned_data))
    else:
        events = AuditEvent.objects.none()
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    filter_query = request.GET.copy()
    filter_query.pop("page", None)
    context = {
        "filter_form": form,
        "page_obj": page,
        "rows": [_row_cells(event) for event in page.object_list],
        "filter_query": filter_query.urlencode(),
    }
    return render(request, "web/backoffice/audit_log.html", context)


@permission_required(Permission.EXPORT_AUDIT_LOG)
def audit_log_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered audit events as a CSV download; the download is recorded as an
    ``export_audit_log`` event with its filters and row count."""
    form = AuditLogFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("The filters are not valid: %(errors)s") % {"errors": form.errors.as_text()}, status=400
        )
    filters = _search_filters(form.cleaned_data)
    given_filters = {key: value for key, value in form.cleaned_data.items() if value}
    events = export_audit_log(
        actor=request.user, filters=filters, given_filters=given_filters, now=timezone.now()
    )
    rows = (_row_cells(event) for event in events.iterator(chunk_size=EXPORT_CHUNK_SIZE))
    file_name = f"audit-log-{timezone.localdate():%Y%m%d}.csv"
    return streaming_csv_response(file_name=file_name, header=_header(), rows=rows)


def _search_filters(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """The query's keyword arguments from the form: local dates become the half-open range
    [start of ``date_from``, start of the day after ``date_to``)."""
    date_from, date_to = cleaned_data["date_from"], cleaned_data["date_to"]
    return {
        "actor_username": cleaned_data["actor"],
        "object_type": cleaned_data["object_type"],
        "object_id": cleaned_data["object_id"],
        "action": cleaned_data["action"],
        "request_id": cleaned_data["request_id"],
        "occurred_from": local_midnight(date_from) if date_from else None,
        "occurred_before": local_midnight(date_to + timedelta(days=1)) if date_to else None,
    }


def _header() -> Sequence[str]:
    return [
        _("Time"),
        _("Sequence"),
        _("Actor"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Org unit"),
        _("Changes"),
        _("Acting org unit"),
        _("Request id"),
        _("IP address"),
        _("Source"),
    ]


def _row_cells(event: AuditEvent) -> list[Cell]:
    """One event as the cells the page and the CSV show: local time, sequence, actor's
    username, action, object type and id, org unit name, the changes as compact JSON, and where
    the change came from: the actor's org unit name, request id, IP address and source."""
    return [
        f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S}",
        event.sequence,
        event.actor.username if event.actor else "",
        event.action,
        event.object_type,
        event.object_id,
        event.org_unit.name if event.org_unit else "",
        json.dumps(event.changes, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        event.acting_org_unit.name if event.acting_org_unit else "",
        event.request_id,
        event.ip_address or "",
        event.source,
    ]
