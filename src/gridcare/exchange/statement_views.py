"""The statement upload page: a bank statement file (camt.053, camt.054 or the statement CSV)
with its optional signed manifest, for holders of ``payments.reconcile``; a refused file shows
every bad entry or row (docs/reconciliation.md)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from gridcare.exchange.manifests import MAX_MANIFEST_BYTES
from gridcare.exchange.statements import import_statement_file
from gridcare.identity.access import permission_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit
from gridcare.payments.errors import StatementFileInvalid
from gridcare.payments.statement_formats import MAX_STATEMENT_BYTES, describe_problems


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("ISO 20022 camt.053 or camt.054 XML, or the statement CSV (UTF-8, header row)."),
    )
    manifest = forms.FileField(
        label=_("Signed manifest"),
        required=False,
        help_text=_("Optional: the file's .manifest.json; its checksum and signature are checked first."),
    )
    bank = forms.CharField(
        label=_("Bank"), required=False, max_length=100, help_text=_("Only when the file does not name it.")
    )
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[OrgUnit]", self.fields["org_unit"])
        field.queryset = OrgUnit.objects.changeable_by(user, Permission.RECONCILE).order_by("path")
        field.initial = getattr(user, "org_unit_id", None)

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        if uploaded.size is not None and uploaded.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB."),
                code="file_too_large",
                params={"limit": MAX_STATEMENT_BYTES // (1024 * 1024)},
            )
        return uploaded


@require_http_methods(["GET", "POST"])
@permission_required(Permission.RECONCILE)
def statement_upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a statement imported goes to its reconciliation page, a refused one
    stays here with its problems."""
    form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
    problems: list[dict[str, Any]] = []
    language = get_language() or "zh-hans"
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        manifest = form.cleaned_data["manifest"]
        try:
            statement = import_statement_file(
                actor=request.user,  # type: ignore[arg-type]
                org_unit=form.cleaned_data["org_unit"],
                content=uploaded.read(),
                file_name=uploaded.name,
                bank=form.cleaned_data["bank"],
                manifest=manifest.read(MAX_MANIFEST_BYTES) if manifest is not None else None,
                manifest_name=manifest.name if manifest is not None else "",
                now=timezone.now(),
            )
        except AccessDenied:
            raise
        except StatementFileInvalid as error:
            form.add_error("file", error.message(language))
            problems = describe_problems(error.problems, language=language)
        except GridCareError as error:
            form.add_error(
                "manifest" if error.code.startswith("manifest_") else "file", error.message(language)
            )
        else:
            return redirect("web:statement_detail", statement_id=statement.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "exchange/statement_upload.html", {"form": form, "problems": problems}, status=status
    )
