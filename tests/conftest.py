import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from communities import second_factor
from communities.models import ExportRecord, Notification, ReminderSent, StaffAssignment
from registration.models import Report
from tests import factories

Role = StaffAssignment.Role


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache: each test starts with none, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()


# --- force_login passes the second factor too --------------------------------------------------------------
# Django's test client's force_login skips the password; here it skips the second factor as well, so that a test
# that logs in an org-department or administrator account this way opens its pages as before. The account gets
# a confirmed TOTP device if it has none, and the session is marked as verified by it (what the second-factor
# page does). Tests of the second factor itself log in through the login form instead
# (tests/test_second_factor.py); `force_login_unverified` logs in without the second factor.
_django_force_login = Client.force_login


def _force_login_verified(self, user, backend=None):
    _django_force_login(self, user, backend)
    _mark_verified(self, type(user)._default_manager.get(pk=user.pk))  # its roles now, not a cached scope


def pass_second_factor(client, user):
    """After a password login through the form: what the second-factor page does for an account that needs one
    (community and street staff, the organisation department, administrators), with a confirmed device made if it
    has none. Nothing for others. For tests of other things that log staff in by the form."""
    _mark_verified(client, type(user)._default_manager.get(pk=user.pk))
    return client


def _mark_verified(client, user):
    if second_factor.requires_second_factor(user):
        device = second_factor.confirmed_device(user) or user.totpdevice_set.create(name="test", confirmed=True)
        session = client.session
        second_factor.session_verify(session, device)
        session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    monkeypatch.setattr(Client, "force_login", _force_login_verified)
    monkeypatch.setattr(Client, "force_login_unverified", _django_force_login, raising=False)


@pytest.fixture
def city(db):
    """Two districts, each with two streets of two communities, and a unit per district plus a city-level one."""
    districts = [factories.DistrictFactory() for _ in range(2)]
    streets = [factories.StreetFactory(district=district) for district in districts for _ in range(2)]
    communities = [factories.CommunityFactory(street=street) for street in streets for _ in range(2)]
    units = [factories.UnitFactory(district=district) for district in districts] + [
        factories.UnitFactory(district=None)
    ]
    return {"districts": districts, "streets": streets, "communities": communities, "units": units}


def make_staff(role, *, is_staff=False, **place):
    user = factories.UserFactory(is_staff=is_staff)
    StaffAssignment.objects.create(user=user, role=role, **place)
    return user


@pytest.fixture
def staff_users(city):
    """One user per role, each scoped to the first place of its kind in `city`."""
    return {
        "community": make_staff(Role.COMMUNITY_STAFF, community=city["communities"][0]),
        "street": make_staff(Role.STREET_STAFF, street=city["streets"][0]),
        "unit": make_staff(Role.UNIT_LIAISON, unit=city["units"][0]),
        "org_district": make_staff(Role.ORG_DEPARTMENT, is_staff=True, district=city["districts"][0]),
        "org_city": make_staff(Role.ORG_DEPARTMENT, is_staff=True),
    }


@pytest.fixture
def populated(city):
    """A row in every table, so the admin's changelists and change pages render real rows."""
    report = factories.ReportFactory(community=city["communities"][0], status=Report.Status.CONFIRMED)
    factories.RosterEntryFactory(unit=city["units"][0], community=city["communities"][0])
    need = factories.ServiceNeedFactory(community=city["communities"][0])
    claim = factories.ClaimFactory(need=need, member=report.member)
    factories.ServiceRecordFactory(member=report.member, claim=claim, community=need.community)
    factories.AssessmentFactory(member=report.member, community=need.community, unit=report.member.unit)
    factories.PairingFactory(unit=city["units"][0], community=city["communities"][0])
    factories.StaffAssignmentFactory(community=city["communities"][0])
    factories.SkillFactory()
    Group.objects.create(name="系统管理员")
    ExportRecord.objects.create(user=report.member.user, kind="member-ledger", row_count=1)
    Notification.objects.create(user=report.member.user, kind="test", title="报到已确认")
    ReminderSent.objects.create(kind="test", period="2026-W47", recipient="member:1")
    _populate_grid_and_requests(report)
    return report


def _populate_grid_and_requests(report):
    from communities.grid.models import Building, Grid, GridWorker
    from services.requests import services as requests_services
    from services.requests.models import BuildingHead, BuildingVisit

    grid = Grid.objects.create(community=report.community, name="第1网格")
    building = Building.objects.create(grid=grid, name="1号楼", address="幸福路1号", households=40)
    GridWorker.objects.create(user=factories.UserFactory(), grid=grid)
    BuildingHead.objects.create(member=report.member, building=building, assigned_by=report.member.user)
    BuildingVisit.objects.create(building=building, head=report.member, visited_on=timezone.localdate(),
                                 household="1-101")
    requests_services.request_raise(community=report.community, category="help", text="楼道灯不亮",
                                    building=building, phone="13900000000")


# --- No secret in the logs -------------------------------------------------------------------------------
# Every log record of the whole run is kept and, at the end, searched for full ID numbers, the passwords
# the tests use and session cookies. A hit fails the run, naming the record.
import logging  # noqa: E402
import re  # noqa: E402

from registration.identity import id_check_char  # noqa: E402

_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dX])(?![\dA-Za-z])")
_SECRETS = ("Test2026pass", "Hongqi2026go", "Demo2026pass", "Zhao2026jianguo", "Tally2026check", "sessionid=")
# The demo second factor's secret, as typed into an app and as stored (the key of every demo device).
_SECRETS += ("DEMOTOTPSECRETNOTFORREALACCOUNTS", "1918e9ba6f9105124dae995d18900b0084ea3672")


class _LogRecorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.leaks = []

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001  (a broken record is not ours to judge)
            return
        if record.exc_text:
            text += record.exc_text
        hits = [s for s in _SECRETS if s in text]
        hits += [n for n in _ID_NUMBER.findall(text) if id_check_char(n[:17]) == n[17]]
        if hits:
            self.leaks.append(f"{record.name}: {hits} in {text[:200]!r}")


_recorder = _LogRecorder()


def pytest_sessionstart(session):
    logging.getLogger().addHandler(_recorder)


def pytest_sessionfinish(session, exitstatus):
    logging.getLogger().removeHandler(_recorder)
    if _recorder.leaks:
        print("\nSecrets found in the logs of this run:\n" + "\n".join(_recorder.leaks[:20]))
        session.exitstatus = 1
