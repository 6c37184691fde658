import threading
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext

from communities.models import StaffAssignment
from communities.platform import policies
from registration.models import Report
from services import services as service_ops
from services.models import (
    RECORD_DAYS_AFTER_NEED_END,
    RECORD_OWN_INITIATIVE_MAX_AGE_DAYS,
    Claim,
    OutcomeCategory,
    PostType,
    ServiceNeed,
    ServiceRecord,
)
from services.points import record_points
from tests import factories
from tests.concurrency import race, run_in_threads
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
NOT_OPEN = "This need is no longer open for claims."
NOT_REPORTED = "You can claim needs of the community you have reported to and of its street."
ALREADY_CLAIMED = "You have already claimed this need."
FULL = "All places of this need are taken."
ENDED = "This need has ended; it can no longer be claimed."
ENDED_NOT_CANCELLABLE = "The need has ended: the claim can no longer be cancelled, only recorded."
NOT_IN_PROGRESS = "This claim is not in progress."
STARTED = "The need has started; a claim can be cancelled only before the start."
NOT_SERVING = "You can log service in the community you have reported to and its street."
ALREADY_DEALT_WITH = "This record has already been dealt with."
CLOSED_NOT_EDITABLE = "A closed need can no longer be edited; copy it instead."
ONLY_DRAFT_PUBLISHED = "Only a draft can be published."
ONLY_PUBLISHED_CLOSED = "Only a published need can be closed."
ONLY_DRAFT_DELETED = "Only a draft can be deleted; close a published need instead."


def assert_refused_with(excinfo, message):
    """The service refused for this rule and not for another one."""
    assert gettext(message) in excinfo.value.messages


def need_values(**overrides):
    starts_at = timezone.now() + timedelta(days=3)
    values = {
        "title": "周末助老送餐",
        "description": "为独居老人送午餐并陪伴聊天",
        "post_type": PostType.HELPING_VULNERABLE,
        "fulfilment": ServiceNeed.Fulfilment.DIRECT,
        "places": 3,
        "location": "幸福里3号楼",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "reply": "",
    }
    values.update(overrides)
    return values


def need_state(need):
    """Everything a write could change on a need, read back from the database."""
    row = ServiceNeed.objects.values().get(pk=need.pk)
    row["skills"] = sorted(ServiceNeed.objects.get(pk=need.pk).skills.values_list("pk", flat=True))
    return row


def record_state(record):
    return ServiceRecord.objects.values().get(pk=record.pk)


def confirmed_member(community):
    return factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member


def claim_through_service(member, need):
    return service_ops.claim_create(member=member, need_id=need.pk, commitment="每周六上午上门")


def yesterday():
    return timezone.localdate() - timedelta(days=1)


def log(member, *, hours="2", served_on=None, **place):
    return service_ops.record_create(
        member=member,
        served_on=served_on or yesterday(),
        hours=Decimal(hours),
        description="陪老人聊天，打扫房间",
        outcome=OutcomeCategory.GENERAL,
        **place,
    )


@pytest.fixture
def home(city):
    """The community everything happens in; its staff is staff_users["community"]."""
    return city["communities"][0]


@pytest.fixture
def neighbour(city):
    """Another community of the same street as `home`."""
    return city["communities"][1]


@pytest.fixture
def far(city):
    """A community of another street of the same district."""
    return city["communities"][2]


@pytest.fixture
def staff(staff_users):
    return staff_users["community"]


@pytest.fixture(params=["community_staff", "superuser"])
def manager(request, staff):
    """Everyone who acts for `home`: its own community staff and a superuser."""
    if request.param == "superuser":
        return factories.UserFactory(is_superuser=True)
    return staff


@pytest.fixture(
    params=[
        "staff_of_another_community",
        "inactive_staff_of_the_community",
        "street_staff",
        "unit_liaison",
        "district_org_department",
        "city_org_department",
        "admin_site_staff_without_assignment",
        "member",
    ]
)
def outsider(request, city, staff_users, home, neighbour):
    """Everyone who may not act for `home`, though several of them can see it."""
    kind = request.param
    if kind == "staff_of_another_community":
        return make_staff(Role.COMMUNITY_STAFF, community=neighbour)
    if kind == "inactive_staff_of_the_community":
        user = make_staff(Role.COMMUNITY_STAFF, community=home)
        user.is_active = False
        user.save(update_fields=["is_active"])
        return user
    if kind == "admin_site_staff_without_assignment":
        return factories.UserFactory(is_staff=True)
    if kind == "member":
        return confirmed_member(home).user
    return staff_users[
        {
            "street_staff": "street",
            "unit_liaison": "unit",
            "district_org_department": "org_district",
            "city_org_department": "org_city",
        }[kind]
    ]


@pytest.fixture
def member(home):
    """A member with a confirmed report to `home`."""
    return confirmed_member(home)


@pytest.fixture
def need(home):
    """A published need of `home`, starting in three days, with three places."""
    return factories.ServiceNeedFactory(community=home)


def running_need(community, **values):
    """A published need that started three days ago and ends in three days: service can be logged for it."""
    now = timezone.now()
    return factories.ServiceNeedFactory(
        community=community, starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=3), **values
    )


@pytest.fixture
def running(home):
    return running_need(home)


# --- need_create ------------------------------------------------------------------------------------------


def test_need_create_posts_a_draft_for_the_community(manager, home):
    skills = [factories.SkillFactory(name="理发"), factories.SkillFactory(name="法律咨询")]
    values = need_values()
    need = service_ops.need_create(user=manager, community=home, skills=skills, **values)
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.DRAFT
    assert need.published_at is None
    assert need.claimed_count == 0
    assert need.community == home
    assert need.created_by == manager
    assert {name: getattr(need, name) for name in values} == values
    assert set(need.skills.all()) == set(skills)


def test_need_create_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, home):
    with pytest.raises(PermissionDenied):
        service_ops.need_create(user=outsider, community=home, **need_values())
    assert not ServiceNeed.objects.exists()


def test_need_create_fails_when_the_end_is_before_the_start(staff, home):
    values = need_values()
    values["ends_at"] = values["starts_at"] - timedelta(minutes=1)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_create(user=staff, community=home, **values)
    assert set(excinfo.value.message_dict) == {"ends_at"}
    assert not ServiceNeed.objects.exists()


def test_need_create_accepts_an_ongoing_need_without_an_end(staff, home):
    need = service_ops.need_create(user=staff, community=home, **need_values(ends_at=None))
    assert need.ends_at is None


@pytest.mark.parametrize("places", [0, -1])
def test_need_create_fails_with_fewer_than_one_place(staff, home, places):
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_create(user=staff, community=home, **need_values(places=places))
    assert set(excinfo.value.message_dict) == {"places"}
    assert not ServiceNeed.objects.exists()


def test_need_create_fails_with_a_reply_on_a_need_met_by_direct_help(staff, home):
    values = need_values(fulfilment=ServiceNeed.Fulfilment.DIRECT, reply="已协调物业处理")
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_create(user=staff, community=home, **values)
    assert set(excinfo.value.message_dict) == {"reply"}
    assert not ServiceNeed.objects.exists()


@pytest.mark.parametrize("fulfilment", [ServiceNeed.Fulfilment.COORDINATE, ServiceNeed.Fulfilment.ADVOCATE])
def test_need_create_keeps_the_reply_on_a_need_met_by_coordination_or_appeal(staff, home, fulfilment):
    need = service_ops.need_create(user=staff, community=home, **need_values(fulfilment=fulfilment, reply="已协调"))
    need.refresh_from_db()
    assert need.reply == "已协调"


def test_need_create_reports_every_broken_rule_at_once(staff, home):
    values = need_values(places=0, reply="已协调")
    values["ends_at"] = values["starts_at"] - timedelta(hours=1)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_create(user=staff, community=home, **values)
    assert set(excinfo.value.message_dict) == {"ends_at", "places", "reply"}


# --- need_update ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ServiceNeed.Status.DRAFT, ServiceNeed.Status.PUBLISHED])
def test_need_update_edits_a_draft_or_published_need_and_its_skills(manager, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    need.skills.set([factories.SkillFactory(name="理发")])
    new_skill = factories.SkillFactory(name="心理疏导")
    values = need_values(title="改为周日送餐", places=5, fulfilment=ServiceNeed.Fulfilment.COORDINATE, reply="已回复")
    service_ops.need_update(user=manager, need_id=need.pk, skills=[new_skill], **values)
    need.refresh_from_db()
    assert {name: getattr(need, name) for name in values} == values
    assert list(need.skills.all()) == [new_skill]
    assert need.status == status


def test_need_update_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, need):
    before = need_state(need)
    with pytest.raises(PermissionDenied):
        service_ops.need_update(user=outsider, need_id=need.pk, **need_values(title="改了"))
    assert need_state(need) == before


@pytest.mark.parametrize("status", [ServiceNeed.Status.CLOSED, ServiceNeed.Status.FULFILLED])
def test_need_update_refuses_a_closed_need(staff, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    before = need_state(need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_update(user=staff, need_id=need.pk, **need_values(title="改了"))
    assert_refused_with(excinfo, CLOSED_NOT_EDITABLE)
    assert need_state(need) == before


def test_need_update_fails_when_places_drop_below_the_places_claimed(staff, home, need):
    for _ in range(2):
        claim_through_service(confirmed_member(home), need)
    before = need_state(need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_update(user=staff, need_id=need.pk, **need_values(places=1))
    assert set(excinfo.value.message_dict) == {"places"}
    assert need_state(need) == before


def test_need_update_may_lower_places_down_to_the_places_claimed(staff, home, need):
    for _ in range(2):
        claim_through_service(confirmed_member(home), need)
    service_ops.need_update(user=staff, need_id=need.pk, **need_values(places=2))
    need.refresh_from_db()
    assert (need.places, need.claimed_count, need.places_left) == (2, 2, 0)


def test_need_update_fails_with_zero_places_when_nobody_has_claimed(staff, need):
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_update(user=staff, need_id=need.pk, **need_values(places=0))
    assert set(excinfo.value.message_dict) == {"places"}
    need.refresh_from_db()
    assert need.places == 3


def test_need_update_fails_when_the_end_is_before_the_start(staff, need):
    before = need_state(need)
    values = need_values()
    values["ends_at"] = values["starts_at"] - timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_update(user=staff, need_id=need.pk, **values)
    assert set(excinfo.value.message_dict) == {"ends_at"}
    assert need_state(need) == before


def test_need_update_fails_with_a_reply_on_a_need_met_by_direct_help(staff, need):
    before = need_state(need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_update(user=staff, need_id=need.pk, **need_values(reply="已处理"))
    assert set(excinfo.value.message_dict) == {"reply"}
    assert need_state(need) == before


# --- need_publish -----------------------------------------------------------------------------------------


def test_need_publish_makes_a_draft_public_with_its_time(manager, home):
    need = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    before = timezone.now()
    service_ops.need_publish(user=manager, need_id=need.pk)
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.PUBLISHED
    assert before <= need.published_at <= timezone.now()


def test_need_publish_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, home):
    need = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    with pytest.raises(PermissionDenied):
        service_ops.need_publish(user=outsider, need_id=need.pk)
    need.refresh_from_db()
    assert (need.status, need.published_at) == (ServiceNeed.Status.DRAFT, None)


@pytest.mark.parametrize(
    "status", [ServiceNeed.Status.PUBLISHED, ServiceNeed.Status.CLOSED, ServiceNeed.Status.FULFILLED]
)
def test_need_publish_refuses_anything_but_a_draft(staff, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    before = need_state(need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_publish(user=staff, need_id=need.pk)
    assert_refused_with(excinfo, ONLY_DRAFT_PUBLISHED)
    assert need_state(need) == before


# --- need_close -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fulfilled", "status"), [(True, ServiceNeed.Status.FULFILLED), (False, ServiceNeed.Status.CLOSED)]
)
def test_need_close_marks_a_published_need_fulfilled_or_closed(manager, home, need, fulfilled, status):
    claim = claim_through_service(member=confirmed_member(home), need=need)
    service_ops.need_close(user=manager, need_id=need.pk, fulfilled=fulfilled)
    need.refresh_from_db()
    claim.refresh_from_db()
    assert need.status == status
    assert claim.status == Claim.Status.ACTIVE
    assert need.claimed_count == 1


def test_need_close_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, need):
    with pytest.raises(PermissionDenied):
        service_ops.need_close(user=outsider, need_id=need.pk, fulfilled=True)
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.PUBLISHED


@pytest.mark.parametrize("status", [ServiceNeed.Status.DRAFT, ServiceNeed.Status.CLOSED, ServiceNeed.Status.FULFILLED])
def test_need_close_refuses_anything_but_a_published_need(staff, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_close(user=staff, need_id=need.pk, fulfilled=False)
    assert_refused_with(excinfo, ONLY_PUBLISHED_CLOSED)
    need.refresh_from_db()
    assert need.status == status


# --- need_copy --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ServiceNeed.Status.PUBLISHED, ServiceNeed.Status.FULFILLED])
def test_need_copy_makes_a_new_draft_with_the_same_content_and_skills(manager, home, status):
    source = factories.ServiceNeedFactory(
        community=home,
        fulfilment=ServiceNeed.Fulfilment.ADVOCATE,
        reply="已向街道反映",
        location="社区活动室",
        ends_at=timezone.now() + timedelta(days=4),
        published_at=timezone.now(),
    )
    source.skills.set([factories.SkillFactory(name="理发"), factories.SkillFactory(name="维修家电")])
    claim_through_service(confirmed_member(home), source)
    ServiceNeed.objects.filter(pk=source.pk).update(status=status)
    source.refresh_from_db()
    source_before = need_state(source)
    with translation.override("en"):
        copy = service_ops.need_copy(user=manager, need_id=source.pk)
    copy.refresh_from_db()
    assert copy.pk != source.pk
    assert copy.title == f"Copy of {source.title}"
    same = [name for name in service_ops.NEED_FIELDS if name != "title"]
    assert {name: getattr(copy, name) for name in same} == {name: getattr(source, name) for name in same}
    assert set(copy.skills.all()) == set(source.skills.all())
    assert (copy.status, copy.published_at, copy.claimed_count) == (ServiceNeed.Status.DRAFT, None, 0)
    assert (copy.community, copy.created_by) == (home, manager)
    assert not copy.claims.exists()
    assert need_state(source) == source_before


def test_need_copy_keeps_a_long_title_within_its_hundred_characters(staff, home):
    source = factories.ServiceNeedFactory(community=home, title="长" * 100)
    with translation.override("en"):
        copy = service_ops.need_copy(user=staff, need_id=source.pk)
    copy.refresh_from_db()
    assert copy.title.startswith("Copy of ")
    assert len(copy.title) == 100


def test_need_copy_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, need):
    with pytest.raises(PermissionDenied):
        service_ops.need_copy(user=outsider, need_id=need.pk)
    assert list(ServiceNeed.objects.all()) == [need]


# --- need_delete ------------------------------------------------------------------------------------------


def test_need_delete_removes_a_draft(manager, home):
    need = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    need.skills.set([factories.SkillFactory(name="理发")])
    service_ops.need_delete(user=manager, need_id=need.pk)
    assert not ServiceNeed.objects.filter(pk=need.pk).exists()


@pytest.mark.parametrize(
    "status", [ServiceNeed.Status.PUBLISHED, ServiceNeed.Status.CLOSED, ServiceNeed.Status.FULFILLED]
)
def test_need_delete_refuses_anything_but_a_draft_and_the_need_stays(staff, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    before = need_state(need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_delete(user=staff, need_id=need.pk)
    assert_refused_with(excinfo, ONLY_DRAFT_DELETED)
    assert need_state(need) == before


def test_need_delete_refuses_a_draft_that_has_claims(staff, home):
    need = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    factories.ClaimFactory(need=need, member=confirmed_member(home), status=Claim.Status.CANCELLED)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_delete(user=staff, need_id=need.pk)
    assert_refused_with(excinfo, ONLY_DRAFT_DELETED)
    assert ServiceNeed.objects.filter(pk=need.pk).exists()


def test_need_delete_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, home):
    need = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    with pytest.raises(PermissionDenied):
        service_ops.need_delete(user=outsider, need_id=need.pk)
    assert ServiceNeed.objects.filter(pk=need.pk).exists()


# --- member_service_community / may_serve_in --------------------------------------------------------------


def test_member_serves_in_the_community_of_their_confirmed_report(member, home):
    assert service_ops.member_service_community(member) == home


def test_member_serves_in_the_confirmed_community_while_a_change_is_pending(member, home, far):
    factories.ReportFactory(member=member, community=far, status=Report.Status.PENDING)
    assert service_ops.member_service_community(member) == home
    assert service_ops.may_serve_in(member, home)
    assert not service_ops.may_serve_in(member, far)


@pytest.mark.parametrize(
    "statuses",
    [(), (Report.Status.PENDING,), (Report.Status.REJECTED,), (Report.Status.ENDED,), (Report.Status.ENDED,) * 2],
    ids=["no_report", "pending", "rejected", "ended", "two_ended"],
)
def test_member_without_a_confirmed_report_serves_nowhere(home, statuses):
    member = factories.MemberFactory()
    for status in statuses:
        factories.ReportFactory(
            member=member, community=home, status=status, reject_reason="材料不全" if status == "rejected" else ""
        )
    assert service_ops.member_service_community(member) is None
    assert not service_ops.may_serve_in(member, home)


def test_member_may_serve_in_their_community_and_the_others_of_its_street(member, home, neighbour):
    assert service_ops.may_serve_in(member, home)
    assert service_ops.may_serve_in(member, neighbour)


def test_member_may_not_serve_in_a_community_of_another_street(city, member):
    other_street_same_district = city["communities"][2]
    other_district = city["communities"][4]
    assert not service_ops.may_serve_in(member, other_street_same_district)
    assert not service_ops.may_serve_in(member, other_district)


# --- claim_create -----------------------------------------------------------------------------------------


def test_claim_create_takes_one_place_with_the_commitment(member, need):
    claim = service_ops.claim_create(member=member, need_id=need.pk, commitment="  每周六上午上门理发  ")
    claim.refresh_from_db()
    need.refresh_from_db()
    assert (claim.need, claim.member, claim.status) == (need, member, Claim.Status.ACTIVE)
    assert claim.commitment == "每周六上午上门理发"
    assert claim.cancelled_at is None
    assert (need.claimed_count, need.places_left) == (1, 2)


def test_claim_create_counts_each_claim_on_the_need(home, need):
    for expected in (1, 2, 3):
        claim_through_service(confirmed_member(home), need)
        need.refresh_from_db()
        assert need.claimed_count == expected


@pytest.mark.parametrize("commitment", ["", "   \n\t"])
def test_claim_fails_without_a_commitment(member, need, commitment):
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_create(member=member, need_id=need.pk, commitment=commitment)
    assert set(excinfo.value.message_dict) == {"commitment"}
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (0, 0)


@pytest.mark.parametrize("status", [ServiceNeed.Status.DRAFT, ServiceNeed.Status.CLOSED, ServiceNeed.Status.FULFILLED])
def test_claim_fails_when_the_need_is_not_published(member, home, status):
    need = factories.ServiceNeedFactory(community=home, status=status)
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(member, need)
    assert_refused_with(excinfo, NOT_OPEN)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (0, 0)


def test_claim_fails_when_the_need_has_ended(member, home):
    now = timezone.now()
    need = factories.ServiceNeedFactory(
        community=home, starts_at=now - timedelta(days=2), ends_at=now - timedelta(minutes=1)
    )
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(member, need)
    assert_refused_with(excinfo, ENDED)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (0, 0)


def test_claim_succeeds_on_a_need_that_has_started_but_not_ended(member, home):
    now = timezone.now()
    running = factories.ServiceNeedFactory(community=home, starts_at=now - timedelta(hours=1), ends_at=None)
    ending_later = factories.ServiceNeedFactory(
        community=home, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    claim_through_service(member, running)
    claim_through_service(member, ending_later)
    assert Claim.objects.filter(member=member).count() == 2


@pytest.mark.parametrize("status", [Report.Status.PENDING, Report.Status.REJECTED, Report.Status.ENDED])
def test_claim_fails_without_a_confirmed_report(home, need, status):
    report = factories.ReportFactory(community=home, status=status, reject_reason="材料不全")
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(report.member, need)
    assert_refused_with(excinfo, NOT_REPORTED)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (0, 0)


def test_claim_fails_for_a_member_who_never_reported(need):
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(factories.MemberFactory(), need)
    assert_refused_with(excinfo, NOT_REPORTED)


def test_claim_succeeds_in_another_community_of_the_same_street(member, neighbour):
    need = factories.ServiceNeedFactory(community=neighbour)
    claim = claim_through_service(member, need)
    need.refresh_from_db()
    assert claim.need == need
    assert need.claimed_count == 1


def test_claim_fails_in_a_community_of_another_street(member, far):
    need = factories.ServiceNeedFactory(community=far)
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(member, need)
    assert_refused_with(excinfo, NOT_REPORTED)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (0, 0)


def test_claim_fails_when_the_member_has_already_claimed_the_need(member, need):
    claim_through_service(member, need)
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(member, need)
    assert_refused_with(excinfo, ALREADY_CLAIMED)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count) == (1, 1)


@pytest.mark.parametrize("status", [Claim.Status.FULFILLED, Claim.Status.ABANDONED])
def test_claim_fails_after_a_fulfilled_or_abandoned_claim_on_the_same_need(member, need, status):
    factories.ClaimFactory(need=need, member=member, status=status)
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(member, need)
    assert_refused_with(excinfo, ALREADY_CLAIMED)
    assert need.claims.count() == 1


def test_claim_succeeds_again_after_the_member_cancelled(member, need):
    first = claim_through_service(member, need)
    service_ops.claim_cancel(member=member, claim_id=first.pk)
    second = claim_through_service(member, need)
    need.refresh_from_db()
    assert second.pk != first.pk
    assert second.status == Claim.Status.ACTIVE
    assert need.claimed_count == 1
    assert sorted(need.claims.values_list("status", flat=True)) == [Claim.Status.ACTIVE, Claim.Status.CANCELLED]


def test_claim_fails_when_need_is_full(home):
    need = factories.ServiceNeedFactory(community=home, places=2)
    for _ in range(2):
        claim_through_service(confirmed_member(home), need)
    late = confirmed_member(home)
    with pytest.raises(ValidationError) as excinfo:
        claim_through_service(late, need)
    assert_refused_with(excinfo, FULL)
    need.refresh_from_db()
    assert (need.claims.count(), need.claimed_count, need.places) == (2, 2, 2)
    assert not late.claims.exists()


def test_claim_succeeds_on_a_place_given_back_by_a_cancelled_claim(home):
    need = factories.ServiceNeedFactory(community=home, places=1)
    first = confirmed_member(home)
    claim = claim_through_service(first, need)
    service_ops.claim_cancel(member=first, claim_id=claim.pk)
    claim_through_service(confirmed_member(home), need)
    need.refresh_from_db()
    assert need.claimed_count == need.places == 1


def race_for_places(need, members):
    """Every member claims the need at the same instant, each on their own connection."""

    def claim(member):
        return lambda: service_ops.claim_create(member=member, need_id=need.pk, commitment="周末上门")

    return race(*(claim(member) for member in members))


@pytest.mark.django_db(transaction=True)
def test_two_members_racing_for_the_last_place_get_one_claim_and_one_refusal():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    community = factories.CommunityFactory()
    need = factories.ServiceNeedFactory(community=community, places=1)
    members = [confirmed_member(community) for _ in range(2)]
    claims, errors = race_for_places(need, members)
    assert len(claims) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert errors[0].messages == [gettext(FULL)]
    need.refresh_from_db()
    assert need.claimed_count == 1 == need.places
    assert list(Claim.objects.values_list("pk", flat=True)) == [claims[0].pk]


@pytest.mark.django_db(transaction=True)
def test_five_members_racing_for_two_places_get_exactly_two_claims():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    community = factories.CommunityFactory()
    need = factories.ServiceNeedFactory(community=community, places=2)
    members = [confirmed_member(community) for _ in range(5)]
    claims, errors = race_for_places(need, members)
    assert len(claims) == 2
    assert len(errors) == 3
    assert all(isinstance(error, ValidationError) and error.messages == [gettext(FULL)] for error in errors)
    need.refresh_from_db()
    assert need.claimed_count == 2 == need.places
    assert sorted(Claim.objects.values_list("pk", flat=True)) == sorted(claim.pk for claim in claims)
    assert len({claim.member_id for claim in claims}) == 2


@pytest.mark.django_db(transaction=True)
def test_a_member_claiming_and_logging_service_in_the_same_community_at_once_gets_both():
    if connection.vendor != "postgresql":
        pytest.skip("the deadlock needs PostgreSQL row locks")
    community = factories.CommunityFactory()
    member = confirmed_member(community)
    need = factories.ServiceNeedFactory(community=community)
    # Both transactions hold their first lock before either inserts: the interleaving two
    # simultaneous requests from one member (two tabs, a double tap) can produce.
    both_locked = threading.Barrier(2, timeout=30)

    def pause_before(table):
        def wrapper(execute, sql, params, many, context):
            if sql.startswith(f'INSERT INTO "{table}"'):
                both_locked.wait()
            return execute(sql, params, many, context)

        return wrapper

    def run(table, operation):
        def paused():
            with connection.execute_wrapper(pause_before(table)):
                return operation()

        return paused

    results = run_in_threads(
        run("services_claim", lambda: claim_through_service(member, need)),
        run("services_servicerecord", lambda: log(member, community=community)),
    )
    assert len(results) == 2
    assert Claim.objects.filter(member=member, need=need).count() == 1
    assert ServiceRecord.objects.filter(member=member, community=community).count() == 1


# --- claim_cancel -----------------------------------------------------------------------------------------


def test_claim_cancel_gives_the_place_back(member, need):
    claim = claim_through_service(member, need)
    before = timezone.now()
    service_ops.claim_cancel(member=member, claim_id=claim.pk)
    claim.refresh_from_db()
    need.refresh_from_db()
    assert claim.status == Claim.Status.CANCELLED
    assert before <= claim.cancelled_at <= timezone.now()
    assert need.claimed_count == 0


def test_claim_cancel_refuses_another_members_claim(home, member, need):
    claim = claim_through_service(member, need)
    other = confirmed_member(home)
    with pytest.raises(Claim.DoesNotExist):
        service_ops.claim_cancel(member=other, claim_id=claim.pk)
    claim.refresh_from_db()
    need.refresh_from_db()
    assert (claim.status, claim.cancelled_at) == (Claim.Status.ACTIVE, None)
    assert need.claimed_count == 1


def test_claim_cancel_fails_once_the_need_has_started(member, home):
    need = factories.ServiceNeedFactory(community=home, starts_at=timezone.now() + timedelta(hours=1))
    claim = claim_through_service(member, need)
    ServiceNeed.objects.filter(pk=need.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_cancel(member=member, claim_id=claim.pk)
    assert_refused_with(excinfo, STARTED)
    claim.refresh_from_db()
    need.refresh_from_db()
    assert (claim.status, claim.cancelled_at) == (Claim.Status.ACTIVE, None)
    assert need.claimed_count == 1


@pytest.mark.parametrize("status", [Claim.Status.FULFILLED, Claim.Status.ABANDONED, Claim.Status.CANCELLED])
def test_claim_cancel_fails_for_a_claim_not_in_progress(member, need, status):
    claim = factories.ClaimFactory(need=need, member=member, status=status)
    held = 1 if status in service_ops.PLACE_HOLDING else 0
    ServiceNeed.objects.filter(pk=need.pk).update(claimed_count=held)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_cancel(member=member, claim_id=claim.pk)
    assert_refused_with(excinfo, NOT_IN_PROGRESS)
    claim.refresh_from_db()
    need.refresh_from_db()
    assert claim.status == status
    assert need.claimed_count == held


def test_claim_cancel_twice_gives_the_place_back_once(home, member, need):
    claim_through_service(confirmed_member(home), need)
    claim = claim_through_service(member, need)
    service_ops.claim_cancel(member=member, claim_id=claim.pk)
    with pytest.raises(ValidationError):
        service_ops.claim_cancel(member=member, claim_id=claim.pk)
    need.refresh_from_db()
    assert need.claimed_count == 1


# --- record_create ----------------------------------------------------------------------------------------


def test_record_create_logs_ad_hoc_service_awaiting_verification(member, home):
    record = service_ops.record_create(
        member=member,
        served_on=timezone.localdate(),
        hours=Decimal("1.5"),
        description="帮助邻居搬运物品",
        outcome=OutcomeCategory.GOOD_DEED,
        community=home,
    )
    record.refresh_from_db()
    assert (record.member, record.community, record.claim) == (member, home, None)
    assert (record.served_on, record.hours) == (timezone.localdate(), Decimal("1.5"))
    assert (record.description, record.outcome) == ("帮助邻居搬运物品", OutcomeCategory.GOOD_DEED)
    assert record.status == ServiceRecord.Status.SUBMITTED
    assert record.points == 0
    assert (record.verified_by, record.verified_at) == (None, None)


def test_record_create_fails_for_a_date_in_the_future(member, home):
    with pytest.raises(ValidationError) as excinfo:
        log(member, served_on=timezone.localdate() + timedelta(days=1), community=home)
    assert set(excinfo.value.message_dict) == {"served_on"}
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize("hours", ["0", "0.3", "12.5", "-1", "1.25", "13"])
def test_record_create_fails_for_hours_off_the_half_hour_steps_or_outside_half_to_twelve(member, home, hours):
    with pytest.raises(ValidationError) as excinfo:
        log(member, hours=hours, community=home)
    assert set(excinfo.value.message_dict) == {"hours"}
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize("hours", ["0.5", "3.5", "12", "12.0"])
def test_record_create_accepts_half_hour_steps_from_half_to_twelve(member, home, hours):
    record = log(member, hours=hours, community=home)
    record.refresh_from_db()
    assert record.hours == Decimal(hours)


def test_record_create_fails_beyond_twelve_hours_a_day(member, home, neighbour):
    log(member, hours="6", community=home)
    log(member, hours="4", community=neighbour)
    with pytest.raises(ValidationError) as excinfo:
        log(member, hours="2.5", community=home)
    assert set(excinfo.value.message_dict) == {"hours"}
    assert ServiceRecord.objects.filter(member=member).count() == 2


def test_record_create_accepts_exactly_twelve_hours_a_day(member, home):
    log(member, hours="10", community=home)
    log(member, hours="2", community=home)
    assert ServiceRecord.objects.filter(member=member, served_on=yesterday()).count() == 2


def test_record_create_counts_verified_records_towards_the_day(staff, member, home):
    record = log(member, hours="11", community=home)
    service_ops.record_verify(user=staff, record_id=record.pk)
    with pytest.raises(ValidationError) as excinfo:
        log(member, hours="1.5", community=home)
    assert set(excinfo.value.message_dict) == {"hours"}


def test_record_create_does_not_count_rejected_records_towards_the_day(staff, member, home):
    record = log(member, hours="12", community=home)
    service_ops.record_reject(user=staff, record_id=record.pk, reason="时长与实际不符")
    log(member, hours="12", community=home)
    assert ServiceRecord.objects.filter(member=member, status=ServiceRecord.Status.SUBMITTED).count() == 1


def test_record_create_sums_hours_per_member_and_per_day(member, home):
    log(member, hours="12", community=home, served_on=yesterday() - timedelta(days=1))
    log(confirmed_member(home), hours="12", community=home)
    log(member, hours="12", community=home)
    assert ServiceRecord.objects.filter(member=member).count() == 2


@pytest.mark.parametrize("status", [Claim.Status.ACTIVE, Claim.Status.FULFILLED])
def test_record_create_against_a_claim_takes_the_community_from_the_claim(member, neighbour, far, status):
    need = running_need(neighbour)
    claim = claim_through_service(member, need)
    Claim.objects.filter(pk=claim.pk).update(status=status)
    record = log(member, claim_id=claim.pk, community=far)
    record.refresh_from_db()
    assert (record.claim, record.community) == (claim, neighbour)


@pytest.mark.parametrize("status", [Claim.Status.CANCELLED, Claim.Status.ABANDONED])
def test_record_create_fails_against_a_claim_not_in_progress_or_fulfilled(member, need, status):
    claim = factories.ClaimFactory(need=need, member=member, status=status)
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=claim.pk)
    assert set(excinfo.value.message_dict) == {"claim"}
    assert not ServiceRecord.objects.exists()


def test_record_create_fails_against_another_members_claim(home, member, need):
    claim = claim_through_service(confirmed_member(home), need)
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=claim.pk, community=home)
    assert set(excinfo.value.message_dict) == {"claim"}
    assert not ServiceRecord.objects.exists()


def test_record_create_fails_against_a_claim_that_does_not_exist(member, home):
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=987654, community=home)
    assert set(excinfo.value.message_dict) == {"claim"}


def test_record_create_ad_hoc_succeeds_in_another_community_of_the_same_street(member, neighbour):
    record = log(member, community=neighbour)
    assert record.community == neighbour


def test_record_create_ad_hoc_fails_in_a_community_of_another_street(member, far):
    with pytest.raises(ValidationError) as excinfo:
        log(member, community=far)
    assert_refused_with(excinfo, NOT_SERVING)
    assert not ServiceRecord.objects.exists()


def test_record_create_ad_hoc_fails_without_a_community(member):
    with pytest.raises(ValidationError) as excinfo:
        log(member)
    assert_refused_with(excinfo, NOT_SERVING)


def test_record_create_fails_for_a_member_without_a_confirmed_report(home):
    member = factories.ReportFactory(community=home, status=Report.Status.PENDING).member
    with pytest.raises(ValidationError) as excinfo:
        log(member, community=home)
    assert_refused_with(excinfo, NOT_SERVING)
    assert not ServiceRecord.objects.exists()


# --- record_verify ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "outcome"),
    [
        ("2.5", OutcomeCategory.DIFFICULTY_SOLVED),
        ("1", OutcomeCategory.GENERAL),
        ("12", OutcomeCategory.DISPUTE_MEDIATED),
        ("0.5", OutcomeCategory.OPINION_HEARD),
    ],
)
def test_record_verify_fixes_the_points_by_the_points_rule(manager, member, home, hours, outcome):
    record = service_ops.record_create(
        member=member,
        served_on=yesterday(),
        hours=Decimal(hours),
        description="调解邻里纠纷",
        outcome=outcome,
        community=home,
    )
    before = timezone.now()
    service_ops.record_verify(user=manager, record_id=record.pk)
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.VERIFIED
    assert record.points == record_points(hours=Decimal(hours), outcome=outcome)
    assert record.points > 0
    assert record.verified_by == manager
    assert before <= record.verified_at <= timezone.now()
    assert record.reject_reason == ""


def test_record_verify_marks_the_claim_in_progress_fulfilled(staff, member, running):
    claim = claim_through_service(member, running)
    record = log(member, claim_id=claim.pk)
    service_ops.record_verify(user=staff, record_id=record.pk)
    claim.refresh_from_db()
    running.refresh_from_db()
    assert claim.status == Claim.Status.FULFILLED
    assert running.claimed_count == 1


def test_record_verify_leaves_other_claims_alone(staff, home, member, running):
    claim = claim_through_service(member, running)
    other_need_claim = claim_through_service(member, factories.ServiceNeedFactory(community=home))
    other_member_claim = claim_through_service(confirmed_member(home), running)
    record = log(member, claim_id=claim.pk)
    service_ops.record_verify(user=staff, record_id=record.pk)
    other_need_claim.refresh_from_db()
    other_member_claim.refresh_from_db()
    assert other_need_claim.status == other_member_claim.status == Claim.Status.ACTIVE


def test_record_verify_of_a_second_record_keeps_the_claim_fulfilled(staff, member, running):
    claim = claim_through_service(member, running)
    first = log(member, claim_id=claim.pk, served_on=yesterday() - timedelta(days=1))
    service_ops.record_verify(user=staff, record_id=first.pk)
    second = log(member, claim_id=claim.pk)
    service_ops.record_verify(user=staff, record_id=second.pk)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.FULFILLED


def test_record_verify_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, member, home):
    record = log(member, community=home)
    before = record_state(record)
    with pytest.raises(PermissionDenied):
        service_ops.record_verify(user=outsider, record_id=record.pk)
    assert record_state(record) == before


def test_record_verify_is_refused_to_the_staff_of_another_community_of_the_street(member, neighbour, home):
    record = log(member, community=neighbour)
    with pytest.raises(PermissionDenied):
        service_ops.record_verify(user=make_staff(Role.COMMUNITY_STAFF, community=home), record_id=record.pk)
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.SUBMITTED


def test_record_verify_fails_for_a_verified_record(staff, member, home):
    record = log(member, community=home)
    service_ops.record_verify(user=staff, record_id=record.pk)
    before = record_state(record)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.record_verify(user=factories.UserFactory(is_superuser=True), record_id=record.pk)
    assert_refused_with(excinfo, ALREADY_DEALT_WITH)
    assert record_state(record) == before


def test_record_verify_fails_for_a_rejected_record(staff, member, home):
    record = log(member, community=home)
    service_ops.record_reject(user=staff, record_id=record.pk, reason="照片不清楚")
    before = record_state(record)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.record_verify(user=staff, record_id=record.pk)
    assert_refused_with(excinfo, ALREADY_DEALT_WITH)
    assert record_state(record) == before


# --- record_reject ----------------------------------------------------------------------------------------


def test_record_reject_stores_the_reason_for_the_member(manager, member, running):
    claim = claim_through_service(member, running)
    record = log(member, claim_id=claim.pk)
    before = timezone.now()
    service_ops.record_reject(user=manager, record_id=record.pk, reason="  服务时长与签到记录不符  ")
    record.refresh_from_db()
    claim.refresh_from_db()
    assert record.status == ServiceRecord.Status.REJECTED
    assert record.reject_reason == "服务时长与签到记录不符"
    assert record.verified_by == manager
    assert before <= record.verified_at <= timezone.now()
    assert record.points == 0
    assert claim.status == Claim.Status.ACTIVE


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_record_reject_fails_without_a_reason(staff, member, home, reason):
    record = log(member, community=home)
    before = record_state(record)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.record_reject(user=staff, record_id=record.pk, reason=reason)
    assert set(excinfo.value.message_dict) == {"reason"}
    assert record_state(record) == before


def test_record_reject_is_refused_to_anyone_who_does_not_act_for_the_community(outsider, member, home):
    record = log(member, community=home)
    before = record_state(record)
    with pytest.raises(PermissionDenied):
        service_ops.record_reject(user=outsider, record_id=record.pk, reason="不符合要求")
    assert record_state(record) == before


def test_record_reject_fails_for_a_verified_record(staff, member, home):
    record = log(member, community=home)
    service_ops.record_verify(user=staff, record_id=record.pk)
    before = record_state(record)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.record_reject(user=staff, record_id=record.pk, reason="重复提交")
    assert_refused_with(excinfo, ALREADY_DEALT_WITH)
    assert record_state(record) == before


def test_record_reject_fails_for_a_rejected_record(staff, member, home):
    record = log(member, community=home)
    service_ops.record_reject(user=staff, record_id=record.pk, reason="照片不清楚")
    before = record_state(record)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.record_reject(user=staff, record_id=record.pk, reason="再次驳回")
    assert_refused_with(excinfo, ALREADY_DEALT_WITH)
    assert record_state(record) == before


def test_record_reject_refuses_a_reason_longer_than_the_column():
    community = factories.CommunityFactory()
    record = factories.ServiceRecordFactory(community=community)
    with pytest.raises(ValidationError) as error:
        service_ops.record_reject(
            user=make_staff("community", community=community), record_id=record.pk, reason="长" * 201
        )
    assert "reason" in error.value.error_dict
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.SUBMITTED


def test_record_reject_checks_permission_before_the_reason():
    record = factories.ServiceRecordFactory()
    outsider = make_staff("community", community=factories.CommunityFactory())
    with pytest.raises(PermissionDenied):
        service_ops.record_reject(user=outsider, record_id=record.pk, reason="")


def test_an_inactive_superuser_manages_nothing():
    community = factories.CommunityFactory()
    user = factories.UserFactory(is_superuser=True, is_active=False)
    assert not policies.allowed("communities.manage_community", user, community)


def test_need_update_keeps_the_skills_when_none_are_given():
    community = factories.CommunityFactory()
    need = factories.ServiceNeedFactory(community=community)
    skill = factories.SkillFactory()
    need.skills.add(skill)
    values = {name: getattr(need, name) for name in service_ops.NEED_FIELDS}
    service_ops.need_update(user=make_staff("community", community=community), need_id=need.pk, **values)
    assert list(need.skills.all()) == [skill]


def test_need_services_refuse_keywords_that_are_not_need_fields():
    community = factories.CommunityFactory()
    need = factories.ServiceNeedFactory(community=community, claimed_count=1, places=3)
    values = {name: getattr(need, name) for name in service_ops.NEED_FIELDS}
    with pytest.raises(TypeError):
        service_ops.need_update(
            user=make_staff("community", community=community), need_id=need.pk, claimed_count=0, **values
        )
    need.refresh_from_db()
    assert need.claimed_count == 1


def test_the_member_is_told_when_a_record_is_verified_or_returned():
    from communities.models import Notification

    community = factories.CommunityFactory()
    staff = make_staff("community", community=community)
    verified = factories.ServiceRecordFactory(community=community)
    returned = factories.ServiceRecordFactory(community=community)
    service_ops.record_verify(user=staff, record_id=verified.pk)
    service_ops.record_reject(user=staff, record_id=returned.pk, reason="时长与实际不符")
    assert Notification.objects.filter(user=verified.member.user, kind="record-decision").count() == 1
    assert "时长与实际不符" in Notification.objects.get(user=returned.member.user).body


# --- Needs that end: claims refused before the commitment, cancelling, publishing, the daily close -------------


def ended_need(community, **values):
    now = timezone.now()
    return factories.ServiceNeedFactory(
        community=community, starts_at=now - timedelta(days=2), ends_at=now - timedelta(hours=1), **values
    )


@pytest.mark.parametrize("commitment", ["", "每周六上午上门"])
def test_claim_on_an_ended_need_is_refused_for_the_end_whatever_the_commitment(member, home, commitment):
    need = ended_need(home)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_create(member=member, need_id=need.pk, commitment=commitment)
    assert excinfo.value.messages == [gettext(ENDED)]
    assert not Claim.objects.exists()


def test_claim_on_a_full_need_is_refused_as_full_before_the_commitment_is_read(member, home):
    need = factories.ServiceNeedFactory(community=home, places=1)
    claim_through_service(confirmed_member(home), need)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_create(member=member, need_id=need.pk, commitment="")
    assert excinfo.value.messages == [gettext(FULL)]


def test_claim_without_a_commitment_on_an_open_need_asks_for_it(member, need):
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_create(member=member, need_id=need.pk, commitment="  ")
    assert set(excinfo.value.message_dict) == {"commitment"}


def test_claim_refusal_names_the_reason_or_none_when_open(home):
    now = timezone.now()
    assert service_ops.claim_refusal(factories.ServiceNeedFactory(community=home)) is None
    assert service_ops.claim_refusal(ended_need(home)) == gettext(ENDED)
    assert service_ops.claim_refusal(factories.ServiceNeedFactory(community=home, places=1, claimed_count=1)) == (
        gettext(FULL)
    )
    draft = factories.ServiceNeedFactory(community=home, status=ServiceNeed.Status.DRAFT)
    assert service_ops.claim_refusal(draft) == gettext(NOT_OPEN)
    running = factories.ServiceNeedFactory(community=home, starts_at=now, ends_at=now + timedelta(hours=1))
    assert service_ops.claim_refusal(running, now=now + timedelta(hours=2)) == gettext(ENDED)


def test_claim_cancel_on_an_ended_need_is_refused_the_claim_can_only_be_recorded(member, home):
    need = factories.ServiceNeedFactory(community=home)
    claim = claim_through_service(member, need)
    now = timezone.now()
    ServiceNeed.objects.filter(pk=need.pk).update(starts_at=now - timedelta(days=2), ends_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        service_ops.claim_cancel(member=member, claim_id=claim.pk)
    assert_refused_with(excinfo, ENDED_NOT_CANCELLABLE)
    claim.refresh_from_db()
    need.refresh_from_db()
    assert (claim.status, need.claimed_count) == (Claim.Status.ACTIVE, 1)
    record = log(member, claim_id=claim.pk, served_on=timezone.localdate(need.ends_at))
    assert record.claim == claim


def test_need_publish_refuses_a_draft_that_has_already_ended(staff, home):
    need = ended_need(home, status=ServiceNeed.Status.DRAFT)
    with pytest.raises(ValidationError) as excinfo:
        service_ops.need_publish(user=staff, need_id=need.pk)
    assert_refused_with(excinfo, "This need has already ended; change its end before publishing it.")
    need.refresh_from_db()
    assert (need.status, need.published_at) == (ServiceNeed.Status.DRAFT, None)


def test_needs_close_ended_closes_the_published_needs_whose_end_has_passed_and_nothing_else(home, far):
    now = timezone.now()
    ended = [ended_need(home), ended_need(far, claimed_count=1)]
    kept = {
        "running": factories.ServiceNeedFactory(community=home, starts_at=now, ends_at=now + timedelta(hours=1)),
        "ongoing": factories.ServiceNeedFactory(community=home, starts_at=now - timedelta(days=30)),
        "upcoming": factories.ServiceNeedFactory(community=home),
        "draft": ended_need(home, status=ServiceNeed.Status.DRAFT),
        "fulfilled": ended_need(home, status=ServiceNeed.Status.FULFILLED),
    }
    claim = factories.ClaimFactory(need=ended[1])
    assert service_ops.needs_close_ended(now=now) == 2
    assert set(ServiceNeed.objects.filter(status=ServiceNeed.Status.CLOSED)) == set(ended)
    for name, need in kept.items():
        assert ServiceNeed.objects.get(pk=need.pk).status == need.status, name
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    assert service_ops.needs_close_ended(now=now) == 0


def test_needs_close_ended_judges_by_the_time_it_is_given(home):
    now = timezone.now()
    need = factories.ServiceNeedFactory(community=home, starts_at=now, ends_at=now + timedelta(hours=2))
    assert service_ops.needs_close_ended(now=now + timedelta(hours=1)) == 0
    assert service_ops.needs_close_ended(now=now + timedelta(hours=3)) == 1
    need.refresh_from_db()
    assert need.status == ServiceNeed.Status.CLOSED


# --- Records: the date lies in the need's window; on one's own initiative, within a month ----------------------


def need_between(community, start: timedelta, end: timedelta | None):
    """A published need starting and ending `start`/`end` from now (end None: ongoing)."""
    now = timezone.now()
    return factories.ServiceNeedFactory(
        community=community, starts_at=now + start, ends_at=None if end is None else now + end
    )


def claimed(member, need):
    return factories.ClaimFactory(need=need, member=member)


def test_record_against_a_claim_fails_before_the_need_starts(member, home):
    need = need_between(home, timedelta(days=12), timedelta(days=12, hours=3))
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=claimed(member, need).pk, served_on=timezone.localdate())
    assert set(excinfo.value.message_dict) == {"served_on"}
    assert timezone.localdate(need.starts_at).isoformat() in excinfo.value.message_dict["served_on"][0]
    assert not ServiceRecord.objects.exists()


def test_record_against_a_claim_may_be_dated_the_start_day_whatever_the_start_hour(member, home):
    yesterday_late = timezone.make_aware(datetime.combine(timezone.localdate(), time.min)) - timedelta(minutes=1)
    need = factories.ServiceNeedFactory(
        community=home, starts_at=yesterday_late, ends_at=yesterday_late + timedelta(hours=3)
    )
    record = log(member, claim_id=claimed(member, need).pk, served_on=yesterday())
    assert record.served_on == timezone.localdate(need.starts_at) == yesterday()


def test_record_against_a_claim_may_be_dated_up_to_the_tolerance_after_the_end(member, home):
    days = RECORD_DAYS_AFTER_NEED_END
    need = need_between(home, -timedelta(days=days + 5), -timedelta(days=days + 1))
    claim = claimed(member, need)
    last = timezone.localdate(need.ends_at) + timedelta(days=days)
    record = log(member, claim_id=claim.pk, served_on=last)
    assert record.served_on == last
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=claim.pk, served_on=last + timedelta(days=1))
    assert set(excinfo.value.message_dict) == {"served_on"}
    assert last.isoformat() in excinfo.value.message_dict["served_on"][0]
    assert ServiceRecord.objects.count() == 1


def test_record_against_a_claim_on_an_ongoing_need_may_carry_any_past_date_from_the_start(member, home):
    need = need_between(home, -timedelta(days=400), None)
    record = log(member, claim_id=claimed(member, need).pk, served_on=timezone.localdate() - timedelta(days=300))
    assert record.claim.need == need


def test_record_against_a_claim_is_never_in_the_future_even_inside_the_window(member, home):
    need = need_between(home, -timedelta(days=1), timedelta(days=5))
    with pytest.raises(ValidationError) as excinfo:
        log(member, claim_id=claimed(member, need).pk, served_on=timezone.localdate() + timedelta(days=1))
    assert set(excinfo.value.message_dict) == {"served_on"}
    assert not ServiceRecord.objects.exists()


def test_record_on_ones_own_initiative_may_be_up_to_the_age_limit_old(member, home):
    oldest = timezone.localdate() - timedelta(days=RECORD_OWN_INITIATIVE_MAX_AGE_DAYS)
    record = log(member, community=home, served_on=oldest)
    assert (record.served_on, record.claim) == (oldest, None)


def test_record_on_ones_own_initiative_fails_when_older_than_the_limit(member, home):
    too_old = timezone.localdate() - timedelta(days=RECORD_OWN_INITIATIVE_MAX_AGE_DAYS + 1)
    with pytest.raises(ValidationError) as excinfo:
        log(member, community=home, served_on=too_old)
    assert set(excinfo.value.message_dict) == {"served_on"}
    assert not ServiceRecord.objects.exists()


def test_the_own_initiative_limit_does_not_apply_to_a_claim(member, home):
    need = need_between(home, -timedelta(days=60), -timedelta(days=59))
    served_on = timezone.localdate(need.starts_at)
    assert log(member, claim_id=claimed(member, need).pk, served_on=served_on).served_on == served_on
