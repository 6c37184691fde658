"""Helpers that every app's views share, so that no view imports another app's views."""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from communities.pagination import CountedPaginator

from . import policies

PAGE_SIZE = 50
# The first year a page may ask for (the rates, the assessment), and how many recent years a year menu offers.
FIRST_YEAR = 2000
YEARS_OFFERED = 5


def next_url(request, default: str) -> str:
    """Where to go after a POST: the page it came from, if it is a path of ours; never another site."""
    return safe_target(request, request.POST.get("next", ""), default)


def safe_target(request, target: str, default: str) -> str:
    """`target` if it is a page of this site, else `default`: never another site (an open redirect). Only an
    absolute path is taken: anything else ("abc") would reach redirect() as a view name and fail there, after
    the POST's work was done (issue 19, finding 8). A full URL of this host (a Referer) is taken too."""
    host = request.get_host()
    shaped = target.startswith(("/", "http://", "https://"))
    if shaped and url_has_allowed_host_and_scheme(target, {host}, require_https=request.is_secure()):
        return target
    return default


def years_offered(selected: int) -> list[int]:
    """A year menu: this year and the YEARS_OFFERED - 1 before it, newest first, and the selected year after them
    when it is older."""
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - YEARS_OFFERED, -1))
    return years if selected in years else [*years, selected]


def paginate(request, queryset, count=None, *, per_page: int = PAGE_SIZE):
    """A page of the queryset; `count`, when given, is the number of rows, from a cheaper query than COUNT(*)
    over the queryset's own joins."""
    if count is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = CountedPaginator(queryset, per_page, count=count)
    return paginator.get_page(request.GET.get("page"))


def apply_service_errors(form, error: ValidationError):
    """Put a service's ValidationError next to the fields it names (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


def admin_chrome(request) -> dict:
    """What admin/base.html needs around a page of our own inside the admin (title, header, user tools, logout), as
    admin.site.each_context gives it but without the nav sidebar: its app list asks every registered ModelAdmin
    for permissions on every request, and wide tables use the room."""
    site = admin.site
    script_name = request.META["SCRIPT_NAME"]
    return {
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
        "has_permission": site.has_permission(request),
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
    }


def inside_admin(policy: str):
    """A view inside the admin: the admin's login (and second factor) and staff check, then the policy."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            policies.require(policy, request.user)
            return view(request, *args, **kwargs)

        return admin.site.admin_view(checked)

    return decorate
