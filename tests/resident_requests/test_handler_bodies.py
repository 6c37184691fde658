"""A service team or the community's property company as the handler of a request (handler_kinds): assigning,
the leader's and the contact's list and changes, scope, the public page, figures, reminders, the need."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from communities.models import Notification
from communities.platform import navigation
from services.council.models import Council, PropertyCompany
from services.requests import handler_kinds, reminders, selectors, services
from services.requests.models import ResidentRequest
from services.requests.signals import body_contact_user_ids, rebuild_body_contacts
from services.requests.workflow import State
from tests import factories
from tests.activities.helpers import confirmed_member
from tests.teams.helpers import make_team, team_members

from .conftest import START, raise_request

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def bodies(place):
    """Two teams and the property company of the community; a team and a company of another community; a member
    of no team."""
    community, elsewhere = place["community"], place["elsewhere"]
    team = make_team(community, staff=place["staff"], name="维修服务队")
    other_team = make_team(community, staff=place["staff"], name="医疗服务队")
    far_team = make_team(elsewhere, staff=place["other_staff"], name="远方服务队")
    company = PropertyCompany.objects.create(name="幸福物业", contact=factories.UserFactory())
    Council.objects.create(community=community, property_company=company)
    far_company = PropertyCompany.objects.create(name="远方物业", contact=factories.UserFactory())
    Council.objects.create(community=elsewhere, property_company=far_company)
    return {
        "team": team,
        "leader": team.leader.user,
        "team_member": team_members(team)[1].user,
        "other_team": other_team,
        "other_leader": other_team.leader.user,
        "far_team": far_team,
        "far_leader": far_team.leader.user,
        "company": company,
        "contact": company.contact,
        "far_company": far_company,
        "far_contact": far_company.contact,
        "loner": confirmed_member(community).user,
    }


def hand(place, body, *, key="team", request_obj=None, **raise_kwargs):
    request_obj = request_obj or raise_request(place, **raise_kwargs)
    return services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已受理，交服务队处理",
                                   actor=place["staff"], handler_body=(key, body.pk))


def test_both_kinds_are_registered_by_their_apps():
    assert {kind.key for kind in handler_kinds.kinds()} == {"team", "property_company"}


def test_the_choices_are_the_communitys_people_teams_and_company(place, bodies):
    request_obj = raise_request(place)
    values = {value for value, _label in services.handler_options(request_obj=request_obj)}
    assert {f"team:{bodies['team'].pk}", f"team:{bodies['other_team'].pk}",
            f"property_company:{bodies['company'].pk}", str(place["head"].pk), str(place["staff"].pk)} <= values
    assert f"team:{bodies['far_team'].pk}" not in values
    assert f"property_company:{bodies['far_company'].pk}" not in values


@pytest.mark.parametrize("key,body", [("team", "far_team"), ("property_company", "far_company"), ("nope", "team")])
def test_a_body_of_another_community_or_an_unknown_kind_is_refused(place, bodies, key, body):
    request_obj = raise_request(place)
    with pytest.raises(ValidationError):
        hand(place, bodies[body], key=key, request_obj=request_obj)
    request_obj.refresh_from_db()
    assert request_obj.state == State.RECEIVED and request_obj.handler_kind == ""


def test_handed_to_a_team_its_leader_is_told_and_moves_it_on(client, place, bodies, clock):
    request_obj = hand(place, bodies["team"])
    assert (request_obj.handler_id, request_obj.handler_kind, request_obj.handler_body_id) == (
        None, "team", bodies["team"].pk)
    assert Notification.objects.filter(user=bodies["leader"], kind=services.REQUEST_ASSIGNED).count() == 1
    client.force_login(bodies["leader"])
    response = client.get(reverse("resident_requests:handed"))
    assert [item.pk for item in response.context["page"]] == [request_obj.pk]
    assert "维修服务队" in response.content.decode()
    detail = client.get(reverse("resident_requests:detail", args=[request_obj.pk]))
    assert "13912345678" in detail.content.decode()  # the leader calls the resident back
    # The leader handles, but does not reassign: accepting is for who acts for the place.
    assert State.ACCEPTED not in dict(detail.context["form"].fields["to"].choices)
    for to in (State.IN_PROGRESS, State.RESOLVED):
        clock.shift(datetime.timedelta(hours=2))
        response = client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                               {"to": to, "note": "已修好楼道灯" if to == State.RESOLVED else "明天上门"})
        assert response.status_code == 302
    request_obj.refresh_from_db()
    assert request_obj.state == State.RESOLVED and request_obj.resolved_at == timezone.now()
    assert list(request_obj.events.values_list("state", "actor")) == [
        ("received", None), ("accepted", place["staff"].pk), ("in_progress", bodies["leader"].pk),
        ("resolved", bodies["leader"].pk)]
    assert [item.pk for item in client.get(reverse("resident_requests:handed")).context["page"]] == []
    assert [item.pk for item in client.get(reverse("resident_requests:handed") + "?state=closed").context[
        "page"]] == [request_obj.pk]


def test_the_leader_cannot_accept_or_reassign(place, bodies):
    request_obj = hand(place, bodies["team"])
    with pytest.raises(PermissionDenied):
        services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="转给别人", actor=bodies["leader"],
                                handler_body=("team", bodies["other_team"].pk))


def test_the_company_contact_handles_what_is_handed_to_the_company(client, place, bodies):
    request_obj = hand(place, bodies["company"], key="property_company")
    client.force_login(bodies["contact"])
    assert [item.pk for item in client.get(reverse("resident_requests:handed")).context["page"]] == [request_obj.pk]
    response = client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                           {"to": State.ANSWERED, "note": "电梯更换需业主大会表决，已提交"})
    assert response.status_code == 302
    assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.ANSWERED


@pytest.mark.parametrize("who", ["other_leader", "far_leader", "far_contact", "team_member", "loner", "head"])
def test_nobody_elses_requests(client, place, bodies, who):
    """Another team's leader, another community's team leader or company contact, a member of the team (the leader
    answers for it), a member of no team, the building head: no list of it, no page, no change."""
    team_request = hand(place, bodies["team"], building="building2")
    company_request = hand(place, bodies["company"], key="property_company", building="building2")
    user = bodies.get(who) or place[who]
    client.force_login(user)
    handed = client.get(reverse("resident_requests:handed"))
    if handed.status_code == 200:
        assert not {item.pk for item in handed.context["page"]} & {team_request.pk, company_request.pk}
    else:
        assert handed.status_code == 403
    for request_obj in (team_request, company_request):
        assert client.get(reverse("resident_requests:detail", args=[request_obj.pk])).status_code == 404
        response = client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                               {"to": State.RESOLVED, "note": "越权"})
        assert response.status_code == 404
        assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.ACCEPTED
        with pytest.raises((PermissionDenied, ResidentRequest.DoesNotExist)):
            services.request_change(request_id=request_obj.pk, to=State.RESOLVED, note="越权", actor=user)


def test_a_member_of_no_team_and_a_team_member_have_no_list(client, place, bodies):
    for who in ("loner", "team_member"):
        client.force_login(bodies[who])
        assert client.get(reverse("resident_requests:handed")).status_code == 403


def test_the_resident_and_staff_read_the_bodys_name_and_no_one_personal(client, place, bodies):
    request_obj = hand(place, bodies["team"])
    track = client.get(reverse("resident_requests:track", args=[request_obj.token])).content.decode()
    assert "维修服务队" in track
    leader = bodies["team"].leader
    assert leader.name not in track and leader.user.username not in track
    client.force_login(place["staff"])
    assert "维修服务队" in client.get(reverse("resident_requests:detail", args=[request_obj.pk])).content.decode()
    queue = client.get(reverse("resident_requests:queue")).content.decode()
    assert "维修服务队" in queue
    # The staff who are not the handler read the phone masked.
    detail = client.get(reverse("resident_requests:detail", args=[request_obj.pk])).content.decode()
    assert "139****5678" in detail and "13912345678" not in detail


def test_staff_hand_it_over_through_the_form(client, place, bodies):
    request_obj = raise_request(place)
    client.force_login(place["staff"])
    response = client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                           {"to": "accepted", "handler": f"property_company:{bodies['company'].pk}",
                            "note": "交物业处理"})
    assert response.status_code == 302
    request_obj.refresh_from_db()
    assert (request_obj.handler_kind, request_obj.handler_body_id) == ("property_company", bodies["company"].pk)
    # A forged value of another community's company is not among the choices.
    other = raise_request(place)
    response = client.post(reverse("resident_requests:change", args=[other.pk]),
                           {"to": "accepted", "handler": f"property_company:{bodies['far_company'].pk}",
                            "note": "交物业处理"})
    assert response.status_code == 200 and response.context["form"].errors["handler"]
    # Reassigning to a person clears the body.
    services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="改由网格员处理",
                            actor=place["staff"], handler=place["worker1"])
    request_obj.refresh_from_db()
    assert (request_obj.handler_id, request_obj.handler_kind, request_obj.handler_body_id) == (
        place["worker1"].pk, "", None)


def test_one_handler_only_in_the_database(place, bodies):
    request_obj = hand(place, bodies["team"])
    for values in ({"handler": place["staff"]}, {"handler_body_id": None}, {"handler_kind": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ResidentRequest.objects.filter(pk=request_obj.pk).update(**values)


def test_figures_count_a_team_or_company_as_one_handler(place, bodies, clock):
    for _ in range(2):
        hand(place, bodies["team"])
    hand(place, bodies["company"], key="property_company")
    raise_request(place)
    end = START + DAY
    rows = dict(selectors.figures_by_handler(start=START - DAY, end=end, now=end, community=place["community"]))
    assert rows["维修服务队"].received == 2 and rows["幸福物业"].received == 1 and rows["—"].received == 1
    assert sum(row.received for row in rows.values()) == 4


def test_overdue_reminds_the_leader_and_the_contact_and_goes_up_after_the_limit(place, bodies, clock):
    hand(place, bodies["team"], category="consultation")  # 1 day
    hand(place, bodies["company"], key="property_company", category="consultation")
    assert reminders.escalate_overdue(now=START + DAY / 2) == 0  # handed over: not up before the limit
    late = START + DAY + datetime.timedelta(hours=1)
    assert reminders.remind_overdue_handlers(now=late) == 2
    assert reminders.remind_overdue_handlers(now=late + datetime.timedelta(hours=1)) == 0  # the same day
    for user in (bodies["leader"], bodies["contact"]):
        assert Notification.objects.filter(user=user, kind=reminders.OVERDUE).count() == 1
    assert not Notification.objects.filter(user=bodies["other_leader"], kind=reminders.OVERDUE).exists()
    assert reminders.escalate_overdue(now=late) == 2  # past the limit: up to the community's staff


def test_reopening_tells_the_leader(place, bodies):
    request_obj = hand(place, bodies["team"])
    services.request_change(request_id=request_obj.pk, to=State.RESOLVED, note="已修好", actor=bodies["leader"])
    services.request_reopen(token=request_obj.token, note="又坏了")
    assert Notification.objects.filter(user=bodies["leader"], kind=services.REQUEST_UPDATE).count() == 1


def test_a_request_handed_to_a_team_still_becomes_a_need(place, bodies):
    request_obj = hand(place, bodies["team"])
    starts_at = timezone.now() + datetime.timedelta(days=3)
    need = services.request_to_need(
        request_id=request_obj.pk, actor=place["staff"], title="为独居老人更换灯泡", description=request_obj.text,
        post_type="helping_vulnerable", fulfilment="direct", places=1, starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2), location="幸福路1号",
    )
    request_obj.refresh_from_db()
    assert request_obj.need == need and need.resident_request == request_obj
    assert request_obj.handler_kind == "team"
    # The leader still moves it on.
    services.request_change(request_id=request_obj.pk, to=State.RESOLVED, note="志愿者已上门", actor=bodies["leader"])


def test_the_tab_shows_to_leaders_and_contacts_from_the_cached_set(client, place, bodies):
    rebuild_body_contacts()
    assert {bodies["leader"].pk, bodies["contact"].pk} <= body_contact_user_ids()
    assert bodies["loner"].pk not in body_contact_user_ids()
    assert "handed_requests" in [entry.key for entry in navigation.member_tabs.for_user(bodies["leader"])]
    assert "handed_requests" not in [entry.key for entry in navigation.member_tabs.for_user(bodies["loner"])]
    # A new leader is in the set at once (the kinds' watched models).
    bodies["team"].leader = confirmed_member(place["community"])
    bodies["team"].save()
    assert bodies["team"].leader.user_id in body_contact_user_ids()
    assert bodies["leader"].pk not in body_contact_user_ids()


def test_the_list_holds_its_query_ceiling(client, place, bodies, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            hand(place, bodies["team"])
            hand(place, bodies["company"], key="property_company")

    fill(3)
    # The session, the user, the policy (one query per kind), the page's rows and count, the names, the tabs.
    for _rows in (3, 33):
        for user in (bodies["leader"], bodies["contact"]):
            client.force_login(user)
            with django_assert_max_num_queries(9):
                response = client.get(reverse("resident_requests:handed"))
            assert response.status_code == 200 and len(response.context["page"]) == min(_rows, 50)
        fill(30)


def test_the_admin_names_the_body(client, place, bodies):
    request_obj = hand(place, bodies["company"], key="property_company")
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:resident_requests_residentrequest_change", args=[request_obj.pk]))
    assert page.status_code == 200 and "幸福物业" in page.content.decode()
