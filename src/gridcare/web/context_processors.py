"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from gridcare.web.navigation import NavigationLink, navigation_for


def navigation(request: HttpRequest) -> dict[str, list[NavigationLink]]:
    """The navigation links the current user sees (see :mod:`gridcare.web.navigation`)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"navigation": []}
    return {"navigation": navigation_for(user=user, current_path=request.path)}
