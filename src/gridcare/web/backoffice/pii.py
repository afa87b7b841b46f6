"""The audited reveal of one customer's personal data (身份证号, phones) from the account page.

A POST, so the reveal is a deliberate act that CSRF protects and no link, prefetch or browser
history repeats; only holders of ``Permission.UNMASK_PII`` get it (403 otherwise), only for an
account in their org subtree (404 otherwise), and each reveal is an ``unmask_pii`` audit event.
The page is never cached.
"""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridcare.customers import queries as customer_queries
from gridcare.customers.models import Account
from gridcare.customers.operations import reveal_customer_pii
from gridcare.identity.access import ensure_permission, request_operation, staff_required
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission


@never_cache
@require_POST
@staff_required
def reveal_account_pii(request: HttpRequest, account_no: str) -> HttpResponse:
    """The unmasked ID number and phones of the account's customer, audited."""
    user = request.user
    # An audited denial (deny_permission), which staff_required turns into a 403.
    ensure_permission(user=user, permission=Permission.UNMASK_PII, operation=request_operation(request))
    try:
        account = customer_queries.get_account(user=user, account_no=account_no)
    except Account.DoesNotExist:
        raise Http404(_("No account %(account_no)s in your units.") % {"account_no": account_no}) from None
    # staff_required let only logged-in staff this far.
    revealed = reveal_customer_pii(actor=cast(User, user), customer=account.customer, now=timezone.now())
    context = {
        "account": account,
        "revealed": revealed,
        "breadcrumbs": [
            (_("Accounts"), reverse("web:account_search")),
            (account.account_no, reverse("web:account_detail", args=[account.account_no])),
            (_("Personal data"), ""),
        ],
    }
    return render(request, "web/backoffice/account_pii.html", context)
