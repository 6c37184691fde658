import datetime

import pytest
from django.utils import timezone

from communities.grid.models import Building, Grid, GridWorker
from registration.models import Report
from services.requests import services
from services.requests.models import BuildingHead, Channel
from tests import factories
from tests.conftest import make_staff

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))  # a Monday morning


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def place(db):
    """One community with two areas of one building each, its staff, the grid worker of area 1 and the Party
    building head of building 1; another community on another street, with its own staff."""
    community = factories.CommunityFactory()
    grid1 = Grid.objects.create(community=community, name="第1网格")
    grid2 = Grid.objects.create(community=community, name="第2网格")
    building1 = Building.objects.create(grid=grid1, name="1号楼", address="幸福路1号", households=40)
    building2 = Building.objects.create(grid=grid2, name="2号楼", address="幸福路2号", households=30)
    staff = make_staff("community", community=community)
    worker1 = factories.UserFactory()
    GridWorker.objects.create(user=worker1, grid=grid1)
    worker2 = factories.UserFactory()
    GridWorker.objects.create(user=worker2, grid=grid2)
    head_report = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    BuildingHead.objects.create(member=head_report.member, building=building1, assigned_by=staff)
    elsewhere = factories.CommunityFactory()
    return {
        "community": community,
        "grid1": grid1,
        "grid2": grid2,
        "building1": building1,
        "building2": building2,
        "staff": staff,
        "worker1": worker1,
        "worker2": worker2,
        "head": head_report.member.user,
        "head_member": head_report.member,
        "street_staff": make_staff("street", street=community.street),
        "elsewhere": elsewhere,
        "other_staff": make_staff("community", community=elsewhere),
        "other_street_staff": make_staff("street", street=elsewhere.street),
    }


def raise_request(place, *, building="building1", category="help", phone="13912345678", now=None):
    return services.request_raise(
        community=place["community"], category=category, text="楼道灯坏了", building=place[building] if building
        else None, phone=phone, channel=Channel.PUBLIC_PAGE, now=now,
    )
