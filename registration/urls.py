from django.urls import path

from . import account_views, staff_views, views
from .export_approvals.urls import urlpatterns as export_approvals_urlpatterns
from .selfservice.urls import urlpatterns as selfservice_urlpatterns

app_name = "registration"

urlpatterns = [
    # Members
    path("register/", views.register, name="register"),
    path("me/", views.member_home, name="member-home"),
    path("me/change-community/", views.change_community, name="change-community"),
    # Named for the profile page's link (issue 18).
    path("me/phone/", account_views.phone_change, name="phone_change"),
    path("me/withdraw/", views.member_withdraw, name="member-withdraw"),
    path("me/public-board/", views.member_public_listing, name="member-public-listing"),
    path("letters/<int:report_id>/", views.letter, name="letter"),
    path("me/reports/<int:report_id>/withdraw/", views.report_withdraw, name="report-withdraw"),
    # Community and street staff
    path("communities/", staff_views.community_home, name="community-home"),
    path("reports/", staff_views.report_queue, name="report-queue"),
    path("reports/<int:report_id>/", staff_views.report_review, name="report-review"),
    path("reports/<int:report_id>/confirm/", staff_views.report_confirm, name="report-confirm"),
    path("reports/<int:report_id>/confirm/undo/", staff_views.report_confirm_undo, name="report-confirm-undo"),
    path("reports/<int:report_id>/reject/", staff_views.report_reject, name="report-reject"),
    path("ledger/", staff_views.ledger, name="ledger"),
    path("ledger/export/", staff_views.ledger_export, name="ledger-export"),
    # Unit liaisons
    path("units/", staff_views.unit_home, name="unit-home"),
    path("units/<int:unit_id>/roster/", staff_views.unit_roster, name="unit-roster"),
    path("units/<int:unit_id>/roster/upload/", staff_views.roster_upload, name="roster-upload"),
    path(
        "units/<int:unit_id>/roster/upload/<str:job_id>/", staff_views.roster_upload_job, name="roster-upload-job"
    ),
    path("roster-template.xlsx", staff_views.roster_template, name="roster-template"),
]
# Members and liaisons helping themselves (registration.selfservice): own data, corrections, the liaison's tools.
urlpatterns += selfservice_urlpatterns
# Full exports approved by a second person (registration.export_approvals).
urlpatterns += export_approvals_urlpatterns
