"""Races on PostgreSQL (SQLite serialises writers): staff hand a request from one team to another while the first
team's leader closes it. The row lock in request_change orders them: the leader closes it (and the reassignment is
refused by the state table), or it is reassigned first (and the old leader is refused); never both."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from services.requests import services
from services.requests.models import ResidentRequest
from services.requests.workflow import State
from tests.concurrency import race
from tests.teams.helpers import make_team

from .conftest import raise_request


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_a_reassignment_racing_the_old_leaders_closing_gives_one_outcome(postgresql, place):
    first = make_team(place["community"], staff=place["staff"], name="维修服务队")
    second = make_team(place["community"], staff=place["staff"], name="医疗服务队")
    for _ in range(6):  # the order differs from run to run; every outcome must hold
        request_obj = raise_request(place)
        services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="交维修服务队",
                                actor=place["staff"], handler_body=("team", first.pk))
        results, errors = race(
            lambda pk=request_obj.pk: services.request_change(
                request_id=pk, to=State.ACCEPTED, note="改交医疗服务队", actor=place["staff"],
                handler_body=("team", second.pk)),
            lambda pk=request_obj.pk: services.request_change(
                request_id=pk, to=State.RESOLVED, note="已修好", actor=first.leader.user),
        )
        assert len(results) == 1 and len(errors) == 1
        request_obj = ResidentRequest.objects.get(pk=request_obj.pk)
        states = list(request_obj.events.values_list("state", flat=True))
        if request_obj.state == State.RESOLVED:
            assert isinstance(errors[0], ValidationError)  # resolved cannot be accepted again
            assert request_obj.handler_body_id == first.pk and states == ["received", "accepted", "resolved"]
        else:
            assert isinstance(errors[0], PermissionDenied)  # no longer the first team's
            assert (request_obj.state, request_obj.handler_body_id) == (State.ACCEPTED, second.pk)
            assert states == ["received", "accepted", "accepted"]
