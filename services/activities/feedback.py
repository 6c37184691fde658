"""Feedback after an activity (反馈): from the members who came and from the residents they served, one per
person, from the activity's closing until FEEDBACK_DAYS after its end (models.Feedback; the database keeps both
rules). A resident gives a mobile number, kept only as a keyed hash, so that one person leaves one feedback."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from registration.models import Member

from .models import FEEDBACK_DAYS, Activity, Feedback, SignUp

# The link residents open (a QR code the organiser shows) names its activity in a signed value, so that nobody
# writes feedback for an activity by guessing its number.
LINK_SALT = "activities.feedback-link"


def resident_key(mobile: str) -> str:
    return salted_hmac("activities.feedback-resident", mobile, algorithm="sha256").hexdigest()


def resident_link_token(*, activity_id: int) -> str:
    return signing.dumps(activity_id, salt=LINK_SALT)


def activity_from_link_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=LINK_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def window_open(activity: Activity, *, now: datetime.datetime) -> bool:
    """Feedback is taken once the activity is closed (ended: possibly before its scheduled end, when the
    organiser closes on the spot) and until FEEDBACK_DAYS after its scheduled end."""
    return activity.status == Activity.Status.ENDED and now <= activity.ends_at + datetime.timedelta(days=FEEDBACK_DAYS)


def _check(*, rating: int, comment: str, activity: Activity, now) -> str:
    if not window_open(activity, now=now):
        raise ValidationError(
            _("Feedback is taken after the activity is closed, for %(days)s days after its end.")
            % {"days": FEEDBACK_DAYS}
        )
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5 stars.")})
    return comment.strip()


def _create(**values) -> Feedback:
    try:
        with transaction.atomic():
            return Feedback.objects.create(**values)
    except IntegrityError as error:
        # The one-per-person constraint (a second tab, a double click) says it in words.
        raise ValidationError(_("You have already left feedback on this activity.")) from error


def feedback_from_member(*, member: Member, activity_id: int, rating: int, comment: str = "") -> Feedback:
    """A member who came (attended) leaves feedback once. Raises ValidationError (not attended, window closed,
    already left, rating out of range)."""
    activity = Activity.objects.get(pk=activity_id)
    now = timezone.now()
    comment = _check(rating=rating, comment=comment, activity=activity, now=now)
    if not SignUp.objects.filter(activity=activity, member=member, status=SignUp.Status.ATTENDED).exists():
        raise ValidationError(_("Members who came to the activity leave feedback on it."))
    return _create(activity=activity, author=Feedback.Author.MEMBER, member=member, rating=rating, comment=comment,
                   activity_ends_at=activity.ends_at, created_at=now)


def feedback_from_resident(*, activity_id: int, mobile: str, rating: int, comment: str = "") -> Feedback:
    """A resident served (no account) leaves feedback once per mobile number. Raises ValidationError."""
    activity = Activity.objects.get(pk=activity_id)
    now = timezone.now()
    comment = _check(rating=rating, comment=comment, activity=activity, now=now)
    return _create(activity=activity, author=Feedback.Author.RESIDENT, resident_key=resident_key(mobile),
                   rating=rating, comment=comment, activity_ends_at=activity.ends_at, created_at=now)


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    members: int
    residents: int
    average: Decimal | None


def summary(*, activity: Activity) -> FeedbackSummary:
    """How many left feedback (members, residents) and the average rating, one query."""
    figures = Feedback.objects.filter(activity=activity).aggregate(
        count=Count("pk"), members=Count("pk", filter=Q(author=Feedback.Author.MEMBER)),
        residents=Count("pk", filter=Q(author=Feedback.Author.RESIDENT)), average=Avg("rating"),
    )
    average = figures["average"]
    return FeedbackSummary(
        count=figures["count"], members=figures["members"], residents=figures["residents"],
        average=Decimal(str(average)).quantize(Decimal("0.1")) if average is not None else None,
    )


def feedback_list(*, activity: Activity):
    """The activity's feedback for its organiser, newest first, with the member's name (residents: none)."""
    return Feedback.objects.filter(activity=activity).select_related("member").order_by("-created_at", "-pk")
