"""Views shared by the back office and the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class LogoutWithNoticeView(LogoutView):
    """Log out (POST only) and say so on the login page the user lands on."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response
