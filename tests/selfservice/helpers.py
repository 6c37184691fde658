"""Shared set-up of the self-service tests: a unit with a roster, members registered through the real service."""

import datetime

from django.utils import timezone

from registration import services as registration_services
from registration.models import Report
from registration.rates.tallies import tally_differences, tally_rebuild
from tests import factories

PASSWORD = "Test2026pass"
# A birth date of their own, so that these ID numbers never meet the factories' sequence.
BORN = datetime.date(1979, 3, 8)


def id_number(n: int) -> str:
    return factories.valid_id_number(n, birth_on=BORN)


def register(community, unit, n, *, kind=Report.Kind.RESIDENCE):
    """A member registered as the form does (matched to the roster by ID number), with a pending report."""
    return registration_services.member_register(
        name=f"成员{n}",
        id_number=id_number(n),
        gender="M",
        birth_on=timezone.localdate().replace(year=1985),
        unit=unit,
        position="科员",
        skills=[],
        specialty="",
        service_wishes="",
        home_address="幸福路1号",
        phone=f"136{n:08d}",
        community=community,
        kind=kind,
        password=PASSWORD,
    )


def roster_entry(unit, n, **values):
    """An entry made directly (as the admin would), the tallies recounted after it so that they start in step."""
    entry = factories.RosterEntryFactory(unit=unit, id_number=id_number(n), **values)
    tally_rebuild(timezone.localdate().year)
    return entry


def tallies_in_step():
    return tally_differences(timezone.localdate().year) == []
