"""The certificates' pages, added to the services namespace by services/urls.py (services:points-history …)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/points/", views.points_history, name="points-history"),
    path("me/certificate/<int:year>/", views.certificate, name="certificate"),
    # Public: what the certificate's QR code opens.
    path("certificates/verify/<str:token>/", views.certificate_verify, name="certificate-verify"),
]
