"""The building head's coverage card: time to first contact (the median wait from receipt to first response this
quarter), without a query more than the page had."""

import datetime

import pytest
from django.urls import reverse

from services.requests import selectors, services
from services.requests.workflow import State

from .conftest import raise_request

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def test_the_median_of_the_waits():
    at = datetime.datetime(2026, 3, 2, 9)
    assert selectors.median_first_contact([]) is None
    assert selectors.median_first_contact([(at, at + 2 * HOUR)]) == 2 * HOUR
    pairs = [(at, at + HOUR), (at, at + 3 * HOUR), (at, at + 100 * HOUR), (at, at + 2 * HOUR)]
    assert selectors.median_first_contact(pairs) == 2.5 * HOUR


def test_the_card_shows_the_quarters_time_to_first_contact(client, place, clock):
    client.force_login(place["head"])
    assert client.get(reverse("resident_requests:building-head")).context["coverage"]["first_contact_hours"] is None
    waits = (1, 3, 30)
    for hours in waits:
        request_obj = raise_request(place, building="building1")
        clock.shift(hours * HOUR)
        services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已联系居民",
                                actor=place["staff"], handler=place["head"])
    raise_request(place, building="building1")  # not responded yet: not counted
    other = raise_request(place, building="building2")  # not the head's building
    services.request_change(request_id=other.pk, to=State.ANSWERED, note="x", actor=place["staff"])
    client.force_login(place["head"])  # a day and a half later: the session of the morning has expired
    response = client.get(reverse("resident_requests:building-head"))
    assert response.context["coverage"]["first_contact_hours"] == 3.0
    assert 'data-figure="first_contact">3.0' in response.content.decode()
    assert len(response.context["open_requests"]) == 4  # three accepted and one received, all open


def test_a_request_of_last_quarter_does_not_count(client, place, clock):
    request_obj = raise_request(place, building="building1")
    clock.shift(5 * HOUR)
    services.request_change(request_id=request_obj.pk, to=State.ANSWERED, note="x", actor=place["staff"])
    clock.move_to(datetime.datetime(2026, 4, 2, 9, tzinfo=request_obj.received_at.tzinfo), tick=False)
    client.force_login(place["head"])
    assert client.get(reverse("resident_requests:building-head")).context["coverage"]["first_contact_hours"] is None
