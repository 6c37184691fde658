"""The rules of the services: raising, assigning, the clocks (with a frozen clock), reopening, rating, building
heads and their visits."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from communities.models import Notification
from registration.models import Report
from services.requests import services
from services.requests.models import BuildingHead, BuildingVisit, Channel, ResidentRequest
from services.requests.workflow import State
from tests import factories

from .conftest import START, raise_request

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def change(place, request_obj, to, *, actor="staff", handler=None):
    return services.request_change(request_id=request_obj.pk, to=to, note=f"说明：{to}", actor=place[actor],
                                   handler=place[handler] if handler else None)


def resolve(place, request_obj):
    change(place, request_obj, State.ACCEPTED, handler="worker1")
    change(place, request_obj, State.RESOLVED)


def test_raising_starts_both_clocks_by_category(place, clock):
    for category, days in (("consultation", 1), ("help", 5), ("suggestion", 5), ("complaint", 10)):
        request_obj = raise_request(place, category=category)
        assert request_obj.received_at == START
        assert request_obj.first_response_due_at == START + DAY
        assert request_obj.resolution_due_at == START + days * DAY
        assert request_obj.grid == place["grid1"]
        assert len(request_obj.token) >= 40


@override_settings(RESIDENT_REQUEST_LIMIT_DAYS={"consultation": 2, "help": 3, "suggestion": 4, "complaint": 7})
def test_the_limits_are_a_setting(place, clock):
    assert raise_request(place, category="complaint").resolution_due_at == START + 7 * DAY


def test_raising_from_the_public_page_needs_a_phone_and_a_building_of_the_community(place):
    with pytest.raises(ValidationError) as error:
        raise_request(place, phone="")
    assert "phone" in error.value.error_dict
    other = factories.CommunityFactory()
    with pytest.raises(ValidationError) as error:
        services.request_raise(community=other, category="help", text="x", building=place["building1"],
                               phone="13900000000")
    assert "building" in error.value.error_dict
    assert not ResidentRequest.objects.exists()


def test_recording_on_a_residents_behalf_needs_a_role_and_no_phone(place):
    request_obj = services.request_raise(community=place["community"], category="help", text="独居老人水管漏水",
                                         building=place["building1"], channel=Channel.BUILDING_HEAD,
                                         recorded_by=place["head"])
    assert request_obj.phone == "" and request_obj.recorded_by == place["head"]
    with pytest.raises(PermissionDenied):
        services.request_raise(community=place["community"], category="help", text="x", channel=Channel.STAFF,
                               recorded_by=factories.UserFactory())


def test_accepting_names_a_handler_of_the_community(place):
    request_obj = raise_request(place)
    with pytest.raises(ValidationError) as error:
        change(place, request_obj, State.ACCEPTED, handler="other_staff")
    assert "handler" in error.value.error_dict
    with pytest.raises(ValidationError):
        change(place, request_obj, State.ACCEPTED)
    change(place, request_obj, State.ACCEPTED, handler="head")
    request_obj.refresh_from_db()
    assert request_obj.handler == place["head"]
    assert Notification.objects.filter(user=place["head"], kind=services.REQUEST_ASSIGNED).count() == 1


def test_who_may_change_what(place):
    request_obj = raise_request(place)
    # The grid worker of the other area, street staff (read only) and other communities' staff may not.
    for outsider in ("worker2", "street_staff", "other_staff", "head"):
        with pytest.raises(PermissionDenied):
            change(place, request_obj, State.ACCEPTED, actor=outsider, handler="head")
    change(place, request_obj, State.ACCEPTED, actor="worker1", handler="head")
    # The handler responds and answers, but does not reassign.
    change(place, request_obj, State.IN_PROGRESS, actor="head")
    with pytest.raises(PermissionDenied):
        change(place, request_obj, State.ACCEPTED, actor="head", handler="worker1")
    change(place, request_obj, State.RESOLVED, actor="head")
    assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.RESOLVED


def test_the_first_response_is_the_first_change_and_is_measured_against_its_limit(place, clock):
    request_obj = raise_request(place)
    clock.shift(datetime.timedelta(hours=5))
    change(place, request_obj, State.ACCEPTED, handler="worker1")
    clock.shift(datetime.timedelta(hours=5))
    change(place, request_obj, State.IN_PROGRESS, actor="worker1")
    request_obj.refresh_from_db()
    assert request_obj.first_responded_at == START + datetime.timedelta(hours=5)


def test_waiting_for_the_resident_stops_the_resolution_clock(place, clock):
    request_obj = raise_request(place, category="help")  # 5 days
    change(place, request_obj, State.ACCEPTED, handler="worker1")
    clock.shift(DAY)
    change(place, request_obj, State.WAITING, actor="worker1")
    request_obj.refresh_from_db()
    assert request_obj.clock_stopped_at == START + DAY
    clock.shift(3 * DAY)  # three days waiting for the resident's photos
    change(place, request_obj, State.IN_PROGRESS, actor="worker1")
    request_obj.refresh_from_db()
    assert request_obj.clock_stopped_at is None
    assert request_obj.resolution_due_at == START + 8 * DAY


def test_a_waiting_request_is_not_overdue(place, clock):
    request_obj = raise_request(place, category="consultation")
    change(place, request_obj, State.ACCEPTED, handler="worker1")
    change(place, request_obj, State.WAITING, actor="worker1")
    clock.shift(10 * DAY)
    assert not ResidentRequest.objects.overdue(START + 10 * DAY).exists()
    change(place, request_obj, State.IN_PROGRESS, actor="worker1")
    assert not ResidentRequest.objects.overdue(START + 10 * DAY).exists()  # the 10 days did not count
    assert ResidentRequest.objects.overdue(START + 11 * DAY + datetime.timedelta(minutes=1)).exists()


def test_the_resident_reopens_within_14_days_once(place, clock):
    request_obj = raise_request(place, category="help")
    resolve(place, request_obj)
    clock.shift(14 * DAY)
    services.request_reopen(token=request_obj.token, note="灯又坏了")
    request_obj.refresh_from_db()
    assert request_obj.state == State.REOPENED and request_obj.resolved_at is None
    assert request_obj.resolution_due_at == START + 19 * DAY  # a new limit from the reopening
    change(place, request_obj, State.RESOLVED)
    with pytest.raises(ValidationError):  # once
        services.request_reopen(token=request_obj.token, note="还是不行")


def test_the_resident_cannot_reopen_after_14_days(place, clock):
    request_obj = raise_request(place)
    change(place, request_obj, State.ANSWERED)
    clock.shift(14 * DAY + datetime.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.request_reopen(token=request_obj.token, note="迟到的意见")
    assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.ANSWERED


def test_an_unhappy_rating_reopens_once_then_stays_a_rating(place):
    request_obj = raise_request(place)
    resolve(place, request_obj)
    services.request_rate(token=request_obj.token, satisfaction="unsatisfied", note="没有修好")
    request_obj.refresh_from_db()
    assert request_obj.state == State.REOPENED and request_obj.satisfaction == ""
    change(place, request_obj, State.RESOLVED)
    services.request_rate(token=request_obj.token, satisfaction="unsatisfied")
    request_obj.refresh_from_db()
    assert request_obj.state == State.RESOLVED and request_obj.satisfaction == "unsatisfied"
    with pytest.raises(ValidationError):  # one rating per outcome
        services.request_rate(token=request_obj.token, satisfaction="satisfied")


def test_an_open_request_cannot_be_rated(place):
    request_obj = raise_request(place)
    with pytest.raises(ValidationError):
        services.request_rate(token=request_obj.token, satisfaction="satisfied")


def test_the_phone_is_masked_for_everyone_but_the_handler(place):
    request_obj = raise_request(place, phone="13912345678")
    change(place, request_obj, State.ACCEPTED, handler="worker1")
    request_obj.refresh_from_db()
    assert request_obj.phone_for(place["worker1"]) == "13912345678"
    for other in ("staff", "street_staff", "head"):
        assert request_obj.phone_for(place[other]) == "139****5678"


def test_a_building_head_is_a_confirmed_member_of_the_community(place):
    pending = factories.ReportFactory(community=place["community"], status=Report.Status.PENDING).member
    confirmed_elsewhere = factories.ReportFactory(community=place["elsewhere"], status=Report.Status.CONFIRMED).member
    for member in (pending, confirmed_elsewhere):
        with pytest.raises(ValidationError):
            services.building_head_assign(building_id=place["building2"].pk, member_id=member.pk, by=place["staff"])
    member = factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED).member
    with pytest.raises(PermissionDenied):
        services.building_head_assign(building_id=place["building2"].pk, member_id=member.pk, by=place["other_staff"])
    head = services.building_head_assign(building_id=place["building2"].pk, member_id=member.pk, by=place["staff"])
    assert head.building == place["building2"]
    # A new head replaces the old one.
    services.building_head_assign(building_id=place["building1"].pk, member_id=member.pk, by=place["staff"])
    assert list(BuildingHead.objects.filter(building=place["building1"]).values_list("member", flat=True)) == [
        member.pk
    ]


def test_a_building_head_records_visits_to_their_buildings_only(place, clock):
    visit = services.building_visit_record(building_id=place["building1"].pk, head_user=place["head"],
                                           visited_on=START.date(), household="1-302", found="楼道堆物",
                                           problem_found=True)
    assert visit.head == place["head_member"]
    with pytest.raises(PermissionDenied):
        services.building_visit_record(building_id=place["building2"].pk, head_user=place["head"],
                                       visited_on=START.date(), household="2-101", found="", problem_found=False)
    with pytest.raises(ValidationError):
        services.building_visit_record(building_id=place["building1"].pk, head_user=place["head"],
                                       visited_on=START.date() + DAY, household="1-101", found="",
                                       problem_found=False)
    assert BuildingVisit.objects.count() == 1
