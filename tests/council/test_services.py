"""The council's services: seating, topics (also from a request), meetings (notice, quorum, attendance), decisions
(majority with each party's position, or deferred), resolutions up to the residents' acceptance."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import AuditEvent, Notification
from services.council import services
from services.council.models import AgendaItem, CouncilMember, Party, PartyPosition, Position
from services.council.workflow import MeetingStatus, ResolutionStatus, TopicStatus
from services.requests import services as request_ops
from services.requests.models import Channel as RequestChannel
from services.requests.workflow import State as RequestState

from .conftest import PASSWORD, announce, hold, long_ago, pass_resolution

pytestmark = pytest.mark.django_db


def test_seating_makes_accounts_that_log_in_with_the_phone(world, client):
    resident = world.resident
    assert resident.username == "13900000003" and resident.check_password(PASSWORD)
    assert not resident.staff_assignments.exists()
    response = client.post(reverse("login"), {"username": "13900000003", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    # The staff's own account is seated for the staff party, not a new one.
    assert world.members[Party.STAFF].user == world.staff


def test_seating_a_new_person_needs_a_valid_first_password(world):
    with pytest.raises(ValidationError) as error:
        services.council_member_add(council_id=world.council.pk, party=Party.RESIDENTS, full_name="钱代表",
                                    phone="13900000009", password="", actor=world.staff)
    assert "password" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.council_member_add(council_id=world.council.pk, party=Party.RESIDENTS, full_name="钱代表",
                                    phone="13900000009", password="123", actor=world.staff)


def test_a_person_sits_once_and_a_removed_member_is_seated_again(world):
    member = world.members[Party.RESIDENTS]
    with pytest.raises(ValidationError):
        services.council_member_add(council_id=world.council.pk, party=Party.RESIDENTS, full_name="赵代表",
                                    phone="13900000003", actor=world.staff)
    services.council_member_remove(member_id=member.pk, actor=world.staff)
    again = services.council_member_add(council_id=world.council.pk, party=Party.RESIDENTS, full_name="赵代表",
                                        phone="13900000003", actor=world.staff)
    assert again.pk == member.pk and again.is_active


def test_only_the_communitys_staff_keep_the_council(world, other_world, staff_users):
    for outsider in (other_world.staff, staff_users["street"], world.resident, world.contact):
        with pytest.raises(PermissionDenied):
            services.council_member_add(council_id=world.council.pk, party=Party.RESIDENTS, full_name="某人",
                                        phone="13900000019", password=PASSWORD, actor=outsider)


def test_a_council_once_per_community(world):
    with pytest.raises(ValidationError):
        services.council_create(community=world.council.community, actor=world.staff)


def test_a_party_raises_a_topic_through_its_member(world):
    topic = services.topic_raise(council_id=world.council.pk, title="小区停车", description="车位不足。",
                                 actor=world.resident)
    assert topic.source == "party" and topic.raised_party == Party.RESIDENTS
    staff_topic = services.topic_raise(council_id=world.council.pk, title="垃圾分类", description="投放点。",
                                       actor=world.staff)
    assert staff_topic.source == "staff"


def test_an_outsider_raises_no_topic(world, other_world):
    with pytest.raises(PermissionDenied):
        services.topic_raise(council_id=world.council.pk, title="x", description="y", actor=other_world.resident)


def _request(world, *, phone="13700000000"):
    return request_ops.request_raise(community=world.council.community, category="complaint",
                                     text="电动车在楼道充电，很危险。", phone=phone)


def test_a_request_becomes_a_topic_and_the_resident_reads_it(world):
    request_obj = _request(world)
    topic = services.topic_from_request(request_id=request_obj.pk, title="电动车充电", description="议定充电桩。",
                                        actor=world.staff)
    request_obj.refresh_from_db()
    assert topic.resident_request == request_obj and topic.source == "request"
    # Through the requests' own service: accepted by the staff member with a public note the resident reads.
    assert request_obj.state == RequestState.ACCEPTED and request_obj.handler == world.staff
    assert "四方议事会" in request_obj.events.last().note
    with pytest.raises(ValidationError):
        services.topic_from_request(request_id=request_obj.pk, title="再次", description="重复。", actor=world.staff)


def test_an_accepted_request_goes_on_in_progress_with_the_councils_note(world):
    request_obj = _request(world)
    request_ops.request_change(request_id=request_obj.pk, to=RequestState.ACCEPTED, note="已受理", actor=world.staff,
                               handler=world.staff)
    services.topic_from_request(request_id=request_obj.pk, title="充电", description="议定。", actor=world.staff)
    request_obj.refresh_from_db()
    assert request_obj.state == RequestState.IN_PROGRESS


def test_a_closed_request_or_a_foreign_one_does_not_become_a_topic(world, other_world):
    request_obj = _request(world)
    request_ops.request_change(request_id=request_obj.pk, to=RequestState.DUPLICATE, note="重复", actor=world.staff)
    with pytest.raises(ValidationError):
        services.topic_from_request(request_id=request_obj.pk, title="t", description="d", actor=world.staff)
    foreign = _request(other_world)
    with pytest.raises(PermissionDenied):
        services.topic_from_request(request_id=foreign.pk, title="t", description="d", actor=world.staff)


def test_a_request_recorded_by_staff_without_a_phone_works_too(world):
    request_obj = request_ops.request_raise(community=world.council.community, category="help", text="求助",
                                            channel=RequestChannel.STAFF, recorded_by=world.staff)
    services.topic_from_request(request_id=request_obj.pk, title="t", description="d", actor=world.staff)


def test_a_meeting_is_announced_in_advance_to_every_member_by_inbox_and_sms(world):
    before = Notification.objects.count()
    meeting = announce(world)
    assert meeting.status == MeetingStatus.ANNOUNCED
    assert meeting.items.get().topic.status == TopicStatus.SCHEDULED
    sent = Notification.objects.filter(kind=services.MEETING_NOTICE)
    assert sent.filter(channel="inbox").count() == 4
    assert set(sent.filter(channel="sms").values_list("phone", flat=True)) == {
        m.phone for m in world.members.values()}
    assert Notification.objects.count() - before == 8


def test_a_meeting_too_soon_or_without_a_waiting_topic_is_refused(world):
    topic = services.topic_raise(council_id=world.council.pk, title="t", description="d", actor=world.staff)
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.meeting_announce(council_id=world.council.pk, starts_at=now + datetime.timedelta(days=1),
                                  place="议事厅", topic_ids=[topic.pk], actor=world.staff, now=now)
    assert "starts_at" in error.value.message_dict
    services.topic_withdraw(topic_id=topic.pk, actor=world.staff)
    with pytest.raises(ValidationError) as error:
        services.meeting_announce(council_id=world.council.pk, starts_at=now + datetime.timedelta(days=5),
                                  place="议事厅", topic_ids=[topic.pk], actor=world.staff, now=now)
    assert "topics" in error.value.message_dict


def test_quorum_needs_each_party_present(world):
    meeting = announce(world)
    with pytest.raises(ValidationError) as error:
        hold(world, meeting, parties=(Party.BRANCH, Party.RESIDENTS, Party.STAFF))
    assert "物业" in " ".join(error.value.message_dict["present"])
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ANNOUNCED and not meeting.attendance.exists()
    hold(world, meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert set(meeting.attendance.values_list("party", flat=True)) == set(Party.values)


def test_the_quorum_is_a_setting(world, settings):
    settings.COUNCIL_QUORUM_PARTIES = 3
    meeting = announce(world)
    hold(world, meeting, parties=(Party.BRANCH, Party.RESIDENTS, Party.STAFF))
    assert meeting.attendance.count() == 3


def test_a_meeting_is_not_recorded_before_it_starts(world):
    meeting = announce(world, now=timezone.now())
    with pytest.raises(ValidationError):
        hold(world, meeting)


def test_a_resolution_passes_by_majority_with_each_partys_position(world):
    resolution = pass_resolution(world)
    item = resolution.item
    assert item.outcome == AgendaItem.Outcome.PASSED and item.topic.status == TopicStatus.RESOLVED
    assert dict(item.positions.values_list("party", "position")) == {p: "for" for p in Party.values}
    assert resolution.executor_company == world.company and resolution.status == ResolutionStatus.IN_PROGRESS
    assert Notification.objects.filter(user=world.contact, kind=services.RESOLUTION_NEWS).exists()


@pytest.mark.parametrize(("positions", "passed"), [
    ({"branch": "for", "residents": "for", "property": "against", "staff": "for"}, True),
    ({"branch": "for", "residents": "for", "property": "against", "staff": "abstain"}, False),
    ({"branch": "for", "residents": "against", "property": "against", "staff": "for"}, False),
])
def test_majority_of_the_four_parties(world, positions, passed):
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    services.item_decide(item_id=item.pk, actor=world.staff, positions=positions, resolution_text="决议",
                         due_on=timezone.localdate() + datetime.timedelta(days=9),
                         executor_company_id=world.company.pk)
    item.refresh_from_db()
    assert (item.outcome == "passed") is passed
    assert hasattr(item, "resolution") is passed


def test_an_absent_party_is_recorded_absent_and_the_majority_is_of_those_present(world, settings):
    settings.COUNCIL_QUORUM_PARTIES = 3
    meeting = announce(world)
    hold(world, meeting, parties=(Party.BRANCH, Party.RESIDENTS, Party.STAFF))
    item = meeting.items.get()
    services.item_decide(item_id=item.pk, actor=world.staff,
                         positions={"branch": "for", "residents": "for", "staff": "against"},
                         resolution_text="决议", due_on=timezone.localdate(), executor_company_id=world.company.pk)
    assert PartyPosition.objects.get(item=item, party=Party.PROPERTY).position == Position.ABSENT
    item.refresh_from_db()
    assert item.outcome == "passed"


def test_every_present_party_must_have_a_position(world):
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    with pytest.raises(ValidationError) as error:
        services.item_decide(item_id=item.pk, actor=world.staff, positions={"branch": "for"})
    assert {"position_residents", "position_property", "position_staff"} <= set(error.value.message_dict)


def test_a_passed_resolution_needs_its_text_executor_and_due_date(world, other_world):
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    with pytest.raises(ValidationError) as error:
        services.item_decide(item_id=item.pk, actor=world.staff, positions={p: "for" for p in Party.values},
                             executor_company_id=other_world.company.pk)
    assert {"resolution_text", "due_on", "executor"} <= set(error.value.message_dict)
    item.refresh_from_db()
    assert item.outcome == "" and not item.positions.exists()


def test_a_deferred_topic_keeps_its_reason_and_waits_for_another_meeting(world):
    meeting = announce(world)
    hold(world, meeting)
    item = meeting.items.get()
    services.item_decide(item_id=item.pk, actor=world.staff, deferred_reason="需先征求全体业主意见")
    item.refresh_from_db()
    assert item.outcome == "deferred" and item.topic.status == TopicStatus.DEFERRED
    again = announce(world, topics=[item.topic])
    assert again.items.get().topic.status == TopicStatus.SCHEDULED
    with pytest.raises(ValidationError):
        services.item_decide(item_id=item.pk, actor=world.staff, deferred_reason="再议")


def test_decisions_wait_for_the_meeting_to_be_recorded(world):
    meeting = announce(world)
    with pytest.raises(ValidationError):
        services.item_decide(item_id=meeting.items.get().pk, actor=world.staff, deferred_reason="x")


def test_a_cancelled_meeting_puts_its_topics_back_and_tells_everyone(world):
    meeting = announce(world)
    services.meeting_cancel(meeting_id=meeting.pk, reason="台风预警", actor=world.staff)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.items.get().topic.status == TopicStatus.PROPOSED
    assert Notification.objects.filter(kind=services.MEETING_NOTICE, title__contains="取消").count() >= 4
    with pytest.raises(ValidationError):
        hold(world, meeting)


def test_progress_done_then_accepted_by_the_residents(world):
    resolution = pass_resolution(world)
    services.resolution_progress(resolution_id=resolution.pk, percent=40, note="已采购", actor=world.contact)
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="20个充电桩已安装",
                                 actor=world.contact)
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.DONE and resolution.done_at is not None
    assert Notification.objects.filter(user=world.resident, kind=services.RESOLUTION_NEWS).exists()
    services.resolution_review(resolution_id=resolution.pk, accept=True, actor=world.resident)
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.ACCEPTED and resolution.accepted_at is not None
    assert list(resolution.updates.values_list("status", flat=True)) == ["in_progress", "done", "accepted"]
    assert AuditEvent.objects.filter(action="council_resolution_accept").exists()


def test_sent_back_needs_a_reason_and_clears_the_done_report(world):
    resolution = pass_resolution(world)
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    with pytest.raises(ValidationError):
        services.resolution_review(resolution_id=resolution.pk, accept=False, reason=" ", actor=world.resident)
    services.resolution_review(resolution_id=resolution.pk, accept=False, reason="北门还缺两个", actor=world.resident)
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.SENT_BACK and resolution.done_at is None
    assert Notification.objects.filter(user=world.contact, title__contains="退回").exists()
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="补齐", actor=world.contact)
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.DONE


def test_only_the_executor_reports_and_only_the_residents_representatives_review(world):
    resolution = pass_resolution(world)
    for outsider in (world.resident, world.staff, world.branch):
        with pytest.raises(PermissionDenied):
            services.resolution_progress(resolution_id=resolution.pk, percent=10, note="x", actor=outsider)
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    for outsider in (world.contact, world.staff, world.branch):
        with pytest.raises(PermissionDenied):
            services.resolution_review(resolution_id=resolution.pk, accept=True, actor=outsider)


def test_a_resolution_may_be_handed_to_a_member_instead(world):
    resolution = pass_resolution(world, executor="staff")
    assert resolution.executor_user == world.staff
    services.resolution_progress(resolution_id=resolution.pk, percent=50, note="进行中", actor=world.staff)
    with pytest.raises(PermissionDenied):
        services.resolution_progress(resolution_id=resolution.pk, percent=60, note="x", actor=world.contact)


def test_progress_needs_a_percentage_and_a_note(world):
    resolution = pass_resolution(world)
    with pytest.raises(ValidationError) as error:
        services.resolution_progress(resolution_id=resolution.pk, percent=101, note=" ", actor=world.contact)
    assert {"percent", "note"} <= set(error.value.message_dict)


def test_the_request_handler_is_told_when_the_residents_accept(world):
    request_obj = _request(world)
    topic = services.topic_from_request(request_id=request_obj.pk, title="充电", description="议定。",
                                        actor=world.staff)
    meeting = announce(world, topics=[topic])
    hold(world, meeting)
    item = meeting.items.get()
    services.item_decide(item_id=item.pk, actor=world.staff, positions={p: "for" for p in Party.values},
                         resolution_text="安装充电桩", due_on=timezone.localdate(),
                         executor_company_id=world.company.pk)
    resolution = item.resolution
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    services.resolution_review(resolution_id=resolution.pk, accept=True, actor=world.resident)
    told = Notification.objects.get(user=world.staff, kind=services.RESOLUTION_NEWS)
    assert f"#{request_obj.pk}" in told.title and told.link.endswith(f"/requests/staff/{request_obj.pk}/")


def test_a_member_is_not_removed_by_a_representative(world):
    with pytest.raises(PermissionDenied):
        services.council_member_remove(member_id=world.members[Party.BRANCH].pk, actor=world.resident)
    assert CouncilMember.objects.get(pk=world.members[Party.BRANCH].pk).is_active


def test_long_ago_helper_is_in_the_past():
    assert long_ago() < timezone.now()
