from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

from .subdomain import probe_page

urlpatterns = [path("probe/", probe_page, name="probe-page"), *project_urlpatterns]
