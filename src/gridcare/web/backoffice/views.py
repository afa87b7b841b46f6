"""Back-office pages: login, home dashboard, account search and account page."""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcare.customers import queries as customer_queries
from gridcare.customers.models import Account
from gridcare.identity.access import permission_required, staff_required
from gridcare.identity.permissions import Permission
from gridcare.metering import queries as metering_queries
from gridcare.web.forms import AccountSearchForm, StaffAuthenticationForm
from gridcare.web.views import LogoutWithNoticeView

ACCOUNTS_PER_PAGE = 25


class StaffLoginView(LoginView):
    form_class = StaffAuthenticationForm
    template_name = "web/backoffice/login.html"
    redirect_authenticated_user = True


class StaffLogoutView(LogoutWithNoticeView):
    next_page = "web:login"


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: how many accounts, metering points, meters and reads the user's unit has."""
    user = request.user
    counts = {
        "accounts": customer_queries.count_accounts(user=user),
        "metering_points": metering_queries.count_metering_points(user=user),
        "meters": metering_queries.count_meters(user=user),
        "reads": metering_queries.count_meter_reads(user=user),
    }
    return render(request, "web/backoffice/home.html", {"counts": counts})


@permission_required(Permission.VIEW_CUSTOMERS)
def account_search(request: HttpRequest) -> HttpResponse:
    """The account list, filtered by the search text ``q`` and paginated."""
    form = AccountSearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    accounts = customer_queries.search_accounts(user=request.user, text=text)
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/backoffice/account_search.html",
        {"search_form": form, "search_text": text, "page_obj": page},
    )


@permission_required(Permission.VIEW_CUSTOMERS)
def account_detail(request: HttpRequest, account_no: str) -> HttpResponse:
    """One account with its customer, contacts, metering points, meters and recent reads."""
    user = request.user
    try:
        account = customer_queries.get_account(user=user, account_no=account_no)
    except Account.DoesNotExist:
        raise Http404(_("No account %(account_no)s in your units.") % {"account_no": account_no}) from None
    context = {
        "account": account,
        "breadcrumbs": [(_("Accounts"), reverse("web:account_search")), (account.account_no, "")],
        "contacts": customer_queries.customer_contacts(user=user, customer=account.customer),
        "metering_points": metering_queries.metering_points_of_account(user=user, account=account),
        "status_history": customer_queries.account_status_history(user=user, account=account),
        "manager_assignment": customer_queries.current_account_manager(
            user=user, account=account, as_of=timezone.localdate()
        ),
    }
    return render(request, "web/backoffice/account_detail.html", context)
