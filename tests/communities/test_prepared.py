"""communities.prepared: a hot lookup compiled once gives what its queryset gives, for every call's own values, and
refuses what compiling once would freeze."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from communities.models import Community, StaffAssignment
from communities.prepared import prepared
from registration.models import Member, Report
from tests import factories

pytestmark = pytest.mark.django_db


@prepared
def reports_of(*, member_id: int):
    return Report.objects.filter(member_id=member_id).select_related("community__district").order_by("pk")


@prepared
def codes_named(*, name: str, district_id: int):
    return Community.objects.filter(name=name, district_id=district_id).values_list("code", flat=True)


def test_each_call_gets_its_own_rows_with_their_related_objects(django_assert_num_queries):
    first, second = factories.MemberFactory(), factories.MemberFactory()
    for member, count in ((first, 2), (second, 1)):
        for _ in range(count):
            factories.ReportFactory(member=member, status=Report.Status.ENDED)

    for member in (first, second, first):
        expected = list(Report.objects.filter(member=member).order_by("pk"))
        districts = [report.community.district.name for report in expected]
        with django_assert_num_queries(1):
            rows = reports_of(member_id=member.pk)
            assert [row.community.district.name for row in rows] == districts
        assert rows == expected and all(row.member_id == member.pk for row in rows)
    assert reports_of(member_id=0) == []


def test_values_list_rows_and_text_arguments():
    community = factories.CommunityFactory()
    other = factories.CommunityFactory(district=community.district)
    assert codes_named(name=community.name, district_id=community.district_id) == [community.code]
    assert codes_named(name=other.name, district_id=other.district_id) == [other.code]
    assert codes_named(name="没有这个社区", district_id=community.district_id) == []


def test_a_date_argument():
    @prepared
    def members_registered_since(*, day: datetime.date):
        return Member.objects.filter(created_at__date__gte=day).values_list("pk", flat=True)

    member = factories.MemberFactory()
    today = timezone.localdate()
    assert member.pk in members_registered_since(day=today)
    assert members_registered_since(day=today + datetime.timedelta(days=1)) == []


def test_what_compiling_once_would_freeze_is_refused():
    @prepared
    def from_the_clock(*, user_id: int):
        return StaffAssignment.objects.filter(user_id=user_id, user__date_joined__lte=timezone.now())

    @prepared
    def shaped_by_the_value(*, user_id: int):
        return StaffAssignment.objects.filter(user_id=user_id)[: 1 if user_id > -1_200_000_000 else 2]

    @prepared
    def unused(*, user_id: int):
        return StaffAssignment.objects.all()

    for lookup in (from_the_clock, shaped_by_the_value, unused):
        with pytest.raises(ImproperlyConfigured):
            lookup(user_id=1)
    with pytest.raises(ImproperlyConfigured):
        reports_of(member_id=None)  # IS NULL: another SQL
    with pytest.raises(ImproperlyConfigured):
        reports_of(member_id=True)
    with pytest.raises(ImproperlyConfigured):
        reports_of(member_id=[1, 2])


def test_a_moment_argument():
    @prepared
    def members_registered_before(*, moment: datetime.datetime):
        return Member.objects.filter(created_at__lt=moment).values_list("pk", flat=True)

    member = factories.MemberFactory()
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert member.pk in members_registered_before(moment=later)
    assert members_registered_before(moment=member.created_at) == []
    with pytest.raises(ImproperlyConfigured):
        members_registered_before(moment=later.replace(tzinfo=None))
