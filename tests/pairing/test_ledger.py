"""The pairing ledger: who sees which pairing, who may write what, the rules of a pledge and a delivery, the
delivery sources (hours, needs, activities, and one registered from outside), and the query ceilings."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities.platform import navigation
from services.models import ServiceRecord
from services.pairing import services, sources
from services.pairing.models import Delivery, Pledge
from tests import factories

pytestmark = pytest.mark.django_db

LEDGER = reverse("pairing:ledger")


def pledge(ledger, index=0, by=None, **fields):
    pairing = ledger["pairings"][index]
    by = by or ledger["staff"]["unit"]
    values = {"kind": "resource", "title": "捐赠图书", "quantity": Decimal("200"), "quantity_unit": "册",
              "year": ledger["year"], **fields}
    return services.pledge_record(pairing_id=pairing.pk, by=by, **values)


def shown_pairings(response) -> set[int]:
    rows = response.context.get("rows") or response.context.get("pairing_rows")
    return {row.pairing.pk for row in rows}


# --- Scope ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("unit", {0}), ("community", {0}), ("street", {0}), ("org_district", {0, 2}), ("org_city", {0, 1, 2})],
)
def test_each_role_sees_the_pairings_of_its_scope(client, ledger, role, expected):
    client.force_login(ledger["staff"][role])
    response = client.get(LEDGER)
    assert response.status_code == 200
    assert shown_pairings(response) == {ledger["pairings"][index].pk for index in expected}


def test_the_rates_tab_shows_the_same_pairings_as_the_ledger(client, ledger):
    client.force_login(ledger["staff"]["org_district"])
    admin_tab = client.get(reverse("rates:tab", args=["pairing"]))
    assert admin_tab.status_code == 200
    assert shown_pairings(admin_tab) == {ledger["pairings"][0].pk, ledger["pairings"][2].pk}
    client.force_login(ledger["staff"]["street"])
    street_tab = client.get(reverse("street-rates:tab", args=["pairing"]))
    assert street_tab.status_code == 200
    assert shown_pairings(street_tab) == {ledger["pairings"][0].pk}


@pytest.mark.parametrize("role", ["unit", "community"])
def test_the_rates_tabs_stay_closed_to_who_has_no_rates_pages(client, ledger, role):
    client.force_login(ledger["staff"][role])
    assert client.get(reverse("street-rates:tab", args=["pairing"])).status_code == 403
    assert client.get(reverse("rates:tab", args=["pairing"])).status_code in (302, 403)


def test_an_unknown_rates_tab_is_not_found(client, ledger):
    client.force_login(ledger["staff"]["org_city"])
    assert client.get(reverse("rates:tab", args=["nothing"])).status_code == 404


@pytest.mark.parametrize(("role", "index"), [("unit", 1), ("community", 1), ("street", 2), ("org_district", 1)])
def test_a_pairing_outside_the_scope_is_refused(client, ledger, role, index):
    client.force_login(ledger["staff"][role])
    response = client.get(reverse("pairing:pairing", args=[ledger["pairings"][index].pk]))
    assert response.status_code == 403


def test_members_and_people_without_a_role_cannot_open_the_ledger(client, ledger):
    client.force_login(ledger["member"].user)
    assert client.get(LEDGER).status_code == 403
    assert client.get(reverse("pairing:pairing", args=[ledger["pairings"][0].pk])).status_code == 403


# --- Who writes -------------------------------------------------------------------------------------------------


def test_the_liaison_pledges_and_the_community_records_the_delivery_through_the_pages(client, ledger):
    pairing = ledger["pairings"][0]
    need = factories.ServiceNeedFactory(community=pairing.community)
    client.force_login(ledger["staff"]["unit"])
    response = client.post(
        reverse("pairing:pledge-new", args=[pairing.pk]) + f"?year={ledger['year']}",
        {"kind": "need", "title": "承接助老需求", "quantity": "", "quantity_unit": "", "description": "每月上门两次",
         "need": need.pk},
    )
    assert response.status_code == 302
    made = Pledge.objects.get()
    assert (made.pairing, made.year, made.need, made.created_by) == (pairing, 2026, need, ledger["staff"]["unit"])
    # The liaison cannot say it was delivered: the community that received it does.
    delivery_url = reverse("pairing:delivery-new", args=[made.pk])
    assert client.get(delivery_url).status_code == 403
    client.force_login(ledger["staff"]["community"])
    response = client.post(delivery_url, {"delivered_on": "2026-06-01", "description": "上门两次", "need": need.pk})
    assert response.status_code == 302
    assert Delivery.objects.get().need == need
    page = client.get(reverse("pairing:pairing", args=[pairing.pk]))
    assert "承接助老需求" in page.content.decode() and "上门两次" in page.content.decode()


@pytest.mark.parametrize("role", ["street", "org_city", "other_liaison", "other_community_staff"])
def test_who_does_not_act_for_the_unit_or_the_community_cannot_pledge(ledger, role):
    user = ledger["staff"].get(role) or ledger[role]
    with pytest.raises(PermissionDenied):
        pledge(ledger, by=user)


@pytest.mark.parametrize("role", ["unit", "street", "org_city", "other_community_staff"])
def test_only_the_paired_communitys_staff_record_a_delivery(ledger, role):
    made = pledge(ledger)
    user = ledger["staff"].get(role) or ledger[role]
    with pytest.raises(PermissionDenied):
        services.delivery_record(pledge_id=made.pk, by=user, delivered_on=ledger["yesterday"], description="x")


def test_a_form_of_another_pairing_is_refused_by_the_page(client, ledger):
    client.force_login(ledger["staff"]["unit"])
    other = ledger["pairings"][1]
    response = client.post(reverse("pairing:pledge-new", args=[other.pk]), {"kind": "project", "title": "x",
                                                                          "description": "y"})
    assert response.status_code == 403 and not Pledge.objects.exists()


# --- Rules ------------------------------------------------------------------------------------------------------


def test_a_pledge_has_a_quantity_with_what_it_counts_or_a_description(ledger):
    with pytest.raises(ValidationError) as error:
        pledge(ledger, quantity=None, description="")
    assert "description" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        pledge(ledger, quantity_unit="")
    assert "quantity_unit" in error.value.message_dict
    assert pledge(ledger, quantity=None, description="共建党建阵地").quantity is None


def test_a_need_taken_on_is_a_need_of_the_paired_community(ledger):
    elsewhere = factories.ServiceNeedFactory(community=ledger["communities"][4])
    with pytest.raises(ValidationError) as error:
        pledge(ledger, kind="need", need_id=elsewhere.pk)
    assert "need" in error.value.message_dict
    with pytest.raises(ValidationError):
        pledge(ledger, kind="need")


def test_a_pledge_is_for_a_year_of_the_pairing(ledger):
    with pytest.raises(ValidationError):
        pledge(ledger, year=2024)  # the pairing started in 2025
    with pytest.raises(ValidationError):
        pledge(ledger, year=2028)


def test_a_delivery_falls_in_its_pledges_year_and_not_in_the_future(ledger):
    made = pledge(ledger)
    staff = ledger["staff"]["community"]
    for day in (datetime.date(2025, 12, 31), ledger["today"] + datetime.timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            services.delivery_record(pledge_id=made.pk, by=staff, delivered_on=day, description="图书200册")
        assert "delivered_on" in error.value.message_dict
    activity_elsewhere = _activity(ledger["communities"][4])
    with pytest.raises(ValidationError):
        services.delivery_record(pledge_id=made.pk, by=staff, delivered_on=ledger["yesterday"], description="x",
                                 activity_id=activity_elsewhere.pk)
    services.delivery_record(pledge_id=made.pk, by=staff, delivered_on=ledger["yesterday"], description="图书200册",
                             quantity=Decimal("200"))
    assert Delivery.objects.count() == 1


def _activity(community, **fields):
    from django.utils import timezone

    from services.activities.models import Activity

    starts = timezone.now() - datetime.timedelta(days=3)
    return Activity.objects.create(
        community=community, title="环境清洁日", description="清理楼道", post_type="sanitation", place="南门",
        contact="刘秀英",
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), signup_deadline=starts,
        cancel_cutoff=starts, places=10, status="published", **fields,
    )


# --- What the members did: the delivery sources -----------------------------------------------------------------


def test_the_sources_count_the_units_members_in_the_paired_community_that_year(client, ledger):
    pairing, member = ledger["pairings"][0], ledger["member"]
    community = pairing.community
    need = factories.ServiceNeedFactory(community=community)
    claim = factories.ClaimFactory(need=need, member=member)
    verified = ServiceRecord.Status.VERIFIED
    factories.ServiceRecordFactory(member=member, community=community, claim=claim, hours=Decimal("2.5"),
                                   status=verified)
    factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("1.0"), status=verified)
    # Not counted: waiting for verification, another year, another community, another unit's member.
    factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("4.0"))
    factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("4.0"), status=verified,
                                   served_on=datetime.date(2025, 12, 30))
    factories.ServiceRecordFactory(member=member, community=ledger["communities"][1], hours=Decimal("4.0"),
                                   status=verified)
    factories.ServiceRecordFactory(community=community, hours=Decimal("4.0"), status=verified)
    figures = {source.key: value for source, value in sources.figures_for([pairing], 2026)[pairing.pk]}
    # The time bank's sources (deposits, goods) are registered too: nothing given here.
    assert figures == {"hours": Decimal("3.5"), "needs": 1, "activities": 0, "deposits": 0, "goods": 0}
    client.force_login(ledger["staff"]["community"])
    page = client.get(LEDGER)
    row = next(row for row in page.context["rows"] if row.pairing == pairing)
    assert dict((source.key, value) for source, value in row.delivered_by_sources)["hours"] == Decimal("3.5")


def test_attended_activities_count_once_per_activity(ledger):
    from services.activities.models import SignUp

    pairing = ledger["pairings"][0]
    activity = _activity(pairing.community)
    SignUp.objects.create(activity=activity, member=ledger["member"], status=SignUp.Status.ATTENDED)
    colleague = factories.MemberFactory(unit=pairing.unit)
    SignUp.objects.create(activity=activity, member=colleague, status=SignUp.Status.ATTENDED)
    SignUp.objects.create(activity=_activity(pairing.community), member=colleague, status=SignUp.Status.NO_SHOW)
    assert sources.activities_attended([pairing], 2026) == {pairing.pk: 1}


def test_another_app_adds_a_delivery_source_by_registering(client, ledger, monkeypatch):
    """The time bank's donations will come this way: the ledger's pages and tab pick up any registered source."""
    pairing = ledger["pairings"][0]
    monkeypatch.setattr(sources, "_sources", sources._sources.copy())
    def donated(pairings, year):
        return {p.pk: 120 for p in pairings if p.unit_id == pairing.unit_id}

    sources.register_source("donations", "捐赠积分", unit="分", order=90, figures=donated)
    client.force_login(ledger["staff"]["org_city"])
    tab = client.get(reverse("rates:tab", args=["pairing"]))
    row = next(row for row in tab.context["pairing_rows"] if row.pairing == pairing)
    assert [(source.key, value) for source, value in row.delivered_by_sources][-1] == ("donations", 120)
    assert "捐赠积分" in tab.content.decode()


def test_counts_of_pledges_and_deliveries_in_the_ledger_rows(client, ledger):
    kept, _open = pledge(ledger), pledge(ledger, title="共建项目", quantity=None, description="党课")
    pledge(ledger, year=2025)  # another year
    staff = ledger["staff"]["community"]
    for _ in range(2):
        services.delivery_record(pledge_id=kept.pk, by=staff, delivered_on=ledger["yesterday"], description="送达")
    client.force_login(ledger["staff"]["street"])
    row = client.get(reverse("street-rates:tab", args=["pairing"])).context["pairing_rows"][0]
    assert (row.pledged, row.pledges_delivered, row.deliveries, row.open_pledges) == (2, 1, 2, 1)


def test_the_registries_hold_the_tabs():
    keys = {tab.key for tab in navigation._rates_tabs.values()}
    assert {"pairing", "requests"} <= keys
    assert "pairing" in {entry.key for entry in navigation.staff_tabs.entries()}


# --- Query ceilings ---------------------------------------------------------------------------------------------


def _more_pairings(ledger, count):
    """`count` more pairings in district 0 (half of them in street 0), each with a pledge and a delivery."""
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    for index in range(count):
        pairing = factories.PairingFactory(unit=factories.UnitFactory(district=ledger["districts"][0]),
                                           community=ledger["communities"][index % 2])
        made = services.pledge_record(pairing_id=pairing.pk, by=superuser, year=2026, kind="project", title="共建",
                                      description="党课")
        services.delivery_record(pledge_id=made.pk, by=superuser, delivered_on=ledger["yesterday"], description="x")


# One query per delivery source: the time bank's two (deposits, goods) raised each ceiling by two.
@pytest.mark.parametrize(
    ("url", "role", "ceiling"),
    [
        (LEDGER, "org_city", 12),
        (reverse("rates:tab", args=["pairing"]), "org_city", 11),
        (reverse("street-rates:tab", args=["pairing"]), "street", 11),
    ],
)
def test_query_ceilings(client, ledger, django_assert_max_num_queries, url, role, ceiling):
    client.force_login(ledger["staff"][role])
    _more_pairings(ledger, 12)
    with django_assert_max_num_queries(ceiling):
        assert client.get(url).status_code == 200


def test_pairing_page_query_ceiling(client, ledger, django_assert_max_num_queries):
    made = pledge(ledger)
    staff = ledger["staff"]["community"]
    for _ in range(5):
        services.delivery_record(pledge_id=made.pk, by=staff, delivered_on=ledger["yesterday"], description="送达",
                                 activity_id=_activity(ledger["pairings"][0].community).pk)
    pledge(ledger, title="二")
    client.force_login(staff)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("pairing:pairing", args=[ledger["pairings"][0].pk])).status_code == 200


def test_the_demo_city_has_pledges_and_deliveries_that_keep_the_rules(client):
    import io

    from django.core.management import call_command
    from django.db.models import F

    call_command("seed_demo", members=300, reset=True, stdout=io.StringIO())
    assert Pledge.objects.exists() and Delivery.objects.exists()
    assert not Pledge.objects.filter(quantity__isnull=True, description="").exists()
    assert not Pledge.objects.filter(kind="need", need__isnull=True).exists()
    assert not Pledge.objects.exclude(need__isnull=True).exclude(need__community=F("pairing__community")).exists()
    assert not Delivery.objects.exclude(delivered_on__year=F("pledge__year")).exists()
    liaison = factories.UserFactory()
    from communities.models import StaffAssignment

    pledge_row = Pledge.objects.select_related("pairing").first()
    StaffAssignment.objects.create(user=liaison, role="unit", unit=pledge_row.pairing.unit)
    client.force_login(liaison)
    page = client.get(reverse("pairing:pairing", args=[pledge_row.pairing_id]) + f"?year={pledge_row.year}")
    assert pledge_row.title in page.content.decode()
