from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from communities import views as communities_views
from registration import account_views
from registration import views as registration_views

urlpatterns = [
    # A visitor's front door; a logged-in user's way to the place of their role.
    path("", communities_views.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("login/code/", account_views.login_code, name="login-code"),
    path("password/forgot/", account_views.password_forgot, name="password-forgot"),
    # The login's CAPTCHA images (django-simple-captcha), drawn here.
    path("captcha/", include("captcha.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", registration_views.PasswordChangeView.as_view(), name="password-change"),
    # Street staff's reporting rates: the same figures, outside the admin (they are not admin users).
    path("registration/rates/", include("registration.rates.street_urls")),
    path("registration/", include("registration.urls")),
    path("", include("communities.urls")),
    # The organisation department's reporting-rate pages live inside the admin (its login and look).
    path("admin/rates/", include("registration.rates.urls")),
    path("admin/", admin.site.urls),
    path("assessment/", include("services.assessment.urls")),
    path("activities/", include("services.activities.urls")),
    path("teams/", include("services.teams.urls")),
    path("timebank/", include("services.timebank.urls")),
    path("requests/", include("services.requests.urls")),
    path("pairing/", include("services.pairing.urls")),
    path("council/", include("services.council.urls")),
    path("", include("services.urls")),
]
