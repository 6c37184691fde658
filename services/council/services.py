"""Writes of the council: set it up with its parties' members and property company; raise topics (also from a
resident's request); announce, cancel and record meetings (quorum, attendance, minutes); decide each topic (each
party's position, majority of the parties present, or deferred with a reason); carry resolutions out (progress with
photos) up to the residents' acceptance. Each is one transaction, checked against the declared state tables
(workflow), and writes its audit entry; messages are stored in the same transaction (communities.notifications)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.audit import audit
from communities.notifications import Channel, notify
from communities.platform import policies
from services.requests import services as request_ops
from services.requests.models import ResidentRequest
from services.requests.workflow import ALLOWED_CHANGES as REQUEST_CHANGES
from services.requests.workflow import OPEN as OPEN_REQUESTS
from services.requests.workflow import State as RequestState

from . import uploads
from .audit_actions import Action
from .conf import setting
from .models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    Party,
    PartyPosition,
    Position,
    ProgressPhoto,
    PropertyCompany,
    Resolution,
    ResolutionUpdate,
    Topic,
    private_storage,
)
from .policies import memberships_of
from .workflow import SCHEDULABLE, MeetingStatus, ResolutionStatus, TopicStatus, change

MEETING_NOTICE = "council-meeting"
RESOLUTION_NEWS = "council-resolution"
VOTING_POSITIONS = (Position.FOR, Position.AGAINST, Position.ABSTAIN)


def _in_language():
    return translation.override(settings.LANGUAGE_CODE)


def _account(*, full_name: str, phone: str, password: str):
    """The account whose username is this phone, made (with this password) when there is none. Returns
    (user, created)."""
    User = get_user_model()
    user = User.objects.filter(username=phone).first()
    if user is not None:
        return user, False
    if not password:
        raise ValidationError({"password": _("No account has this phone yet: give a first password.")})
    user = User(username=phone, full_name=full_name.strip())
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.save()
    return user, True


# --- The council, its members and its property company -------------------------------------------------------


@transaction.atomic
def property_company_create(*, name: str, contact_name: str, contact_phone: str, password: str = "",
                            actor) -> PropertyCompany:
    """A property company with a login for its contact (the account of that phone, made when missing). The
    company may then be chosen by the councils of the communities it manages. Community staff or above."""
    policies.require("council.set_up_council", actor)
    if not name.strip():
        raise ValidationError({"name": _("Give the company's name.")})
    if PropertyCompany.objects.filter(name=name.strip()).exists():
        raise ValidationError({"name": _("A company with this name exists already: choose it from the list.")})
    contact, _created = _account(full_name=contact_name, phone=contact_phone, password=password)
    company = PropertyCompany.objects.create(name=name.strip(), contact=contact)
    audit(action=Action.PROPERTY_COMPANY_CREATE, user=actor, obj=company)
    return company


@transaction.atomic
def council_create(*, community, actor) -> Council:
    """Set up the council of a community (once). Its community's staff."""
    policies.require("communities.manage_community", actor, community)
    if Council.objects.filter(community=community).exists():
        raise ValidationError(_("This community has a council already."))
    council = Council.objects.create(community=community)
    audit(action=Action.COUNCIL_CREATE, user=actor, obj=council)
    return council


@transaction.atomic
def council_set_company(*, council_id: int, company_id: int | None, actor) -> Council:
    council = Council.objects.select_for_update(of=("self",)).select_related("community").get(pk=council_id)
    policies.require("council.manage_council", actor, council)
    if company_id is not None and not PropertyCompany.objects.filter(pk=company_id).exists():
        raise ValidationError({"company": _("Choose a property company from the list.")})
    council.property_company_id = company_id
    council.save(update_fields=["property_company"])
    audit(action=Action.COUNCIL_COMPANY_SET, user=actor, obj=council, detail={"company": company_id})
    return council


@transaction.atomic
def council_member_add(*, council_id: int, party: str, full_name: str = "", phone: str = "", password: str = "",
                       user=None, actor) -> CouncilMember:
    """Seat a person for a party: `user` (an account that exists, such as the community's staff), or the account
    whose username is the phone (Party members log in with theirs); residents' representatives and the property
    company's people get one made here, which sees this council only. A person sits once per council (a removed
    member is seated again)."""
    council = Council.objects.select_for_update(of=("self",)).select_related("community").get(pk=council_id)
    policies.require("council.manage_council", actor, council)
    if party not in Party.values:
        raise ValidationError({"party": _("Choose a party.")})
    if user is None:
        if not full_name.strip():
            raise ValidationError({"full_name": _("Give the person's name.")})
        user, _created = _account(full_name=full_name, phone=phone, password=password)
    member = CouncilMember.objects.filter(council=council, user=user).first()
    if member is not None and member.is_active:
        raise ValidationError({"phone": _("This person sits on the council already.")})
    if member is None:
        member = CouncilMember(council=council, user=user)
    member.party, member.phone, member.is_active = party, phone, True
    member.save()
    audit(action=Action.COUNCIL_MEMBER_ADD, user=actor, obj=member, detail={"party": party})
    return member


@transaction.atomic
def council_member_remove(*, member_id: int, actor) -> CouncilMember:
    """The person no longer sits on the council; their attendance and the council's history stay."""
    member = CouncilMember.objects.select_for_update(of=("self",)).select_related("council__community").get(
        pk=member_id)
    policies.require("council.manage_council", actor, member.council)
    member.is_active = False
    member.save(update_fields=["is_active"])
    audit(action=Action.COUNCIL_MEMBER_REMOVE, user=actor, obj=member)
    return member


# --- Topics ------------------------------------------------------------------------------------------------------


def _check_topic_text(title: str, description: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the topic a title.")
    if not description.strip():
        errors["description"] = _("Say what the council should decide.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def topic_raise(*, council_id: int, title: str, description: str, actor, now=None) -> Topic:
    """A topic raised by the community's staff, or by a party through one of its members."""
    council = Council.objects.select_related("community").get(pk=council_id)
    policies.require("council.raise_topic", actor, council)
    _check_topic_text(title, description)
    party = policies_party(actor, council)
    topic = Topic.objects.create(
        council=council, title=title.strip(), description=description.strip(), raised_by=actor,
        source=Topic.Source.PARTY if party and not policies.allowed("council.manage_council", actor, council)
        else Topic.Source.STAFF,
        raised_party=party or "", created_at=now or timezone.now(),
    )
    audit(action=Action.TOPIC_RAISE, user=actor, obj=topic, detail={"source": topic.source})
    return topic


def policies_party(user, council) -> str:
    """The party the user sits for on this council, or ""."""
    return memberships_of(user).get(council.pk, "")


def _request_news_target(request_obj) -> str | None:
    """The request state that carries the council's public note: it goes on being handled (in progress), or is
    accepted by the community first when it was only received. None when the requests' table allows neither."""
    current = RequestState(request_obj.state)
    if RequestState.IN_PROGRESS in REQUEST_CHANGES[current]:
        return RequestState.IN_PROGRESS
    if RequestState.ACCEPTED in REQUEST_CHANGES[current]:
        return RequestState.ACCEPTED
    return None


@transaction.atomic
def topic_from_request(*, request_id: int, title: str, description: str, actor, now=None) -> Topic:
    """The community's staff bring an open resident's request to the council as a topic (once per request). The
    resident reads on the request's tracking page, through the requests' own service (a public note with the
    change), that the council takes it up."""
    now = now or timezone.now()
    request_obj = ResidentRequest.objects.select_related("community").get(pk=request_id)
    council = Council.objects.select_related("community").filter(community_id=request_obj.community_id).first()
    if council is None:
        raise ValidationError(_("This community has no council yet."))
    policies.require("council.manage_council", actor, council)
    if request_obj.state not in OPEN_REQUESTS:
        raise ValidationError(_("A closed request cannot become a topic."))
    if Topic.objects.filter(resident_request=request_obj).exists():
        raise ValidationError(_("This request is a council topic already."))
    target = _request_news_target(request_obj)
    if target is None:
        raise ValidationError(_("Take this request up again on its page first."))
    _check_topic_text(title, description)
    topic = Topic.objects.create(
        council=council, title=title.strip(), description=description.strip(), source=Topic.Source.REQUEST,
        raised_by=actor, resident_request=request_obj, created_at=now,
    )
    with _in_language():
        request_ops.request_change(
            request_id=request_obj.pk, to=target, actor=actor, now=now,
            handler=(request_obj.handler or actor) if target == RequestState.ACCEPTED else None,
            note=_("Your request goes to the community's four-party council as the topic “%(title)s”. Its "
                   "meetings and resolutions are shown on the community's public page.") % {"title": topic.title},
        )
    audit(action=Action.TOPIC_RAISE, user=actor, obj=topic, detail={"source": topic.source, "request": request_id})
    return topic


@transaction.atomic
def topic_withdraw(*, topic_id: int, actor) -> Topic:
    topic = Topic.objects.select_for_update(of=("self",)).select_related("council__community").get(pk=topic_id)
    policies.require("council.manage_council", actor, topic.council)
    change(topic, TopicStatus, TopicStatus.WITHDRAWN)
    topic.save(update_fields=["status"])
    audit(action=Action.TOPIC_WITHDRAW, user=actor, obj=topic)
    return topic


# --- Meetings ----------------------------------------------------------------------------------------------------


def _tell_members(council, *, title: str, body: str, link: str, sms: bool) -> int:
    """Every active member: the inbox, and an SMS when a phone is known and `sms`."""
    members = CouncilMember.objects.filter(council=council, is_active=True, user__is_active=True).select_related(
        "user")
    channels = (Channel.INBOX, Channel.SMS) if sms else (Channel.INBOX,)
    for member in members:
        notify(kind=MEETING_NOTICE, title=title, body=body, link=link, user=member.user, phone=member.phone,
               channels=channels)
    return len(members)


@transaction.atomic
def meeting_announce(*, council_id: int, starts_at: datetime.datetime, place: str, topic_ids, actor,
                     now=None) -> Meeting:
    """Announce a meeting with its topics at least COUNCIL_NOTICE_DAYS ahead; tells every member of the four
    parties (inbox and SMS) and shows it on the public page. The topics must be this council's, proposed or
    deferred; they are on its agenda from now on."""
    now = now or timezone.now()
    council = Council.objects.select_for_update(of=("self",)).select_related("community").get(pk=council_id)
    policies.require("council.manage_council", actor, council)
    errors = {}
    days = setting("COUNCIL_NOTICE_DAYS")
    if starts_at < now + datetime.timedelta(days=days):
        errors["starts_at"] = _("Announce a meeting at least %(days)d days before it starts.") % {"days": days}
    if not place.strip():
        errors["place"] = _("Say where the meeting is.")
    topics = list(Topic.objects.select_for_update().filter(council=council, pk__in=list(topic_ids)).order_by("pk"))
    if not topics or len(topics) != len(set(topic_ids)) or any(t.status not in SCHEDULABLE for t in topics):
        errors["topics"] = _("Choose the topics of this council that wait for a meeting.")
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(council=council, starts_at=starts_at, place=place.strip(), announced_by=actor,
                                     announced_at=now)
    for topic in topics:
        change(topic, TopicStatus, TopicStatus.SCHEDULED)
        topic.save(update_fields=["status"])
    AgendaItem.objects.bulk_create([AgendaItem(meeting=meeting, topic=topic) for topic in topics])
    with _in_language():
        _tell_members(
            council, sms=True, link=reverse("council:meeting", args=[meeting.pk]),
            title=_("Council meeting on %(when)s at %(place)s")
            % {"when": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"), "place": meeting.place},
            body="；".join(topic.title for topic in topics),
        )
    audit(action=Action.MEETING_ANNOUNCE, user=actor, obj=meeting, detail={"topics": [t.pk for t in topics]})
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting_id: int, reason: str, actor) -> Meeting:
    """Call off an announced meeting; its topics wait for another one. Members are told."""
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("council__community").get(pk=meeting_id)
    policies.require("council.manage_council", actor, meeting.council)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the meeting is called off.")})
    change(meeting, MeetingStatus, MeetingStatus.CANCELLED)
    meeting.minutes = reason.strip()
    meeting.save(update_fields=["status", "minutes"])
    for topic in Topic.objects.select_for_update().filter(agenda_items__meeting=meeting).order_by("pk"):
        change(topic, TopicStatus, TopicStatus.PROPOSED)
        topic.save(update_fields=["status"])
    with _in_language():
        _tell_members(meeting.council, sms=True, link=reverse("council:meeting", args=[meeting.pk]), body=reason,
                      title=_("The council meeting on %(when)s is called off")
                      % {"when": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")})
    audit(action=Action.MEETING_CANCEL, user=actor, obj=meeting)
    return meeting


def parties_present(meeting) -> set[str]:
    return set(meeting.attendance.values_list("party", flat=True))


@transaction.atomic
def meeting_hold(*, meeting_id: int, present_member_ids, minutes: str, actor, now=None) -> Meeting:
    """Record a meeting that took place: who was present (per party) and the minutes. Refused without the quorum
    (COUNCIL_QUORUM_PARTIES of the four parties with a member present) and before its start; nothing is saved then.
    Its topics are decided next, one by one (item_decide)."""
    now = now or timezone.now()
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("council__community").get(pk=meeting_id)
    policies.require("council.manage_council", actor, meeting.council)
    if meeting.status != MeetingStatus.ANNOUNCED:
        raise ValidationError(_("Only an announced meeting can be recorded."))
    if now < meeting.starts_at:
        raise ValidationError(_("The meeting has not started yet."))
    errors = {}
    present = list(CouncilMember.objects.filter(council=meeting.council, is_active=True,
                                                pk__in=list(present_member_ids)).order_by("pk"))
    parties = {member.party for member in present}
    quorum = setting("COUNCIL_QUORUM_PARTIES")
    if len(parties) < quorum:
        missing = [label for value, label in Party.choices if value not in parties]
        errors["present"] = _("No quorum: %(quorum)d of the four parties must be present; absent: %(missing)s.") % {
            "quorum": quorum, "missing": "、".join(str(label) for label in missing)}
    if not minutes.strip():
        errors["minutes"] = _("Write the minutes.")
    if errors:
        raise ValidationError(errors)
    change(meeting, MeetingStatus, MeetingStatus.HELD)
    meeting.minutes, meeting.held_at = minutes.strip(), now
    meeting.save(update_fields=["status", "minutes", "held_at"])
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member=m, party=m.party) for m in present])
    audit(action=Action.MEETING_HOLD, user=actor, obj=meeting, detail={"parties": sorted(parties),
                                                                       "present": len(present)})
    return meeting


def passes(positions: dict) -> bool:
    """The majority rule: more than half of the parties present are for (an abstention counts as not for)."""
    voting = [position for position in positions.values() if position != Position.ABSENT]
    return bool(voting) and 2 * sum(position == Position.FOR for position in voting) > len(voting)


def executor_choices(council):
    """Who may carry a resolution out when it is not the council's property company: the council's active members
    (staff, branch members …). A queryset of users."""
    return get_user_model().objects.filter(
        council_memberships__council=council, council_memberships__is_active=True, is_active=True
    ).order_by("full_name", "username")


@transaction.atomic
def item_decide(*, item_id: int, actor, positions: dict | None = None, deferred_reason: str = "",
                resolution_text: str = "", executor_company_id: int | None = None, executor_user=None,
                due_on: datetime.date | None = None, now=None) -> AgendaItem:
    """Record what a held meeting decided on one topic: deferred with the reason; or each present party's position
    (for, against, abstains; absent parties are recorded absent), passed by majority (`passes`) with the resolution,
    its executor (the council's property company or one of its members) and due date, or not passed."""
    now = now or timezone.now()
    item = AgendaItem.objects.select_for_update(of=("self",)).select_related(
        "meeting__council__community", "topic").get(pk=item_id)
    meeting, topic = item.meeting, item.topic
    council = meeting.council
    policies.require("council.manage_council", actor, council)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError(_("Record the meeting (attendance and minutes) before its decisions."))
    if item.outcome:
        raise ValidationError(_("This topic was decided already."))
    if deferred_reason.strip():
        item.outcome, item.deferred_reason, item.decided_at = AgendaItem.Outcome.DEFERRED, deferred_reason.strip(), now
        change(topic, TopicStatus, TopicStatus.DEFERRED)
        item.save()
        topic.save(update_fields=["status"])
        audit(action=Action.ITEM_DECIDE, user=actor, obj=item, detail={"outcome": item.outcome})
        return item
    present = parties_present(meeting)
    positions = dict(positions or {})
    errors = {}
    recorded = {}
    for party in Party.values:
        if party not in present:
            recorded[party] = Position.ABSENT
        elif positions.get(party) in VOTING_POSITIONS:
            recorded[party] = positions[party]
        else:
            errors[f"position_{party}"] = _("Record this party's position (it was present).")
    if errors:
        raise ValidationError(errors)
    passed = passes(recorded)
    if passed:
        if not resolution_text.strip():
            errors["resolution_text"] = _("Write what was resolved.")
        if due_on is None or due_on < timezone.localdate(meeting.starts_at):
            errors["due_on"] = _("Give a due date after the meeting.")
        if executor_company_id is not None:
            if executor_company_id != council.property_company_id:
                errors["executor"] = _("Hand it to this council's property company or to one of its members.")
        elif executor_user is None or not executor_choices(council).filter(pk=executor_user.pk).exists():
            errors["executor"] = _("Hand it to this council's property company or to one of its members.")
        if errors:
            raise ValidationError(errors)
    item.outcome = AgendaItem.Outcome.PASSED if passed else AgendaItem.Outcome.REJECTED
    item.decided_at = now
    item.save()
    PartyPosition.objects.bulk_create([PartyPosition(item=item, party=p, position=v) for p, v in recorded.items()])
    change(topic, TopicStatus, TopicStatus.RESOLVED if passed else TopicStatus.REJECTED)
    topic.save(update_fields=["status"])
    if passed:
        resolution = Resolution.objects.create(
            item=item, council=council, topic=topic, text=resolution_text.strip(), due_on=due_on, decided_at=now,
            executor_company_id=executor_company_id, executor_user=executor_user if executor_company_id is None
            else None,
        )
        with _in_language():
            _tell_executor(resolution, title=_("A council resolution was handed to you, due %(due)s")
                           % {"due": due_on.isoformat()})
    audit(action=Action.ITEM_DECIDE, user=actor, obj=item, detail={"outcome": item.outcome, "positions": recorded})
    return item


# --- Resolutions carried out -------------------------------------------------------------------------------------


def executor_user_id(resolution) -> int | None:
    if resolution.executor_user_id is not None:
        return resolution.executor_user_id
    company = PropertyCompany.objects.filter(pk=resolution.executor_company_id)
    return company.values_list("contact_id", flat=True).first()


def _tell_executor(resolution, *, title: str, body: str = "") -> None:
    user_id = executor_user_id(resolution)
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is not None:
            notify(kind=RESOLUTION_NEWS, title=title, body=body, user=user,
                   link=reverse("council:resolution", args=[resolution.pk]))


def _tell_representatives(resolution, *, title: str) -> None:
    members = CouncilMember.objects.filter(council_id=resolution.council_id, party=Party.RESIDENTS, is_active=True,
                                           user__is_active=True).select_related("user")
    for member in members:
        notify(kind=RESOLUTION_NEWS, title=title, user=member.user,
               link=reverse("council:resolution", args=[resolution.pk]))


def _update(resolution, *, note: str, actor, now) -> ResolutionUpdate:
    return ResolutionUpdate.objects.create(resolution=resolution, status=resolution.status,
                                           percent=resolution.percent, note=note, by=actor, created_at=now)


@transaction.atomic
def resolution_progress(*, resolution_id: int, percent: int, note: str, photos=(), actor,
                        now=None) -> ResolutionUpdate:
    """The executor reports progress: a percentage, a note and photos (checked by content and size, stored
    privately). 100 % reports the work done and asks the residents' representatives to accept it."""
    now = now or timezone.now()
    resolution = Resolution.objects.select_for_update(of=("self",)).get(pk=resolution_id)
    policies.require("council.report_progress", actor, resolution)
    errors = {}
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent"] = _("Give the progress as a percentage from 0 to 100.")
    if not note.strip():
        errors["note"] = _("Say what was done.")
    photos = list(photos)
    if len(photos) > setting("COUNCIL_PHOTOS_PER_UPDATE"):
        errors["photos"] = _("At most %(count)d photos an update.") % {"count": setting("COUNCIL_PHOTOS_PER_UPDATE")}
    checked = []
    for photo in photos if "photos" not in errors else ():
        try:
            checked.append((photo, *uploads.check_photo(photo)))
        except ValidationError as error:
            errors.setdefault("photos", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    done = percent == 100
    change(resolution, ResolutionStatus, ResolutionStatus.DONE if done else ResolutionStatus.IN_PROGRESS)
    resolution.percent = percent
    resolution.done_at = now if done else None
    resolution.save(update_fields=["status", "percent", "done_at"])
    update = _update(resolution, note=note.strip(), actor=actor, now=now)
    written = []
    try:
        for photo, content_type, extension in checked:
            stored = ProgressPhoto(update=update, content_type=content_type, size=photo.size)
            stored.file.save(uploads.stored_name(extension), photo, save=False)
            written.append(stored.file.name)
            stored.save()
    except Exception:
        # Nothing is half-saved: the rows roll back with the transaction, the files written so far go here.
        for name in written:
            private_storage.delete(name)
        raise
    if done:
        with _in_language():
            _tell_representatives(resolution, title=_("A council resolution is reported done: please check it"))
    audit(action=Action.RESOLUTION_PROGRESS, user=actor, obj=resolution, detail={"percent": percent,
                                                                                 "photos": len(checked)})
    return update


@transaction.atomic
def resolution_review(*, resolution_id: int, accept: bool, reason: str = "", actor, now=None) -> Resolution:
    """The residents' representatives accept the work reported done, or send it back with the reason (the executor
    carries on). An accepted resolution is final; the handler of the resident's request behind its topic, if any, is
    told so they can close the request."""
    now = now or timezone.now()
    resolution = Resolution.objects.select_for_update(of=("self",)).select_related("topic").get(pk=resolution_id)
    policies.require("council.review_resolution", actor, resolution)
    if accept:
        change(resolution, ResolutionStatus, ResolutionStatus.ACCEPTED)
        resolution.accepted_at = now
        note = reason.strip() or _("Accepted by the residents' representatives.")
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why it is sent back.")})
        change(resolution, ResolutionStatus, ResolutionStatus.SENT_BACK)
        resolution.done_at = None
        note = reason.strip()
    resolution.save(update_fields=["status", "accepted_at", "done_at"])
    _update(resolution, note=note, actor=actor, now=now)
    with _in_language():
        if accept:
            _tell_executor(resolution, title=_("The residents accepted the council resolution's work"))
            _tell_request_handler(resolution)
        else:
            _tell_executor(resolution, title=_("The residents sent the council resolution's work back"), body=note)
    audit(action=Action.RESOLUTION_ACCEPT if accept else Action.RESOLUTION_SEND_BACK, user=actor, obj=resolution)
    return resolution


def _tell_request_handler(resolution) -> None:
    request_obj = resolution.topic.resident_request
    if request_obj is None or request_obj.handler_id is None or request_obj.state not in OPEN_REQUESTS:
        return
    notify(kind=RESOLUTION_NEWS, user=request_obj.handler,
           title=_("The council's resolution on request #%(id)d was accepted: close the request") % {
               "id": request_obj.pk},
           link=reverse("resident_requests:detail", args=[request_obj.pk]))


def may_act(user, resolution) -> dict:
    """What the user may do on the resolution's page now."""
    status = resolution.status
    return {
        "progress": status in (ResolutionStatus.IN_PROGRESS, ResolutionStatus.SENT_BACK)
        and policies.allowed("council.report_progress", user, resolution),
        "review": status == ResolutionStatus.DONE and policies.allowed("council.review_resolution", user, resolution),
    }

