"""Portal (网上营业厅) pages: the two logins, self-registration, binding an account, the
customer's accounts, and changing the login's mobile.

Every page a customer reads is scoped to the customer their login is bound to
(:func:`gridcare.customers.queries.accounts_of_portal_user`): another customer's 户号 in a URL
is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from gridcare.customers import queries as customer_queries
from gridcare.customers.operations import bind_portal_account
from gridcare.identity.access import portal_user_required
from gridcare.identity.errors import (
    MobileAlreadyRegistered,
    MobileInvalid,
    MobileUnchanged,
    MobileUsedByAnotherPortalUser,
    OneTimeCodeRejected,
    PasswordRejected,
    RateLimited,
)
from gridcare.identity.models import User
from gridcare.identity.portal_auth import (
    ONE_TIME_CODE_BACKEND,
    change_portal_user_mobile,
    register_portal_user,
    request_mobile_change_code,
    request_portal_login_code,
    request_portal_registration_code,
)
from gridcare.kit.errors import GridCareError
from gridcare.kit.masking import mask_mobile
from gridcare.web.portal.forms import (
    BindAccountForm,
    MobileChangeForm,
    PortalCodeLoginForm,
    PortalPasswordLoginForm,
    PortalRegistrationForm,
    client_address,
    error_text,
)
from gridcare.web.views import LogoutWithNoticeView


def _code_sent_notice(mobile: str) -> str:
    # The same words whether or not the mobile has a login: nobody learns which mobiles do.
    return _(
        "If %(mobile)s can receive our messages, a 6-digit code is on its way. It is valid for 5 minutes."
    ) % {"mobile": mask_mobile(mobile)}


class PortalLoginView(LoginView):
    """Account number (户号) or username + password."""

    form_class = PortalPasswordLoginForm
    template_name = "web/portal/login.html"
    redirect_authenticated_user = True
    next_page = "portal:home"
    extra_context = {"login_method": "password"}


class PortalCodeLoginView(LoginView):
    """Mobile + one-time code: "Send me a code" posts the mobile, "Log in" posts both."""

    # LoginView only needs form.get_user(), which this form has.
    form_class = PortalCodeLoginForm  # type: ignore[assignment]
    template_name = "web/portal/login.html"
    redirect_authenticated_user = True
    next_page = "portal:home"
    extra_context = {"login_method": "code"}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form: Any = self.get_form()  # a PortalCodeLoginForm; LoginView's types say AuthenticationForm
        if not form.is_valid():
            return self.form_invalid(form)
        if form.wants_code:
            return self.send_code(form)
        return self.form_valid(form)

    def send_code(self, form: PortalCodeLoginForm) -> HttpResponse:
        mobile = form.cleaned_data["mobile"]
        try:
            request_portal_login_code(
                mobile=mobile, client_address=client_address(self.request), now=timezone.now()
            )
        except RateLimited as refusal:
            form.add_error(None, error_text(refusal))
        else:
            messages.info(self.request, _code_sent_notice(mobile))
        return self.render_to_response(self.get_context_data(form=form))


class PortalLogoutView(LogoutWithNoticeView):
    next_page = "portal:login"


@sensitive_post_parameters("password1", "password2", "code")
def register(request: HttpRequest) -> HttpResponseBase:
    """Self-registration: mobile + one-time code + password; then the customer binds accounts."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = PortalRegistrationForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        if form.wants_code:
            try:
                request_portal_registration_code(
                    mobile=mobile, client_address=client_address(request), now=timezone.now()
                )
            except RateLimited as refusal:
                form.add_error(None, error_text(refusal))
            else:
                messages.info(request, _code_sent_notice(mobile))
        else:
            try:
                user = register_portal_user(
                    mobile=mobile,
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password1"],
                    now=timezone.now(),
                )
            except (OneTimeCodeRejected, PasswordRejected, MobileAlreadyRegistered, MobileInvalid) as error:
                form.add_error(error.field, error_text(error))
            else:
                login(request, user, backend=ONE_TIME_CODE_BACKEND)
                messages.success(
                    request, _("Your login is ready. Bind your electricity account to see it here.")
                )
                return redirect("portal:bind_account")
    return render(request, "web/portal/register.html", {"form": form})


@portal_user_required
def home(request: HttpRequest) -> HttpResponse:
    """The customer's accounts."""
    user = request.user
    context = {
        "customer": customer_queries.portal_customer(user=user),
        "accounts": customer_queries.accounts_of_portal_user(user=user),
    }
    return render(request, "web/portal/home.html", context)


@portal_user_required
def account_detail(request: HttpRequest, account_no: str) -> HttpResponse:
    """One of the customer's accounts; any other 户号 is a 404."""
    account = get_object_or_404(
        customer_queries.accounts_of_portal_user(user=request.user).select_related("customer"),
        account_no=account_no,
    )
    return render(request, "web/portal/account_detail.html", {"account": account})


@sensitive_post_parameters("proof")
@portal_user_required
def bind_account(request: HttpRequest) -> HttpResponse:
    """Bind an account by its 户号 and the last 6 characters of the holder's ID."""
    form = BindAccountForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = bind_portal_account(
                portal_user=request.user,  # type: ignore[arg-type]
                account_no=form.cleaned_data["account_no"],
                proof=form.cleaned_data["proof"],
                now=timezone.now(),
            )
        except GridCareError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request,
                _("Your login is now bound to the accounts of %(name)s.") % {"name": link.customer.name},
            )
            return redirect("portal:home")
    return render(request, "web/portal/bind_account.html", {"form": form})


@sensitive_post_parameters("code")
@portal_user_required
def change_mobile(request: HttpRequest) -> HttpResponse:
    """Change the login's mobile: a code goes to the new mobile, and the change takes effect once
    the code is entered."""
    user: User = request.user  # type: ignore[assignment]  # portal_user_required let in a User
    form = MobileChangeForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        if form.wants_code:
            try:
                request_mobile_change_code(
                    user=user, new_mobile=mobile, client_address=client_address(request), now=timezone.now()
                )
            except (RateLimited, MobileUnchanged, MobileUsedByAnotherPortalUser) as refusal:
                form.add_error(refusal.field, error_text(refusal))
            else:
                messages.info(
                    request,
                    _("A 6-digit code is on its way to %(mobile)s. It is valid for 5 minutes.")
                    % {"mobile": mask_mobile(mobile)},
                )
        else:
            try:
                change_portal_user_mobile(
                    user=user, new_mobile=mobile, code=form.cleaned_data["code"], now=timezone.now()
                )
            except (OneTimeCodeRejected, MobileUnchanged, MobileUsedByAnotherPortalUser) as refusal:
                form.add_error(refusal.field, error_text(refusal))
            else:
                messages.success(
                    request,
                    _("Your mobile number is now %(mobile)s. Log in by text message with it from now on.")
                    % {"mobile": mask_mobile(mobile)},
                )
                return redirect("portal:home")
    context = {"form": form, "current_mobile": mask_mobile(user.mobile)}
    return render(request, "web/portal/change_mobile.html", context)
