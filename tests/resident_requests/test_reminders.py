"""Overdue requests remind their handler once per request per day, and go up to the community's staff once."""

import datetime

import pytest

from communities.models import Notification
from communities.platform import jobs
from services.requests import reminders, services, tasks
from services.requests.workflow import State

from .conftest import START, raise_request

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_both_rules_are_registered_with_the_daily_sweep():
    rules = jobs.reminder_rules()
    assert tasks.remind_overdue_requests_task in rules
    assert tasks.escalate_overdue_requests_task in rules


def test_the_handler_is_reminded_once_a_day_while_overdue(place, clock):
    request_obj = raise_request(place, category="consultation")  # 1 day
    services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已受理", actor=place["staff"],
                            handler=place["worker1"])
    assert reminders.remind_overdue_handlers(now=START + DAY / 2) == 0  # not yet due
    late = START + DAY + datetime.timedelta(hours=1)
    assert reminders.remind_overdue_handlers(now=late) == 1
    assert reminders.remind_overdue_handlers(now=late + datetime.timedelta(hours=2)) == 0  # the same day
    assert reminders.remind_overdue_handlers(now=late + DAY) == 1  # the next day
    assert Notification.objects.filter(user=place["worker1"], kind=reminders.OVERDUE).count() == 2
    # Waiting for the resident: no reminder.
    clock.move_to(late + 2 * DAY, tick=False)
    services.request_change(request_id=request_obj.pk, to=State.WAITING, note="请补充照片", actor=place["worker1"])
    assert reminders.remind_overdue_handlers(now=late + 3 * DAY) == 0


def test_past_the_limit_it_goes_up_to_the_communitys_staff_once(place, clock):
    raise_request(place, category="help")  # 5 days; nobody takes it
    assert reminders.escalate_overdue(now=START + DAY / 2) == 0
    # Not accepted within the first-response limit: up to the staff at once.
    assert reminders.escalate_overdue(now=START + DAY + datetime.timedelta(minutes=1)) == 1
    assert reminders.escalate_overdue(now=START + 6 * DAY) == 0  # once per request
    assert list(Notification.objects.filter(kind=reminders.ESCALATED).values_list("user", flat=True)) == [
        place["staff"].pk
    ]
    assert not Notification.objects.filter(kind=reminders.ESCALATED, user=place["other_staff"]).exists()


def test_a_request_with_a_handler_goes_up_only_after_the_resolution_limit(place, clock):
    request_obj = raise_request(place, category="help")
    services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已受理", actor=place["staff"],
                            handler=place["worker1"])
    assert reminders.escalate_overdue(now=START + 4 * DAY) == 0
    assert reminders.escalate_overdue(now=START + 5 * DAY + datetime.timedelta(minutes=1)) == 1


def test_the_keys_fit_their_columns_whatever_the_ids(place, clock):
    from communities.models import ReminderSent
    from services.requests.models import ResidentRequest

    big = 9_999_999_999  # ten digits: a city's requests for thousands of years
    ResidentRequest.objects.create(
        id=big, community=place["community"], grid=place["grid1"], building=place["building1"],
        category="consultation", text="x", channel="public", token=ResidentRequest.new_token(), state="accepted",
        handler=place["worker1"], received_at=START, first_responded_at=START, first_response_due_at=START + DAY,
        resolution_due_at=START + DAY,
    )
    late = START + 2 * DAY
    assert reminders.remind_overdue_handlers(now=late) == 1
    assert reminders.escalate_overdue(now=late) == 1
    period_length = ReminderSent._meta.get_field("period").max_length
    assert all(len(period) <= period_length for period in ReminderSent.objects.values_list("period", flat=True))
