"""The activities' pages through the test client: members' list, detail, sign-up, check-in, calendar; staff's
list, creation, actions, the code page and check-in by hand. Query ceilings pinned."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from communities.models import AuditEvent
from services.activities import codes
from services.activities import services as activity_ops
from services.activities.models import Activity, CheckIn, SignUp
from tests import factories
from tests.conftest import make_staff

from .helpers import confirmed_member, make_activity, sign_up

pytestmark = pytest.mark.django_db
Status = Activity.Status


@pytest.fixture
def community():
    return factories.CommunityFactory(name="卧虎湾社区")


@pytest.fixture
def member(community):
    return confirmed_member(community)


@pytest.fixture
def staff(community):
    return make_staff("community", community=community)


# --- Members -----------------------------------------------------------------------------------------------------


def test_the_member_list_shows_the_communitys_activities_and_says_what_is_full(client, community, member):
    open_one = make_activity(community, title="开放活动", places=5)
    full = make_activity(community, title="满员活动", places=1)
    sign_up(confirmed_member(community), full)
    make_activity(community, title="草稿活动", status=Status.DRAFT)
    make_activity(factories.CommunityFactory(), title="别处活动")
    client.force_login(member.user)
    page = client.get(reverse("activities:list")).content.decode()
    assert "开放活动" in page and "满员活动" in page
    assert "草稿活动" not in page and "别处活动" not in page
    assert "满员" in page and "候补" in page  # full: new sign-ups join the waiting list
    assert open_one.title in page


def test_the_member_list_query_count_does_not_grow_with_activities(client, community, member,
                                                                   django_assert_max_num_queries):
    for _ in range(15):
        sign_up(member, make_activity(community))
    client.force_login(member.user)
    # As the needs board (issue 20): session, user, the account's roles, member with their home community, the
    # page with its total, unread messages.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("activities:list"))
    assert response.status_code == 200
    assert response.content.decode().count("activity-card") == 15


def test_the_detail_page_query_ceiling(client, community, member, django_assert_max_num_queries):
    activity = make_activity(community)
    sign_up(member, activity)
    client.force_login(member.user)
    # As the needs board (issue 20): session, user, roles, member and home, the activity, the member's sign-up,
    # unread messages.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("activities:detail", args=[activity.pk]))
    assert response.status_code == 200


def test_a_member_signs_up_then_joins_the_waiting_list_when_full(client, community, member):
    activity = make_activity(community, places=1)
    sign_up(confirmed_member(community), activity)
    client.force_login(member.user)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "加入候补" in page
    response = client.post(reverse("activities:sign-up", args=[activity.pk]), follow=True)
    assert SignUp.objects.get(member=member).status == SignUp.Status.WAITING
    assert "候补" in response.content.decode()
    client.post(reverse("activities:cancel-sign-up", args=[activity.pk]))
    assert SignUp.objects.get(member=member).status == SignUp.Status.CANCELLED


def test_an_ended_activity_says_so_and_offers_no_button(client, community, member):
    start = timezone.now() - datetime.timedelta(hours=3)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=1))
    client.force_login(member.user)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "已结束" in page
    assert reverse("activities:sign-up", args=[activity.pk]) not in page


def test_staff_and_members_of_another_community_cannot_open_a_members_page(client, community):
    activity = make_activity(community)
    for user in (confirmed_member(factories.CommunityFactory()).user, make_staff("community", community=community)):
        client.force_login(user)
        assert client.get(reverse("activities:detail", args=[activity.pk])).status_code in (403, 404)
        assert client.post(reverse("activities:sign-up", args=[activity.pk])).status_code in (403, 404)
    assert not SignUp.objects.exists()


def test_the_calendar_file_holds_the_activity(client, community, member):
    activity = make_activity(community)
    client.force_login(member.user)
    response = client.get(reverse("activities:calendar", args=[activity.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == activity.title
    assert event.decoded("dtstart") == activity.starts_at.replace(microsecond=0)
    assert str(event["location"]) == activity.place


def test_a_member_checks_in_with_the_code_and_an_old_code_is_refused_in_chinese(client, community, member):
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    sign_up(member, activity)
    client.force_login(member.user)
    url = reverse("activities:check-in", args=[activity.pk])
    with time_machine.travel(start, tick=False) as clock:
        old = codes.current_code(activity_id=activity.pk, kind="entry")
        clock.shift(datetime.timedelta(seconds=65))
        response = client.post(url, {"kind": "entry", "code": old})
        assert response.status_code == 200
        assert "已过期" in response.content.decode()
        assert not CheckIn.objects.exists()
        code = codes.current_code(activity_id=activity.pk, kind="entry")
        form = client.get(url, {"kind": "entry", "code": code}).content.decode()
        assert f'value="{code}"' in form  # the QR code's link fills the form in
        response = client.post(url, {"kind": "entry", "code": code})
        assert response.status_code == 302
        client.post(url, {"kind": "entry", "code": code})
    assert CheckIn.objects.filter(member=member, kind="entry").count() == 1


# --- Staff -------------------------------------------------------------------------------------------------------


def form_data(**overrides):
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=3))
    data = {
        "title": "法律咨询日",
        "description": "为居民提供免费法律咨询",
        "post_type": "policy_legal",
        "place": "社区服务中心",
        "starts_at": start.strftime("%Y-%m-%dT09:00"),
        "ends_at": start.strftime("%Y-%m-%dT11:00"),
        "places": "10",
        "signup_deadline": "",
        "cancel_cutoff": "",
        "contact": "李老师",
        "frequency": "",
        "occurrences": "1",
    }
    data.update(overrides)
    return data


def test_staff_create_a_weekly_series_and_publish(client, community, staff):
    client.force_login(staff)
    response = client.post(reverse("activities:staff-create"), form_data(frequency="weekly", occurrences="3"))
    assert response.status_code == 302
    assert Activity.objects.filter(community=community, status=Status.DRAFT).count() == 3
    first = Activity.objects.order_by("starts_at").first()
    client.post(reverse("activities:staff-action", args=[first.pk, "publish"]))
    first.refresh_from_db()
    assert first.status == Status.PUBLISHED


def test_a_bad_form_keeps_what_was_typed(client, staff):
    client.force_login(staff)
    response = client.post(reverse("activities:staff-create"), form_data(ends_at="2020-01-01T08:00"))
    assert response.status_code == 200
    assert "法律咨询日" in response.content.decode()
    assert not Activity.objects.exists()


def test_the_staff_list_query_ceiling(client, community, staff, django_assert_max_num_queries):
    for _ in range(12):
        make_activity(community)
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("activities:staff-list"))
    assert response.status_code == 200


def test_the_organiser_page_shows_the_current_code_and_the_json_the_next(client, community, staff):
    activity = make_activity(community)
    client.force_login(staff)
    page = client.get(reverse("activities:staff-code", args=[activity.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "js/activity-code.js" in body
    with time_machine.travel(timezone.now(), tick=False):
        data = client.get(reverse("activities:staff-code-json", args=[activity.pk]), {"kind": "exit"}).json()
        assert data["code"] == codes.current_code(activity_id=activity.pk, kind="exit")
    assert data["qr"].startswith("<svg") or "<svg" in data["qr"]
    assert 1 <= data["seconds_left"] <= 30


def test_staff_of_another_community_get_no_code(client, community):
    activity = make_activity(community)
    client.force_login(make_staff("community", community=factories.CommunityFactory()))
    assert client.get(reverse("activities:staff-code", args=[activity.pk])).status_code == 404
    assert client.get(reverse("activities:staff-code-json", args=[activity.pk])).status_code == 404


def test_manual_check_in_and_close_from_the_attendance_page(client, community, staff, member):
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    sign_up(member, activity)
    client.force_login(staff)
    page = client.get(reverse("activities:staff-detail", args=[activity.pk])).content.decode()
    assert member.name in page and "手工签到" in page
    client.post(reverse("activities:staff-manual-check-in", args=[activity.pk]),
                {"member": member.pk, "kind": "entry", "reason": "手机没电"})
    scan = CheckIn.objects.get()
    assert (scan.method, scan.reason, scan.recorded_by) == ("manual", "手机没电", staff)
    assert AuditEvent.objects.filter(action="activity_checkin_manual", outcome="success").exists()
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):  # closing may end it early
        client.post(reverse("activities:staff-action", args=[activity.pk, "close"]))
    activity.refresh_from_db()
    assert activity.status == Status.ENDED
    assert SignUp.objects.get(member=member).status == SignUp.Status.ATTENDED  # no check-out: no hours


def test_the_organiser_scans_a_members_own_code_from_the_members_page(client, community, staff, member):
    start = timezone.now() + datetime.timedelta(minutes=10)
    activity = make_activity(community, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    sign_up(member, activity)
    client.force_login(member.user)
    page = client.get(reverse("activities:my-code", args=[activity.pk])).content.decode()
    assert "<svg" in page and "js/activity-code.js" in page
    payload = client.get(reverse("activities:my-code-json", args=[activity.pk])).json()
    assert "<svg" in payload["qr"]
    token = codes.member_token(activity_id=activity.pk, member_id=member.pk)
    client.force_login(staff)
    url = reverse("activities:staff-scan", args=[activity.pk])
    assert member.name in client.get(url, {"token": token}).content.decode()
    response = client.post(url, {"token": token, "kind": "entry"})
    assert response.status_code == 302
    scan = CheckIn.objects.get()
    assert (scan.member, scan.method, scan.recorded_by) == (member, "organiser_scan", staff)


def test_a_member_without_a_place_has_no_code(client, community, member):
    activity = make_activity(community)
    client.force_login(member.user)
    assert client.get(reverse("activities:my-code", args=[activity.pk])).status_code == 404


def test_the_public_page_shows_what_is_coming_and_what_was_done_without_names(client, community, staff, member,
                                                                              django_assert_max_num_queries):
    coming = make_activity(community, title="义诊健康服务", places=4)
    sign_up(member, coming)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=7), tick=False):
        start = timezone.now() + datetime.timedelta(minutes=5)
        done = make_activity(community, title="社区环境清洁日", starts_at=start,
                             ends_at=start + datetime.timedelta(hours=2))
        sign_up(member, done)
    with time_machine.travel(start, tick=False):
        CheckIn.objects.create(activity=done, signup=SignUp.objects.get(activity=done), member=member, kind="entry",
                               method="code")
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        CheckIn.objects.create(activity=done, signup=SignUp.objects.get(activity=done), member=member, kind="exit",
                               method="code")
        activity_ops.activity_close(user=staff, activity_id=done.pk)
    make_activity(community, title="草稿活动", status=Status.DRAFT)
    done.refresh_from_db()
    client.logout()
    # the community (cached after the first), the upcoming, the recent with their figures
    with django_assert_max_num_queries(4):
        response = client.get(reverse("activities:public-list", args=[community.code]))
    page = response.content.decode()
    assert "义诊健康服务" in page and "剩余 3 / 4 个名额" in page
    assert "社区环境清洁日" in page and "1 名党员参加，共 2.0 小时" in page
    assert "草稿活动" not in page and member.name not in page
