"""Pages for community and street staff (reports, the ledger) and unit liaisons (the roster)."""

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.exports import xlsx_response
from communities.pagination import get_page
from communities.platform import policies
from communities.platform.web import PAGE_SIZE, next_url, paginate

from . import roster, roster_jobs, selectors, services
from .forms import LedgerSearchForm, ReportRejectForm, RosterUploadForm
from .identity import mask_address
from .ledger_export import ledger_xlsx
from .rates import selectors as rates
from .selfservice import services as selfservice

MAX_ERRORS_SHOWN = 200


@login_required
def community_home(request):
    """Community and street staff: the communities in their scope, each with its roster figures (as the rate
    pages show them) and the reports it holds; the total row when every community is on the page."""
    policies.require("communities.open_staff_pages", request.user)
    show_rates = policies.allowed("rates.view_place_rates", request.user)  # community staff see no rates
    page = paginate(request, selectors.community_overview_list(user=request.user, with_figures=show_rates))
    rows = list(page)
    for community in rows:
        community.figures = rates.figures_of(community) if show_rates else None
    total = None
    if rows and not page.has_other_pages():
        total = {
            "figures": rates.city_total([community.figures for community in rows]) if show_rates else None,
            "reported_here": sum(community.reported_here for community in rows),
            "waiting_here": sum(community.waiting_here for community in rows),
        }
    context = {
        "page": page,
        "rows": rows,
        "total": total,
        "show_rates": show_rates,
        "show_street_rates": policies.allowed("rates.view_street_rates", request.user),
        "year": timezone.localdate().year,
    }
    return render(request, "registration/community_home.html", context)


@login_required
def report_queue(request):
    """The reports waiting at the user's communities (or, with ?community=, at one of them), oldest first."""
    policies.require("communities.open_staff_pages", request.user)
    community = None
    if "community" in request.GET:
        community = selectors.community_get_for_user(user=request.user, community_id=request.GET["community"])
    reports = selectors.pending_report_list(user=request.user, community=community)
    if selectors.pending_queue_stays_short(user=request.user, community=community):
        community_id = selectors.queue_community_id(user=request.user, community=community)
        page_rows = selectors.one_community_queue_rows(community_id) if community_id is not None else None
        page = get_page(reports, request.GET.get("page"), PAGE_SIZE, page_rows=page_rows)
    else:
        page = paginate(request, reports)
    # The decision is the community's, the same for each of its rows: asked once per community on the page.
    can_decide = {}
    for report in page:
        if report.community_id not in can_decide:
            can_decide[report.community_id] = policies.allowed(
                "communities.manage_community", request.user, report.community
            )
        report.can_decide = can_decide[report.community_id]
        # What `|date:"Y-m-d H:i"` drew per row, formatted here (the filter parsed its format on every row).
        report.submitted_label = f"{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}"
    return render(request, "registration/report_queue.html", {"page": page, "community": community})


@login_required
def report_review(request, report_id: int):
    """One report, reached from the queue or by scanning the letter's QR code."""
    policies.require("communities.open_staff_pages", request.user)
    report = selectors.report_get_for_staff(user=request.user, report_id=report_id)
    context = {
        "report": report,
        "member": report.member,
        "can_decide": policies.allowed("communities.manage_community", request.user, report.community),
        "reject_form": ReportRejectForm(),
        "can_undo": services.report_confirmation_undoable(report=report, user=request.user),
        "undo_minutes": settings.REPORT_CONFIRM_UNDO_MINUTES,
    }
    return render(request, "registration/report_review.html", context)


@login_required
@require_POST
def report_confirm(request, report_id: int):
    report = selectors.report_get_for_staff(user=request.user, report_id=report_id)
    try:
        services.report_confirm(report_id=report.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        # The message links to the report, where its undo button stays for REPORT_CONFIRM_UNDO_MINUTES.
        review = reverse("registration:report-review", args=[report.pk])
        messages.success(
            request,
            format_html(
                '{} <a href="{}#undo">{}</a>',
                _("%(name)s's report is confirmed.") % {"name": report.member.name},
                review,
                _("Undo (within %(minutes)s minutes)") % {"minutes": settings.REPORT_CONFIRM_UNDO_MINUTES},
            ),
        )
    return redirect(next_url(request, reverse("registration:report-queue")))


@login_required
@require_POST
def report_confirm_undo(request, report_id: int):
    report = selectors.report_get_for_staff(user=request.user, report_id=report_id)
    try:
        services.report_confirm_undo(report_id=report.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The confirmation is undone; the report is pending again."))
    return redirect("registration:report-review", report_id=report.pk)


@login_required
@require_POST
def report_reject(request, report_id: int):
    report = selectors.report_get_for_staff(user=request.user, report_id=report_id)
    form = ReportRejectForm(request.POST)
    if form.is_valid():
        try:
            selfservice.report_return(
                report_id=report.pk,
                user=request.user,
                reason=form.cleaned_data["reason"],
                fields=form.cleaned_data["fields"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s's report is returned.") % {"name": report.member.name})
            return redirect(next_url(request, reverse("registration:report-queue")))
    context = {
        "report": report,
        "member": report.member,
        "can_decide": policies.allowed("communities.manage_community", request.user, report.community),
        "reject_form": form,
    }
    return render(request, "registration/report_review.html", context, status=400 if form.errors else 200)


# Ledger searches (issue 19, finding 7): a search is POSTed and kept in the session under a short random
# reference, and the ledger is shown at ?s=<reference> (post/redirect/get). So a full phone or ID number typed as a
# search never enters a URL (access logs, browser history, the Referer), while paging, reloading, the back button
# and the export links work as before, without JavaScript. A reference means nothing outside its session and
# lapses after SEARCH_REFERENCE_SECONDS.
SEARCH_REFERENCE_SECONDS = 3600
SEARCHES_KEPT = 10
SEARCHES_SESSION_KEY = "ledger_searches"


def _search_remember(request, term: str) -> str:
    now = int(time.time())
    kept = {
        reference: (searched, at)
        for reference, (searched, at) in request.session.get(SEARCHES_SESSION_KEY, {}).items()
        if now - at < SEARCH_REFERENCE_SECONDS
    }
    reference = secrets.token_urlsafe(6)
    kept[reference] = (term, now)
    newest = sorted(kept.items(), key=lambda item: item[1][1])[-SEARCHES_KEPT:]
    request.session[SEARCHES_SESSION_KEY] = dict(newest)
    return reference


def _search_recalled(request, reference: str) -> str | None:
    """The term searched under this reference; None when it is unknown or has lapsed."""
    kept = request.session.get(SEARCHES_SESSION_KEY, {}).get(reference) if reference else None
    if kept is None or int(time.time()) - kept[1] >= SEARCH_REFERENCE_SECONDS:
        return None
    return kept[0]


@login_required
@require_http_methods(["GET", "POST"])
def ledger(request):
    """在职党员信息台账 of the user's communities: searchable, personal fields masked."""
    policies.require("communities.open_staff_pages", request.user)
    search = ""
    if request.method == "POST":
        form = LedgerSearchForm(request.POST)
        if form.is_valid():
            url = reverse("registration:ledger")
            if form.cleaned_data["q"]:
                url += "?" + urlencode({"s": _search_remember(request, form.cleaned_data["q"])})
            return redirect(url)
    else:
        reference = request.GET.get("s", "")
        recalled = _search_recalled(request, reference)
        if reference and recalled is None:
            messages.info(request, _("That search has lapsed. Search again."))
        search = recalled or ""
        form = LedgerSearchForm(initial={"q": search})
    members = selectors.ledger_list(user=request.user, search=search)
    page = paginate(request, members, count=selectors.ledger_count(user=request.user, search=search))
    reports = selectors.member_communities(members=[member.pk for member in page])
    for member in page:
        member.confirmed_report = reports.get(member.pk)
        member.address_masked = mask_address(member.home_address)
    context = {"page": page, "form": form, "search": search, "reference": request.GET.get("s", "") if search else ""}
    return render(request, "registration/ledger.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def ledger_export(request):
    """The ledger as .xlsx, masked, in one click, and always recorded. The search is the ledger's reference (s), or a
    term in a POST's body (q), checked as the search form checks it. A full export is no longer served here (issue
    19, finding 10): it is requested and approved by a second person (registration.export_approvals)."""
    policies.require("communities.open_staff_pages", request.user)
    if request.method == "POST" and request.POST.get("full") == "1":
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    recalled = _search_recalled(request, data.get("s", ""))
    form = LedgerSearchForm({"q": recalled if recalled is not None else request.POST.get("q", "")})
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["q"]))
        return redirect("registration:ledger")
    return ledger_xlsx(user=request.user, search=form.cleaned_data["q"])


@login_required
def unit_home(request):
    """Unit liaisons: their units' rosters and how many on them have reported."""
    policies.require("registration.open_unit_pages", request.user)
    page = paginate(request, selectors.unit_overview_list(user=request.user))
    rows = list(page)
    for unit in rows:
        unit.figures = rates.figures_of(unit)
    return render(request, "registration/unit_home.html", {"page": page, "rows": rows})


@login_required
def unit_roster(request, unit_id: int):
    """The unit's list: who has reported, is pending, registered only, not registered; and the rate."""
    policies.require("registration.open_unit_pages", request.user)
    unit = selectors.unit_get_for_user(user=request.user, unit_id=unit_id)
    status = request.GET.get("status", "")
    context = {
        "unit": unit,
        "status": status,
        "summary": selectors.roster_summary(unit=unit),
        "page": paginate(request, selectors.roster_list(unit=unit, status=status)),
        "off_roster": selectors.off_roster_members(unit=unit)[:PAGE_SIZE],
        "statuses": [
            ("", _("Everyone")),
            (selectors.RosterStatus.REPORTED, _("Reported")),
            (selectors.RosterStatus.PENDING, _("Pending")),
            (selectors.RosterStatus.REGISTERED, _("Registered, not reported")),
            (selectors.RosterStatus.NOT_REGISTERED, _("Not registered")),
        ],
    }
    return render(request, "registration/unit_roster.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request, unit_id: int):
    """Upload the unit's roster: a bad file saves nothing and shows every error by row and column."""
    policies.require("registration.open_liaison_home", request.user)
    unit = selectors.unit_get_for_user(user=request.user, unit_id=unit_id)
    result = None
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and roster_jobs.is_large(form.cleaned_data["file"]):
        job_id = roster_jobs.roster_job_start(unit=unit, user=request.user, uploaded_file=form.cleaned_data["file"])
        return redirect("registration:roster-upload-job", unit_id=unit.pk, job_id=job_id)
    if request.method == "POST" and form.is_valid():
        result = roster.roster_import_file(unit=unit, uploaded_file=form.cleaned_data["file"], user=request.user)
        if result.ok:
            messages.success(
                request,
                _("Roster saved: %(created)s added, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("registration:unit-roster", unit_id=unit.pk)
    context = {
        "unit": unit,
        "form": form,
        "result": result,
        # A wholly wrong file can have a hundred thousand errors; the first ones say what to fix.
        "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
        "max_errors_shown": MAX_ERRORS_SHOWN,
    }
    return render(request, "registration/roster_upload.html", context, status=400 if result and not result.ok else 200)


@login_required
def roster_upload_job(request, unit_id: int, job_id: str):
    """A background roster import's progress (the fragment alone for htmx's polling, which stops when it ends)."""
    policies.require("registration.open_liaison_home", request.user)
    unit = selectors.unit_get_for_user(user=request.user, unit_id=unit_id)
    job = roster_jobs.roster_job_get(job_id=job_id, user=request.user, unit=unit)
    if job is None:
        raise Http404
    context = {
        "unit": unit,
        "job": job,
        "job_id": job_id,
        "finished": job["status"] == roster_jobs.DONE,
        "percent": int(100 * job["done"] / job["total"]) if job["total"] else 0,
        "max_errors_shown": roster_jobs.MAX_ERRORS_KEPT,
    }
    if request.htmx:
        return render(request, "registration/partials/roster_job.html", context)
    return render(request, "registration/roster_job.html", context)


@login_required
def roster_template(request):
    """The empty roster spreadsheet with the expected columns."""
    policies.require("registration.open_unit_pages", request.user)
    content = roster.roster_template_xlsx(communities=selectors.roster_template_communities())
    return xlsx_response(content, filename=_("Roster template") + ".xlsx", fallback="roster-template.xlsx")
