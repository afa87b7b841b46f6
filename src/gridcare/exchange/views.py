"""The import and export page for staff: upload a file, see its report; download exports."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridcare.exchange.errors import KindUnknown
from gridcare.exchange.files import FileFormat
from gridcare.exchange.forms import UploadForm
from gridcare.exchange.kinds import KINDS
from gridcare.exchange.manifests import MAX_MANIFEST_BYTES, check_manifest
from gridcare.exchange.models import ExchangeKind
from gridcare.exchange.operations import ImportReport, export_file, export_unmasked_with_grant, import_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.identity.access import ensure_permission, permission_required, request_operation, staff_required
from gridcare.identity.errors import AccessDenied
from gridcare.identity.permissions import Permission, has_permission
from gridcare.kit.errors import GridCareError

View = Callable[..., HttpResponseBase]


@require_http_methods(["GET", "POST"])
@staff_required
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form; after a POST, the import's counts and the report of its bad rows.

    The page is for holders of ``exchange.import`` or ``exchange.export`` (each sees their
    part); a POST takes ``exchange.import``, and the import itself the kind's change permission."""
    user = request.user
    can_import = has_permission(user, Permission.IMPORT_DATA)
    can_export = has_permission(user, Permission.EXPORT_DATA)
    if request.method == "POST" or not can_export:
        ensure_permission(user=user, permission=Permission.IMPORT_DATA, operation=request_operation(request))
    report: ImportReport | None = None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        manifest = form.cleaned_data["manifest"]
        uploaded.seek(0)
        try:
            if manifest is not None:
                check_manifest(
                    stream=uploaded.file,
                    file_name=uploaded.name,
                    manifest=manifest.read(MAX_MANIFEST_BYTES),
                    manifest_name=manifest.name,
                )
            report = import_file(
                kind=form.cleaned_data["kind"],
                stream=uploaded.file,
                file_name=uploaded.name,
                scope=ExchangeScope(user=request.user),  # type: ignore[arg-type]
                partial=form.cleaned_data["partial"],
                now=timezone.now(),
            )
        except AccessDenied:
            raise  # a 403, recorded by staff_required
        except GridCareError as error:
            field = "manifest" if error.code.startswith("manifest_") else "file"
            form.add_error(field, error.message(get_language() or "zh-hans"))
    context = {
        "form": form,
        "report": report,
        "problems": _problem_rows(report),
        "kinds": _kind_help(),
        "formats": [file_format.value for file_format in FileFormat],
        "can_import": can_import,
        "can_export": can_export,
    }
    return render(request, "exchange/upload.html", context)


@require_GET
@permission_required(Permission.EXPORT_DATA)
def export(request: HttpRequest, kind: str, file_format: str) -> FileResponse:
    """Download every record of ``kind`` the user may see, as CSV or XLSX."""
    if kind not in KINDS or file_format not in FileFormat.__members__.values():
        raise Http404(_("No such export."))
    file_name = f"{kind}-{timezone.localdate():%Y%m%d}.{file_format}"
    # Spooled to a temporary file: the export streams rows out of the database, and the audit
    # event records how many were written before the download starts.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    export_file(
        kind=kind,
        stream=spool,
        file_format=FileFormat(file_format),
        file_name=file_name,
        scope=ExchangeScope(user=request.user),  # type: ignore[arg-type]
        now=timezone.now(),
        # Personal data stays masked here; unmasked files come only from an approved
        # bulk-unmask request, through export_unmasked below.
        unmask_pii=False,
    )
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=file_name)


@require_POST
@permission_required(Permission.UNMASK_PII_IN_BULK)
def export_unmasked(request: HttpRequest, grant_id: int, kind: str) -> HttpResponseBase:
    """Download, once, the accounts (or their customers) of the user's approved bulk-unmask
    request as CSV with personal data unmasked; the approval is spent by the download."""
    file_name = f"{kind}-unmasked-{timezone.localdate():%Y%m%d}.csv"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        export_unmasked_with_grant(
            grant_id=grant_id,
            kind=kind,
            stream=spool,
            file_format=FileFormat.CSV,
            file_name=file_name,
            user=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
    except KindUnknown as error:
        spool.close()
        raise Http404(error.message(get_language() or "zh-hans")) from error
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=file_name)
    response["Cache-Control"] = "no-store"
    return response


def _problem_rows(report: ImportReport | None) -> list[dict[str, object]]:
    if report is None:
        return []
    language = get_language() or "zh-hans"
    return [
        {
            "row": problem.row,
            "column": problem.column,
            "value": problem.value,
            "reason": problem.message(language),
        }
        for problem in report.problems
    ]


def _kind_help() -> list[dict[str, object]]:
    """Each kind with its columns, for the page's help and export links."""
    return [
        {
            "name": kind.name,
            "label": ExchangeKind(kind.name).label,
            "columns": [
                {
                    "name": column.name,
                    "required": column.required,
                    "description": kind.describe(column),
                    "format": column.parser.hint,
                }
                for column in kind.columns
            ],
        }
        for kind in KINDS.values()
    ]
