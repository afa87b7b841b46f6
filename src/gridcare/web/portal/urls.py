from django.urls import path

from gridcare.web.portal import bills, payments, views  # bills: billing pages (issue 5)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/bind/", views.bind_account, name="bind_account"),
    path("accounts/<str:account_no>/", views.account_detail, name="account_detail"),
    path("profile/mobile/", views.change_mobile, name="change_mobile"),
    # billing pages (issue 5): the customer's issued bills, one bill, its PDF
    path("bills/", bills.bills, name="bills"),
    path("bills/<str:number>/", bills.bill_detail, name="bill_detail"),
    path("bills/<str:number>/bill.pdf", bills.bill_pdf, name="bill_pdf"),
    # provider payments (portalpay): balance, pay, top up, the provider's return, history
    path("accounts/<str:account_no>/balance/", payments.balance, name="balance"),
    path("accounts/<str:account_no>/pay/", payments.pay, name="pay"),
    path("accounts/<str:account_no>/top-up/", payments.top_up, name="top_up"),
    path("payments/", payments.payment_history, name="payments"),
    path("payments/return/", payments.payment_return, name="payment_return"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("login/code/", views.PortalCodeLoginView.as_view(), name="login_code"),
    path("register/", views.register, name="register"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
