from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    # The front door for everyone (at / for a visitor): find a community and its public pages.
    path("find/", views.front_door, name="find"),
    path("large-text/", views.large_text, name="large-text"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox-read"),
    path("login/second-factor/", views.second_factor_check, name="second-factor"),
    path("login/second-factor/enrol/", views.second_factor_enrol, name="second-factor-enrol"),
]
