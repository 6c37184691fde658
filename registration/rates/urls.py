"""The reporting-rate pages, inside the admin (config/urls.py includes them at admin/rates/)."""

from django.urls import path

from . import views

app_name = "rates"

urlpatterns = [
    path("communities.xlsx", views.all_communities_export, name="all-communities-export"),
    path("", views.places, name="places"),
    path("units/", views.units, name="units"),
    path("communities/<int:community_id>/", views.community, name="community"),
    path("tab/<slug:key>/", views.registered_tab, name="tab"),
]
