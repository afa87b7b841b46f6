"""Template tags and filters of the design system: ``{% load gridcare_web %}``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import template
from django.core.paginator import Page
from django.http import HttpRequest

from gridcare.customers import masking
from gridcare.identity.permissions import Permission, has_permission

register = template.Library()


@register.filter
def mask_id_number(value: str | None) -> str:
    """``{{ customer.id_number|mask_id_number }}`` → ``110***********1234``."""
    return masking.mask_id_number(value)


@register.filter
def mask_mobile(value: str | None) -> str:
    """``{{ contact.mobile|mask_mobile }}`` → ``138****5678``."""
    return masking.mask_mobile(value)


@register.filter
def mask_landline(value: str | None) -> str:
    """``{{ contact.landline|mask_landline }}`` → ``0531-******88``."""
    return masking.mask_landline(value)


@register.filter
def mask_bank_account_no(value: str | None) -> str:
    """``{{ account.bank_account_no|mask_bank_account_no }}`` → ``***************3445``."""
    return masking.mask_bank_account_no(value)


@register.filter
def can_unmask_pii(user: Any) -> bool:
    """``{% if request.user|can_unmask_pii %}``: whether the user may reveal personal data."""
    return has_permission(user, Permission.UNMASK_PII)


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], page_number: int) -> str:
    """The current URL's query string with ``page`` set to ``page_number`` (other parameters,
    such as the search text, are kept)."""
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    query["page"] = str(page_number)
    return "?" + query.urlencode()


@register.simple_tag
def elided_page_range(page: Page[Any]) -> Iterator[int | str]:
    """Page numbers around the current one, with the paginator's ellipsis for the gaps."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
