from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from communities import views as communities_views
from registration import views as registration_views
from registration.forms import LoginForm

urlpatterns = [
    # A visitor's front door; a logged-in user's way to the place of their role.
    path("", communities_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", registration_views.PasswordChangeView.as_view(), name="password-change"),
    path("registration/", include("registration.urls")),
    path("", include("communities.urls")),
    # The organisation department's reporting-rate pages live inside the admin (its login and look).
    path("admin/rates/", include(("registration.admin_rates", "rates"))),
    path("admin/", admin.site.urls),
    path("assessment/", include("services.assessment_urls")),
    path("", include("services.urls")),
]
