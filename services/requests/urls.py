"""URLs of the residents' requests, included by config/urls.py at "requests/" (namespace "resident_requests")."""

from django.urls import path

from . import views

app_name = "resident_requests"

urlpatterns = [
    # Residents, no login
    path("c/<str:code>/", views.public_raise, name="public-raise"),
    path("t/<str:token>/", views.track, name="track"),
    # Handlers: staff, grid workers, the handler of a request
    path("staff/", views.queue, name="queue"),
    path("staff/new/", views.record, name="record"),
    path("staff/figures/", views.figures_page, name="figures"),
    path("staff/<int:request_id>/", views.detail, name="detail"),
    path("staff/<int:request_id>/change/", views.change, name="change"),
    path("staff/<int:request_id>/need/", views.to_need, name="to-need"),
    path("staff/buildings/", views.buildings, name="buildings"),
    path("staff/buildings/<int:building_id>/head/", views.building_head_assign, name="building-head-assign"),
    path("mine/", views.my_requests, name="mine"),
    # A team's leader, a property company's contact
    path("handed/", views.handed, name="handed"),
    # Building heads
    path("buildings/", views.building_head_home, name="building-head"),
]
