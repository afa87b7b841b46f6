"""The sandbox payment provider's pages (gridcare.demo.payment_sandbox), mounted at /sandbox-pay/."""

from django.urls import path

from gridcare.demo import payment_sandbox

app_name = "sandbox_pay"
urlpatterns = [
    path("", payment_sandbox.sandbox_home, name="home"),
    path("gateway/", payment_sandbox.gateway, name="gateway"),
]
