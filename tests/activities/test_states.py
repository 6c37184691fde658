"""The declared table of an activity's states, as a whole, and the status the clock shows."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from services.activities import states
from services.activities.models import Activity

Status = Activity.Status

EXPECTED = {
    ("draft", "published"),
    ("draft", "cancelled"),
    ("published", "running"),
    ("published", "cancelled"),
    ("running", "ended"),
}


def test_the_table_allows_exactly_the_declared_changes():
    allowed = {(old, new) for old, new in itertools.product(Status.values, repeat=2) if states.may_change(old, new)}
    assert allowed == EXPECTED


def test_the_table_names_every_status_and_ended_and_cancelled_are_final():
    assert set(states.ALLOWED_CHANGES) == set(Status.values)
    assert states.ALLOWED_CHANGES[Status.ENDED] == frozenset()
    assert states.ALLOWED_CHANGES[Status.CANCELLED] == frozenset()


@pytest.mark.parametrize(("old", "new"), list(itertools.product(Status.values, repeat=2)))
def test_change_follows_the_table(old, new):
    activity = Activity(status=old)
    if (old, new) in EXPECTED:
        states.change(activity, new)
        assert activity.status == new
    else:
        with pytest.raises(ValidationError):
            states.change(activity, new)
        assert activity.status == old


def _activity(status, *, started_hours_ago):
    starts_at = timezone.now() - datetime.timedelta(hours=started_hours_ago)
    return Activity(status=status, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=2))


@pytest.mark.parametrize(
    ("status", "started_hours_ago", "shown"),
    [
        ("published", -1, "published"),  # starts in an hour
        ("published", 1, "running"),  # started an hour ago, ends in an hour
        ("published", 3, "ended"),  # ended an hour ago, not yet closed
        ("running", 3, "ended"),
        ("running", 1, "running"),
        ("draft", 3, "draft"),
        ("cancelled", 1, "cancelled"),
        ("ended", 1, "ended"),
    ],
)
def test_the_clock_moves_what_is_shown(status, started_hours_ago, shown):
    assert states.shown_status(_activity(status, started_hours_ago=started_hours_ago)) == shown
