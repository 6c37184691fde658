from django.urls import path

from . import staff_views, views
from .certificates.urls import urlpatterns as certificates_urlpatterns

app_name = "services"

urlpatterns = [
    # The public board: no login.
    path("c/<str:code>/board/", views.public_board, name="public-board"),
    path("c/<str:code>/board/print/", views.public_board_print, name="public-board-print"),
    # Members
    path("needs/", views.need_board, name="need-board"),
    path("needs/<int:need_id>/", views.need_detail, name="need-detail"),
    path("needs/<int:need_id>/claim/", views.claim_create, name="claim-create"),
    path("claims/<int:claim_id>/cancel/", views.claim_cancel, name="claim-cancel"),
    path("records/new/", views.record_create, name="record-create"),
    path("me/service/", views.my_service, name="my-service"),
    # Community staff
    path("staff/needs/", staff_views.need_list, name="staff-need-list"),
    path("staff/needs/new/", staff_views.need_create, name="staff-need-create"),
    path("staff/needs/<int:need_id>/", staff_views.need_detail, name="staff-need-detail"),
    path("staff/needs/<int:need_id>/edit/", staff_views.need_edit, name="staff-need-edit"),
    path("staff/needs/<int:need_id>/<str:action>/", staff_views.need_action, name="staff-need-action"),
    path("staff/records/", staff_views.record_queue, name="staff-record-queue"),
    path("staff/records/<int:record_id>/verify/", staff_views.record_verify, name="staff-record-verify"),
    path("staff/records/<int:record_id>/reject/", staff_views.record_reject, name="staff-record-reject"),
    path("staff/dashboard/", staff_views.dashboard, name="staff-dashboard"),
]
# Points history, the certificate of service and its public verification (services.certificates).
urlpatterns += certificates_urlpatterns
