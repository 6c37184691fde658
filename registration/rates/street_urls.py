"""The reporting-rate pages of street staff, outside the admin (config/urls.py includes them at
registration/rates/)."""

from django.urls import path

from . import views

app_name = "street-rates"

urlpatterns = [
    path("", views.street_places, name="places"),
    path("communities/<int:community_id>/", views.street_community, name="community"),
    path("tab/<slug:key>/", views.street_registered_tab, name="tab"),
]
