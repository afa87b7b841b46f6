"""The channel adapters as configured in ``settings.NOTIFICATION_CHANNELS`` (docs/channels.md)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings

from gridcare.notifications.channels.base import ChannelAdapter, ChannelKind
from gridcare.notifications.channels.email import SmtpAdapter, SmtpSecurity, SmtpSettings
from gridcare.notifications.channels.http_sms import HttpSmsAdapter, HttpSmsSettings
from gridcare.notifications.channels.letter import LetterAdapter, LetterSettings
from gridcare.notifications.channels.smpp import SmppAdapter, SmppSettings
from gridcare.notifications.channels.wechat import WeChatSettings, WeChatTemplateAdapter


def configured_adapter(*, kind: ChannelKind) -> ChannelAdapter:
    """A new adapter for ``kind`` from the settings (letters: :func:`configured_letter_adapter`)."""
    channels = _channel_settings()
    if kind is ChannelKind.EMAIL:
        email = channels["email"]
        return SmtpAdapter(
            settings=SmtpSettings(
                host=email["HOST"],
                port=int(email["PORT"]),
                security=SmtpSecurity(email["SECURITY"]),
                username=email["USERNAME"],
                password=email["PASSWORD"],
                sender=email["SENDER"],
                sender_name=email["SENDER_NAME"],
                timeout_seconds=float(email["TIMEOUT_SECONDS"]),
            )
        )
    if kind in {ChannelKind.SMS, ChannelKind.MMS}:
        sms = channels["sms"]
        if sms["GATEWAY"] == "http":
            return HttpSmsAdapter(
                kind=kind,
                settings=HttpSmsSettings(
                    url=sms["HTTP_URL"],
                    key_id=sms["HTTP_KEY_ID"],
                    secret=sms["HTTP_SECRET"],
                    sender=sms["SOURCE_ADDRESS"],
                    timeout_seconds=float(sms["TIMEOUT_SECONDS"]),
                ),
            )
        return SmppAdapter(
            kind=kind,
            settings=SmppSettings(
                host=sms["SMPP_HOST"],
                port=int(sms["SMPP_PORT"]),
                system_id=sms["SMPP_SYSTEM_ID"],
                password=sms["SMPP_PASSWORD"],
                system_type=sms["SMPP_SYSTEM_TYPE"],
                source_address=sms["SOURCE_ADDRESS"],
                timeout_seconds=float(sms["TIMEOUT_SECONDS"]),
                # Blank: the gateway takes no client reference (delivery is at-least-once).
                client_reference_tag=int(sms["SMPP_CLIENT_REFERENCE_TAG"], 0)
                if sms["SMPP_CLIENT_REFERENCE_TAG"]
                else None,
            ),
        )
    if kind is ChannelKind.WECHAT:
        wechat = channels["wechat"]
        return WeChatTemplateAdapter(
            settings=WeChatSettings(
                app_id=wechat["APP_ID"],
                app_secret=wechat["APP_SECRET"],
                default_template_id=wechat["DEFAULT_TEMPLATE_ID"],
                base_url=wechat["BASE_URL"],
                timeout_seconds=float(wechat["TIMEOUT_SECONDS"]),
            )
        )
    raise ValueError(f"Letters are gathered per batch: use configured_letter_adapter, not {kind}.")


def configured_letter_adapter(*, batch_id: str) -> LetterAdapter:
    """A letter adapter gathering the batch ``batch_id``, with the configured sender block."""
    sender_lines = tuple(
        line for line in str(_channel_settings()["letter"]["SENDER_LINES"]).split("|") if line
    )
    return LetterAdapter(settings=LetterSettings(sender_lines=sender_lines), batch_id=batch_id)


def _channel_settings() -> dict[str, dict[str, Any]]:
    """settings.NOTIFICATION_CHANNELS, its values read as each adapter's settings need them."""
    return cast("dict[str, dict[str, Any]]", settings.NOTIFICATION_CHANNELS)


__all__ = ["configured_adapter", "configured_letter_adapter"]
