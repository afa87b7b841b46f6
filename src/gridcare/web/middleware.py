"""Language selection: Chinese first, English when the user chose it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Activate the language the user picked with the switch (the language cookie), else zh-Hans.

    Django's own middleware would follow the browser's Accept-Language header, so an English
    browser on the utility's internal network would see English first; GridCare's users work in
    Chinese, and English is an explicit choice.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
