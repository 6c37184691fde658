import datetime

import pytest
from django.utils import timezone

from registration.models import Report
from tests import factories
from tests.conftest import make_staff

NOW = timezone.make_aware(datetime.datetime(2026, 6, 15, 10, 0))


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def ledger(clock, city, staff_users):
    """Three pairings: unit 0 (district 0) with community 0 (street 0), unit 1 (district 1) with community 4
    (district 1), the city-level unit 2 with community 2 (street 1, district 0); a member of unit 0 confirmed at
    community 0."""
    communities, units = city["communities"], city["units"]
    pairings = [
        factories.PairingFactory(unit=units[0], community=communities[0]),
        factories.PairingFactory(unit=units[1], community=communities[4]),
        factories.PairingFactory(unit=units[2], community=communities[2]),
    ]
    report = factories.ReportFactory(member__unit=units[0], community=communities[0], status=Report.Status.CONFIRMED)
    return {
        **city,
        "pairings": pairings,
        "member": report.member,
        "staff": staff_users,
        "other_community_staff": make_staff("community", community=communities[4]),
        "other_liaison": make_staff("unit", unit=units[1]),
        "year": timezone.localdate().year,
        "today": timezone.localdate(),
        "yesterday": timezone.localdate() - datetime.timedelta(days=1),
    }
