"""Every route that takes an object id, asked by someone outside that object's scope, answers 403 or 404.

The URLconf is walked: a new route with a parameter and no case below makes this test fail, so scope is
thought about for every page. Admin change pages are walked through the admin registry.
"""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from communities.grid.models import Building, Grid, GridWorker
from registration.export_approvals.models import ExportRequest
from registration.models import Report
from services.activities.models import Activity
from services.models import ServiceNeed
from services.pairing.models import Pledge
from services.requests.models import ResidentRequest
from services.teams.models import Membership, Team
from tests import factories
from tests.activities.helpers import make_activity
from tests.conftest import make_staff
from tests.council.helpers import council_rows, unchanged

pytestmark = pytest.mark.django_db

# Routes that are public on purpose, with the reason.
PUBLIC = {
    "services:public-board": "a community's public needs board: no login, names and units only",
    "services:public-board-print": "the printed version of the public board",
    "activities:public-list": "a community's public activities: titles, times, places and figures, no names",
    "resident_requests:public-raise": "a community's page where residents raise requests: figures only",
    "resident_requests:track": "a resident's own request by its unguessable link: public notes only, no phone",
    "services:certificate-verify": "a certificate's figures by its signed token: no personal data",
    "activities:resident-feedback": "a resident's feedback by the organiser's signed link: a form, no names",
    "activities:confirm": "a resident's confirmation by the member's unguessable code: the service, a masked name",
    "teams:public-list": "a community's public teams: names, specialities and figures, no member named",
    "council:public": "a community's council: meetings, outcomes, positions per party, progress; no names",
}
# Parameters that are not object ids.
NOT_IDS = {"action", "year", "decision", "key"}  # key: a registered tab of the rates pages (scoped by the user)


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
    team = Team.objects.create(community=community, name="医疗服务队", speciality=factories.SkillFactory(),
                               leader=member)
    application = Membership.objects.create(team=team, member=factories.ReportFactory(
        community=community, status=Report.Status.CONFIRMED).member)
    grid = Grid.objects.create(community=community, name="第1网格")
    building = Building.objects.create(grid=grid, name="1号楼")
    resident_request = ResidentRequest.objects.create(
        community=community, grid=grid, building=building, category="help", text="x", phone="13900000000",
        channel="public", token=ResidentRequest.new_token(), received_at=need.starts_at,
        first_response_due_at=need.starts_at, resolution_due_at=need.starts_at,
    )
    pairing = factories.PairingFactory(unit=unit, community=community)
    pledge = Pledge.objects.create(pairing=pairing, year=2026, kind="project", title="x", description="x")
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
        "team": team,
        "application": application,
        "building": building,
        "resident_request": resident_request,
        "pairing": pairing,
        "pledge": pledge,
        "council": council_rows(community),
        "outsiders": outsiders,
    }




def export_request_of(world, *, approved: bool) -> ExportRequest:
    """A full export request of community A by its staff (registration.export_approvals)."""
    community = world["community"]
    requester = make_staff("community", community=community)
    export_request = ExportRequest.objects.create(requester=requester, community=community, reason="x")
    if approved:
        approver = make_staff("community", community=community)
        ExportRequest.objects.filter(pk=export_request.pk).update(
            status="approved", decided_by=approver, decided_at=timezone.now()
        )
    return export_request


# How to build each route's arguments from the world: {route: (kwargs builder, methods)}.
CASES = {
    "registration:export-request-decide": (
        lambda w: {"request_id": export_request_of(w, approved=False).pk},
        ["post"],
    ),
    "registration:export-request-download": (
        lambda w: {"request_id": export_request_of(w, approved=True).pk},
        ["post"],
    ),
    "registration:letter": (lambda w: {"report_id": w["report"].pk}, ["get"]),
    "registration:report-withdraw": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-review": (lambda w: {"report_id": w["report"].pk}, ["get"]),
    "registration:report-confirm": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-reject": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:report-confirm-undo": (lambda w: {"report_id": w["report"].pk}, ["post"]),
    "registration:roster-upload-job": (lambda w: {"unit_id": w["unit"].pk, "job_id": "job"}, ["get"]),
    "registration:unit-roster": (lambda w: {"unit_id": w["unit"].pk}, ["get"]),
    "registration:roster-upload": (lambda w: {"unit_id": w["unit"].pk}, ["get", "post"]),
    "registration:report-correct": (lambda w: {"report_id": w["report"].pk}, ["get", "post"]),
    "registration:liaison-contacts": (lambda w: {"unit_id": w["unit"].pk}, ["get"]),
    "registration:liaison-phone": (
        lambda w: {"unit_id": w["unit"].pk, "entry_id": w["member"].roster_entry_id},
        ["post"],
    ),
    "registration:liaison-remind": (lambda w: {"unit_id": w["unit"].pk}, ["post"]),
    "registration:roster-add-member": (lambda w: {"unit_id": w["unit"].pk, "member_id": w["member"].pk}, ["post"]),
    "registration:roster-remove": (
        lambda w: {"unit_id": w["unit"].pk, "entry_id": w["member"].roster_entry_id},
        ["get", "post"],
    ),
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
    "activities:feedback": (lambda w: {"activity_id": w["activity"].pk}, ["post"]),
    "activities:confirmation-code": (lambda w: {"record_id": w["record"].pk}, ["get"]),
    "teams:detail": (lambda w: {"team_id": w["team"].pk}, ["get"]),
    "teams:apply": (lambda w: {"team_id": w["team"].pk}, ["post"]),
    "teams:leave": (lambda w: {"team_id": w["team"].pk}, ["post"]),
    "teams:claim": (lambda w: {"team_id": w["team"].pk}, ["get", "post"]),
    "teams:sign-up": (lambda w: {"team_id": w["team"].pk}, ["get", "post"]),
    "teams:activity-create": (lambda w: {"team_id": w["team"].pk}, ["get", "post"]),
    "teams:decide": (lambda w: {"membership_id": w["application"].pk, "decision": "accept"}, ["post"]),
    "teams:staff-edit": (lambda w: {"team_id": w["team"].pk}, ["get", "post"]),
    "resident_requests:detail": (lambda w: {"request_id": w["resident_request"].pk}, ["get"]),
    "resident_requests:change": (lambda w: {"request_id": w["resident_request"].pk}, ["post"]),
    "resident_requests:to-need": (lambda w: {"request_id": w["resident_request"].pk}, ["get", "post"]),
    "resident_requests:building-head-assign": (lambda w: {"building_id": w["building"].pk}, ["get", "post"]),
    "pairing:pairing": (lambda w: {"pairing_id": w["pairing"].pk}, ["get"]),
    "pairing:pledge-new": (lambda w: {"pairing_id": w["pairing"].pk}, ["get", "post"]),
    "pairing:delivery-new": (lambda w: {"pledge_id": w["pledge"].pk}, ["get", "post"]),
    "timebank:request-withdraw": (lambda w: {"request_id": timebank_world(w)["request"].pk}, ["post"]),
    "timebank:redemption-confirm": (lambda w: {"redemption_id": timebank_world(w)["redemption"].pk}, ["get", "post"]),
    "timebank:staff-redemption-reverse": (
        lambda w: {"redemption_id": timebank_world(w)["redemption"].pk}, ["post"]),
    "timebank:staff-transfer-reverse": (lambda w: {"transfer_id": timebank_world(w)["gift"].pk}, ["post"]),
    "timebank:staff-request-decide": (lambda w: {"request_id": timebank_world(w)["request"].pk}, ["post"]),
    "timebank:staff-fund-decide": (lambda w: {"payment_id": timebank_world(w)["payment"].pk}, ["post"]),
    "council:set-up": (lambda w: {"community_id": w["community"].pk}, ["post"]),
    "council:detail": (lambda w: {"council_id": w["council"]["council"].pk}, ["get"]),
    "council:member-add": (lambda w: {"council_id": w["council"]["council"].pk}, ["get", "post"]),
    "council:member-remove": (lambda w: {"member_id": w["council"]["member"].pk}, ["post"]),
    "council:company": (lambda w: {"council_id": w["council"]["council"].pk}, ["get", "post"]),
    "council:topic-new": (lambda w: {"council_id": w["council"]["council"].pk}, ["get", "post"]),
    "council:topic-from-request": (lambda w: {"council_id": w["council"]["council"].pk}, ["get", "post"]),
    "council:topic-withdraw": (lambda w: {"topic_id": w["council"]["topic"].pk}, ["post"]),
    "council:meeting-new": (lambda w: {"council_id": w["council"]["council"].pk}, ["get", "post"]),
    "council:meeting": (lambda w: {"meeting_id": w["council"]["meeting"].pk}, ["get"]),
    "council:meeting-hold": (lambda w: {"meeting_id": w["council"]["meeting"].pk}, ["post"]),
    "council:meeting-cancel": (lambda w: {"meeting_id": w["council"]["meeting"].pk}, ["post"]),
    "council:item-decide": (lambda w: {"item_id": w["council"]["item"].pk}, ["get", "post"]),
    "council:resolution": (lambda w: {"resolution_id": w["council"]["resolution"].pk}, ["get"]),
    "council:resolution-progress": (lambda w: {"resolution_id": w["council"]["resolution"].pk}, ["post"]),
    "council:resolution-review": (lambda w: {"resolution_id": w["council"]["resolution"].pk}, ["post"]),
    "council:photo": (lambda w: {"photo_id": w["council"]["photo"].pk}, ["get"]),
}


def timebank_world(w) -> dict:
    """The member of community A with credits, a gift to family, an open request, a redemption waiting at the
    counter and a fund payment waiting for approval (built once per world)."""
    if "timebank" not in w:
        from services.timebank import services as bank
        from tests.timebank.helpers import community_staff, confirmed_member, verified_record

        community = w["community"]
        member, staff = confirmed_member(community), community_staff(community)
        verified_record(member, community, "8.0")
        mother = bank.family_add(member=member, name="王秀英", relation="母亲")
        goods = bank.goods_create(user=staff, community=community, name="大米", price_tenths=10)
        bank.goods_donate(user=staff, goods_id=goods.pk, quantity=2, donor="爱心企业")
        w["timebank"] = {
            "gift": bank.gift_to_family(member=member, family_id=mother.pk, tenths=10),
            "request": bank.service_request_create(member=member, community=community, title="上门理发",
                                                   description="", tenths=10),
            "redemption": bank.redemption_start(user=staff, member=member, goods_id=goods.pk, quantity=1),
            "payment": bank.fund_payment_ask(user=staff, community=community, beneficiary="小芳", purpose="学费",
                                             tenths=10),
        }
    return w["timebank"]


# Routes where the member who is the owner's neighbour is not an outsider: a member may read the needs
# of their own community, so for these only staff outsiders apply.
MEMBER_MAY_SEE = {"services:need-detail", "services:claim-create", "teams:detail", "teams:apply"}


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
    assert world["member"].__class__.objects.get(pk=world["member"].pk).roster_entry_id is not None
    assert Membership.objects.get(pk=world["application"].pk).status == Membership.Status.APPLIED
    assert not Membership.objects.filter(team=world["team"]).exclude(pk=world["application"].pk).exists()
    assert world["pledge"].deliveries.count() == 0 and world["pairing"].pledges.count() == 1
    assert unchanged(world["council"])
    assert not ExportRequest.objects.filter(decided_by__in=world["outsiders"].values()).exists()
    assert not ExportRequest.objects.filter(downloads__gt=0).exists()


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
