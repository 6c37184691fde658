"""Pages of the council: its public page (no login); the council, its topics, meetings and resolutions for the staff
of its places, its members and the companies' contacts; the photos, served only to who may see the resolution; the
figures per community."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities import public_pages
from communities.models import Community
from communities.platform import policies
from communities.platform.web import apply_service_errors, paginate
from services.selectors import community_get_public

from . import selectors, services
from .forms import (
    COMPANY,
    CancelForm,
    CompanyChoiceForm,
    CompanyCreateForm,
    DecideForm,
    HoldForm,
    MeetingForm,
    MemberAddForm,
    ProgressForm,
    ReviewForm,
    TopicForm,
    TopicFromRequestForm,
    YearForm,
)
from .models import AgendaItem, CouncilMember, Party, ProgressPhoto, PropertyCompany, Topic
from .workflow import SCHEDULABLE, MeetingStatus

# --- The public page (no login) ----------------------------------------------------------------------------------


def public(request, code: str):
    """A community's council for anyone: meetings announced and held, resolutions and their progress. No person is
    named. Drawn from the shared cache; the council's writes bump the community's version (public_pages)."""
    community = public_pages.cached(f"community:{code}", get=lambda: community_get_public(code=code))
    context = {"community": community, "fill": lambda: selectors.public_council(community=community)}
    return render(request, "council/public.html", context)


# --- The council -------------------------------------------------------------------------------------------------


@login_required
def home(request):
    """The councils the user may open; the communities they could set one up for; what is handed to them."""
    policies.require("council.open_council_pages", request.user)
    context = {
        "councils": selectors.councils_for(user=request.user),
        "without": selectors.communities_without_council(user=request.user)
        if policies.allowed("council.set_up_council", request.user) else [],
        "handed": selectors.handed_to(user=request.user).order_by("status", "due_on")[:50],
        "is_staff_page": policies.allowed("council.show_staff_tab", request.user),
    }
    return render(request, "council/home.html", context)


@login_required
@require_POST
def council_setup(request, community_id: int):
    community = get_object_or_404(Community, pk=community_id)
    try:
        council = services.council_create(community=community, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("council:home")
    messages.success(request, _("The council is set up. Seat the members of its four parties."))
    return redirect("council:detail", council_id=council.pk)


@login_required
def council_detail(request, council_id: int):
    council = selectors.council_get(user=request.user, council_id=council_id)
    page = selectors.council_page(council=council)
    members = list(page["members"])
    user = request.user
    context = {
        "council": council,
        "parties": [(value, label, [m for m in members if m.party == value]) for value, label in Party.choices],
        "topics": page["topics"],
        "meetings": page["meetings"],
        "resolutions": page["resolutions"],
        "can_manage": policies.allowed("council.manage_council", user, council),
        "can_raise": policies.allowed("council.raise_topic", user, council),
        "is_staff_page": policies.allowed("council.show_staff_tab", user),
    }
    return render(request, "council/detail.html", context)


def _managed_council(request, council_id):
    council = selectors.council_get(user=request.user, council_id=council_id)
    policies.require("council.manage_council", request.user, council)
    return council


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request, council_id: int):
    council = _managed_council(request, council_id)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.council_member_add(council_id=council.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The member is seated."))
            return redirect("council:detail", council_id=council.pk)
    return render(request, "council/form.html", {"council": council, "form": form, "title": _("Add a member")})


@login_required
@require_POST
def member_remove(request, member_id: int):
    member = get_object_or_404(CouncilMember.objects.select_related("council__community"), pk=member_id)
    services.council_member_remove(member_id=member.pk, actor=request.user)
    messages.success(request, _("The member no longer sits on the council."))
    return redirect("council:detail", council_id=member.council_id)


@login_required
@require_http_methods(["GET", "POST"])
def company(request, council_id: int):
    """Choose the council's property company from the companies known, or add one with its contact's login."""
    council = _managed_council(request, council_id)
    action = request.GET.get("action", "choose")
    choose = CompanyChoiceForm(request.POST if action == "choose" else None, companies=PropertyCompany.objects.all(),
                               initial={"company": council.property_company_id}, prefix="choose")
    choose.helper.form_action = "?action=choose"
    create = CompanyCreateForm(request.POST if action == "create" else None, prefix="create")
    create.helper.form_action = "?action=create"
    form = create if action == "create" else choose
    if request.method == "POST" and form.is_valid():
        try:
            if action == "create":
                new = services.property_company_create(actor=request.user, **form.cleaned_data)
                company_id = new.pk
            else:
                company_id = form.cleaned_data["company"].pk if form.cleaned_data["company"] else None
            services.council_set_company(council_id=council.pk, company_id=company_id, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The property company is saved."))
            return redirect("council:detail", council_id=council.pk)
    return render(request, "council/company.html", {"council": council, "choose": choose, "create": create})


# --- Topics ------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request, council_id: int):
    council = selectors.council_get(user=request.user, council_id=council_id)
    policies.require("council.raise_topic", request.user, council)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_raise(council_id=council.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The topic is raised."))
            return redirect("council:detail", council_id=council.pk)
    return render(request, "council/form.html", {"council": council, "form": form, "title": _("Raise a topic")})


@login_required
@require_http_methods(["GET", "POST"])
def topic_from_request(request, council_id: int):
    council = _managed_council(request, council_id)
    form = TopicFromRequestForm(request.POST or None, requests=selectors.open_requests_for_topics(council=council))
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            services.topic_from_request(request_id=values.pop("request").pk, actor=request.user, **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The request is a council topic; the resident reads it on its page."))
            return redirect("council:detail", council_id=council.pk)
    return render(request, "council/form.html",
                  {"council": council, "form": form, "title": _("A topic from a resident's request")})


@login_required
@require_POST
def topic_withdraw(request, topic_id: int):
    topic = get_object_or_404(Topic, pk=topic_id)
    try:
        services.topic_withdraw(topic_id=topic.pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The topic is withdrawn."))
    return redirect("council:detail", council_id=topic.council_id)


# --- Meetings ----------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, council_id: int):
    council = _managed_council(request, council_id)
    topics = Topic.objects.filter(council=council, status__in=SCHEDULABLE).order_by("created_at")
    form = MeetingForm(request.POST or None, topics=topics)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            meeting = services.meeting_announce(
                council_id=council.pk, starts_at=values["starts_at"], place=values["place"],
                topic_ids=[topic.pk for topic in values["topics"]], actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The meeting is announced to every member and on the public page."))
            return redirect("council:meeting", meeting_id=meeting.pk)
    return render(request, "council/form.html", {"council": council, "form": form, "title": _("Announce a meeting")})


def _meeting_context(request, meeting, *, hold_form=None, cancel_form=None):
    council = meeting.council
    can_manage = policies.allowed("council.manage_council", request.user, council)
    announced = meeting.status == MeetingStatus.ANNOUNCED
    started = timezone.now() >= meeting.starts_at
    members = CouncilMember.objects.filter(council=council, is_active=True).select_related("user")
    hold_form = hold_form or (HoldForm(members=members) if can_manage and announced and started else None)
    cancel_form = cancel_form or (CancelForm() if can_manage and announced else None)
    if hold_form is not None:
        hold_form.helper.form_action = reverse("council:meeting-hold", args=[meeting.pk])
    if cancel_form is not None:
        cancel_form.helper.form_action = reverse("council:meeting-cancel", args=[meeting.pk])
    return {
        "meeting": meeting,
        "council": council,
        "items": selectors.meeting_items(meeting),
        "attendance": selectors.meeting_attendance(meeting),
        "can_manage": can_manage,
        "hold_form": hold_form,
        "cancel_form": cancel_form,
        "is_staff_page": policies.allowed("council.show_staff_tab", request.user),
    }


@login_required
def meeting_detail(request, meeting_id: int):
    meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    return render(request, "council/meeting.html", _meeting_context(request, meeting))


@login_required
@require_POST
def meeting_hold(request, meeting_id: int):
    meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    policies.require("council.manage_council", request.user, meeting.council)
    members = CouncilMember.objects.filter(council=meeting.council, is_active=True).select_related("user")
    form = HoldForm(request.POST, members=members)
    if form.is_valid():
        try:
            services.meeting_hold(meeting_id=meeting.pk, actor=request.user, minutes=form.cleaned_data["minutes"],
                                  present_member_ids=[m.pk for m in form.cleaned_data["present"]])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The meeting is recorded. Now record the decision on each topic."))
            return redirect("council:meeting", meeting_id=meeting.pk)
    return render(request, "council/meeting.html", _meeting_context(request, meeting, hold_form=form))


@login_required
@require_POST
def meeting_cancel(request, meeting_id: int):
    meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    policies.require("council.manage_council", request.user, meeting.council)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_cancel(meeting_id=meeting.pk, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The meeting is called off; its topics wait for another one."))
            return redirect("council:meeting", meeting_id=meeting.pk)
    return render(request, "council/meeting.html", _meeting_context(request, meeting, cancel_form=form))


@login_required
@require_http_methods(["GET", "POST"])
def item_decide(request, item_id: int):
    item = get_object_or_404(AgendaItem.objects.select_related("meeting__council__community", "topic",
                                                               "meeting__council__property_company"), pk=item_id)
    meeting, council = item.meeting, item.meeting.council
    policies.require("council.view_council", request.user, council)
    policies.require("council.manage_council", request.user, council)
    if meeting.status != MeetingStatus.HELD or item.outcome:
        raise PermissionDenied
    parties = [value for value in Party.values if value in services.parties_present(meeting)]
    people = list(services.executor_choices(council))
    form = DecideForm(request.POST or None, parties=parties, company=council.property_company, people=people)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        executor = values["executor"]
        try:
            services.item_decide(
                item_id=item.pk, actor=request.user, positions=form.positions(),
                deferred_reason=values["deferred_reason"], resolution_text=values["resolution_text"],
                due_on=values["due_on"],
                executor_company_id=council.property_company_id if executor == COMPANY else None,
                executor_user=next((p for p in people if str(p.pk) == executor), None),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("council:meeting", meeting_id=meeting.pk)
    return render(request, "council/decide.html", {"item": item, "meeting": meeting, "council": council,
                                                   "form": form})


# --- Resolutions -------------------------------------------------------------------------------------------------


@login_required
def resolution_list(request):
    """The resolutions the user may open, those handed to them first: the executor's list."""
    policies.require("council.open_council_pages", request.user)
    rows = selectors.resolutions_for(user=request.user).order_by("status", "due_on", "pk")
    return render(request, "council/resolutions.html", {"page": paginate(request, rows),
                                                        "today": timezone.localdate()})


def _resolution_context(request, resolution, *, progress_form=None, review_form=None):
    may = services.may_act(request.user, resolution)
    progress_form = progress_form or (ProgressForm(initial={"percent": resolution.percent}) if may["progress"]
                                      else None)
    review_form = review_form or (ReviewForm() if may["review"] else None)
    if progress_form is not None:
        progress_form.helper.form_action = reverse("council:resolution-progress", args=[resolution.pk])
    if review_form is not None:
        review_form.helper.form_action = reverse("council:resolution-review", args=[resolution.pk])
    return {
        "resolution": resolution,
        "updates": selectors.resolution_updates(resolution),
        "progress_form": progress_form,
        "review_form": review_form,
        "today": timezone.localdate(),
        "is_staff_page": policies.allowed("council.show_staff_tab", request.user),
    }


@login_required
def resolution_detail(request, resolution_id: int):
    resolution = selectors.resolution_get(user=request.user, resolution_id=resolution_id)
    return render(request, "council/resolution.html", _resolution_context(request, resolution))


@login_required
@require_POST
def resolution_progress(request, resolution_id: int):
    resolution = selectors.resolution_get(user=request.user, resolution_id=resolution_id)
    policies.require("council.report_progress", request.user, resolution)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.resolution_progress(resolution_id=resolution.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The progress is reported."))
            return redirect("council:resolution", resolution_id=resolution.pk)
    return render(request, "council/resolution.html", _resolution_context(request, resolution, progress_form=form))


@login_required
@require_POST
def resolution_review(request, resolution_id: int):
    resolution = selectors.resolution_get(user=request.user, resolution_id=resolution_id)
    policies.require("council.review_resolution", request.user, resolution)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.resolution_review(resolution_id=resolution.pk, actor=request.user,
                                       accept=form.cleaned_data["decision"] == "accept",
                                       reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The residents' decision is recorded."))
            return redirect("council:resolution", resolution_id=resolution.pk)
    return render(request, "council/resolution.html", _resolution_context(request, resolution, review_form=form))


@login_required
@never_cache
def photo(request, photo_id: int):
    """A progress photo, to who may see its resolution only; from private storage, never from a public URL."""
    found = ProgressPhoto.objects.select_related("update__resolution__council__community").filter(pk=photo_id).first()
    if found is None or not policies.allowed("council.view_resolution", request.user, found.update.resolution):
        raise Http404
    try:
        opened = found.file.open("rb")
    except FileNotFoundError as missing:  # a row whose file was lost (a restored database): no 500
        raise Http404 from missing
    response = FileResponse(opened, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


# --- Figures -----------------------------------------------------------------------------------------------------


@login_required
def figures(request):
    """Per community of the user's scope: topics raised in the year, resolved, done on time, accepted."""
    policies.require("council.open_figures", request.user)
    form = YearForm(request.GET or None)
    year = form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year
    communities = selectors.figure_communities(user=request.user)
    page = paginate(request, communities)
    # Over every community of the scope (two grouped queries), so the total is the scope's, not the page's.
    found = selectors.figures_by_community(communities=communities, year=year)
    rows = [(community, found.get(community.pk, selectors.Figures())) for community in page]
    total = selectors.Figures(**{name: sum(getattr(f, name) for f in found.values())
                                 for name in ("topics", "resolved", "on_time", "accepted")})
    return render(request, "council/figures.html", {"form": form, "year": year, "page": page, "rows": rows,
                                                    "total": total})
