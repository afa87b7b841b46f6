from django.urls import path

from gridcare.web.backoffice import audit_log, integrations, pii, security, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("accounts/", views.account_search, name="account_search"),
    path("accounts/<str:account_no>/", views.account_detail, name="account_detail"),
    path("accounts/<str:account_no>/personal-data/", pii.reveal_account_pii, name="account_pii"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/export.csv", audit_log.audit_log_csv, name="audit_log_csv"),
    # Staff authentication (issue 3): own password and MFA, the MFA login step, lockouts.
    path("security/", security.security_overview, name="security"),
    path("security/password/", security.password_change, name="password_change"),
    path("security/mfa/enrol/", security.mfa_enrol, name="mfa_enrol"),
    path("security/mfa/verify/", security.mfa_verify, name="mfa_verify"),
    path(
        "security/mfa/recovery-codes/",
        security.recovery_codes_regenerate,
        name="mfa_recovery_codes_regenerate",
    ),
    path("security/lockouts/", security.lockouts, name="lockouts"),
    path("security/lockouts/unlock/", security.unlock, name="unlock"),
    path("integrations/", integrations.integrations, name="integrations"),
    path("integrations/<str:name>/rotate", integrations.rotate, name="integration_rotate"),
    path("integrations/<str:name>/revoke", integrations.revoke, name="integration_revoke"),
]
