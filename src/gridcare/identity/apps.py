from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "gridcare.identity"
    verbose_name = _("Identity")

    def ready(self) -> None:
        """Audit logins, logouts and failed logins."""
        from django.contrib.auth import signals

        from gridcare.identity import signals as audit_receivers

        signals.user_logged_in.connect(audit_receivers.audit_login, dispatch_uid="gridcare.audit_login")
        signals.user_logged_out.connect(audit_receivers.audit_logout, dispatch_uid="gridcare.audit_logout")
        signals.user_login_failed.connect(
            audit_receivers.audit_login_failed, dispatch_uid="gridcare.audit_login_failed"
        )
