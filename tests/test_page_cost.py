"""What a logged-in page costs in Python (issue 17: no more app CPU per request than before the restyle): the member
home's panels drawn within the page's one context, each tab policy asked once per strip, the tab strip rendered
once per process and set of visible entries (never another user's count), the page frame's lookups done once."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.context import RequestContext
from django.urls import reverse
from django.utils import timezone, translation

from communities import kept, notifications
from communities.models import Notification, StaffAssignment
from communities.notifications import Message, Reminder
from communities.platform import navigation
from communities.templatetags import platform as platform_tags
from registration.models import Report
from services import selectors as selectors_of_services
from services.models import ServiceRecord
from services.points import star_level
from services.requests import policies as request_policies
from services.requests.signals import HEADS
from services.selectors import member_service_summary
from services.services import record_verify
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    client.force_login(member.user)
    return member


def test_the_member_home_and_its_panels_are_drawn_in_one_request_context(client, member, monkeypatch):
    """Each panel used to get a RequestContext of its own, running every context processor again."""
    bound = []
    original = RequestContext.bind_template

    @contextmanager
    def counting(self, template):
        bound.append(template.name)
        with original(self, template):
            yield

    monkeypatch.setattr(RequestContext, "bind_template", counting)
    page = client.get(reverse("registration:member-home")).content.decode()

    assert bound == ["registration/member_home.html"]
    assert "service-summary" in page and "own-data-panel" in page and "timebank-panel" in page  # panels drawn


def test_a_policy_two_tabs_name_is_asked_once_per_strip(monkeypatch):
    asked = []
    monkeypatch.setattr(navigation.policies, "allowed", lambda name, user: asked.append(name) or True)
    menu = navigation.Menu("cost-probe")
    menu.add("a", "A", "home", policy="probe.shared")
    menu.add("b", "B", "home", policy="probe.shared")
    menu.add("c", "C", "home", policy="probe.other")
    menu.add("d", "D", "home")

    assert [entry.key for entry in menu.for_user(object())] == ["a", "b", "c", "d"]
    assert sorted(asked) == ["probe.other", "probe.shared"]


def test_the_building_heads_set_is_read_once_for_the_two_tabs_that_show_with_it(client, member, monkeypatch):
    HEADS.replace({member.user.pk})
    reads = []
    real = request_policies.head_user_ids
    monkeypatch.setattr(request_policies, "head_user_ids", lambda: reads.append(1) or real())

    page = client.get(reverse("registration:member-home")).content.decode()

    assert len(reads) == 1
    assert reverse("resident_requests:building-head") in page and reverse("resident_requests:mine") in page
    HEADS.replace(())


def strip(page: str) -> str:
    start = page.index('<nav class="mb-3')
    return page[start : page.index("</main>", start)].split('<div class="page-header">')[0]


def test_the_strip_drawn_once_shows_each_user_their_own_tabs_and_unread_count(client, member):
    platform_tags._strip.cache_clear()
    other = factories.MemberFactory()
    factories.ReportFactory(member=other, status=Report.Status.CONFIRMED)
    for number in range(3):
        Notification.objects.create(user=member.user, kind="test", title=f"消息{number}")
    HEADS.replace({member.user.pk})
    home = reverse("registration:member-home")

    mine = client.get(home).content.decode()
    client.force_login(other.user)
    theirs = client.get(home).content.decode()
    again = client.get(home).content.decode()
    HEADS.replace(())

    assert 'bar-badge" aria-hidden="true">3<' in mine and "bar-badge" not in theirs
    assert reverse("resident_requests:building-head") in mine
    assert reverse("resident_requests:building-head") not in theirs  # another set of entries: another strip
    assert strip(theirs) == strip(again)
    assert platform_tags._strip.cache_info().hits >= 1  # the second visit reused the strip


def test_the_strip_follows_the_active_tab(client, member):
    platform_tags._strip.cache_clear()
    home = client.get(reverse("registration:member-home")).content.decode()
    board = client.get(reverse("services:need-board")).content.decode()

    assert f'aria-current="page" href="{reverse("registration:member-home")}"' in home
    assert f'aria-current="page" href="{reverse("registration:member-home")}"' not in board
    assert f'aria-current="page" href="{reverse("services:need-board")}"' in board


def test_the_strip_is_kept_per_language(rf, member):
    request = rf.get("/")
    request.user = member.user
    drawn = Template('{% load platform %}{% tabs "member" "home" %}')
    with translation.override("en"):
        english = drawn.render(RequestContext(request))
    with translation.override("zh-hans"):
        chinese = drawn.render(RequestContext(request))

    assert "My reporting" in english and "My reporting" not in chinese


def test_the_service_summary_sums_only_verified_records_and_the_years_for_the_year(member):
    year = timezone.localdate().year
    community = member.reports.get().community
    for served_on, hours, points, status in (
        (datetime.date(year, 1, 2), "2.5", "10", ServiceRecord.Status.VERIFIED),
        (datetime.date(year, 12, 31), "1", "3", ServiceRecord.Status.VERIFIED),
        (datetime.date(year - 1, 12, 31), "4", "16", ServiceRecord.Status.VERIFIED),
        (datetime.date(year, 1, 3), "7", "28", ServiceRecord.Status.SUBMITTED),
    ):
        factories.ServiceRecordFactory(
            member=member,
            community=community,
            served_on=served_on,
            hours=Decimal(hours),
            points=Decimal(points),
            status=status,
        )
    summary = member_service_summary(member=member, year=year)

    assert summary.time_bank_hours == Decimal("7.5")
    assert (summary.year_hours, summary.year_points) == (Decimal("3.5"), Decimal("13"))
    assert summary.stars == star_level(Decimal("13"))
    last_year = member_service_summary(member=member, year=year - 1)
    assert (last_year.time_bank_hours, last_year.year_hours, last_year.year_points) == (7.5, 4, 16)
    nothing = member_service_summary(member=factories.MemberFactory(), year=year)
    assert (nothing.time_bank_hours, nothing.year_hours, nothing.year_points, nothing.stars) == (0, 0, 0, 0)


def test_the_frame_url_tag_gives_what_url_gives():
    drawn = Template("{% load platform %}{% url_of 'communities:inbox' %}").render(Context())
    assert drawn == reverse("communities:inbox")


# --- The header's unread count, kept in the shared cache --------------------------------------------------------


@pytest.fixture
def shared_cache(monkeypatch):
    """The test cache stands for a shared one (Redis in production): the count is kept."""
    monkeypatch.setattr(kept, "shared_cache", lambda: True)


def test_the_unread_count_is_kept_until_the_inbox_changes(shared_cache, member, django_assert_num_queries):
    user = member.user
    assert notifications.unread_count(user) == 0
    with django_assert_num_queries(0):
        assert notifications.unread_count(user) == 0

    Notification.objects.create(user=user, kind="test", title="新消息")
    assert notifications.unread_count(user) == 1

    notifications.remind_many(
        kind="test-reminder",
        reminders=[Reminder(period="p", recipient=f"user:{user.pk}", message=Message(title="提醒", user_id=user.pk))],
    )
    assert notifications.unread_count(user) == 2
    other = factories.UserFactory()
    assert notifications.unread_count(other) == 0  # kept per user


def test_marking_read_clears_the_kept_count(shared_cache, client, member):
    Notification.objects.create(user=member.user, kind="test", title="新消息")
    assert notifications.unread_count(member.user) == 1
    client.post(reverse("communities:inbox-read"))
    assert notifications.unread_count(member.user) == 0
    assert "bar-badge" not in client.get(reverse("registration:member-home")).content.decode()


def test_a_count_read_while_a_message_is_stored_is_not_kept(shared_cache, member, monkeypatch):
    user = member.user
    real = notifications._count_unread

    def racing(counted_user):
        before = real(counted_user)  # the database as it was when the count was read …
        Notification.objects.create(user=counted_user, kind="test", title="同时到达")  # … then a message commits
        return before

    monkeypatch.setattr(notifications, "_count_unread", racing)
    assert notifications.unread_count(user) == 0
    monkeypatch.setattr(notifications, "_count_unread", real)
    assert notifications.unread_count(user) == 1


def test_with_a_per_process_cache_the_count_is_read_each_time(settings, member, django_assert_num_queries):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not kept.shared_cache()
    notifications.unread_count(member.user)
    with django_assert_num_queries(1):
        notifications.unread_count(member.user)

    settings.CACHES = {"default": {"BACKEND": "communities.cache.DegradingRedisCache", "LOCATION": "redis://x:1"}}
    assert kept.shared_cache()


def test_with_the_count_kept_the_member_home_takes_a_query_less(
    shared_cache, client, member, django_assert_max_num_queries
):
    for _ in range(5):
        factories.ReportFactory(member=member, status=Report.Status.ENDED)
    client.get(reverse("registration:member-home"))
    # session, user, the account's roles, member with unit, reports with their places, service summary
    with django_assert_max_num_queries(6):
        assert client.get(reverse("registration:member-home")).status_code == 200


def test_the_service_summary_is_kept_until_the_members_records_change(
    shared_cache, member, django_assert_num_queries
):
    year = timezone.localdate().year
    community = member.reports.get().community
    assert member_service_summary(member=member).time_bank_hours == 0
    with django_assert_num_queries(0):
        assert member_service_summary(member=member).time_bank_hours == 0

    record = factories.ServiceRecordFactory(  # a row saved: the signal
        member=member, community=community, served_on=datetime.date(year, 1, 2), hours=Decimal("2"),
        status=ServiceRecord.Status.SUBMITTED,
    )
    assert member_service_summary(member=member).time_bank_hours == 0
    staff = make_staff(StaffAssignment.Role.COMMUNITY_STAFF, community=community)
    record_verify(user=staff, record_id=record.pk)
    summary = member_service_summary(member=member)
    assert (summary.time_bank_hours, summary.year_hours) == (2, 2)
    assert summary.year_points == ServiceRecord.objects.get(pk=record.pk).points > 0
    assert member_service_summary(member=member, year=year - 1).year_hours == 0  # kept per year, same token

    other = factories.MemberFactory()
    assert member_service_summary(member=other).time_bank_hours == 0  # kept per member


def test_a_summary_computed_while_a_record_is_verified_is_not_kept(shared_cache, member, monkeypatch):
    community = member.reports.get().community
    record = factories.ServiceRecordFactory(
        member=member, community=community, served_on=timezone.localdate(), hours=Decimal("3"),
        status=ServiceRecord.Status.SUBMITTED,
    )
    real = selectors_of_services._service_totals
    staff = make_staff(StaffAssignment.Role.COMMUNITY_STAFF, community=community)

    def racing(member_id, year):
        before = real(member_id, year)  # the database as it was when the totals were read …
        record_verify(user=staff, record_id=record.pk)  # … then the verification commits
        return before

    monkeypatch.setattr(selectors_of_services, "_service_totals", racing)
    assert member_service_summary(member=member).time_bank_hours == 0
    monkeypatch.setattr(selectors_of_services, "_service_totals", real)
    assert member_service_summary(member=member).time_bank_hours == 3


def test_the_lookups_every_page_makes_are_compiled_once(member, monkeypatch):
    """communities.prepared: after the first call, the member, their reports and the staff assignments run SQL
    compiled before (Django would compile each again: most of what these small lookups cost)."""
    from django.db.models.sql.compiler import SQLCompiler

    from communities.models import StaffAssignment
    from registration import selectors as registration_selectors

    def lookups():
        member.user._scope_cache = None
        StaffAssignment.objects.scope_for(member.user)
        found = registration_selectors.member_for_user(user=member.user)
        return found, registration_selectors.report_history(member=found)

    first_member, first_reports = lookups()
    compiled = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *args, **kw: compiled.append(1) or real(self, *args, **kw))
    again_member, again_reports = lookups()
    assert compiled == []
    assert again_member == first_member
    assert again_reports == first_reports == list(member.reports.order_by("-submitted_at"))
