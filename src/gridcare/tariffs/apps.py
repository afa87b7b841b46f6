from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "gridcare.tariffs"
    label = "tariffs"
    verbose_name = _("Tariffs")

    def ready(self) -> None:
        from gridcare.tariffs.approvals import register_tariff_approval_kinds

        register_tariff_approval_kinds()
