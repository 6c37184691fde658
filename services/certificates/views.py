"""A member's points history and certificate of service; the public page that verifies a certificate."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from communities.platform.web import FIRST_YEAR, years_offered
from communities.qr import qr_svg
from registration.selectors import member_for_user

from .figures import certificate_figures, history
from .tokens import certificate_read, certificate_token


def _member_or_403(user):
    member = member_for_user(user=user)
    if member is None or member.withdrawn_at is not None:
        raise PermissionDenied
    return member


def _year(value, default: int) -> int:
    """A year from the query string: this year or an earlier one back to FIRST_YEAR; 404 for anything else."""
    try:
        year = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise Http404 from None
    if not FIRST_YEAR <= year <= default:
        raise Http404
    return year


@login_required
def points_history(request):
    """Every point and hour of a year with where it came from (the registered sources), and the year's figures."""
    member = _member_or_403(request.user)
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year)
    context = {
        "member": member,
        "year": year,
        "years": years_offered(year),
        "groups": history(member_id=member.pk, year=year),
        "figures": certificate_figures(member_id=member.pk, year=year),
    }
    return render(request, "certificates/points_history.html", context)


@login_required
def certificate(request, year: int):
    """服务证明: an A4 page to print, with a QR code that opens the public verification page."""
    member = _member_or_403(request.user)
    today = timezone.localdate()
    year = _year(year, today.year)
    figures = certificate_figures(member_id=member.pk, year=year)
    token = certificate_token(member_id=member.pk, figures=figures, issued_on=today)
    verify_url = request.build_absolute_uri(reverse("services:certificate-verify", args=[token]))
    groups = history(member_id=member.pk, year=year)
    communities = sorted({entry.place for group in groups for entry in group["entries"]})
    context = {
        "member": member,
        "figures": figures,
        "issued_on": today,
        "communities": communities,
        "verify_url": verify_url,
        "qr_code": qr_svg(verify_url),
    }
    return render(request, "certificates/certificate.html", context)


def certificate_verify(request, token: str):
    """Public (no login): whether the certificate is ours, and its figures then and now; no personal data."""
    issued = certificate_read(token)
    if issued is None:
        raise Http404
    now = certificate_figures(member_id=issued.member_id, year=issued.year)
    context = {"issued": issued, "now": now, "agrees": now.as_printed() == issued.printed}
    response = render(request, "certificates/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
