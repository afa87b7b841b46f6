from django.urls import path

from gridcare.web.backoffice import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("accounts/", views.account_search, name="account_search"),
    path("accounts/<str:account_no>/", views.account_detail, name="account_detail"),
]
