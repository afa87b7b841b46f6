"""Notification pages: the outbox list (filters: event, channel, state, dates), each message's
path and history, daily counts per channel and event, template previews — for holders of
``notifications.view`` — and the public unsubscribe page of e-mail links.

Contact details are masked unless the viewer holds ``pii.unmask``; one-time codes are never
shown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gridcare.identity.access import permission_required
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.clock import local_midnight
from gridcare.kit.errors import GridCareError
from gridcare.notifications import operations, queries
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.events import COMMON_VARIABLES, EVENT_TYPES
from gridcare.notifications.models import MessageState, NotificationTemplate
from gridcare.notifications.rendering import render_html, render_text

MESSAGES_PER_PAGE = 50
#: Days the daily counts page covers, ending today.
COUNTED_DAYS = 14


class NotificationFilterForm(forms.Form):
    """The filters of the message list; every field is optional. Dates are local days."""

    event = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", "—"), *((code, event.label) for code, event in EVENT_TYPES.items())],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", "—"), *((kind.value, kind.value) for kind in ChannelKind)],
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", "—"), *MessageState.choices])
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _unmasked(request: HttpRequest) -> bool:
    return has_permission(request.user, Permission.UNMASK_PII)


@permission_required(Permission.VIEW_NOTIFICATIONS)
def message_list(request: HttpRequest) -> HttpResponse:
    """The visible messages matching the filters, newest first, 50 a page."""
    form = NotificationFilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        messages = queries.search_messages(
            user=request.user,
            event=data["event"],
            channel=data["channel"],
            state=data["state"],
            created_from=data["date_from"],
            created_to=data["date_to"],
        )
    else:
        messages = queries.search_messages(user=request.user).none()
    page = Paginator(messages, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    unmasked = _unmasked(request)
    filter_query = request.GET.copy()
    filter_query.pop("page", None)
    rows = [
        {"message": message, "address": queries.shown_address(message=message, unmasked=unmasked)}
        for message in page.object_list
    ]
    context = {"filter_form": form, "page_obj": page, "rows": rows, "filter_query": filter_query.urlencode()}
    return render(request, "web/backoffice/notification_list.html", context)


@permission_required(Permission.VIEW_NOTIFICATIONS)
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message's notification: every step and fallback, each with its history."""
    path = queries.message_path(user=request.user, message_id=message_id)
    if path is None:
        raise Http404
    unmasked = _unmasked(request)
    steps = [
        {
            "message": message,
            "address": queries.shown_address(message=message, unmasked=unmasked),
            "body": queries.shown_body(message=message, unmasked=unmasked),
            "history": path.history[message.pk],
            "is_current": message.pk == message_id,
        }
        for message in path.messages
    ]
    return render(
        request, "web/backoffice/notification_detail.html", {"steps": steps, "first": path.messages[0]}
    )


@permission_required(Permission.VIEW_NOTIFICATIONS)
def daily_counts(request: HttpRequest) -> HttpResponse:
    """Messages of the last 14 local days per day, channel, event and state."""
    today = timezone.localdate()
    counts = queries.daily_counts(
        user=request.user,
        created_from=local_midnight(today - timedelta(days=COUNTED_DAYS - 1)),
        created_before=local_midnight(today + timedelta(days=1)),
    )
    return render(
        request, "web/backoffice/notification_counts.html", {"counts": counts, "days": COUNTED_DAYS}
    )


@permission_required(Permission.VIEW_NOTIFICATIONS)
def template_list(request: HttpRequest) -> HttpResponse:
    """Every template version, with the variables of its event."""
    templates = NotificationTemplate.objects.order_by("event", "channel", "language", "-version")
    rows = [
        {"template": template, "variables": sorted(EVENT_TYPES[template.event].variables | COMMON_VARIABLES)}
        for template in templates
        if template.event in EVENT_TYPES
    ]
    return render(request, "web/backoffice/notification_templates.html", {"rows": rows})


@permission_required(Permission.VIEW_NOTIFICATIONS)
def template_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    """The template rendered with its event's sample data."""
    template = get_object_or_404(NotificationTemplate, pk=template_id)
    sample: dict[str, Any] = dict(EVENT_TYPES[template.event].sample_context)
    sample["unsubscribe_url"] = "https://example.cn/notifications/unsubscribe/…/"
    context = {
        "template": template,
        "sample": sorted(sample.items()),
        "subject": render_text(source=template.subject, context=sample),
        "body": render_text(source=template.body, context=sample),
        "html_body": render_html(source=template.html_body, context=sample),
    }
    return render(request, "web/backoffice/notification_preview.html", context)


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The target of an e-mail's unsubscribe link: asks to confirm (GET), then opts the
    recipient out of e-mail (POST). Open to anyone holding the signed link."""
    context: dict[str, Any] = {"token": token, "done": False, "error": ""}
    if request.method == "POST":
        try:
            operations.opt_out_by_token(token=token, now=timezone.now())
        except GridCareError as error:
            context["error"] = error.message(get_language() or "zh-hans")
            return render(request, "web/notification_unsubscribe.html", context, status=400)
        context["done"] = True
    return render(request, "web/notification_unsubscribe.html", context)
