"""The upload form of the import page."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from gridcare.exchange.models import ExchangeKind

#: The largest file the upload page takes; larger files go through ``gridcare import``, which
#: streams from the server's disk instead of holding a web request open.
MAX_UPLOAD_MEGABYTES = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MEGABYTES * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ExchangeKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv (UTF-8 or GB18030) or .xlsx file; row 1 holds the column names."),
    )
    manifest = forms.FileField(
        label=_("Signed manifest"),
        required=False,
        max_length=255,
        help_text=_(
            "Optional: the file's .manifest.json from the integration that sent it. Its checksum "
            "and signature are checked before any row is read."
        ),
    )
    partial = forms.BooleanField(
        label=_("Import the good rows even if some rows are bad"),
        required=False,
        help_text=_("Without this, a file with any bad row imports nothing."),
    )

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        if uploaded.size is not None and uploaded.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(limit)d MB, the most this page takes. Import larger "
                    "files on the server with the command “gridcare import”."
                ),
                code="file_too_large",
                params={"limit": MAX_UPLOAD_MEGABYTES},
            )
        return uploaded
