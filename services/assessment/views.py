"""Pages of the annual assessment: community staff review drafts, unit liaisons read (and download) their
members' final results, members read their own, and the organisation department runs and finalises the
assessment of a district or the city on a page inside the admin.

Every figure comes from the selectors, every change from the services and the runs; these views authorise,
bind and respond.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from communities.exports import xlsx_export, year_period
from communities.models import Community, District, StaffAssignment, Unit
from communities.platform import policies
from communities.platform.web import (
    FIRST_YEAR,
    admin_chrome,
    apply_service_errors,
    inside_admin,
    paginate,
    years_offered,
)
from communities.text import MultilineTextField
from registration.rates import selectors as rates
from registration.selectors import member_for_user, unit_get_for_user

from . import runs, selectors, services
from .models import Assessment, AssessmentRun, Grade

ADMIN_PAGE_SIZE = 100


def _year(request) -> int:
    """The year asked for (GET or POST), or this year; never one outside FIRST_YEAR..this year."""
    this_year = timezone.localdate().year
    try:
        year = int(request.POST.get("year") or request.GET.get("year") or this_year)
    except ValueError:
        return this_year
    return year if FIRST_YEAR <= year <= this_year else this_year


class ReviewForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=Grade.choices)
    records_waiting = forms.BooleanField(
        label=gettext_lazy("Records still waiting: set the grade anyway"),
        required=False,
        help_text=gettext_lazy("The remark then says why the grade need not wait for them."),
    )
    remark = MultilineTextField(
        label=gettext_lazy("Remark"),
        max_length=services.REMARK_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when the grade differs from the proposed grade, or records still wait."),
    )

    def __init__(self, *args, records_waiting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not records_waiting:
            del self.fields["records_waiting"]  # asked only while records of the year wait
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Mark reviewed"), css_class="btn-party"))


# --- Community staff ------------------------------------------------------------------------------------


@login_required
def staff_list(request):
    """The year's assessments of the communities in the user's scope, with figures, proposed grade, grade
    and state. Community staff review their own community's; street staff read. (The organisation
    department reads and finalises in the admin: a city-wide list has no place on a phone page.)"""
    policies.require("assessment.open_staff_pages", request.user)
    year = _year(request)
    status = request.GET.get("status", "")
    status = status if status in Assessment.Status.values else ""
    visible = selectors.staff_assessment_list(user=request.user, year=year)
    page = paginate(request, selectors.staff_assessment_list(user=request.user, year=year, status=status))
    for row in page:
        row.can_manage = policies.allowed("communities.manage_community", request.user, row.community)
    managed = []
    if policies.allowed("assessment.review", request.user):
        managed = list(Community.objects.filter(pk__in=policies.scope_of(request.user).community_ids).order_by("code"))
    context = {
        "page": page,
        "year": year,
        "years": years_offered(year),
        "status": status,
        "statuses": Assessment.Status.choices,
        "counts": selectors.status_counts(visible),
        "managed": managed,
    }
    return render(request, "assessment/staff_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def staff_review(request, assessment_id: int):
    """One assessment: its figures and the review form (grade, remark), for the community's staff."""
    policies.require("assessment.open_staff_pages", request.user)
    row = selectors.staff_assessment_get(user=request.user, assessment_id=assessment_id)
    can_manage = policies.allowed("communities.manage_community", request.user, row.community)
    waiting = selectors.waiting_record_list(assessment=row)
    form = ReviewForm(
        request.POST or None, initial={"grade": row.grade, "remark": row.remark}, records_waiting=bool(waiting)
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.assessment_review(
                    user=request.user,
                    assessment_id=row.pk,
                    grade=form.cleaned_data["grade"],
                    remark=form.cleaned_data["remark"],
                    records_waiting=form.cleaned_data.get("records_waiting", False),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("%(name)s's assessment is reviewed.") % {"name": row.member.name})
                return redirect(f"{reverse('assessment:staff-list')}?{urlencode({'year': row.year})}")
    context = {
        "row": row,
        "form": form,
        "can_manage": can_manage and row.status != Assessment.Status.FINAL,
        "waiting": waiting,
        "waiting_hours": sum(record.hours for record in waiting),
    }
    return render(request, "assessment/review.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def staff_accept(request):
    """Mark reviewed, as proposed, all drafts of one of the user's communities whose grade is the proposed one."""
    year = _year(request)
    try:
        community_id = int(request.POST.get("community", ""))
    except ValueError:
        raise PermissionDenied from None
    try:
        accepted = services.assessment_accept_proposals(user=request.user, community_id=community_id, year=year)
    except Community.DoesNotExist:
        raise PermissionDenied from None
    messages.success(request, _("%(count)s assessments marked reviewed as proposed.") % {"count": accepted.reviewed})
    if accepted.waiting:
        messages.warning(
            request,
            _("%(count)s left as drafts: their service records of the year still wait for verification.")
            % {"count": accepted.waiting},
        )
    return redirect(f"{reverse('assessment:staff-list')}?{urlencode({'year': year})}")


# --- Unit liaisons ----------------------------------------------------------------------------------------


@login_required
def unit_list(request):
    """The user's units with how many final results each has for the year."""
    policies.require("assessment.open_unit_results", request.user)
    year = _year(request)
    page = paginate(request, selectors.unit_list_for_results(user=request.user, year=year))
    return render(request, "assessment/unit_list.html", {"page": page, "year": year, "years": years_offered(year)})


@login_required
def unit_results(request, unit_id: int):
    """A unit's members' final results for the year (drafts and reviewed ones are not shown)."""
    policies.require("assessment.open_unit_results", request.user)
    unit = unit_get_for_user(user=request.user, unit_id=unit_id)
    year = _year(request)
    results = selectors.unit_result_list(unit=unit, year=year)
    context = {
        "unit": unit,
        "year": year,
        "years": years_offered(year),
        "page": paginate(request, results),
        "grades": _grade_rows(selectors.grade_counts(results)),
    }
    return render(request, "assessment/unit_results.html", context)


def _grade_rows(counts: dict) -> list[tuple[str, int]]:
    """[(grade label, count)] in the order of the grades."""
    return [(label, counts.get(value) or 0) for value, label in Grade.choices]


@login_required
def unit_export(request, unit_id: int):
    """The unit's final results for the year as .xlsx, recorded. No personal data beyond names."""
    policies.require("assessment.open_unit_results", request.user)
    unit = unit_get_for_user(user=request.user, unit_id=unit_id)
    year = _year(request)
    results = selectors.unit_result_list(unit=unit, year=year)
    header = [
        _("Name"),
        _("Community"),
        _("Verified hours"),
        _("Service records"),
        _("Claims fulfilled"),
        _("Claims abandoned"),
        _("Points"),
        _("Grade"),
        _("Remark"),
        _("Finalised on"),
    ]
    rows = (
        [
            result.member.name,
            result.community.name if result.community else "",
            result.verified_hours,
            result.records_count,
            result.claims_fulfilled,
            result.claims_abandoned,
            result.points,
            result.get_grade_display(),
            result.remark,
            f"{timezone.localtime(result.finalised_at):%Y-%m-%d}" if result.finalised_at else "",
        ]
        for result in results.iterator(chunk_size=2000)
    )
    return xlsx_export(
        user=request.user,
        kind="assessment-results-unit",
        title=_("Annual assessment %(year)s, %(unit)s") % {"year": year, "unit": unit.name},
        header=header,
        rows=rows,
        filters={"year": year, "unit": unit.pk},
        place=unit.name,
        period=year_period(year),
    )


# --- Members ----------------------------------------------------------------------------------------------


@login_required
def my_result(request):
    """A member's own final results, newest year first."""
    member = member_for_user(user=request.user)
    if member is None:
        raise PermissionDenied
    return render(
        request,
        "assessment/my_result.html",
        {"member": member, "results": selectors.member_result_list(member=member)},
    )


# --- The organisation department, inside the admin -----------------------------------------------------------


def _admin_district(request) -> District | None:
    """The district asked for, within the user's scope (404 outside it); with none asked for, the city for
    city-wide users and the user's own district otherwise."""
    visible = District.objects.filter(pk__in=Community.objects.visible_to(request.user).values("district_id"))
    raw = request.POST.get("district") if request.method == "POST" else request.GET.get("district")
    if raw:
        try:
            return get_object_or_404(visible, pk=int(raw))
        except ValueError:
            raise PermissionDenied from None
    scope = StaffAssignment.objects.scope_for(request.user)
    if scope.sees_everything:
        return None
    district = visible.filter(pk__in=scope.district_ids).order_by("code").first()
    if district is None:
        raise PermissionDenied
    return district


def _admin_url(year: int, district: District | None) -> str:
    query = {"year": year, **({"district": district.pk} if district else {})}
    return f"{reverse('assessment:admin')}?{urlencode(query)}"


@inside_admin("assessment.open_admin_page")
def admin_page(request):
    """Run the assessment for a year and scope, watch its progress, finalise it, and see the party
    organisations under the reporting line that year."""
    year = _year(request)
    district = _admin_district(request)
    scope = StaffAssignment.objects.scope_for(request.user)
    assessments = selectors.scope_assessments(year=year, district=district)
    recent_runs = list(selectors.run_list(year=year, district=district))
    below = selectors.below_line_rows(user=request.user, year=year, district=district)
    context = {
        **admin_chrome(request),
        "title": _("Annual assessment"),
        "subtitle": f"{year} · {district.name if district else _('All districts')}",
        "year": year,
        "years": years_offered(year),
        "district": district,
        "districts": District.objects.filter(
            pk__in=Community.objects.visible_to(request.user).values("district_id")
        ).order_by("code"),
        "city_wide": scope.sees_everything,
        "counts": selectors.status_counts(assessments),
        "grades": _grade_rows(selectors.grade_counts(assessments)),
        "runs": recent_runs,
        "running": any(run.status == AssessmentRun.Status.RUNNING for run in recent_runs),
        "below": Paginator(below, ADMIN_PAGE_SIZE).get_page(request.GET.get("page")),
        "below_count": len(below),
        "threshold": rates.rate_threshold(),
    }
    return render(request, "assessment/admin_page.html", context)


@inside_admin("assessment.open_admin_page")
def admin_runs(request):
    """The runs table alone, which the admin page polls while a run is going (it stops polling once none is)."""
    year = _year(request)
    district = _admin_district(request)
    recent_runs = list(selectors.run_list(year=year, district=district))
    context = {
        "year": year,
        "district": district,
        "runs": recent_runs,
        "running": any(run.status == AssessmentRun.Status.RUNNING for run in recent_runs),
    }
    return render(request, "assessment/partials/runs.html", context)


@inside_admin("assessment.open_admin_page")
@require_POST
def admin_run(request):
    """Start (or resume) computing the drafts of the year for the scope."""
    year = _year(request)
    district = _admin_district(request)
    try:
        run = runs.assessment_run_start(year=year, district=district, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The assessment run has started: %(total)s chunks.") % {"total": run.total})
    return redirect(_admin_url(year, district))


@inside_admin("assessment.open_admin_page")
@require_POST
def admin_finalise(request):
    """Finalise the reviewed (and, if asked, draft) assessments of the year for the scope."""
    year = _year(request)
    district = _admin_district(request)
    try:
        run = runs.assessment_finalise(
            user=request.user, year=year, district=district, include_drafts=request.POST.get("include_drafts") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Finalising has started: %(total)s chunks.") % {"total": run.total})
    return redirect(_admin_url(year, district))


@inside_admin("assessment.open_admin_page")
def admin_below_line_export(request):
    """The party organisations of the scope under the reporting line that year, as .xlsx, recorded."""
    year = _year(request)
    district = _admin_district(request)
    below = selectors.below_line_rows(user=request.user, year=year, district=district)
    organisations = dict(Unit.objects.filter(pk__in=[row.pk for row in below]).values_list("pk", "party_organisation"))
    header = [_("Unit"), _("Code"), _("Party organisation"), _("On roster"), _("Reported"), _("Rate (%)"), _("Note")]
    note = _("May not be rated an advanced party organisation this year")
    rows = [
        [row.name, row.code, organisations.get(row.pk, ""), row.roster, row.reported, row.rate, note] for row in below
    ]
    place = district.name if district else _("All districts")
    return xlsx_export(
        user=request.user,
        kind="assessment-below-line",
        title=_("Under the reporting line %(year)s, %(place)s") % {"year": year, "place": place},
        header=header,
        rows=rows,
        filters={"year": year, "district": district.pk if district else None},
        place=place,
        period=year_period(year),
    )
