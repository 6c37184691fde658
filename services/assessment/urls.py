"""URLs of the annual assessment, included by config/urls.py at "assessment/" (namespace "assessment")."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    # Community (and street) staff
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/<int:assessment_id>/", views.staff_review, name="staff-review"),
    path("staff/accept/", views.staff_accept, name="staff-accept"),
    # Unit liaisons
    path("units/", views.unit_list, name="unit-list"),
    path("units/<int:unit_id>/", views.unit_results, name="unit-results"),
    path("units/<int:unit_id>/export/", views.unit_export, name="unit-export"),
    # Members
    path("me/", views.my_result, name="my-result"),
    # The organisation department, inside the admin (its login and look)
    path("admin/", views.admin_page, name="admin"),
    path("admin/run/", views.admin_run, name="admin-run"),
    path("admin/runs/", views.admin_runs, name="admin-runs"),
    path("admin/finalise/", views.admin_finalise, name="admin-finalise"),
    path("admin/below-line.xlsx", views.admin_below_line_export, name="admin-below-line-export"),
]
