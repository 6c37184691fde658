from django.urls import path

from . import views

app_name = "pairing"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("<int:pairing_id>/", views.pairing_detail, name="pairing"),
    path("<int:pairing_id>/pledges/new/", views.pledge_new, name="pledge-new"),
    path("pledges/<int:pledge_id>/deliveries/new/", views.delivery_new, name="delivery-new"),
]
