"""Admin pages for the notification configuration.

Templates are versioned: the admin adds a new version through the audited
:func:`~gridcare.notifications.operations.create_notification_template` (which ends the
previous one) and never edits or deletes one, since sent messages keep theirs. A template
naming a variable its event does not provide is refused with the error in both languages.
Policies and opt-outs are shown read-only (policies are written by
:func:`~gridcare.notifications.operations.create_delivery_policy`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.notifications import operations
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import DeliveryPolicy, NotificationTemplate, RecipientOptOut
from gridcare.notifications.rendering import check_template
from gridcare.organization.admin import PermissionAdmin, ViewOnlyAdmin


class NotificationTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = NotificationTemplate
        fields = ["event", "channel", "language", "valid_from", "subject", "body", "html_body"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            check_template(
                event=cleaned.get("event", ""),
                texts=(cleaned.get("subject", ""), cleaned.get("body", ""), cleaned.get("html_body", "")),
            )
        except GridCareError as error:
            raise forms.ValidationError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        return cleaned


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(PermissionAdmin):
    form = NotificationTemplateForm
    view_permission = Permission.VIEW_NOTIFICATIONS
    list_display = ["event", "channel", "language", "version", "valid_from", "valid_to"]
    list_filter = ["event", "channel", "language"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Only those the admin site lets in (holders of identity.manage_users) reach this.
        return True

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = operations.create_notification_template(
            actor=request.user,
            event=obj.event,
            channel=ChannelKind(obj.channel),
            language=obj.language,
            subject=obj.subject,
            body=obj.body,
            html_body=obj.html_body,
            valid_from=obj.valid_from,
            now=timezone.now(),
        )
        obj.pk, obj.version, obj.created_at = created.pk, created.version, created.created_at


@admin.register(DeliveryPolicy)
class DeliveryPolicyAdmin(ViewOnlyAdmin):
    view_permission = Permission.VIEW_NOTIFICATIONS
    list_display = ["event", "version", "urgent", "legally_required", "valid_from", "valid_to"]
    list_filter = ["event", "urgent", "legally_required"]


@admin.register(RecipientOptOut)
class RecipientOptOutAdmin(ViewOnlyAdmin):
    view_permission = Permission.VIEW_NOTIFICATIONS
    list_display = ["recipient_key", "channel", "source", "created_at"]
