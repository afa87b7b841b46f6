"""Root URL configuration."""

from importlib.util import find_spec

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("gridcare.web.portal.urls")),
    path("api/", include("gridcare.web.api")),
    # the demo's sandbox payment provider (portalpay): answers 404 unless GRIDCARE_PAYMENT_SANDBOX
    path("sandbox-pay/", include("gridcare.demo.sandbox_urls")),
]
# The import and export pages are mounted once gridcare.exchange provides them.
if find_spec("gridcare.exchange.urls") is not None:
    urlpatterns.append(path("exchange/", include(("gridcare.exchange.urls", "exchange"))))
urlpatterns.append(path("", include("gridcare.web.backoffice.urls")))
