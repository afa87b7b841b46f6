from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "gridcare.web"
    verbose_name = _("Web")


class GridCareAdminConfig(admin_apps.AdminConfig):
    """Django's admin with GridCare's site (:class:`gridcare.web.admin_site.GridCareAdminSite`):
    only holders of ``identity.manage_users`` and superusers enter it."""

    default = False  # WebConfig stays the default of this module
    default_site = "gridcare.web.admin_site.GridCareAdminSite"
