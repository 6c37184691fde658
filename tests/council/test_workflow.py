"""The declared state tables, walked as a whole: every (from, to) pair of each table is allowed exactly when the
table says so, and the resolution's pairs are tried through the services themselves."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from services.council import services
from services.council.models import Resolution
from services.council.workflow import (
    MEETING_CHANGES,
    RESOLUTION_CHANGES,
    TOPIC_CHANGES,
    MeetingStatus,
    ResolutionStatus,
    TopicStatus,
    allowed,
    change,
)

from .conftest import pass_resolution

pytestmark = pytest.mark.django_db

TABLES = [(TopicStatus, TOPIC_CHANGES), (MeetingStatus, MEETING_CHANGES), (ResolutionStatus, RESOLUTION_CHANGES)]


@pytest.mark.parametrize(("kind", "table"), TABLES, ids=lambda value: getattr(value, "__name__", ""))
def test_every_state_has_a_row_and_every_pair_follows_the_table(kind, table):
    assert set(table) == set(kind)
    for current, new in itertools.product(kind, repeat=2):
        assert allowed(kind, current, new) is (new in table[current])


class _Row:
    def __init__(self, status):
        self.status = status


@pytest.mark.parametrize(("kind", "table"), TABLES, ids=lambda value: getattr(value, "__name__", ""))
def test_change_refuses_what_the_table_does_not_allow(kind, table):
    for current, new in itertools.product(kind, repeat=2):
        row = _Row(current)
        if new in table[current]:
            change(row, kind, new)
            assert row.status == new
        else:
            with pytest.raises(ValidationError):
                change(row, kind, new)
            assert row.status == current


def _try(world, resolution, target):
    """Ask the services for `target`: progress (in progress / done), acceptance, sending back."""
    if target in (ResolutionStatus.IN_PROGRESS, ResolutionStatus.DONE):
        percent = 100 if target == ResolutionStatus.DONE else 50
        services.resolution_progress(resolution_id=resolution.pk, percent=percent, note="进展", actor=world.contact)
    else:
        services.resolution_review(resolution_id=resolution.pk, accept=target == ResolutionStatus.ACCEPTED,
                                   reason="理由", actor=world.resident)


def _bring_to(world, resolution, status):
    path = {
        ResolutionStatus.IN_PROGRESS: [],
        ResolutionStatus.DONE: [ResolutionStatus.DONE],
        ResolutionStatus.SENT_BACK: [ResolutionStatus.DONE, ResolutionStatus.SENT_BACK],
        ResolutionStatus.ACCEPTED: [ResolutionStatus.DONE, ResolutionStatus.ACCEPTED],
    }[status]
    for step in path:
        _try(world, resolution, step)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ResolutionStatus, repeat=2)))
def test_every_resolution_change_through_the_services(world, current, target):
    resolution = pass_resolution(world)
    _bring_to(world, resolution, current)
    assert Resolution.objects.get(pk=resolution.pk).status == current
    if target in RESOLUTION_CHANGES[current]:
        _try(world, resolution, target)
        assert Resolution.objects.get(pk=resolution.pk).status == target
    else:
        with pytest.raises((ValidationError, PermissionDenied)):
            _try(world, resolution, target)
        assert Resolution.objects.get(pk=resolution.pk).status == current
