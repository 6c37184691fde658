from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("me/", views.member_home, name="member-home"),
    path("communities/", views.community_home, name="community-home"),
    path("units/", views.unit_home, name="unit-home"),
]
