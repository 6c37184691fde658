"""The organiser's changing code: accepted in its own 30-second window and the next, refused after."""

import datetime

import time_machine
from django.utils import timezone

from services.activities import codes

Verdict = codes.Verdict
START = datetime.datetime(2026, 12, 5, 9, 0, 0, tzinfo=datetime.UTC)


def test_a_code_has_six_digits_and_depends_on_activity_kind_and_window():
    code = codes.code_for(activity_id=1, kind="entry", window=100)
    assert len(code) == 6 and code.isdigit()
    others = {
        codes.code_for(activity_id=2, kind="entry", window=100),
        codes.code_for(activity_id=1, kind="exit", window=100),
        codes.code_for(activity_id=1, kind="entry", window=101),
    }
    assert code not in others


def test_the_code_depends_on_the_secret_key(settings):
    before = codes.code_for(activity_id=1, kind="entry", window=100)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert codes.code_for(activity_id=1, kind="entry", window=100) != before


def test_the_code_shown_is_accepted_now_and_half_a_minute_later_and_refused_as_expired_after_a_minute():
    with time_machine.travel(START, tick=False) as clock:
        shown = codes.current_code(activity_id=7, kind="entry")
        assert codes.check(activity_id=7, kind="entry", code=shown) is Verdict.VALID
        clock.shift(datetime.timedelta(seconds=31))
        assert codes.check(activity_id=7, kind="entry", code=shown) is Verdict.VALID
        clock.shift(datetime.timedelta(seconds=30))
        assert codes.check(activity_id=7, kind="entry", code=shown) is Verdict.EXPIRED
        clock.shift(datetime.timedelta(minutes=30))
        assert codes.check(activity_id=7, kind="entry", code=shown) is Verdict.WRONG


def test_a_code_of_another_kind_or_activity_or_typed_wrong_is_wrong():
    now = timezone.now()
    entry = codes.current_code(activity_id=7, kind="entry", now=now)
    assert codes.check(activity_id=7, kind="exit", code=entry, now=now) is Verdict.WRONG
    assert codes.check(activity_id=8, kind="entry", code=entry, now=now) is Verdict.WRONG
    assert codes.check(activity_id=7, kind="entry", code="", now=now) is Verdict.WRONG
    assert codes.check(activity_id=7, kind="entry", code="12345", now=now) is Verdict.WRONG


def test_seconds_left_counts_down_to_the_next_window():
    with time_machine.travel(START + datetime.timedelta(seconds=12), tick=False):
        assert codes.seconds_left() == 18
