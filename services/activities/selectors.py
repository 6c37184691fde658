"""Reads for activities. Everything a template loops over is prepared here; the status a page shows is the
clock's (states.shown_status), set on each row as `shown`."""

import datetime

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communities.models import Community
from communities.platform import policies
from registration.models import Member

from . import states
from .models import Activity, CheckIn, Feedback, SignUp

Status = Activity.Status
# A member's list shows activities that ended this long ago at most (the rest: "my activities").
RECENT = datetime.timedelta(days=30)
SEEN_BY_MEMBERS = (Status.PUBLISHED, Status.RUNNING, Status.ENDED, Status.CANCELLED)


def with_shown(activities, now=None):
    """The rows as a list, each with `shown` (the status the clock gives it) and its label `shown_label`."""
    now = now or timezone.now()
    rows = list(activities)
    for activity in rows:
        activity.shown = states.shown_status(activity, now)
        activity.shown_label = Status(activity.shown).label
    return rows


def _my_signup(member: Member):
    return SignUp.objects.filter(
        activity=OuterRef("pk"), member=member, status__in=(SignUp.Status.SIGNED_UP, SignUp.Status.WAITING)
    )


def member_activity_list(*, member: Member, community: Community | None):
    """The activities of the member's community that members see, upcoming first, then the recently ended; each
    says whether the member holds a place (`signed_up`) or waits (`waiting`)."""
    if community is None:
        return Activity.objects.none()
    mine = _my_signup(member)
    return (
        Activity.objects.filter(
            community=community, status__in=SEEN_BY_MEMBERS, ends_at__gte=timezone.now() - RECENT
        )
        .select_related("community")
        .annotate(
            signed_up=Exists(mine.filter(status=SignUp.Status.SIGNED_UP)),
            waiting=Exists(mine.filter(status=SignUp.Status.WAITING)),
        )
        .order_by("starts_at", "pk")
    )


def activity_get_for_member(*, community: Community | None, activity_id: int) -> Activity:
    """An activity of the member's community that members see; 404 otherwise."""
    activities = Activity.objects.filter(status__in=SEEN_BY_MEMBERS)
    activities = activities.filter(community=community) if community else activities.none()
    return get_object_or_404(activities.select_related("community"), pk=activity_id)


def member_signup(*, member: Member, activity: Activity) -> SignUp | None:
    """The member's current sign-up for the activity (not cancelled), if any."""
    return (
        SignUp.objects.filter(activity=activity, member=member)
        .exclude(status__in=(SignUp.Status.CANCELLED, SignUp.Status.LATE_CANCELLED))
        .first()
    )


def waiting_ahead(*, signup: SignUp) -> int:
    """How many members wait ahead of this one."""
    return SignUp.objects.filter(
        activity_id=signup.activity_id, status=SignUp.Status.WAITING, position__lt=signup.position
    ).count()


def member_signup_list(*, member: Member):
    """The member's sign-ups, newest activity first, with the activity and its service record."""
    return (
        SignUp.objects.filter(member=member)
        .select_related("activity__community", "record")
        .order_by("-activity__starts_at", "-pk")
    )


def staff_activity_list(*, user, status: str = ""):
    """Activities of the communities in the user's scope, by start (latest first), with waiting counted."""
    activities = Activity.objects.filter(community__in=Community.objects.visible_to(user))
    if status:
        activities = activities.filter(status=status)
    return (
        activities.select_related("community")
        .annotate(waiting_count=Count("signups", filter=Q(signups__status=SignUp.Status.WAITING)))
        .order_by("-starts_at", "-pk")
    )


def staff_activity_get(*, user, activity_id: int) -> Activity:
    """An activity of a community in the user's scope, or one the user organises without a staff scope (a team's
    leader, the team's activity: policy activities.manage_activity); 404 otherwise."""
    activity = (
        Activity.objects.filter(community__in=Community.objects.visible_to(user), pk=activity_id)
        .select_related("community")
        .first()
    )
    if activity is None:
        activity = Activity.objects.select_related("community").filter(pk=activity_id).first()
        if activity is None or not policies.allowed("activities.manage_activity", user, activity):
            raise Http404
    return activity


def attendance_list(*, activity: Activity):
    """The activity's sign-ups with their members and scans (oldest first), places first, then the waiting list,
    then the cancelled."""
    order = {status: index for index, status in enumerate(SignUp.Status.values)}
    scans = Prefetch("checkins", queryset=CheckIn.objects.order_by("at", "pk"), to_attr="scan_list")
    rows = list(
        SignUp.objects.filter(activity=activity)
        .select_related("member__unit", "record")
        .prefetch_related(scans)
        .order_by("position", "created_at", "pk")
    )
    return sorted(rows, key=lambda signup: (order[signup.status], signup.position or 0))


# The public page lists activities ended this long ago at most, and this many of each kind.
PUBLIC_RECENT = datetime.timedelta(days=90)
PUBLIC_LIMIT = 20


def public_activities(*, community: Community) -> dict:
    """The community's public page of activities (no login, no names): upcoming published ones with places
    left, and the recently closed ones with their figures (members who came, hours credited). Two queries."""
    now = timezone.now()
    upcoming = (
        Activity.objects.filter(community=community, status=Status.PUBLISHED, starts_at__gt=now)
        .order_by("starts_at", "pk")[:PUBLIC_LIMIT]
    )
    feedback_of = Feedback.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
    recent = (
        Activity.objects.filter(community=community, status=Status.ENDED, ends_at__gte=now - PUBLIC_RECENT)
        .annotate(
            attended=Count("signups", filter=Q(signups__status=SignUp.Status.ATTENDED)),
            hours=Sum("signups__record__hours"),
            # Subqueries: a join would multiply the sign-ups counted above.
            feedback_count=Subquery(feedback_of.annotate(n=Count("pk")).values("n")),
            feedback_average=Subquery(feedback_of.annotate(average=Avg("rating")).values("average")),
        )
        .order_by("-starts_at", "-pk")[:PUBLIC_LIMIT]
    )
    return {"upcoming": list(upcoming), "recent": list(recent)}
