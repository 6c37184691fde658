"""The export approvals' pages, added to the registration namespace by registration/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("ledger/export-requests/", views.requests_page, name="export-requests"),
    path("ledger/export-requests/<int:request_id>/decide/", views.decide, name="export-request-decide"),
    path("ledger/export-requests/<int:request_id>/download/", views.download, name="export-request-download"),
]
