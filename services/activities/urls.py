from django.urls import path

from . import feedback_views, staff_views, views

app_name = "activities"

urlpatterns = [
    # A community's public page of activities: no login.
    path("c/<str:code>/", views.public_list, name="public-list"),
    # A resident served: feedback by the organiser's link, and the one-tap confirmation of a service (no login).
    path("feedback/<str:token>/", feedback_views.resident_feedback, name="resident-feedback"),
    path("confirm/", feedback_views.confirm_enter, name="confirm-enter"),
    path("confirm/<str:code>/", feedback_views.confirm, name="confirm"),
    # Members
    path("confirmations/", feedback_views.confirmation_list, name="confirmations"),
    path("confirmations/<int:record_id>/", feedback_views.confirmation_code, name="confirmation-code"),
    path("<int:activity_id>/feedback/", feedback_views.member_feedback, name="feedback"),
    path("", views.activity_list, name="list"),
    path("mine/", views.my_activities, name="mine"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/sign-up/", views.signup_create, name="sign-up"),
    path("<int:activity_id>/cancel-sign-up/", views.signup_cancel, name="cancel-sign-up"),
    path("<int:activity_id>/check-in/", views.check_in, name="check-in"),
    path("<int:activity_id>/calendar.ics", views.calendar_file, name="calendar"),
    path("<int:activity_id>/my-code/", views.my_code, name="my-code"),
    path("<int:activity_id>/my-code.json", views.my_code_json, name="my-code-json"),
    # Community staff
    path("staff/", staff_views.activity_list, name="staff-list"),
    path("staff/new/", staff_views.activity_create, name="staff-create"),
    path("staff/<int:activity_id>/", staff_views.activity_detail, name="staff-detail"),
    path("staff/<int:activity_id>/code/", staff_views.code_page, name="staff-code"),
    path("staff/<int:activity_id>/code.json", staff_views.code_json, name="staff-code-json"),
    path("staff/<int:activity_id>/check-in/", staff_views.manual_check_in, name="staff-manual-check-in"),
    path("staff/<int:activity_id>/scan/", staff_views.scan, name="staff-scan"),
    path("staff/<int:activity_id>/<str:action>/", staff_views.activity_action, name="staff-action"),
]
