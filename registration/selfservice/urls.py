"""The self-service pages, added to the registration namespace by registration/urls.py (registration:profile …)."""

from django.urls import path

from . import views

urlpatterns = [
    # Members
    path("me/profile/", views.profile, name="profile"),
    path("me/reports/<int:report_id>/correct/", views.report_correct, name="report-correct"),
    # Unit liaisons
    path("units/<int:unit_id>/contacts/", views.liaison_contacts, name="liaison-contacts"),
    path("units/<int:unit_id>/contacts/<int:entry_id>/phone/", views.liaison_phone, name="liaison-phone"),
    path("units/<int:unit_id>/contacts/remind/", views.liaison_remind, name="liaison-remind"),
    path("units/<int:unit_id>/roster/add/<int:member_id>/", views.roster_add_member, name="roster-add-member"),
    path("units/<int:unit_id>/roster/<int:entry_id>/remove/", views.roster_remove, name="roster-remove"),
]
