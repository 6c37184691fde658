"""The platform (communities.platform): a new sub-domain adds a role predicate, an audit action, a reminder rule, a
job and navigation entries by registering them, without editing a file of another app (tests/platform_probe)."""

import copy
import datetime
import io
from pathlib import Path

import pytest
import rules  # noqa: F401
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from rules.rulesets import default_rules

from communities.audit import audit
from communities.models import AuditEvent, Notification, StaffAssignment
from communities.platform import audit_actions, jobs, navigation, policies
from communities.tasks import reminders_sweep_task
from tests import factories
from tests.platform_probe import subdomain

Role = StaffAssignment.Role
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def probe(settings):
    """The probe sub-domain registered for one test; every registry as it was afterwards."""
    saved = (
        list(jobs._jobs),
        {name: dict(menu._entries) for name, menu in navigation.MENUS.items()},
        copy.deepcopy(navigation._panels),
        list(navigation._destinations),
        dict(audit_actions._labels),
        dict(default_rules),
    )
    templates = Path(subdomain.__file__).parent / "templates"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], templates]}]
    settings.ROOT_URLCONF = "tests.platform_probe.urls"
    subdomain.register()
    yield subdomain
    jobs._jobs[:] = saved[0]
    for name, menu in navigation.MENUS.items():
        menu._entries = saved[1][name]
    navigation._panels.clear()
    navigation._panels.update(saved[2])
    navigation._destinations[:] = saved[3]
    audit_actions._labels.clear()
    audit_actions._labels.update(saved[4])
    default_rules.clear()
    default_rules.update(saved[5])


def community_staff():
    return factories.StaffAssignmentFactory(role=Role.COMMUNITY_STAFF).user


@pytest.mark.django_db
def test_a_new_sub_domain_adds_a_role_predicate_and_a_policy(probe):
    leader = factories.UserFactory(username="probe-leader-1")
    staff, stranger = community_staff(), factories.UserFactory()

    assert policies.allowed("probe.open_probe_page", leader)
    assert policies.allowed("probe.open_probe_page", staff)
    assert not policies.allowed("probe.open_probe_page", stranger)
    with pytest.raises(PermissionDenied):
        policies.require("probe.open_probe_page", stranger)


@pytest.mark.django_db
def test_a_new_sub_domain_adds_an_audit_action(probe, client):
    client.force_login(community_staff())

    assert client.get(reverse("probe-page")).status_code == 200

    event = AuditEvent.objects.get(action=probe.PROBE_ACTION)
    assert audit_actions.label(event.action) == "probe page opened"
    assert (probe.PROBE_ACTION, "probe page opened") in audit_actions.choices()


@pytest.mark.django_db
def test_a_new_sub_domain_adds_a_reminder_rule_that_the_daily_sweep_runs(probe):
    admin = factories.UserFactory(is_superuser=True)

    enqueued = reminders_sweep_task.delay(NOW.isoformat()).get()
    reminders_sweep_task.delay(NOW.isoformat()).get()

    assert probe.probe_remind_task.name in enqueued
    assert Notification.objects.filter(user=admin, kind=probe.PROBE_KIND).count() == 1


def test_a_new_sub_domain_adds_jobs_that_run_job_lists_and_beat_schedules(probe):
    listing = io.StringIO()
    call_command("run_job", stdout=listing)

    assert "  probe_cleanup " in listing.getvalue() and "  probe_remind " in listing.getvalue()
    entry = jobs.beat_schedule()["probe-cleanup"]
    assert entry["task"] == probe.probe_cleanup_task.name
    assert entry["schedule"].hour == {4}


@pytest.mark.django_db
def test_a_new_sub_domain_adds_a_staff_tab_shown_to_whom_its_policy_allows(probe, client):
    client.force_login(community_staff())
    page = client.get(reverse("registration:report-queue")).content.decode()
    assert 'href="/probe/"' in page and "Probe tab" in page

    street = factories.StreetFactory()
    client.force_login(factories.StaffAssignmentFactory(role=Role.STREET_STAFF, community=None, street=street).user)
    page = client.get(reverse("registration:report-queue")).content.decode()
    assert "Probe tab" not in page


@pytest.mark.django_db
def test_a_new_sub_domain_adds_a_panel_to_the_members_home(probe, client):
    member = factories.ReportFactory().member
    client.force_login(member.user)

    page = client.get(reverse("registration:member-home")).content.decode()

    assert f"probe panel for {member.name}" in page


def test_the_registries_refuse_a_second_meaning_for_a_name(probe):
    with pytest.raises(ImproperlyConfigured):
        policies.define("probe.open_probe_page", policies.is_street_staff)
    with pytest.raises(ImproperlyConfigured):
        audit_actions.register(probe.PROBE_ACTION, "something else")
    with pytest.raises(ImproperlyConfigured):
        navigation.staff_tabs.add("probe", "Again", "probe-page")
    with pytest.raises(ImproperlyConfigured):
        jobs.job(probe.probe_cleanup_task)


@pytest.mark.django_db
def test_an_undeclared_audit_action_is_refused():
    with pytest.raises(ImproperlyConfigured):
        audit(action="never_declared")
    assert not AuditEvent.objects.exists()


def test_an_unknown_policy_is_a_programming_error_not_a_refusal():
    with pytest.raises(ImproperlyConfigured):
        policies.allowed("no.such_policy", None)


def test_a_role_predicate_is_built_once_per_set_of_roles():
    from communities.models import StaffAssignment
    from communities.platform.policies import holds, is_community_staff

    Role = StaffAssignment.Role
    assert holds(Role.COMMUNITY_STAFF) is is_community_staff
    assert holds(Role.STREET_STAFF, Role.COMMUNITY_STAFF) is holds(Role.COMMUNITY_STAFF, Role.STREET_STAFF)
