"""Django's ``user.has_perm`` answered from GridCare's permission vocabulary.

Listed in ``AUTHENTICATION_BACKENDS``, :class:`RolePermissionBackend` lets code below identity
in the layers (the org-scoped querysets and admin base classes of ``organization``) ask
``user.has_perm("customers.change")`` without importing :mod:`gridcare.identity.permissions`.
It authenticates nobody.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from gridcare.identity.permissions import permissions_of


class RolePermissionBackend(BaseBackend):
    """Permissions are the user's roles' (:func:`~gridcare.identity.permissions.permissions_of`)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return {str(permission) for permission in permissions_of(user_obj)}

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        # Permission is a StrEnum: a plain string equals (and hashes like) its member.
        return perm in permissions_of(user_obj)
