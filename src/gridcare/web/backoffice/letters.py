"""Letter pages (paper notices such as 停电通知书): the batches of the user's units, printing a
new batch, a batch's letters with a "served" form each, and the batch's PDF.

Holders of ``notifications.record_letter_served`` (收费员, 客户经理, 用电检查员) see the batches
and record letters as served; holders of ``notifications.print_letters`` (收费员, 客户经理) print
batches and download their PDF (an audited export). Addresses are masked unless the viewer
holds ``pii.unmask``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.errors import GridCareError
from gridcare.notifications import letter_queries, letters
from gridcare.notifications.models import LetterBatch, OutboxMessage, ServiceMethod
from gridcare.organization.models import OrgUnit


class PrintBatchForm(forms.Form):
    """Which org unit's due letters (with the units below it) to print."""

    org_unit = forms.ModelChoiceField(label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[OrgUnit]", self.fields["org_unit"])
        field.queryset = OrgUnit.objects.changeable_by(user, Permission.PRINT_LETTERS).order_by("path")
        field.initial = getattr(user, "org_unit_id", None)


class LetterServedForm(forms.Form):
    """How, when and to whom a letter was served."""

    method = forms.ChoiceField(label=gettext_lazy("Service method"), choices=ServiceMethod.choices)
    served_at = forms.DateTimeField(
        label=gettext_lazy("Served at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    receiver_name = forms.CharField(label=gettext_lazy("Received by"), max_length=64, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _visible_batch(request: HttpRequest, batch_id: int) -> LetterBatch:
    batch = letter_queries.letter_batch(user=request.user, batch_id=batch_id)
    if batch is None:
        raise Http404
    return batch


def _language() -> str:
    return translation.get_language() or "zh-hans"


@permission_required(Permission.RECORD_LETTER_SERVED)
def letter_batches(request: HttpRequest) -> HttpResponse:
    """The visible batches, newest first, with the letters waiting and the print form."""
    user = request.user
    can_print = has_permission(user, Permission.PRINT_LETTERS)
    context = {
        "batches": letter_queries.letter_batches(user=user),
        "waiting": letter_queries.waiting_letter_count(user=user, now=timezone.now()),
        "print_form": PrintBatchForm(user=user) if can_print else None,
    }
    return render(request, "web/backoffice/letter_batches.html", context)


@require_POST
@permission_required(Permission.PRINT_LETTERS)
def letter_batch_print(request: HttpRequest) -> HttpResponse:
    """Print the due letters of the chosen org unit as a new batch and show it."""
    form = PrintBatchForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose one of your org units."))
        return redirect("web:letter_batches")
    try:
        batch = letters.print_letter_batch(
            actor=request.user, org_unit=form.cleaned_data["org_unit"], now=timezone.now()
        )
    except AccessDenied:
        raise
    except GridCareError as error:
        messages.error(request, error.message(_language()))
        return redirect("web:letter_batches")
    messages.success(
        request,
        _("Batch %(batch_no)s printed: %(count)d letters.")
        % {"batch_no": batch.batch_no, "count": batch.letter_count},
    )
    return redirect("web:letter_batch_detail", batch_id=batch.pk)


def _batch_page(
    request: HttpRequest,
    batch: LetterBatch,
    *,
    failed_message_id: int | None = None,
    failed_form: LetterServedForm | None = None,
    status: int = 200,
) -> HttpResponse:
    unmasked = has_permission(request.user, Permission.UNMASK_PII)
    rows = []
    for entry in letter_queries.batch_letters(batch=batch):
        message = entry.message
        service = getattr(message, "letter_service", None)
        form = failed_form if message.pk == failed_message_id else None
        rows.append(
            {
                "entry": entry,
                "message": message,
                "service": service,
                "name": letter_queries.letter_recipient_name(message=message),
                "address": letter_queries.shown_letter_address(message=message, unmasked=unmasked),
                "form": form or (LetterServedForm(prefix=f"m{message.pk}") if service is None else None),
            }
        )
    context = {
        "batch": batch,
        "rows": rows,
        "can_download": has_permission(request.user, Permission.PRINT_LETTERS),
    }
    return render(request, "web/backoffice/letter_batch_detail.html", context, status=status)


@permission_required(Permission.RECORD_LETTER_SERVED)
def letter_batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch: its letters in page order, each served or with its "record served" form."""
    return _batch_page(request, _visible_batch(request, batch_id))


@require_POST
@permission_required(Permission.RECORD_LETTER_SERVED)
def letter_served(request: HttpRequest, batch_id: int, message_id: int) -> HttpResponse:
    """Record one letter of the batch as served; the batch page again, with the form's errors
    when refused."""
    batch = _visible_batch(request, batch_id)
    message = (
        OutboxMessage.objects.visible_to(request.user)
        .filter(pk=message_id, letter_entry__batch=batch)
        .first()
    )
    if message is None:
        raise Http404
    form = LetterServedForm(request.POST, prefix=f"m{message.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            letters.record_letter_served(
                actor=request.user,
                message=message,
                method=ServiceMethod(data["method"]),
                receiver_name=data["receiver_name"],
                served_at=data["served_at"],
                note=data["note"],
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except GridCareError as error:
            form.add_error(error.field, error.message(_language()))
        else:
            messages.success(
                request, _("Letter %(page)s recorded as served.") % {"page": message.provider_message_id}
            )
            return redirect("web:letter_batch_detail", batch_id=batch.pk)
    return _batch_page(request, batch, failed_message_id=message.pk, failed_form=form, status=400)


@permission_required(Permission.PRINT_LETTERS)
def letter_batch_pdf(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The batch's PDF as printed, as a download (recorded as an export)."""
    batch = _visible_batch(request, batch_id)
    pdf = letters.export_letter_batch(actor=request.user, batch=batch, now=timezone.now())
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="letters-{batch.batch_no}.pdf"'},
    )
