"""The reconciliation screen (对账, docs/reconciliation.md): the imported bank statements of the
user's org units with their lines counted by status, one statement's lines filtered by status,
and the resolution forms of the lines still open — assign to an account, dismiss, accept what
the bank says. Holders of ``payments.reconcile`` only; statements are imported on the exchange
app's statement page or with ``gridcare import-statement``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridcare.customers.models import Account
from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.payments import statement_queries, statements
from gridcare.payments.models import BankStatement, LineDirection, LineStatus, PaymentChannel, StatementLine

#: The actions of the line forms, by URL name suffix.
ACTIONS = ("assign", "dismiss", "accept")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class AssignForm(ReasonForm):
    account_no = forms.CharField(label=gettext_lazy("Account number (户号)"), max_length=20)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(channel.value, channel.label) for channel in statements.BANK_CHANNELS],
    )
    field_order = ["account_no", "channel", "reason"]


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *LineStatus.choices],
    )


def _language() -> str:
    return translation.get_language() or "zh-hans"


def _actions_of(line: StatementLine) -> tuple[str, ...]:
    """The resolutions that fit the line's status."""
    if line.status == LineStatus.UNMATCHED and line.direction == LineDirection.CREDIT:
        return ("assign", "dismiss")
    if line.status in (LineStatus.AMOUNT_MISMATCH, LineStatus.DATE_MISMATCH):
        return ("accept", "dismiss")
    if line.status in statements.OPEN_STATUSES:
        return ("dismiss",)
    return ()


def _empty_form(action: str, line: StatementLine) -> forms.Form:
    form_class = AssignForm if action == "assign" else ReasonForm
    return form_class(prefix=f"{action}-{line.pk}")


@require_GET
@permission_required(Permission.RECONCILE)
def statement_list(request: HttpRequest) -> HttpResponse:
    """The statements of the user's org units, newest first, with their counts by status."""
    context = {"summaries": statement_queries.statement_summaries(user=request.user)}
    return render(request, "web/backoffice/reconciliation/statements.html", context)


def _statement_page(
    request: HttpRequest,
    statement: BankStatement,
    *,
    failed_line_id: int | None = None,
    failed_action: str = "",
    failed_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    filter_form = StatusFilterForm(request.GET or None)
    chosen = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    rows = []
    for line in statement_queries.statement_lines(
        user=request.user, statement=statement, status=chosen or None
    ):
        actions = _actions_of(line)
        if line.pk == failed_line_id and failed_action not in actions:
            # The refused form stays on the page with its error, though the line takes it no more.
            actions = (*actions, failed_action)
        line_forms = {
            action: failed_form
            if (line.pk == failed_line_id and action == failed_action and failed_form is not None)
            else _empty_form(action, line)
            for action in actions
        }
        rows.append({"line": line, "forms": line_forms})
    (summary,) = [
        summary
        for summary in statement_queries.statement_summaries(user=request.user)
        if summary.statement.pk == statement.pk
    ]
    context: dict[str, Any] = {
        "statement": statement,
        "summary": summary,
        "rows": rows,
        "filter_form": filter_form,
        "chosen": chosen,
    }
    return render(request, "web/backoffice/reconciliation/statement_detail.html", context, status=status)


def _visible_statement(request: HttpRequest, statement_id: int) -> BankStatement:
    statement = statement_queries.visible_statement(user=request.user, statement_id=statement_id)
    if statement is None:
        raise Http404
    return statement


@require_GET
@permission_required(Permission.RECONCILE)
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    """One statement's lines, filterable by status, with the forms of the open ones."""
    return _statement_page(request, _visible_statement(request, statement_id))


@require_POST
@permission_required(Permission.RECONCILE)
def resolve_line(request: HttpRequest, line_id: int, action: str) -> HttpResponse:
    """Assign, dismiss or accept one line; the statement page again, with the form's errors when
    refused."""
    line = statement_queries.visible_statement_line(user=request.user, line_id=line_id)
    if line is None or action not in ACTIONS:
        raise Http404
    form_class = AssignForm if action == "assign" else ReasonForm
    form = form_class(request.POST, prefix=f"{action}-{line.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            _run(request, action=action, line=line, data=data, form=form)
        except AccessDenied:
            raise
        except GridCareError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message(_language()))
        else:
            if not form.errors:
                messages.success(
                    request,
                    _("Line %(position)s of statement %(statement)s resolved.")
                    % {"position": line.position, "statement": line.statement.statement_id},
                )
                return redirect("web:statement_detail", statement_id=line.statement.pk)
    return _statement_page(
        request, line.statement, failed_line_id=line.pk, failed_action=action, failed_form=form, status=400
    )


def _run(
    request: HttpRequest, *, action: str, line: StatementLine, data: dict[str, Any], form: forms.Form
) -> None:
    now = timezone.now()
    user = request.user
    if action == "dismiss":
        statements.dismiss_statement_line(actor=user, line=line, reason=data["reason"], now=now)  # type: ignore[arg-type]
    elif action == "accept":
        statements.accept_statement_line(actor=user, line=line, reason=data["reason"], now=now)  # type: ignore[arg-type]
    else:
        account = (
            Account.objects.visible_to(user)
            .select_related("org_unit")
            .filter(account_no=data["account_no"])
            .first()
        )
        if account is None:
            form.add_error("account_no", _("No account with this number in your org units."))
            return
        statements.assign_statement_line(
            actor=user,  # type: ignore[arg-type]
            line=line,
            account=account,
            channel=PaymentChannel(data["channel"]),
            reason=data["reason"],
            now=now,
        )
