"""The pages: a resident's request from the public page to its rating, the handlers' scope, the rate limit and the
query ceilings of the lists."""

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from communities.grid.models import Building
from communities.phone_codes.models import PhoneCode
from services.requests import services
from services.requests.models import BuildingHead, ResidentRequest
from services.requests.workflow import State
from tests import factories

from .conftest import raise_request

pytestmark = pytest.mark.django_db


class RecordingSmsBackend:
    sent = []

    def send(self, phone, template, params, *, idempotency_key=""):
        self.sent.append((phone, template, params))


@pytest.fixture(autouse=True)
def sms(settings, monkeypatch):
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    RecordingSmsBackend.sent = []
    # The test's transaction never commits: the SMS that communities.phone_codes queues after commit goes at once.
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    return RecordingSmsBackend.sent


def raise_form(place, **overrides):
    return {"category": "help", "text": "3单元楼道灯不亮", "building": place["building1"].pk,
            "phone": "13912345678", **overrides}


def with_code(client, url, data):
    """Ask for a code with the form as typed, then send it with the code that came by SMS."""
    response = client.post(url, {**data, "send_code": "1"})
    assert response.status_code == 200
    phone, template, params = RecordingSmsBackend.sent[-1]
    assert phone == data["phone"] and template == "phone_code"
    return client.post(url, {**data, "code": params["code"]})


def test_a_request_from_the_public_page_to_its_rating(client, place):
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    page = client.get(url)
    assert page.status_code == 200 and "1号楼" in page.content.decode()
    response = with_code(client, url, raise_form(place))
    request_obj = ResidentRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("resident_requests:track", args=[request_obj.token])
    assert request_obj.grid == place["grid1"] and request_obj.phone == "13912345678"
    # The grid worker assigns it to the building head, who answers.
    client.force_login(place["worker1"])
    detail = client.get(reverse("resident_requests:detail", args=[request_obj.pk]))
    assert "139****5678" in detail.content.decode() and "13912345678" not in detail.content.decode()
    client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                {"to": "accepted", "handler": place["head"].pk, "note": "请楼长上门查看"})
    client.force_login(place["head"])
    detail = client.get(reverse("resident_requests:detail", args=[request_obj.pk]))
    assert "13912345678" in detail.content.decode()  # the handler calls back
    client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                {"to": "answered", "note": "线路老化需物业大修，已报物业"})
    client.logout()
    # The resident reopens it, it is resolved, and the resident confirms.
    track = reverse("resident_requests:track", args=[request_obj.token])
    assert "线路老化需物业大修" in client.get(track).content.decode()
    client.post(track + "?action=reopen", {"reopen-note": "物业没有来"})
    assert ResidentRequest.objects.get().state == State.REOPENED
    client.force_login(place["head"])
    client.post(reverse("resident_requests:change", args=[request_obj.pk]), {"to": "resolved", "note": "已更换线路"})
    client.logout()
    client.post(track + "?action=rate", {"rate-satisfaction": "satisfied"})
    request_obj.refresh_from_db()
    assert (request_obj.state, request_obj.satisfaction) == (State.RESOLVED, "satisfied")
    assert list(request_obj.events.values_list("state", flat=True)) == [
        "received", "accepted", "answered", "reopened", "resolved"
    ]
    # The figures moved: the public page shows them, with no personal data.
    page = client.get(url).content.decode()
    assert 'data-figure="satisfaction_rate">100.0%' in page and "1391234" not in page


def test_the_public_page_keeps_what_was_typed_on_an_error(client, place):
    response = client.post(reverse("resident_requests:public-raise", args=[place["community"].code]),
                           raise_form(place, phone="12345", code="123456"))
    assert response.status_code == 200 and "3单元楼道灯不亮" in response.content.decode()
    assert not ResidentRequest.objects.exists()


def test_a_building_of_another_community_is_not_offered(client, place):
    other = Building.objects.create(grid=place["grid1"].__class__.objects.create(community=place["elsewhere"],
                                                                                  name="外网格"), name="外楼")
    response = with_code(client, reverse("resident_requests:public-raise", args=[place["community"].code]),
                         raise_form(place, building=other.pk))
    assert response.status_code == 200 and not ResidentRequest.objects.exists()


def test_the_phone_is_proved_by_an_sms_code(client, place, sms):
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    typed = raise_form(place)
    response = client.post(url, {**typed, "send_code": "1"})
    assert response.status_code == 200 and "3单元楼道灯不亮" in response.content.decode()  # kept as typed
    code = sms[-1][2]["code"]
    assert len(code) == 6 and code not in str(dict(client.session))
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(url, {**typed, "code": wrong})
    assert response.status_code == 200 and "code" in response.context["form"].errors
    assert client.post(url, {**typed, "code": code}).status_code == 302
    assert client.post(url, {**typed, "code": code}).status_code == 200  # used once
    assert ResidentRequest.objects.count() == 1


def test_a_code_stops_working_after_five_wrong_tries(client, place, sms):
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    client.post(url, {**raise_form(place), "send_code": "1"})
    code = sms[-1][2]["code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(url, {**raise_form(place), "code": wrong})
    assert client.post(url, {**raise_form(place), "code": code}).status_code == 200
    assert not ResidentRequest.objects.exists()


@override_settings(PHONE_CODE_RESEND_SECONDS=0, PHONE_CODE_PER_PHONE_HOUR=2)
def test_codes_are_rate_limited_per_phone(client, place, sms):
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    for _ in range(3):
        response = client.post(url, {**raise_form(place), "send_code": "1"})
    assert len(sms) == 2 and "phone" in response.context["form"].errors


def test_the_codes_are_those_of_communities_phone_codes(client, place, sms):
    """One rule for every SMS code: the public page's codes are phone_codes' rows (hashed, purpose of their own),
    under its limits per phone whatever the flow, and a code sent for another flow does not raise a request."""
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    typed = raise_form(place)
    client.post(url, {**typed, "send_code": "1"})
    row = PhoneCode.objects.get(phone=typed["phone"])
    assert row.purpose == PhoneCode.Purpose.RESIDENT_REQUEST and sms[-1][2]["code"] not in row.code_hash
    again = client.post(url, {**typed, "send_code": "1"})  # within PHONE_CODE_RESEND_SECONDS
    assert len(sms) == 1 and "phone" in again.context["form"].errors
    registration_code = factories.phone_code_for("13900000009", purpose=PhoneCode.Purpose.REGISTER)
    response = client.post(url, {**typed, "phone": "13900000009", "code": registration_code})
    assert response.status_code == 200 and "code" in response.context["form"].errors
    assert not ResidentRequest.objects.exists()


@override_settings(PHONE_CODE_RESEND_SECONDS=0, PHONE_CODE_PER_PHONE_HOUR=3)
def test_the_hourly_codes_of_a_phone_count_every_flow(client, place, sms):
    """A phone that was sent its hour's codes by the accounts' flows gets none from the public page (no SMS
    bombing through a second form)."""
    for _ in range(3):
        factories.phone_code_for(raise_form(place)["phone"], purpose=PhoneCode.Purpose.LOGIN)
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    response = client.post(url, {**raise_form(place), "send_code": "1"})
    assert not sms and "phone" in response.context["form"].errors


@override_settings(RESIDENT_REQUEST_RATE_LIMIT_IP=3, RESIDENT_REQUEST_RATE_LIMIT_PHONE=2,
                   RESIDENT_REQUEST_VERIFY_PHONE=False)
def test_the_public_page_is_rate_limited_per_phone_and_per_ip(client, place):
    url = reverse("resident_requests:public-raise", args=[place["community"].code])
    for _ in range(2):
        assert client.post(url, raise_form(place)).status_code == 302
    refused = client.post(url, raise_form(place))  # third from this phone
    assert refused.status_code == 200 and ResidentRequest.objects.count() == 2
    assert client.post(url, raise_form(place, phone="13900000002")).status_code == 200  # fourth from this IP
    other_ip = client.post(url, raise_form(place, phone="13900000003"), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 302 and ResidentRequest.objects.count() == 3


def visible_ids(client, user):
    client.force_login(user)
    response = client.get(reverse("resident_requests:queue"), {"state": "all"})
    assert response.status_code == 200
    return {item.pk for item in response.context["page"]}


def test_each_handler_sees_their_scope_only(client, place):
    in_grid1 = raise_request(place, building="building1")
    in_grid2 = raise_request(place, building="building2")
    elsewhere = services.request_raise(community=place["elsewhere"], category="help", text="x", phone="13900000001")
    assert visible_ids(client, place["worker1"]) == {in_grid1.pk}
    assert visible_ids(client, place["worker2"]) == {in_grid2.pk}
    assert visible_ids(client, place["staff"]) == {in_grid1.pk, in_grid2.pk}
    assert visible_ids(client, place["street_staff"]) == {in_grid1.pk, in_grid2.pk}
    assert visible_ids(client, place["other_street_staff"]) == {elsewhere.pk}
    assert visible_ids(client, place["other_staff"]) == {elsewhere.pk}


@pytest.mark.parametrize(
    "who,expected",
    [("worker2", 404), ("other_staff", 404), ("other_street_staff", 404), ("street_staff", 403), ("head", 403)],
)
def test_forbidden_changes(client, place, who, expected):
    request_obj = raise_request(place, building="building1")
    client.force_login(place[who])
    response = client.post(reverse("resident_requests:change", args=[request_obj.pk]),
                           {"to": "accepted", "handler": place[who].pk, "note": "越权"})
    assert response.status_code == expected
    assert ResidentRequest.objects.get(pk=request_obj.pk).state == State.RECEIVED


def test_the_street_reads_a_request_without_a_form_and_with_the_phone_masked(client, place):
    request_obj = raise_request(place)
    client.force_login(place["street_staff"])
    response = client.get(reverse("resident_requests:detail", args=[request_obj.pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert "139****5678" in response.content.decode()


def test_the_building_head_page(client, place):
    raise_request(place, building="building1")
    raise_request(place, building="building2")
    client.force_login(place["head"])
    response = client.get(reverse("resident_requests:building-head"))
    assert response.status_code == 200 and len(response.context["open_requests"]) == 1
    response = client.post(reverse("resident_requests:building-head"),
                           {"building": place["building1"].pk, "visited_on": "2026-01-05", "household": "1-302",
                            "found": "楼道堆物", "problem_found": "on"})
    assert response.status_code == 302
    client.force_login(place["staff"])
    assert client.get(reverse("resident_requests:building-head")).status_code == 403


def test_staff_assign_a_building_head_from_their_page(client, place):
    from registration.models import Report
    from tests import factories

    member = factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED).member
    client.force_login(place["staff"])
    assert client.get(reverse("resident_requests:buildings")).status_code == 200
    url = reverse("resident_requests:building-head-assign", args=[place["building2"].pk])
    assert client.post(url, {"member": member.pk}).status_code == 302
    assert place["building2"].heads.get().member == member
    client.force_login(place["other_staff"])
    assert client.post(url, {"member": member.pk}).status_code == 403


def test_recording_on_a_residents_behalf(client, place):
    client.force_login(place["head"])
    response = client.post(reverse("resident_requests:record"),
                           {"community": place["community"].pk, "category": "help", "text": "独居老人家水管漏水",
                            "building": place["building1"].pk, "phone": ""})
    assert response.status_code == 302
    request_obj = ResidentRequest.objects.get()
    assert (request_obj.channel, request_obj.recorded_by) == ("building_head", place["head"])
    # A building outside the head's own is refused by the form.
    response = client.post(reverse("resident_requests:record"),
                           {"community": place["community"].pk, "category": "help", "text": "x",
                            "building": place["building2"].pk})
    assert response.status_code == 200 and ResidentRequest.objects.count() == 1


def test_the_figures_page(client, place):
    raise_request(place)
    for who in ("staff", "street_staff", "worker1"):
        client.force_login(place[who])
        response = client.get(reverse("resident_requests:figures"))
        assert response.status_code == 200
        assert [row["place"].name for row in response.context["rows"]] in (
            [place["community"].name], [place["community"].street.name]
        )
    client.force_login(place["head"])
    assert client.get(reverse("resident_requests:figures")).status_code == 403


def test_the_queue_and_the_building_head_page_hold_their_query_ceilings(client, place, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            request_obj = raise_request(place)
            services.request_change(request_id=request_obj.pk, to=State.ACCEPTED, note="已受理",
                                    actor=place["staff"], handler=place["head"])

    fill(3)
    # The session, the user, their scope and roles, the page's rows and its count, the tabs' policies.
    pages = [(place["staff"], "resident_requests:queue", 8), (place["worker1"], "resident_requests:queue", 8),
             (place["head"], "resident_requests:building-head", 11), (place["head"], "resident_requests:mine", 8),
             (place["staff"], "resident_requests:buildings", 8)]
    for _rows in (3, 33):
        for user, name, ceiling in pages:
            client.force_login(user)
            with django_assert_max_num_queries(ceiling):
                assert client.get(reverse(name)).status_code == 200
        fill(30)


def test_staff_post_a_request_as_a_need_linked_both_ways(client, place):
    request_obj = raise_request(place)
    client.force_login(place["staff"])
    assert "resident_requests/to_need.html" in [t.name for t in client.get(
        reverse("resident_requests:to-need", args=[request_obj.pk])).templates]
    response = client.post(reverse("resident_requests:to-need", args=[request_obj.pk]), {
        "title": "为3号楼独居老人更换灯泡", "description": request_obj.text, "post_type": "helping_vulnerable",
        "fulfilment": "direct", "places": "1", "starts_at": "2030-01-05T09:00",
    })
    request_obj.refresh_from_db()
    assert response.status_code == 302 and request_obj.need is not None
    assert request_obj.need.resident_request == request_obj and request_obj.need.status == "draft"
    assert request_obj.events.last().note.endswith("为3号楼独居老人更换灯泡")
    # Once only; grid workers and handlers do not post needs (staff do).
    assert client.post(reverse("resident_requests:to-need", args=[request_obj.pk]), {
        "title": "再来一次", "description": "x", "post_type": "helping_vulnerable", "fulfilment": "direct",
        "places": "1", "starts_at": "2030-01-05T09:00",
    }).status_code == 200
    client.force_login(place["worker1"])
    assert client.get(reverse("resident_requests:to-need", args=[request_obj.pk])).status_code == 403


def test_the_tabs_and_the_home_page_come_from_the_platform_registries(client, place):
    from communities.platform import navigation

    assert [entry.key for entry in navigation.staff_tabs.for_user(place["staff"])].count("requests") == 1
    assert "buildings" in [entry.key for entry in navigation.staff_tabs.for_user(place["staff"])]
    assert "buildings" not in [entry.key for entry in navigation.staff_tabs.for_user(place["street_staff"])]
    assert "building_head" in [entry.key for entry in navigation.member_tabs.for_user(place["head"])]
    assert "building_head" not in [entry.key for entry in navigation.member_tabs.for_user(place["staff"])]
    # A grid worker holds no staff assignment: the home page sends them to their queue.
    client.force_login(place["worker1"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("resident_requests:queue")


def test_the_building_head_tab_follows_assignment_with_no_query_on_members_pages(place, django_assert_num_queries):
    from django.core.cache import cache

    from communities.platform import navigation
    from registration.models import Report
    from services.requests import signals, tasks
    from tests import factories

    def tab_keys(member):
        user = type(member.user).objects.get(pk=member.user_id)
        with django_assert_num_queries(0):
            return [entry.key for entry in navigation.member_tabs.for_user(user)]

    member = factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED).member
    assert "building_head" not in tab_keys(member)
    services.building_head_assign(building_id=place["building2"].pk, member_id=member.pk, by=place["staff"])
    assert "building_head" in tab_keys(member)
    cache.clear()  # a restarted cache: no tab, no query, until the job rebuilds the set
    assert "building_head" not in tab_keys(member)
    assert tasks.rebuild_building_heads_task.delay().get() == 2
    assert "building_head" in tab_keys(member)
    BuildingHead.objects.filter(member=member).delete()
    assert "building_head" not in tab_keys(member)
    assert signals.head_user_ids() == {place["head"].pk}
