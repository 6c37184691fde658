"""Feedback after an activity: members who came and residents served, one per person, within 14 days of the end,
kept by the database too; shown to the organiser and in summary on the public page."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from services.activities import feedback
from services.activities.models import Activity, Feedback, SignUp
from tests import factories
from tests.conftest import make_staff

from .helpers import confirmed_member, make_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return factories.CommunityFactory(name="幸福里社区")


@pytest.fixture
def ended(community):
    """An activity that ended yesterday and was closed."""
    start = timezone.now() - datetime.timedelta(days=1, hours=3)
    return make_activity(community, status=Activity.Status.ENDED, starts_at=start,
                         ends_at=start + datetime.timedelta(hours=2), cancel_cutoff=start)


def attended(activity):
    member = confirmed_member(activity.community)
    SignUp.objects.create(activity=activity, member=member, status=SignUp.Status.ATTENDED)
    return member


def test_a_member_who_came_leaves_feedback_once(ended):
    member = attended(ended)
    feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=5, comment="组织有序")
    with pytest.raises(ValidationError):
        feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=4)
    assert Feedback.objects.get().comment == "组织有序"


def test_a_no_show_or_a_stranger_cannot_leave_feedback(ended):
    no_show = confirmed_member(ended.community)
    SignUp.objects.create(activity=ended, member=no_show, status=SignUp.Status.NO_SHOW)
    for member in (no_show, confirmed_member(ended.community)):
        with pytest.raises(ValidationError):
            feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=5)


def test_feedback_is_taken_only_after_closing_and_for_14_days(community, ended):
    member = attended(ended)
    running = make_activity(community, status=Activity.Status.PUBLISHED)
    with pytest.raises(ValidationError):
        feedback.feedback_from_resident(activity_id=running.pk, mobile="13800000001", rating=5)
    with time_machine.travel(ended.ends_at + datetime.timedelta(days=14, minutes=1), tick=False), \
            pytest.raises(ValidationError):
        feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=5)
    with time_machine.travel(ended.ends_at + datetime.timedelta(days=13, hours=23), tick=False):
        feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=5)


def test_the_rating_is_from_one_to_five(ended):
    member = attended(ended)
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=rating)


def test_a_resident_leaves_feedback_once_per_mobile_number_which_is_not_kept(ended):
    feedback.feedback_from_resident(activity_id=ended.pk, mobile="13800000001", rating=4, comment="很满意")
    with pytest.raises(ValidationError):
        feedback.feedback_from_resident(activity_id=ended.pk, mobile="13800000001", rating=5)
    feedback.feedback_from_resident(activity_id=ended.pk, mobile="13800000002", rating=2)
    stored = Feedback.objects.order_by("pk").first()
    assert "13800000001" not in stored.resident_key and len(stored.resident_key) == 64


def test_the_database_keeps_one_per_person_and_the_14_days(ended):
    member = attended(ended)
    Feedback.objects.create(activity=ended, author="member", member=member, rating=5,
                            activity_ends_at=ended.ends_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(activity=ended, author="member", member=member, rating=3,
                                activity_ends_at=ended.ends_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(activity=ended, author="resident", resident_key="a" * 64, rating=3,
                                activity_ends_at=ended.ends_at,
                                created_at=ended.ends_at + datetime.timedelta(days=14, seconds=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(activity=ended, author="resident", rating=3, activity_ends_at=ended.ends_at)


def test_the_member_leaves_feedback_from_the_activitys_page(client, ended):
    member = attended(ended)
    client.force_login(member.user)
    page = client.get(reverse("activities:detail", args=[ended.pk])).content.decode()
    assert "提交评价" in page
    client.post(reverse("activities:feedback", args=[ended.pk]), {"rating": 4, "comment": "很好"})
    assert Feedback.objects.get(member=member).rating == 4
    assert "提交评价" not in client.get(reverse("activities:detail", args=[ended.pk])).content.decode()


def test_a_resident_opens_the_organisers_link_without_login(client, ended):
    token = feedback.resident_link_token(activity_id=ended.pk)
    url = reverse("activities:resident-feedback", args=[token])
    response = client.post(url, {"mobile": "1380000000", "rating": 5})
    assert "mobile" in response.context["form"].errors
    response = client.post(url, {"mobile": "13800000001", "rating": 5, "comment": "谢谢党员"})
    assert response.context["done"]
    response = client.post(url, {"mobile": "13800000001", "rating": 5})
    assert "您已评价过此活动。" in response.content.decode()
    assert client.get(reverse("activities:resident-feedback", args=["forged"])).status_code == 404


def test_the_organiser_sees_the_feedback_and_the_public_page_its_summary(client, ended):
    member = attended(ended)
    feedback.feedback_from_member(member=member, activity_id=ended.pk, rating=5, comment="组织有序")
    feedback.feedback_from_resident(activity_id=ended.pk, mobile="13800000001", rating=4)
    client.force_login(make_staff("community", community=ended.community))
    page = client.get(reverse("activities:staff-detail", args=[ended.pk])).content.decode()
    assert "组织有序" in page and member.name in page and "4.5 星" in page
    client.logout()
    public = client.get(reverse("activities:public-list", args=[ended.community.code])).content.decode()
    assert "评价：4.5 星" in public
    assert member.name not in public and "组织有序" not in public
