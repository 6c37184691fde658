"""The requests' stage of the benchmark (bench/resident_requests.py): the load writes a realistic year and the
removal takes out exactly what it wrote; the codes it asks communities.phone_codes for pass the public page's own
check."""

import urllib.parse

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from bench import resident_requests as stage
from bench import web
from bench.phone_codes import make_codes
from communities.phone_codes.models import PhoneCode
from services.requests import selectors
from services.requests.models import ResidentRequest
from services.requests.workflow import CLOSED, State

from .conftest import raise_request


@pytest.fixture
def commit_now(monkeypatch):
    """After-commit work (the queued SMS) runs at once: a test's transaction never commits."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.mark.django_db
def test_the_load_writes_a_year_over_every_community_and_the_removal_takes_out_only_it(place):
    if connection.vendor != "postgresql":
        pytest.skip("the load is one INSERT … SELECT of PostgreSQL")
    resident = raise_request(place)
    assert stage.load_requests(2000) == 2000
    loaded = ResidentRequest.objects.filter(text=stage.BENCH_TEXT)
    assert loaded.count() == 2000
    assert set(loaded.values_list("community", flat=True)) == {place["community"].pk, place["elsewhere"].pk}
    now = timezone.now()
    assert not loaded.filter(received_at__gt=now).exists()
    assert not loaded.filter(received_at__lt=now - timezone.timedelta(days=366)).exists()
    states = set(loaded.values_list("state", flat=True))
    assert {State.RECEIVED, State.RESOLVED, State.ANSWERED, State.WAITING} <= states
    # Received: no handler, no first response; everything else was responded to by someone of the community.
    assert not loaded.filter(state=State.RECEIVED, handler__isnull=False).exists()
    assert not loaded.exclude(state=State.RECEIVED).filter(handler__isnull=True).exists()
    assert not loaded.filter(state__in=CLOSED, resolved_at__isnull=True).exists()
    assert not loaded.exclude(state__in=CLOSED).filter(resolved_at__isnull=False).exists()
    # Each in a building of its own community, in that building's area (none where the community has none).
    assert not loaded.filter(community=place["community"], building=None).exists()
    assert not loaded.filter(community=place["elsewhere"]).exclude(building=None).exists()
    in_buildings = loaded.exclude(building=None)
    assert in_buildings.count() == loaded.filter(community=place["community"]).count()
    assert not in_buildings.exclude(building__grid__community=F("community")).exists()
    assert not in_buildings.exclude(grid=F("building__grid")).exists()
    rated = loaded.exclude(satisfaction="")
    assert rated.exists() and not rated.exclude(state__in=[State.RESOLVED, State.ANSWERED]).exists()
    assert loaded.overdue(now).exists()
    start, end = now - timezone.timedelta(days=365), now + timezone.timedelta(seconds=1)
    figures = selectors.figures(start=start, end=end, now=now)
    assert figures.received == 2001 and 0 < figures.resolution_rate < 1 and 0 < figures.response_rate < 1
    removed = stage.remove_requests()
    assert removed["requests"] == 2000
    assert list(ResidentRequest.objects.all()) == [resident]


@pytest.mark.django_db(transaction=True)
def test_the_codes_of_the_stage_pass_the_public_pages_check_through_its_data_file(place, live_server, tmp_path,
                                                                                  settings):
    settings.RESIDENT_REQUEST_RATE_LIMIT_IP = 0
    pairs = make_codes(count=2, first=0, purpose=PhoneCode.Purpose.RESIDENT_REQUEST, phone=stage.request_phone)
    assert [phone for phone, _ in pairs] == ["19400000000", "19400000001"]
    assert PhoneCode.objects.filter(phone__startswith="194", purpose=PhoneCode.Purpose.RESIDENT_REQUEST).count() == 2
    port = urllib.parse.urlsplit(live_server.url).port
    data = stage.raise_data(port=port, path=tmp_path / "raise.lst", pairs=pairs).read_text().splitlines()
    cookie, fixed, *lines = data
    assert len(lines) == 2
    for line in lines:
        path, fields = line.split(" ", 1)
        body = dict(urllib.parse.parse_qsl(fixed + fields, keep_blank_values=True))
        answer = web.request(port, "POST", path, form=body, cookies={"csrftoken": cookie})
        assert answer.status == 302 and "/requests/t/" in answer.headers["location"]
    again = web.request(port, "POST", path, form=body, cookies={"csrftoken": cookie})
    assert again.status == 200  # a code works once: a line used twice fails
    assert ResidentRequest.objects.filter(text=stage.BENCH_TEXT).count() == 2
    assert stage.raised_since(0) == 2
