from django.urls import path

from gridcare.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("export/<str:kind>.<str:file_format>", views.export, name="export"),
    path("export-unmasked/<int:grant_id>/<str:kind>.csv", views.export_unmasked, name="export_unmasked"),
]
