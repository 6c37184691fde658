from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("c/<str:code>/", views.public_list, name="public-list"),
    path("", views.team_list, name="list"),
    path("<int:team_id>/", views.team_detail, name="detail"),
    path("<int:team_id>/apply/", views.team_apply, name="apply"),
    path("<int:team_id>/leave/", views.team_leave, name="leave"),
    path("<int:team_id>/claim/", views.team_claim, name="claim"),
    path("<int:team_id>/sign-up/", views.team_sign_up, name="sign-up"),
    path("<int:team_id>/activities/new/", views.team_activity_create, name="activity-create"),
    path("applications/<int:membership_id>/<str:decision>/", views.membership_decide, name="decide"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:team_id>/edit/", views.staff_edit, name="staff-edit"),
]
