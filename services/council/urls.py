"""URLs of the council, included by config/urls.py at "council/" (namespace "council")."""

from django.urls import path

from . import views

app_name = "council"

urlpatterns = [
    # A community's council for anyone: no login.
    path("c/<str:code>/", views.public, name="public"),
    path("", views.home, name="home"),
    path("figures/", views.figures, name="figures"),
    path("set-up/<int:community_id>/", views.council_setup, name="set-up"),
    path("<int:council_id>/", views.council_detail, name="detail"),
    path("<int:council_id>/members/new/", views.member_add, name="member-add"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member-remove"),
    path("<int:council_id>/company/", views.company, name="company"),
    path("<int:council_id>/topics/new/", views.topic_new, name="topic-new"),
    path("<int:council_id>/topics/from-request/", views.topic_from_request, name="topic-from-request"),
    path("topics/<int:topic_id>/withdraw/", views.topic_withdraw, name="topic-withdraw"),
    path("<int:council_id>/meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/hold/", views.meeting_hold, name="meeting-hold"),
    path("meetings/<int:meeting_id>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("items/<int:item_id>/decide/", views.item_decide, name="item-decide"),
    path("resolutions/", views.resolution_list, name="resolutions"),
    path("resolutions/<int:resolution_id>/", views.resolution_detail, name="resolution"),
    path("resolutions/<int:resolution_id>/progress/", views.resolution_progress, name="resolution-progress"),
    path("resolutions/<int:resolution_id>/review/", views.resolution_review, name="resolution-review"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
]
