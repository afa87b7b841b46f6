from django.urls import path

from gridcare.exchange import statement_views, views

app_name = "exchange"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("export/<str:kind>.<str:file_format>", views.export, name="export"),
    path("export-unmasked/<int:grant_id>/<str:kind>.csv", views.export_unmasked, name="export_unmasked"),
    # statements (issue 6 §6): a bank statement upload, matched and listed for reconciliation
    path("statements/", statement_views.statement_upload, name="statement_upload"),
]
