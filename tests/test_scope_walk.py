"""Every route that takes an object id, asked by someone outside that object's scope, answers 403 or 404.

The URLconf is walked: a new route with a parameter and no case below makes this test fail, so scope is
thought about for every page. Admin change pages are walked through the admin registry.
"""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from communities.grid.models import Building, Grid, GridWorker
from registration.models import Report
from services.activities.models import Activity
from services.models import ServiceNeed
from services.requests.models import ResidentRequest
from tests import factories
from tests.activities.helpers import make_activity
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

# Routes that are public on purpose, with the reason.
PUBLIC = {
    "services:public-board": "a community's public needs board: no login, names and units only",
    "services:public-board-print": "the printed version of the public board",
    "activities:public-list": "a community's public activities: titles, times, places and figures, no names",
    "resident_requests:public-raise": "a community's page where residents raise requests: figures only",
    "resident_requests:track": "a resident's own request by its unguessable link: public notes only, no phone",
}
# Parameters that are not object ids.
NOT_IDS = {"action"}


def walk(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # walked through the registry below
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.pattern.converters:
            yield f"{namespace}{pattern.name}", set(pattern.pattern.converters)


@pytest.fixture
def world():
    """Community A with one of everything; the outsiders of every kind."""
    community = factories.CommunityFactory()
    unit = factories.UnitFactory(district=community.district)
    member = factories.MemberFactory(unit=unit, roster_entry=factories.RosterEntryFactory(unit=unit))
    report = factories.ReportFactory(member=member, community=community, status=Report.Status.PENDING)
    need = factories.ServiceNeedFactory(community=community, status=ServiceNeed.Status.DRAFT)
    claim = factories.ClaimFactory(need=factories.ServiceNeedFactory(community=community), member=member)
    record = factories.ServiceRecordFactory(member=member, community=community)
    assessment = factories.AssessmentFactory(member=member, community=community, unit=unit, status="final")
    activity = make_activity(community, status=Activity.Status.DRAFT)
    grid = Grid.objects.create(community=community, name="第1网格")
    building = Building.objects.create(grid=grid, name="1号楼")
    resident_request = ResidentRequest.objects.create(
        community=community, grid=grid, building=building, category="help", text="x", phone="13900000000",
        channel="public", token=ResidentRequest.new_token(), received_at=need.starts_at,
        first_response_due_at=need.starts_at, resolution_due_at=need.starts_at,
    )
    elsewhere = factories.CommunityFactory()  # another street and district
    other_grid_worker = factories.UserFactory()
    GridWorker.objects.create(user=other_grid_worker, grid=Grid.objects.create(community=community, name="第2网格"))
    outsiders = {
        "staff of another community": make_staff("community", community=elsewhere),
        "street staff of another street": make_staff("street", street=elsewhere.street),
        "org department of another district": make_staff("org", district=elsewhere.district, is_staff=True),
        "liaison of another unit": make_staff("unit", unit=factories.UnitFactory()),
        "a member who is not the owner": factories.ReportFactory(
            community=community, status=Report.Status.CONFIRMED
        ).member.user,
        "grid worker of another area": other_grid_worker,
    }
    return {
        "community": community,
        "unit": unit,
        "member": member,
        "report": report,
        "need": need,
        "claim": claim,
        "record": record,
        "assessment": assessment,
        "activity": activity,
        "building": building,
        "resident_request": resident_request,
        "outsiders": outsiders,
    }


# How to build each route's arguments from the world: {route: (kwargs builder, methods)}.
CASES = {
    "registration:letter": (lambda w: {"report_id": w["report"].pk}, ["get"]),
    "registration:report-withdraw": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-review": (lambda w: {"report_id": w["report"].pk}, ["get"]),
    "registration:report-confirm": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-reject": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-confirm-undo": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:roster-upload-job": (lambda w: {"unit_id": w["unit"].pk, "job_id": "job"}, ["get"]),
    "registration:unit-roster": (lambda w: {"unit_id": w["unit"].pk}, ["get"]),
    "registration:roster-upload": (lambda w: {"unit_id": w["unit"].pk}, ["get", "post"]),
    "services:need-detail": (lambda w: {"need_id": w["claim"].need_id}, ["get"]),
    "services:claim-create": (lambda w: {"need_id": w["claim"].need_id}, ["post"]),
    "services:claim-cancel": (lambda w: {"claim_id": w["claim"].pk}, ["post"]),
    "services:staff-need-detail": (lambda w: {"need_id": w["need"].pk}, ["get"]),
    "services:staff-need-edit": (lambda w: {"need_id": w["need"].pk}, ["get", "post"]),
    "services:staff-need-action": (lambda w: {"need_id": w["need"].pk, "action": "publish"}, ["post"]),
    "services:staff-record-verify": (lambda w: {"record_id": w["record"].pk}, ["post"]),
    "services:staff-record-reject": (lambda w: {"record_id": w["record"].pk}, ["post"]),
    "rates:community": (lambda w: {"community_id": w["community"].pk}, ["get"]),
    "street-rates:community": (lambda w: {"community_id": w["community"].pk}, ["get"]),
    "assessment:staff-review": (lambda w: {"assessment_id": w["assessment"].pk}, ["get", "post"]),
    "assessment:unit-results": (lambda w: {"unit_id": w["unit"].pk}, ["get"]),
    "assessment:unit-export": (lambda w: {"unit_id": w["unit"].pk}, ["get"]),
    "activities:detail": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:sign-up": (lambda w: {"activity_id": w["activity"].pk}, ["post"]),
    "activities:cancel-sign-up": (lambda w: {"activity_id": w["activity"].pk}, ["post"]),
    "activities:check-in": (lambda w: {"activity_id": w["activity"].pk}, ["get", "post"]),
    "activities:calendar": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:my-code": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:my-code-json": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:staff-scan": (lambda w: {"activity_id": w["activity"].pk}, ["get", "post"]),
    "activities:staff-detail": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:staff-code": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:staff-code-json": (lambda w: {"activity_id": w["activity"].pk}, ["get"]),
    "activities:staff-manual-check-in": (lambda w: {"activity_id": w["activity"].pk}, ["post"]),
    "activities:staff-action": (lambda w: {"activity_id": w["activity"].pk, "action": "publish"}, ["post"]),
    "resident_requests:detail": (lambda w: {"request_id": w["resident_request"].pk}, ["get"]),
    "resident_requests:change": (lambda w: {"request_id": w["resident_request"].pk}, ["post"]),
    "resident_requests:to-need": (lambda w: {"request_id": w["resident_request"].pk}, ["get", "post"]),
    "resident_requests:building-head-assign": (lambda w: {"building_id": w["building"].pk}, ["get", "post"]),
}
# Routes where the member who is the owner's neighbour is not an outsider: a member may read the needs
# of their own community, so for these only staff outsiders apply.
MEMBER_MAY_SEE = {"services:need-detail", "services:claim-create"}


def test_every_route_with_an_id_has_a_scope_case():
    routes = {name for name, converters in walk() if converters - NOT_IDS}
    missing = routes - set(CASES) - set(PUBLIC)
    assert missing == set(), f"add a scope case for: {sorted(missing)}"


@pytest.mark.parametrize("route", sorted(CASES))
def test_outsiders_get_403_or_404(client, world, route):
    build, methods = CASES[route]
    url = reverse(route, kwargs=build(world))
    for who, user in world["outsiders"].items():
        if route in MEMBER_MAY_SEE and who == "a member who is not the owner":
            continue
        client.force_login(user)
        for method in methods:
            response = getattr(client, method)(url, {"reason": "x", "commitment": "x"} if method == "post" else None)
            if route.startswith("rates:") and response.status_code == 302:
                assert "/admin/login/" in response.url, (who, method)  # no admin access at all
                continue
            assert response.status_code in (403, 404), (who, method, response.status_code)
    world["report"].refresh_from_db()
    world["need"].refresh_from_db()
    world["record"].refresh_from_db()
    world["activity"].refresh_from_db()
    assert world["activity"].status == Activity.Status.DRAFT
    assert world["report"].status == Report.Status.PENDING
    assert world["need"].status == ServiceNeed.Status.DRAFT
    assert world["record"].status == "submitted"
    assert ResidentRequest.objects.filter(pk=world["resident_request"].pk, state="received", need=None).exists()
    assert not world["building"].heads.exists()


def test_admin_change_pages_of_another_district_are_not_shown(client, world):
    """An org-department user of another district opening any admin object of district A."""
    objects = [
        world["community"],
        world["community"].street,
        world["unit"],
        world["member"],
        world["member"].roster_entry,
        world["report"],
        world["need"],
        world["claim"],
        world["record"],
        world["assessment"],
    ]
    client.force_login(world["outsiders"]["org department of another district"])
    for obj in objects:
        model = type(obj)
        assert model in admin.site._registry, model
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        response = client.get(url)
        # Django's admin answers an object outside the queryset with a redirect and "does not exist".
        assert response.status_code in (302, 403, 404), (model, response.status_code)
        assert response.status_code != 200
        changelist = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        assert obj not in list(changelist.context["cl"].result_list), model


def test_a_post_naming_another_communitys_id_is_refused(client, world):
    """Staff of community B posting a need form cannot place it in community A: the community is theirs."""
    staff = world["outsiders"]["staff of another community"]
    client.force_login(staff)
    response = client.post(
        reverse("services:staff-need-create"),
        {
            "title": "越权需求",
            "description": "x",
            "post_type": "care",
            "fulfilment": "direct",
            "places": "1",
            "starts_at": "2030-01-01T09:00",
            "community": world["community"].pk,
        },
    )
    assert response.status_code == 302
    assert not ServiceNeed.objects.filter(title="越权需求", community=world["community"]).exists()
