"""The figures on a small data set whose answers are worked out by hand (docs/REQUESTS.md has the definitions)."""

import datetime

import pytest
from django.utils import timezone

from services.requests import selectors, services
from services.requests.workflow import State

from .conftest import raise_request

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def act(place, request_obj, to, *, actor="staff", handler=None):
    services.request_change(request_id=request_obj.pk, to=to, note="说明", actor=place[actor],
                            handler=place[handler] if handler else None)


@pytest.fixture
def month(place, clock):
    """March 2026 in one community; read on 31 March at noon.

    a  help, accepted after 2 h, resolved day 3, rated satisfied        → responded in time, resolved
    b  help, accepted after 30 h (late), resolved day 4, rated fairly   → responded late, resolved
    c  consultation, answered (not resolvable) after 3 h, rated unsatisfied 16 days later (too late to reopen,
       so it stays a rating)                                             → in time, answered
    d  complaint raised 2 March, accepted, never closed (due 12 March)  → in time, open overdue
    e  help raised 30 March 10:00, not responded yet (due 31 March 10:00) → due, late: counts in the denominator
    f  help raised 31 March 11:00, not responded (due 1 April)          → not yet due: not counted
    g  complaint in another community, resolved                         → not counted at all
    """
    a = raise_request(place, category="help")
    clock.shift(2 * HOUR)
    act(place, a, State.ACCEPTED, handler="worker1")
    b = raise_request(place, category="help")  # 11:00
    c = raise_request(place, category="consultation")
    d = raise_request(place, category="complaint")
    clock.shift(HOUR)  # 12:00
    act(place, c, State.ANSWERED)
    act(place, d, State.ACCEPTED, handler="worker1")
    clock.shift(30 * HOUR)  # 3 March 18:00
    act(place, b, State.ACCEPTED, handler="worker1")
    act(place, a, State.RESOLVED)
    clock.shift(DAY)
    act(place, b, State.RESOLVED)
    services.request_rate(token=a.token, satisfaction="satisfied")
    services.request_rate(token=b.token, satisfaction="fairly")
    clock.move_to(timezone.make_aware(datetime.datetime(2026, 3, 18, 9)), tick=False)
    services.request_rate(token=c.token, satisfaction="unsatisfied")
    other = services.request_raise(community=place["elsewhere"], category="complaint", text="x", phone="13900000001")
    services.request_change(request_id=other.pk, to=State.ANSWERED, note="x", actor=place["other_staff"])
    clock.move_to(timezone.make_aware(datetime.datetime(2026, 3, 30, 10)), tick=False)
    raise_request(place, category="help")  # e
    clock.move_to(timezone.make_aware(datetime.datetime(2026, 3, 31, 11)), tick=False)
    raise_request(place, category="help")  # f
    clock.move_to(timezone.make_aware(datetime.datetime(2026, 3, 31, 12)), tick=False)
    return {
        "start": timezone.make_aware(datetime.datetime(2026, 3, 1)),
        "end": timezone.make_aware(datetime.datetime(2026, 4, 1)),
        "now": timezone.now(),
    }


def test_the_figures_of_a_community_for_a_month(place, month):
    figures = selectors.figures(community=place["community"], **month)
    assert figures.received == 6
    # Due for a first response: a, b, c, d, e (f is due on 1 April); in time: a, c, d.
    assert (figures.responded_in_time, figures.due_first_response) == (3, 5)
    # 解决率 = resolved (a, b) ÷ (resolved 2 + answered 1 (c) + open overdue 1 (d)) — e's limit is 4 April.
    assert (figures.resolved, figures.answered, figures.open_overdue) == (2, 1, 1)
    assert figures.resolution_rate == pytest.approx(2 / 4)
    # 满意率: a satisfied, b fairly satisfied, c unsatisfied: 2 of 3 who answered.
    assert (figures.satisfied, figures.rated) == (2, 3)
    assert figures.satisfaction_rate == pytest.approx(2 / 3)
    assert figures.response_rate == pytest.approx(3 / 5)
    assert figures.overdue_now == 1


def test_the_same_figures_roll_up_to_the_street_and_the_district(place, month):
    community = selectors.figures(community=place["community"], **month)
    assert selectors.figures(street=place["community"].street, **month) == community
    assert selectors.figures(district=place["community"].district, **month) == community
    city = selectors.figures(**month)
    assert (city.answered, city.received) == (community.answered + 1, community.received + 1)


def test_a_period_with_nothing_to_count_has_no_rate(place, month):
    empty = selectors.figures(
        community=place["community"], start=month["end"], end=month["end"] + 30 * DAY, now=month["now"]
    )
    assert empty.response_rate is None and empty.resolution_rate is None and empty.satisfaction_rate is None


def test_the_figures_by_category_add_up(place, month):
    total = selectors.figures(community=place["community"], **month)
    parts = [figures for _label, figures in selectors.figures_by_category(community=place["community"], **month)]
    assert sum(part.resolved for part in parts) == total.resolved
    assert sum(part.due_first_response for part in parts) == total.due_first_response


def test_the_figures_by_handler_add_up_to_the_whole(place, month):
    total = selectors.figures(community=place["community"], **month)
    by_handler = dict(selectors.figures_by_handler(community=place["community"], **month))
    # a, b, d went to the grid worker; c was answered by staff without a handler; e, f have none yet.
    worker = by_handler[place["worker1"].full_name]
    assert (worker.resolved, worker.open_overdue, worker.responded_in_time, worker.due_first_response) == (2, 1, 2, 3)
    unassigned = by_handler["—"]
    assert (unassigned.answered, unassigned.received) == (1, 3)
    assert sum(figures.received for figures in by_handler.values()) == total.received
    assert sum(figures.rated for figures in by_handler.values()) == total.rated
