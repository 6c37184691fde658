"""Reminders: the executor from a few days before the due date and every day once overdue (once a day), the street
after the due date (once per resolution); nothing for what is done or accepted. Registered with the daily sweep."""

import datetime

import pytest
from django.utils import timezone

from communities.models import Notification, StaffAssignment
from communities.platform import jobs
from services.council import reminders, services
from services.council.tasks import escalate_overdue_resolutions_task, remind_resolution_executors_task

from .conftest import pass_resolution

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def test_the_rules_are_registered_with_the_sweep():
    rules = jobs.reminder_rules()
    assert remind_resolution_executors_task in rules and escalate_overdue_resolutions_task in rules


def test_the_executor_is_reminded_before_the_due_date_and_daily_when_overdue(world):
    today = timezone.localdate()
    resolution = pass_resolution(world, due_on=today + datetime.timedelta(days=10))
    assert reminders.remind_executors(now=_at(today)) == 0  # not due soon yet
    due_soon = resolution.due_on - datetime.timedelta(days=2)
    assert reminders.remind_executors(now=_at(due_soon)) == 1
    assert reminders.remind_executors(now=_at(due_soon)) == 0  # once a day
    late = resolution.due_on + datetime.timedelta(days=1)
    assert reminders.remind_executors(now=_at(late)) == 1
    assert reminders.remind_executors(now=_at(late + datetime.timedelta(days=1))) == 1
    sent = Notification.objects.filter(user=world.contact, kind=reminders.DUE).order_by("pk")
    assert sent.count() == 3 and "逾期" in sent.last().title


def test_the_street_is_told_once_after_the_due_date(world, staff_users):
    street_staff = staff_users["street"]
    assert StaffAssignment.objects.filter(user=street_staff, street=world.council.community.street).exists()
    today = timezone.localdate()
    resolution = pass_resolution(world, due_on=today)
    assert reminders.escalate_to_street(now=_at(today)) == 0
    late = _at(today + datetime.timedelta(days=1))
    assert reminders.escalate_to_street(now=late) == 1
    assert reminders.escalate_to_street(now=late + datetime.timedelta(days=3)) == 0
    told = Notification.objects.get(user=street_staff, kind=reminders.OVERDUE)
    assert world.council.community.name in told.title and told.link.endswith(f"/council/resolutions/{resolution.pk}/")


def test_done_and_accepted_resolutions_remind_nobody(world):
    today = timezone.localdate()
    resolution = pass_resolution(world, due_on=today)
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    late = _at(today + datetime.timedelta(days=2))
    assert reminders.remind_executors(now=late) == 0
    assert reminders.escalate_to_street(now=late) == 0
    services.resolution_review(resolution_id=resolution.pk, accept=False, reason="未完成", actor=world.resident)
    assert reminders.remind_executors(now=late) == 1  # sent back: open again


def test_a_person_executor_is_reminded_too(world):
    today = timezone.localdate()
    pass_resolution(world, due_on=today, executor="staff")
    assert reminders.remind_executors(now=_at(today + datetime.timedelta(days=1))) == 1
    assert Notification.objects.filter(user=world.staff, kind=reminders.DUE).exists()


def test_the_tasks_take_the_clock_as_a_string(world):
    today = timezone.localdate()
    pass_resolution(world, due_on=today)
    later = (today + datetime.timedelta(days=1)).isoformat()
    assert remind_resolution_executors_task(now=later) == 1
    assert escalate_overdue_resolutions_task(now=later) >= 0
