"""The declared state table, walked as a whole: every (from, to) pair is tried through the service, and the service
allows exactly the pairs the table declares (the resident's reopening through its own service)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from services.requests import services
from services.requests.models import ResidentRequest
from services.requests.workflow import ALLOWED_CHANGES, CLOSED, OPEN, RESIDENT_CHANGES, State

from .conftest import raise_request

pytestmark = pytest.mark.django_db


def put_in(request_obj, state, *, handler):
    """Put a request in `state` directly, as the services would have left it."""
    now = timezone.now()
    values = {"state": state, "handler": handler, "first_responded_at": now if state != State.RECEIVED else None}
    values["clock_stopped_at"] = now if state == State.WAITING else None
    values["resolved_at"] = now if state in CLOSED else None
    ResidentRequest.objects.filter(pk=request_obj.pk).update(**values)


def test_the_table_names_every_state_and_only_states():
    assert set(ALLOWED_CHANGES) == set(State)
    for targets in ALLOWED_CHANGES.values():
        assert targets <= set(State)


def test_every_state_is_reachable_from_received_and_every_open_state_can_close():
    reachable, frontier = {State.RECEIVED}, [State.RECEIVED]
    while frontier:
        for target in ALLOWED_CHANGES[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(State)
    for state in OPEN:
        assert ALLOWED_CHANGES[state] & CLOSED, state
    assert ALLOWED_CHANGES[State.REFERRED] == ALLOWED_CHANGES[State.DUPLICATE] == set()


@pytest.mark.parametrize("current", list(State))
def test_the_service_allows_exactly_the_declared_changes(place, current):
    for target in State:
        request_obj = raise_request(place)
        put_in(request_obj, current, handler=place["worker1"])
        if target in RESIDENT_CHANGES:
            with pytest.raises(PermissionDenied):  # a handler never reopens
                services.request_change(request_id=request_obj.pk, to=target, note="x", actor=place["staff"])
            continue
        try:
            services.request_change(
                request_id=request_obj.pk, to=target, note="处理说明", actor=place["staff"], handler=place["worker1"]
            )
        except ValidationError as error:
            assert target not in ALLOWED_CHANGES[current], (current, target, error)
            assert ResidentRequest.objects.get(pk=request_obj.pk).state == current
        else:
            assert target in ALLOWED_CHANGES[current], (current, target)
            assert ResidentRequest.objects.get(pk=request_obj.pk).state == target


@pytest.mark.parametrize("current", list(State))
def test_only_resolved_or_answered_requests_are_reopened_by_the_resident(place, current):
    request_obj = raise_request(place)
    put_in(request_obj, current, handler=place["worker1"])
    if State.REOPENED in ALLOWED_CHANGES[current]:
        services.request_reopen(token=request_obj.token, note="还是不亮")
        assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.REOPENED
    else:
        with pytest.raises(ValidationError):
            services.request_reopen(token=request_obj.token, note="还是不亮")


def test_every_change_writes_a_public_event(place):
    request_obj = raise_request(place)
    services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已派给网格员", actor=place["staff"],
                            handler=place["worker1"])
    services.request_change(request_id=request_obj.pk, to=State.RESOLVED, note="已更换灯泡", actor=place["worker1"])
    events = list(request_obj.events.values_list("state", "note", "actor_id"))
    assert [state for state, _note, _actor in events] == ["received", "accepted", "resolved"]
    assert events[1:] == [
        ("accepted", "已派给网格员", place["staff"].pk),
        ("resolved", "已更换灯泡", place["worker1"].pk),
    ]
    assert events[0][1] and events[0][2] is None  # the resident raised it: no actor


def test_no_change_without_a_public_note(place):
    request_obj = raise_request(place)
    with pytest.raises(ValidationError):
        services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="  ", actor=place["staff"],
                                handler=place["worker1"])


def test_an_answer_that_closes_stamps_the_time(place):
    request_obj = raise_request(place)
    services.request_change(request_id=request_obj.pk, to=State.ANSWERED, note="属于物业维修范围，已告知物业",
                            actor=place["staff"])
    request_obj.refresh_from_db()
    assert request_obj.resolved_at is not None
    assert request_obj.first_responded_at == request_obj.resolved_at
    assert abs(request_obj.resolved_at - timezone.now()) < datetime.timedelta(seconds=5)
