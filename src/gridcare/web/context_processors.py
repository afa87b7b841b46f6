"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation entries the current user's roles may see (filled in by the web shell)."""
    return {"navigation": []}
