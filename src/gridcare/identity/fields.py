"""Model fields for personal data: encrypted at rest, plaintext in Python, found by keyed hash.

``EncryptedTextField`` stores AES-GCM ciphertext bound to its ``table.column`` and gives the
plaintext back on load (model attributes, ``.values()``, ``.values_list()``). Its companion
``PiiHashField`` holds the keyed hash of the same value, computed on every save and
``bulk_create``, indexed, and carries the uniqueness and the exact-match searches::

    id_number = EncryptedTextField(_("resident ID number"), null=True, blank=True)
    id_number_hash = PiiHashField(source="id_number", kind="id_number", null=True)

    Customer.objects.filter(id_number_hash=pii_hash(text, kind="id_number"))

Ciphertext has a random nonce, so an encrypted column cannot be compared in SQL: lookups on it
are limited to ``isnull`` and equality with ``""``; everything else must use the hash column.
``QuerySet.update()`` does not recompute the hash, and ``save(update_fields=[...])`` naming the
value must name its hash field too (anything else is refused): an operation that changes a
personal value saves the hash field with it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import signals
from django.db.models.lookups import Exact, IsNull

from gridcare.identity.pii import decrypt_value, encrypt_value, pii_hash

#: The hex length of an HMAC-SHA256.
HASH_LENGTH = 64


class EncryptedLookupRefused(TypeError):
    """A lookup that cannot work on ciphertext (equality with a value, ``in``, ``contains``...)."""


class _EmptyOnlyExact(Exact):  # type: ignore[type-arg]
    """Equality with ``""`` only (what check constraints test); values are found by hash."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise EncryptedLookupRefused(
                f"{self.lhs.target} is encrypted: search it through its hash column with pii_hash()."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column holding AES-GCM ciphertext of a personal value (see the module docstring)."""

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        return encrypt_value(value, table=self.model._meta.db_table, column=self.column)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> str | None:
        return decrypt_value(value, table=self.model._meta.db_table, column=self.column)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EmptyOnlyExact
        raise EncryptedLookupRefused(
            f"{self.model._meta.label}.{self.name} is encrypted: the lookup {lookup_name!r} cannot work "
            "on it; search by its hash column."
        )

    def get_transform(self, lookup_name: str) -> Any:
        return None


class PiiHashField(models.CharField):  # type: ignore[type-arg]
    """The keyed hash of the model's ``source`` field as a value of ``kind``, kept current on save."""

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", HASH_LENGTH)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        kwargs.pop("editable", None)
        if kwargs.get("max_length") == HASH_LENGTH:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = pii_hash(getattr(model_instance, self.source), kind=self.kind)
        setattr(model_instance, self.attname, value)
        return value

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not cls._meta.abstract:
            signals.pre_save.connect(self._refuse_stale_hash, sender=cls)

    def _refuse_stale_hash(self, *, update_fields: frozenset[str] | None, **_kwargs: Any) -> None:
        """``save(update_fields=[...])`` naming the source but not this field would leave the hash
        of the old value: refuse it before anything is written."""
        if update_fields is not None and self.source in update_fields and self.name not in update_fields:
            raise ValueError(
                f"save(update_fields=...) names {self.source!r} without {self.name!r}: "
                "the keyed hash would go stale."
            )


__all__ = ["HASH_LENGTH", "EncryptedLookupRefused", "EncryptedTextField", "PiiHashField"]
