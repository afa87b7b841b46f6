from django.urls import path

from gridcare.web.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/bind/", views.bind_account, name="bind_account"),
    path("accounts/<str:account_no>/", views.account_detail, name="account_detail"),
    path("profile/mobile/", views.change_mobile, name="change_mobile"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("login/code/", views.PortalCodeLoginView.as_view(), name="login_code"),
    path("register/", views.register, name="register"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
