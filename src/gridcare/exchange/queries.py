"""Reads for imports and exports, limited to the acting user's org scope.

An :class:`ExchangeScope` is the acting user (``None`` on the command line without
``--user``: the operator at the server's shell, who is not limited) and optionally one org
unit whose subtree further limits it. Reference lookups and exports start from the model's
``visible_to(user)`` and narrow to that subtree. Uniqueness checks (:func:`existing_keys`)
deliberately look at every row: a 户号 is unique across the whole company, even where the
importing user cannot see the holder.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Model, QuerySet

from gridcare.exchange.errors import ExchangeOrgUnitInvalid, ExchangeUserInvalid
from gridcare.identity.models import User
from gridcare.organization.models import OrgUnit


@dataclass(frozen=True, kw_only=True)
class ExchangeScope:
    """Who imports or exports, and within which org subtree."""

    user: User | None
    org_unit: OrgUnit | None = None
    #: When set, an export holds only these accounts and their customers: the accounts a
    #: four-eyes bulk-unmask grant names.
    account_nos: frozenset[str] | None = None

    @property
    def default_org_unit(self) -> OrgUnit | None:
        """The org unit a new record belongs to when its row names none."""
        if self.org_unit is not None:
            return self.org_unit
        return self.user.org_unit if self.user is not None else None


def covering_org_unit(*, scope: ExchangeScope) -> OrgUnit | None:
    """The most specific org unit whose subtree holds the whole of ``scope``: the batch of an
    import or export and its audit event belong to it, so the auditors of that unit and the
    units above it see them.

    That is the scope's org unit (``--org-unit``), else the acting user's org unit, else (the
    unrestricted command line, or a superuser, who sees every unit) the root of the org tree,
    the provincial company. ``None`` only when there is no single root.
    """
    if scope.org_unit is not None:
        return scope.org_unit
    user = scope.user
    if user is not None and not user.is_superuser and user.org_unit is not None:
        return user.org_unit
    roots = list(OrgUnit.objects.filter(parent__isnull=True)[:2])
    return roots[0] if len(roots) == 1 else None


def in_scope(model: type[Model], *, scope: ExchangeScope) -> QuerySet[Any]:
    """The rows of ``model`` (an org-scoped business model) visible in ``scope``."""
    manager: Any = model._default_manager
    rows: QuerySet[Any] = manager.all() if scope.user is None else manager.visible_to(scope.user)
    if scope.org_unit is not None:
        rows = rows.filter(org_unit__path__startswith=scope.org_unit.path)
    return rows


def org_units_in_scope(*, scope: ExchangeScope) -> QuerySet[OrgUnit]:
    """The org units records may be imported into: the user's subtree (all for a superuser or
    the command line), narrowed to the scope's org unit subtree."""
    units = OrgUnit.objects.all()
    user = scope.user
    if user is not None and not user.is_superuser:
        if user.org_unit is None or not user.is_active:
            return units.none()
        units = units.filter(path__startswith=user.org_unit.path)
    if scope.org_unit is not None:
        units = units.filter(path__startswith=scope.org_unit.path)
    return units


def find_in_scope(
    model: type[Model],
    *,
    scope: ExchangeScope,
    key: str,
    values: Collection[str],
    related: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The records of ``model`` in ``scope`` whose ``key`` field is one of ``values``, by key,
    with the ``related`` records loaded; one query."""
    if not values:
        return {}
    rows = org_units_in_scope(scope=scope) if model is OrgUnit else in_scope(model, scope=scope)
    if related:
        rows = rows.select_related(*related)
    return {getattr(record, key): record for record in rows.filter(**{f"{key}__in": list(values)})}


def existing_keys(
    rows: QuerySet[Any], *, key_fields: tuple[str, ...], holder_field: str | None = None
) -> dict[Hashable, tuple[int, str]]:
    """``{key: (pk, holder)}`` for the rows of ``rows`` (across all org units): the key is the
    value of the single key field or the tuple of several; ``holder`` the ``holder_field``
    value (e.g. the asset number of a meter occupying a metering point), else ``""``."""
    fields = [*key_fields, "pk"] + ([holder_field] if holder_field else [])
    found: dict[Hashable, tuple[int, str]] = {}
    width = len(key_fields)
    for values in rows.values_list(*fields):
        key = values[0] if width == 1 else tuple(values[:width])
        found[key] = (values[width], str(values[width + 1]) if holder_field else "")
    return found


def highest_pk(model: type[Model]) -> int:
    """The highest primary key of ``model`` now (0 if empty): rows above it were added since."""
    highest = model._default_manager.aggregate(highest=Max("pk"))["highest"]
    return int(highest or 0)


def find_exchange_user(*, username: str) -> User:
    """The active user who may import and export: staff bound to an org unit, or a superuser;
    else :class:`ExchangeUserInvalid`."""
    user = User.objects.select_related("org_unit").filter(username=username, is_active=True).first()
    if user is None or not (user.is_superuser or (user.is_staff and user.org_unit_id is not None)):
        raise ExchangeUserInvalid(username=username)
    return user


def find_scope_org_unit(*, code: str, user: User | None) -> OrgUnit:
    """The org unit with ``code`` if ``user`` may act in it (anyone on the command line), else
    :class:`ExchangeOrgUnitInvalid`."""
    unit = org_units_in_scope(scope=ExchangeScope(user=user)).filter(code=code).first()
    if unit is None:
        raise ExchangeOrgUnitInvalid(code=code)
    return unit


def resolve_scope(*, username: str | None, org_unit_code: str | None) -> ExchangeScope:
    """The scope named on the command line: ``--user`` (none: unrestricted) and ``--org-unit``
    (must lie within the user's org units)."""
    user = find_exchange_user(username=username) if username else None
    org_unit = find_scope_org_unit(code=org_unit_code, user=user) if org_unit_code else None
    return ExchangeScope(user=user, org_unit=org_unit)
