"""Portal (网上营业厅) pages: login and the customer's home with their accounts.

A shell for later issues (bills, payments, service requests).
"""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gridcare.customers import queries as customer_queries
from gridcare.identity.access import portal_user_required
from gridcare.web.forms import PortalAuthenticationForm
from gridcare.web.views import LogoutWithNoticeView


class PortalLoginView(LoginView):
    form_class = PortalAuthenticationForm
    template_name = "web/portal/login.html"
    redirect_authenticated_user = True
    next_page = "portal:home"


class PortalLogoutView(LogoutWithNoticeView):
    next_page = "portal:login"


@portal_user_required
def home(request: HttpRequest) -> HttpResponse:
    """The customer's accounts."""
    user = request.user
    context = {
        "customer": customer_queries.portal_customer(user=user),
        "accounts": customer_queries.accounts_of_portal_user(user=user),
    }
    return render(request, "web/portal/home.html", context)
