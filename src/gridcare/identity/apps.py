from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "gridcare.identity"
    verbose_name = _("Identity")

    def ready(self) -> None:
        """Audit logins, logouts, failed logins and lockouts; time sessions from login."""
        from django.contrib.auth import signals

        from gridcare.identity import signals as audit_receivers

        signals.user_logged_in.connect(audit_receivers.audit_login, dispatch_uid="gridcare.audit_login")
        signals.user_logged_out.connect(audit_receivers.audit_logout, dispatch_uid="gridcare.audit_logout")
        signals.user_login_failed.connect(
            audit_receivers.audit_login_failed, dispatch_uid="gridcare.audit_login_failed"
        )
        # Staff authentication (issue 3): audit lockouts; start the session clocks at login.
        from axes.signals import user_locked_out

        from gridcare.identity import lockout, middleware

        user_locked_out.connect(lockout.audit_lockout, dispatch_uid="gridcare.audit_lockout")
        signals.user_logged_in.connect(
            middleware.start_session_clocks, dispatch_uid="gridcare.start_session_clocks"
        )
