"""Every admin page loads for a superuser, and the org department's admin is read-only and scoped."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone, translation

from communities.models import AuditEvent, Community, ExportRecord, Notification, ReminderSent, SecondFactorDevice
from registration.export_approvals.models import ExportRequest
from registration.models import Member, Report, RosterEntry
from services.activities.models import Activity, ActivitySeries, CheckIn, Feedback, ServiceConfirmation, SignUp
from services.pairing.models import Delivery, Pledge
from services.requests.models import BuildingHead, BuildingVisit, ResidentRequest
from services.teams.models import Membership, Team, TeamActivity, TeamClaim, TeamSignUp
from services.timebank.models import FundPayment, Goods, Redemption, ServiceRequest, StockMove, Transfer
from tests import factories
from tests.inline_markup import find_inline_markup

pytestmark = pytest.mark.django_db

# Evidence (exports, the audit trail) and rows that move the reporting tallies change only through the services.
# django-axes' login records are written by logins only, second-factor devices by their enrolment only.
READ_ONLY = {AuditEvent, ExportRecord, Member, Report, RosterEntry, Notification, ReminderSent}
READ_ONLY |= {AccessAttempt, AccessLog, AccessFailureLog, SecondFactorDevice}
# Residents' requests, building heads and visits change only through their pages (events, clocks, the audit trail).
READ_ONLY |= {ResidentRequest, BuildingHead, BuildingVisit}
# Activities and teams change only through their pages and services (places, waiting list, hours, leaders).
READ_ONLY |= {Activity, ActivitySeries, SignUp, CheckIn, Feedback, ServiceConfirmation}
READ_ONLY |= {Team, Membership, TeamClaim, TeamSignUp, TeamActivity}
# The pairing ledger's pledges and deliveries: through their pages (policies, the audit trail).
READ_ONLY |= {Pledge, Delivery}
READ_ONLY |= {Transfer, Goods, Redemption, StockMove, ServiceRequest, FundPayment}
# Full export requests change only through their page (two people, the audit trail).
READ_ONLY |= {ExportRequest}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def superuser_client(client):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_pages_load_for_a_superuser(superuser_client, populated, model):
    assert superuser_client.get(admin_url(model, "changelist")).status_code == 200
    add_page = superuser_client.get(admin_url(model, "add")).status_code
    assert add_page == (403 if model in READ_ONLY else 200)
    obj = model._default_manager.first()
    if obj is not None:  # Celery beat's own tables start empty
        assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_admin_pages_hold_nothing_the_content_security_policy_refuses(superuser_client, populated, model):
    """Django's admin and our ModelAdmins' columns and widgets: no inline script, handler or style."""
    obj = model._default_manager.first()
    urls = [admin_url(model, "changelist"), None if model in READ_ONLY else admin_url(model, "add")]
    urls += [admin_url(model, "change", obj.pk), admin_url(model, "history", obj.pk)] if obj else []
    for url in filter(None, urls):
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        found = find_inline_markup(response.content.decode())
        assert not found, "\n".join(f"{url}:{line}: {what}: {text}" for line, what, text in found)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_admin_index_loads_for_the_org_department(client, staff_users):
    client.force_login(staff_users["org_city"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "社区" in response.content.decode()


def test_the_org_department_reads_but_does_not_write(client, staff_users, populated):
    client.force_login(staff_users["org_city"])
    assert client.get(admin_url(Report, "changelist")).status_code == 200
    assert client.get(admin_url(Report, "add")).status_code == 403
    response = client.post(admin_url(Community, "delete", populated.community_id), {"post": "yes"})
    assert response.status_code == 403
    assert Community.objects.filter(pk=populated.community_id).exists()


def test_a_district_org_department_sees_only_its_district(client, city, staff_users, populated):
    foreign = factories.ReportFactory(community=city["communities"][6], status=Report.Status.PENDING)
    client.force_login(staff_users["org_district"])
    listed = set(client.get(admin_url(Report, "changelist")).context["cl"].result_list)
    assert populated in listed
    assert foreign not in listed
    assert client.get(admin_url(Report, "change", foreign.pk)).status_code == 302  # "does not exist" redirect
    communities = set(client.get(admin_url(Community, "changelist")).context["cl"].result_list)
    assert communities == set(city["communities"][:4])


def test_admin_autocomplete_is_scoped(client, city, staff_users):
    client.force_login(staff_users["org_district"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "communities", "model_name": "pairing", "field_name": "community", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert ids == {community.pk for community in city["communities"][:4]}


def test_other_staff_cannot_open_the_admin(client, staff_users):
    client.force_login(staff_users["community"])
    assert client.get(reverse("admin:index")).status_code == 302


def test_personal_fields_are_masked_in_admin_lists(client, staff_users, populated):
    member = populated.member
    client.force_login(staff_users["org_city"])
    page = client.get(admin_url(type(member), "changelist")).content.decode()
    assert member.id_number_mask in page
    assert member.id_number not in page
    assert member.phone not in page
    assert member.phone_masked in page
    detail = client.get(admin_url(type(member), "change", member.pk)).content.decode()
    assert member.phone not in detail
    assert member.home_address not in detail


def test_id_number_search_is_exact_match_only(superuser_client, populated):
    member = populated.member
    url = admin_url(type(member), "changelist")
    # Admin searches are POSTed and shown under a reference (communities.admin_search).
    found = superuser_client.post(url, {"q": member.id_number}, follow=True).context["cl"].result_list
    assert list(found) == [member]
    partial = superuser_client.post(url, {"q": member.id_number[:10]}, follow=True).context["cl"].result_list
    assert list(partial) == []


def test_member_changelist_queries_do_not_grow_with_rows(superuser_client, django_assert_max_num_queries):
    for _ in range(30):
        factories.MemberFactory()
    # session, user, scope, page rows with units, and Django admin's filter/facet queries
    with django_assert_max_num_queries(8):
        superuser_client.get(admin_url(factories.MemberFactory._meta.model, "changelist"))


def test_place_filters_narrow_level_by_level_and_filter_the_rows(client, city, staff_users):
    here = factories.ReportFactory(community=city["communities"][0], status=Report.Status.PENDING)
    factories.ReportFactory(community=city["communities"][1], status=Report.Status.PENDING)
    client.force_login(staff_users["org_district"])
    url = admin_url(Report, "changelist")

    def choices(response, title):
        # A filter with nothing to offer is not shown at all.
        specs = [spec for spec in response.context["cl"].filter_specs if str(spec.title) == title]
        return [label for spec in specs for _value, label in spec.lookup_choices]

    top = client.get(url)
    assert choices(top, "区/县") == [city["districts"][0].name]  # the user's district only
    assert choices(top, "街道/镇") == []
    chosen = client.get(url, {"district": city["districts"][0].pk, "street": city["streets"][0].pk})
    assert choices(chosen, "社区") == [community.name for community in city["communities"][:2]]
    narrowed = client.get(url, {"community": city["communities"][0].pk})
    assert list(narrowed.context["cl"].result_list) == [here]


def test_the_need_list_says_ended_and_full_as_every_other_screen_does(superuser_client):
    from services.models import ServiceNeed

    now = timezone.now()
    ended = factories.ServiceNeedFactory(
        title="已过期的需求", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1)
    )
    full = factories.ServiceNeedFactory(title="已满的需求", places=1)
    ServiceNeed.objects.filter(pk=full.pk).update(claimed_count=1)
    with translation.override("zh-hans"):
        page = superuser_client.get("/admin/services/serviceneed/").content.decode()
    assert ended.status == ServiceNeed.Status.PUBLISHED
    rows = {title: page.split(title, 1)[1].split("</tr>", 1)[0] for title in ("已过期的需求", "已满的需求")}
    assert "已结束" in rows["已过期的需求"]
    assert "已满" in rows["已满的需求"]
