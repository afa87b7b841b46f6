from django.urls import path

from gridcare.web.backoffice import audit_log, pii, views

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
]
