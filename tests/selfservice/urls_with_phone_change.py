"""The project's URLs plus a page named phone_change, as the accounts work provides it."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("phone/change/", lambda request: HttpResponse(), name="phone_change")]
