"""The staff password policy: character classes, no reuse of recent passwords, maximum age.

The validators plug into Django's ``AUTH_PASSWORD_VALIDATORS`` (with Django's own length,
similarity, common-password and all-digits checks), so every form that sets a password and
:func:`gridcare.identity.operations.change_password` apply the same rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridcare.identity.models import PasswordHistory

#: The four character classes a password draws from.
CHARACTER_CLASSES: tuple[tuple[str, Any], ...] = (
    ("upper", str.isupper),
    ("lower", str.islower),
    ("digit", str.isdigit),
    ("symbol", lambda character: not character.isalnum()),
)

#: How many of a user's passwords (the current one included) cannot be chosen again.
REMEMBERED_PASSWORDS = 5


def character_classes_of(password: str) -> set[str]:
    """The classes (upper, lower, digit, symbol) that ``password`` uses."""
    return {name for name, belongs in CHARACTER_CLASSES if any(belongs(character) for character in password)}


class MinimumLengthValidator:
    """At least ``min_length`` characters (Django's own validator's message is not translated)."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(self._message(), code="password_too_short")

    def get_help_text(self) -> str:
        return self._message()

    def _message(self) -> str:
        return ngettext(
            "The password must have at least %(count)d character.",
            "The password must have at least %(count)d characters.",
            self.min_length,
        ) % {"count": self.min_length}


class CharacterClassValidator:
    """At least ``min_classes`` of: upper-case letters, lower-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if len(character_classes_of(password)) < self.min_classes:
            raise ValidationError(self._message(), code="password_too_few_character_classes")

    def get_help_text(self) -> str:
        return self._message()

    def _message(self) -> str:
        return _(
            "The password must use at least %(count)d of these: upper-case letters, lower-case "
            "letters, digits and symbols."
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Refuses the user's current password and the ones before it, ``remembered`` in all."""

    def __init__(self, remembered: int = REMEMBERED_PASSWORDS) -> None:
        self.remembered = remembered

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        if any(
            check_password(password, encoded) for encoded in recent_password_hashes(user, self.remembered)
        ):
            raise ValidationError(self._message(), code="password_recently_used")

    def get_help_text(self) -> str:
        return self._message()

    def _message(self) -> str:
        return ngettext(
            "The password must differ from your last password.",
            "The password must differ from your last %(count)d passwords.",
            self.remembered,
        ) % {"count": self.remembered}


def recent_password_hashes(user: Any, count: int) -> list[str]:
    """The hashes of ``user``'s last ``count`` passwords, newest first: the stored history,
    or the current hash for a user whose history is empty."""
    hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:count])
    if not hashes and user.password:
        hashes = [user.password]
    return hashes


def password_max_age() -> timedelta | None:
    """How long a password stays valid (``GRIDCARE_PASSWORD_MAX_AGE_DAYS``); None when never."""
    days = settings.GRIDCARE_PASSWORD_MAX_AGE_DAYS
    return timedelta(days=days) if days else None


def password_expires_at(user: Any) -> datetime | None:
    """When ``user``'s password expires: its age counts from when it was set (from joining for
    a user created before ages were recorded); None when passwords never expire."""
    max_age = password_max_age()
    if max_age is None:
        return None
    set_at = user.password_changed_at or user.date_joined
    return set_at + max_age  # type: ignore[no-any-return]


def password_change_required(*, user: Any, now: datetime) -> bool:
    """Whether ``user`` must choose a new password before anything else: a new user, one whose
    password an administrator reset, or one whose password is older than the maximum age."""
    if user.must_change_password:
        return True
    expires_at = password_expires_at(user)
    return expires_at is not None and now >= expires_at
