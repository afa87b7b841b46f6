from django.urls import path

from gridcare.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("export/<str:kind>.<str:file_format>", views.export, name="export"),
]
