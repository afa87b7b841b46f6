"""Values and helpers shared by the portal's HTTP tests."""

from __future__ import annotations

import re
from typing import Any

MOBILE_ZHANG_PORTAL = "13812345678"
UNKNOWN_MOBILE = "13900001111"
CLIENT_ADDRESS = "127.0.0.1"


def flash_messages(response: Any) -> list[str]:
    """The flash messages a page shows."""
    return [str(message) for message in response.context["messages"]]


def form_errors(response: Any) -> dict[str, list[str]]:
    """The errors of the page's form, by field (``__all__`` for the form as a whole)."""
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def without_tokens(content: bytes) -> str:
    """A page with its CSRF tokens blanked (they differ per response)."""
    page = re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', content.decode()
    )
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', page)
