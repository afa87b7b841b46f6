"""Admin pages of the tariff catalog.

Tariffs and their versions are shown to everyone the admin site lets in (tariffs are public
prices). Holders of ``tariffs.change`` who see the whole org tree add a version by pasting or
editing its JSON document: the form reports each schema problem with its field path in both
languages, and an overlapping start, before anything is saved; saving goes through the audited
:func:`~gridcare.tariffs.operations.publish_tariff_version`. Saved versions are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridcare.identity.access import sees_whole_org_tree
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.organization.admin import PermissionAdmin, ViewOnlyAdmin
from gridcare.organization.models import holds_permission
from gridcare.tariffs import operations
from gridcare.tariffs.models import Tariff, TariffKind, TariffVersion


def _both_languages(error: GridCareError) -> str:
    return f"{error.message('zh-hans')} / {error.message('en')}"


class TariffVersionForm(forms.ModelForm):  # type: ignore[type-arg]
    document = forms.JSONField(
        label=_("document"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
        help_text=_("A GridCare tariff document (JSON); its code names the tariff. See docs/tariffs.md."),
    )

    class Meta:
        model = TariffVersion
        fields = ["valid_from", "document"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "document" not in cleaned:
            return cleaned
        try:
            parsed = operations.validate_tariff_document(cleaned["document"])
        except GridCareError as error:
            self.add_error("document", _both_languages(error))
            return cleaned
        if cleaned.get("valid_from") is not None:
            try:
                operations.check_new_tariff_version(
                    code=parsed.code, kind=TariffKind.GRIDCARE, valid_from=cleaned["valid_from"]
                )
            except GridCareError as error:
                self.add_error("valid_from", _both_languages(error))
        return cleaned


@admin.register(Tariff)
class TariffAdmin(ViewOnlyAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(TariffVersion)
class TariffVersionAdmin(PermissionAdmin):
    form = TariffVersionForm
    list_display = ["tariff", "version", "valid_from", "valid_to", "source", "created_at"]
    list_filter = ["tariff__kind"]
    search_fields = ["tariff__code"]
    list_select_related = ["tariff"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return holds_permission(request.user, Permission.CHANGE_TARIFFS) and sees_whole_org_tree(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["valid_from", "document"]
        return ["tariff", "version", "valid_from", "valid_to", "source", "document_sha256", "document"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = operations.publish_tariff_version(
            actor=request.user,  # type: ignore[arg-type]
            document=form.cleaned_data["document"],
            valid_from=form.cleaned_data["valid_from"],
            source="admin",
            now=timezone.now(),
        )
        obj.pk, obj.tariff, obj.version = created.pk, created.tariff, created.version
