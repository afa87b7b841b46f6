"""Views shared by the back office and the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import LogoutView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcare.audit.operations import record_audit_event

#: The longest request path an audit event keeps, and the length of its object id column.
AUDITED_PATH_MAX_LENGTH = 200
OBJECT_ID_MAX_LENGTH = 64


class LogoutWithNoticeView(LogoutView):
    """Log out (POST only) and say so on the login page the user lands on."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A request refused by the CSRF check (``CSRF_FAILURE_VIEW``): audited as ``deny_csrf``
    (who, which path, Django's reason), answered with the 403 page."""
    user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
    with transaction.atomic():
        record_audit_event(
            actor=user,
            action="deny_csrf",
            target=None,
            object_type="http.request",
            object_id=f"{request.method} {request.path}"[:OBJECT_ID_MAX_LENGTH],
            org_unit_id=getattr(user, "org_unit_id", None),
            occurred_at=timezone.now(),
            changes={"reason": reason, "path": request.path[:AUDITED_PATH_MAX_LENGTH]},
        )
    page = loader.render_to_string(
        "403.html",
        {"exception": _("The form was stale or came from another site. Reload the page and try again.")},
        request,
    )
    return HttpResponseForbidden(page)
