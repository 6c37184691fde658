"""The grid workers, building heads and requests of the demo city: consistent with the rules the services keep,
and their logins printed."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from django.urls import reverse

from communities.grid.demo_city import GRID_WORKER_LOGIN
from communities.grid.models import GridWorker
from registration.models import Report
from services.requests.models import BuildingHead, ResidentRequest
from services.requests.workflow import OPEN, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    out = io.StringIO()
    call_command("seed_demo", members=300, reset=True, stdout=out)
    return out.getvalue()


def test_demo_grid_workers_heads_and_requests(demo, client):
    assert GridWorker.objects.filter(user__username=GRID_WORKER_LOGIN).exists()
    heads = BuildingHead.objects.select_related("member", "building__grid")
    assert heads.exists()
    confirmed = set(Report.objects.filter(status="confirmed").values_list("member_id", "community_id"))
    assert {(head.member_id, head.building.grid.community_id) for head in heads} <= confirmed
    requests = ResidentRequest.objects.all()
    states = set(requests.values_list("state", flat=True))
    assert {State.RECEIVED, State.ACCEPTED, State.RESOLVED, State.ANSWERED} <= states
    # The clocks as the services keep them: responded after received; closed after responded; rated after closed;
    # a handler on everything past "received"; the building in the request's area.
    assert not requests.filter(first_responded_at__lt=F("received_at")).exists()
    assert not requests.filter(resolved_at__lt=F("first_responded_at")).exists()
    assert not requests.filter(rated_at__lt=F("resolved_at")).exists()
    assert not requests.filter(~Q(state=State.RECEIVED), handler__isnull=True).exists()
    assert not requests.exclude(building__grid=F("grid")).exists()
    assert not requests.filter(state__in=OPEN, resolved_at__isnull=False).exists()
    assert all(item.events.exists() for item in requests[:20])
    # The printed logins, and each one's page opens.
    head = heads.order_by("building__grid__community__code", "building_id").first()
    assert f"{GRID_WORKER_LOGIN} " in demo or GRID_WORKER_LOGIN in demo
    assert head.member.user.username in demo and "党员楼长" in demo and "网格员" in demo
    client.force_login(GridWorker.objects.get(user__username=GRID_WORKER_LOGIN).user)
    assert client.get(reverse("resident_requests:queue")).status_code == 200
    client.force_login(head.member.user)
    assert client.get(reverse("resident_requests:building-head")).status_code == 200
