from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone, translation

from services.models import (
    LONG_RECORD_HOURS,
    RECORD_DAYS_AFTER_NEED_END,
    Claim,
    NeedState,
    PostType,
    ServiceNeed,
    ServiceRecord,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_one_claim_per_member_per_need():
    claim = factories.ClaimFactory()
    with pytest.raises(IntegrityError):
        factories.ClaimFactory(need=claim.need, member=claim.member)


def test_a_cancelled_claim_does_not_block_claiming_again():
    claim = factories.ClaimFactory(status=Claim.Status.CANCELLED)
    factories.ClaimFactory(need=claim.need, member=claim.member)
    assert Claim.objects.filter(need=claim.need, member=claim.member).count() == 2


def test_places_cannot_be_negative():
    with pytest.raises(IntegrityError):
        factories.ServiceNeedFactory(places=-1)


def test_claims_holding_places_never_exceed_places():
    with pytest.raises(IntegrityError):
        factories.ServiceNeedFactory(places=2, claimed_count=3)


def test_a_need_cannot_end_before_it_starts():
    need = factories.ServiceNeedFactory()
    with pytest.raises(IntegrityError):
        ServiceNeed.objects.filter(pk=need.pk).update(ends_at=need.starts_at - timedelta(days=1))


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), Decimal("12.5")])
def test_record_hours_are_above_zero_and_at_most_twelve(hours):
    with pytest.raises(IntegrityError):
        factories.ServiceRecordFactory(hours=hours)


def test_one_assessment_per_member_per_year():
    assessment = factories.AssessmentFactory(year=2026)
    factories.AssessmentFactory(member=assessment.member, year=2025)
    with pytest.raises(IntegrityError):
        factories.AssessmentFactory(member=assessment.member, year=2026)


# --- What a need shows: ended and full by time and places, one rule on both sides -----------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


def need_at(status=ServiceNeed.Status.PUBLISHED, *, start=-2, end=None, places=3, claimed=0):
    """A need, unsaved, starting and ending `start`/`end` hours from NOW (end None: ongoing)."""
    return ServiceNeed(
        status=status,
        starts_at=NOW + timedelta(hours=start),
        ends_at=None if end is None else NOW + timedelta(hours=end),
        places=places,
        claimed_count=claimed,
    )


@pytest.mark.parametrize(
    ("need", "state"),
    [
        (need_at(end=2), NeedState.OPEN),
        (need_at(start=5, end=8), NeedState.OPEN),
        (need_at(), NeedState.OPEN),  # ongoing: never ends
        (need_at(end=0), NeedState.OPEN),  # ends this very moment: not yet ended
        (need_at(end=-1), NeedState.ENDED),
        (need_at(end=2, places=2, claimed=2), NeedState.FULL),
        (need_at(end=-1, places=2, claimed=2), NeedState.ENDED),  # ended wins over full
        (need_at(ServiceNeed.Status.CLOSED, end=-1), NeedState.ENDED),  # closed by the daily job
        (need_at(ServiceNeed.Status.CLOSED, end=2), NeedState.CLOSED),  # withdrawn before its end
        (need_at(ServiceNeed.Status.FULFILLED, end=-1), NeedState.FULFILLED),
        (need_at(ServiceNeed.Status.DRAFT, end=-1), NeedState.DRAFT),
    ],
)
def test_a_need_state_is_judged_by_status_time_and_places(need, state):
    assert need.state_at(NOW) == state


@pytest.mark.parametrize(
    "need",
    [
        need_at(end=2),
        need_at(),
        need_at(end=0),
        need_at(end=-1),
        need_at(end=2, places=2, claimed=2),
        need_at(end=2, places=2, claimed=1),
        need_at(ServiceNeed.Status.CLOSED, end=2),
        need_at(ServiceNeed.Status.DRAFT, end=2),
        need_at(ServiceNeed.Status.FULFILLED, end=2),
    ],
)
def test_the_queryset_and_the_row_agree_on_ended_and_open_for_claims(need):
    need.community = factories.CommunityFactory()
    need.title, need.description, need.post_type = "需求", "内容", PostType.CARE
    need.save()
    needs = ServiceNeed.objects.filter(pk=need.pk)
    assert needs.ended(NOW).exists() == need.has_ended_at(NOW)
    assert needs.not_ended(NOW).exists() == (not need.has_ended_at(NOW))
    assert needs.open_for_claims(NOW).exists() == (need.state_at(NOW) == NeedState.OPEN)


def test_has_ended_and_state_read_the_clock():
    need = factories.ServiceNeedFactory(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() + timedelta(minutes=5)
    )
    assert (need.has_ended, need.state, need.is_open_for_claims) == (False, NeedState.OPEN, True)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert (need.has_ended, need.state, need.is_open_for_claims) == (True, NeedState.ENDED, False)
        assert str(need.state_label) == "已结束"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        # The same day: the end's time only; this year: no year.
        (
            datetime(2026, 12, 19, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 12, 19, 12, 0, tzinfo=SHANGHAI),
            "12-19 09:00 – 12:00",
        ),
        # Over several days: the end's date too.
        (
            datetime(2026, 12, 19, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 12, 21, 17, 30, tzinfo=SHANGHAI),
            "12-19 09:00 – 12-21 17:30",
        ),
        # Not this year: with the year.
        (
            datetime(2026, 12, 30, 9, 0, tzinfo=SHANGHAI),
            datetime(2027, 1, 2, 17, 0, tzinfo=SHANGHAI),
            "12-30 09:00 – 2027-01-02 17:00",
        ),
        (
            datetime(2025, 10, 3, 8, 0, tzinfo=SHANGHAI),
            datetime(2025, 10, 3, 11, 0, tzinfo=SHANGHAI),
            "2025-10-03 08:00 – 11:00",
        ),
        # Stored in UTC, shown in Shanghai time.
        (datetime(2026, 12, 19, 1, 0, tzinfo=UTC), datetime(2026, 12, 19, 4, 0, tzinfo=UTC), "12-19 09:00 – 12:00"),
    ],
)
def test_the_window_label_gives_start_and_end_with_the_year_when_not_this_year(start, end, label):
    assert ServiceNeed(starts_at=start, ends_at=end).window_label == label


@time_machine.travel(NOW, tick=False)
def test_the_window_label_of_an_ongoing_need_says_so():
    with translation.override("zh-hans"):
        label = ServiceNeed(starts_at=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)).window_label
    assert label == "03-01 09:00 · 长期"


def test_the_record_window_runs_from_the_start_day_to_days_after_the_end_day():
    need = ServiceNeed(
        starts_at=datetime(2026, 12, 19, 23, 30, tzinfo=SHANGHAI), ends_at=datetime(2026, 12, 20, 1, 0, tzinfo=SHANGHAI)
    )
    first, last = need.record_window()
    assert first == date(2026, 12, 19)
    assert last == date(2026, 12, 20) + timedelta(days=RECORD_DAYS_AFTER_NEED_END)
    assert ServiceNeed(starts_at=need.starts_at).record_window() == (date(2026, 12, 19), None)


@pytest.mark.parametrize(
    ("day", "days"),
    [
        (date(2026, 12, 7), 12),
        (date(2026, 12, 18), 1),
        (date(2026, 12, 19), 0),
        (date(2026, 12, 21), 0),
        (date(2026, 12, 22), 1),
        (date(2027, 1, 4), 14),
    ],
)
def test_days_outside_counts_from_the_start_day_or_the_end_day(day, days):
    need = ServiceNeed(
        starts_at=datetime(2026, 12, 19, 9, tzinfo=SHANGHAI), ends_at=datetime(2026, 12, 21, 17, tzinfo=SHANGHAI)
    )
    assert need.days_outside(day) == days


def test_an_ongoing_need_has_no_day_after_its_end():
    need = ServiceNeed(starts_at=datetime(2026, 1, 1, 9, tzinfo=SHANGHAI))
    assert need.days_outside(date(2027, 6, 1)) == 0
    assert need.days_outside(date(2025, 12, 30)) == 2


@pytest.mark.parametrize(("hours", "long"), [("7.5", False), ("8", True), ("12", True)])
def test_a_record_is_long_from_the_threshold(hours, long):
    assert ServiceRecord(hours=Decimal(hours)).is_long is long
    assert (Decimal(hours) >= LONG_RECORD_HOURS) is long
