"""The admin pages of the activities' and the teams' tables: read-only, they load with rows, and the organisation
department of a district reads only its district's."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from services.activities import confirmations
from services.activities.models import Activity, CheckIn, Feedback, ServiceConfirmation, SignUp
from services.models import ServiceNeed
from services.teams import services as team_ops
from services.teams.models import Membership, Team, TeamActivity, TeamClaim, TeamSignUp
from tests import factories
from tests.activities.helpers import activity_values, make_activity
from tests.conftest import make_staff

from .helpers import make_team, team_members

pytestmark = pytest.mark.django_db
MODELS = [Activity, SignUp, CheckIn, Feedback, ServiceConfirmation, Team, Membership, TeamClaim, TeamSignUp,
          TeamActivity]


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def rows():
    """A row in each table, in one community."""
    community = factories.CommunityFactory()
    team = make_team(community, size=2)
    leader, member = team_members(team)
    need = factories.ServiceNeedFactory(community=community, fulfilment=ServiceNeed.Fulfilment.DIRECT)
    [team_claim] = team_ops.team_claim(user=team.leader.user, team_id=team.pk, need_id=need.pk,
                                       member_ids=[member.pk], commitment="上门")
    record = factories.ServiceRecordFactory(member=member, community=community, claim=team_claim.claim)
    confirmations.confirmation_issue(member=member, record_id=record.pk)
    activity = make_activity(community, places=3)
    team_ops.team_sign_up(user=team.leader.user, team_id=team.pk, activity_id=activity.pk, member_ids=[leader.pk])
    team_ops.team_activity_create(user=team.leader.user, team_id=team.pk, **activity_values())
    signup = SignUp.objects.get(activity=activity)
    CheckIn.objects.create(activity=activity, signup=signup, member=leader, kind="entry", method="manual",
                           reason="忘带手机")
    ended = make_activity(community, status=Activity.Status.ENDED,
                          starts_at=timezone.now() - datetime.timedelta(hours=5),
                          ends_at=timezone.now() - datetime.timedelta(hours=3))
    Feedback.objects.create(activity=ended, author="resident", resident_key="f" * 64, rating=5,
                            activity_ends_at=ended.ends_at)
    return community


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_pages_load_read_only_with_rows(client, rows, model):
    assert model in admin.site._registry
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    obj = model._default_manager.first()
    assert client.get(admin_url(model, "changelist")).status_code == 200
    assert client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert client.get(admin_url(model, "add")).status_code == 403


def test_secrets_are_not_shown(client, rows):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    confirmation = ServiceConfirmation.objects.get()
    page = client.get(admin_url(ServiceConfirmation, "change", confirmation.pk)).content.decode()
    assert confirmation.code not in page
    assert "f" * 64 not in client.get(admin_url(Feedback, "change", Feedback.objects.get().pk)).content.decode()


@pytest.mark.parametrize("model", [Activity, Team, Membership, Feedback], ids=lambda model: model._meta.label)
def test_the_org_department_of_another_district_sees_none(client, rows, model):
    client.force_login(make_staff("org", is_staff=True, district=factories.DistrictFactory()))
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    client.force_login(make_staff("org", is_staff=True, district=rows.street.district))
    assert len(client.get(admin_url(model, "changelist")).context["cl"].result_list) >= 1
