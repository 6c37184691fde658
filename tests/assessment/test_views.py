"""The annual assessment's pages: staff review, unit results and their Excel, the member's own result, and the
organisation department's page inside the admin (run, finalise, the organisations under the line)."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import ExportRecord, StaffAssignment
from registration.models import Report
from registration.rates.models import UnitTally
from services.assessment import services as assessment_ops
from services.assessment.models import Assessment, AssessmentRun, Grade
from tests import factories
from tests.assessment.drafts import compute
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
YEAR = 2025


def serving_member(community, *, unit=None, hours=None):
    member = factories.MemberFactory(**({"unit": unit} if unit else {}))
    factories.ReportFactory(
        member=member,
        community=community,
        status=Report.Status.CONFIRMED,
        decided_at=timezone.make_aware(datetime.datetime(YEAR, 3, 1)),
    )
    if hours:
        factories.ServiceRecordFactory(
            member=member,
            community=community,
            hours=Decimal(hours),
            points=Decimal(hours),
            served_on=datetime.date(YEAR, 5, 1),
            status="verified",
        )
    return member


def waiting_record(member, community, *, hours="0.5"):
    """A service record of YEAR the member logged that still waits for verification."""
    return factories.ServiceRecordFactory(
        member=member,
        community=community,
        hours=Decimal(hours),
        served_on=datetime.date(YEAR, 11, 20),
        status="submitted",
        description="陪同独居老人就医",
    )


def read_sheet(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def here(city):
    return city["communities"][0]


@pytest.fixture
def drafts(city, here):
    """Three members in the staff's community, one in the next; their drafts computed."""
    mine = [serving_member(here, hours=hours) for hours in ("2.0", "12.0", None)]
    other = serving_member(city["communities"][1], hours="3.0")
    compute(YEAR)
    return {"mine": mine, "other": other}


# --- Community staff: the review list and the review ---------------------------------------------------------


def test_the_review_list_shows_only_the_communitys_assessments(client, staff_users, drafts):
    client.force_login(staff_users["community"])
    response = client.get(reverse("assessment:staff-list"), {"year": YEAR})
    assert response.status_code == 200
    shown = {row.member_id for row in response.context["page"]}
    assert shown == {member.pk for member in drafts["mine"]}
    assert response.context["counts"]["draft"] == 3
    page = response.content.decode()
    assert drafts["other"].name not in page
    assert reverse("assessment:staff-review", args=[Assessment.objects.get(member=drafts["mine"][0]).pk]) in page


def test_the_review_list_is_refused_to_members(client, drafts):
    client.force_login(drafts["mine"][0].user)
    assert client.get(reverse("assessment:staff-list")).status_code == 403


@pytest.mark.parametrize("size", [3, 15])
def test_the_review_list_query_count_is_fixed(client, staff_users, here, size, django_assert_max_num_queries):
    members = [serving_member(here, hours="1.0") for _ in range(size)]
    compute(YEAR)
    for member in members:  # records waiting are counted in the page's own query
        waiting_record(member, here)
    client.force_login(staff_users["community"])
    url = reverse("assessment:staff-list")
    client.get(url, {"year": YEAR})  # warm the session
    # session, user, scope, page count, page rows, managed communities, status counts, unread messages
    with django_assert_max_num_queries(8):
        response = client.get(url, {"year": YEAR})
    assert len(response.context["page"]) == size
    assert {row.waiting_count for row in response.context["page"]} == {1}


def test_the_review_list_query_count_does_not_grow_with_the_rows(client, staff_users, here):
    client.force_login(staff_users["community"])
    counts = []
    for size in (2, 20):
        for _ in range(size):
            serving_member(here)
        compute(YEAR)
        client.get(reverse("assessment:staff-list"), {"year": YEAR})
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("assessment:staff-list"), {"year": YEAR})
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_changing_the_grade_without_a_remark_is_refused_next_to_the_field(client, staff_users, drafts):
    row = Assessment.objects.get(member=drafts["mine"][0])
    client.force_login(staff_users["community"])
    response = client.post(reverse("assessment:staff-review", args=[row.pk]), {"grade": Grade.EXCELLENT, "remark": ""})
    assert response.status_code == 400
    assert "remark" in response.context["form"].errors
    assert response.context["form"]["grade"].value() == Grade.EXCELLENT  # what was chosen is kept
    row.refresh_from_db()
    assert row.status == Assessment.Status.DRAFT


def test_reviewing_with_a_remark_marks_it_reviewed(client, staff_users, drafts):
    row = Assessment.objects.get(member=drafts["mine"][0])
    client.force_login(staff_users["community"])
    response = client.post(
        reverse("assessment:staff-review", args=[row.pk]), {"grade": Grade.QUALIFIED, "remark": "长期坚持服务"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.grade, row.remark) == (Assessment.Status.REVIEWED, Grade.QUALIFIED, "长期坚持服务")
    assert row.reviewed_by == staff_users["community"]


def test_another_communitys_staff_cannot_open_or_review(client, city, drafts):
    row = Assessment.objects.get(member=drafts["mine"][0])
    client.force_login(make_staff(Role.COMMUNITY_STAFF, community=city["communities"][1]))
    url = reverse("assessment:staff-review", args=[row.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"grade": row.proposed_grade}).status_code == 404
    row.refresh_from_db()
    assert row.status == Assessment.Status.DRAFT


def test_street_staff_read_but_cannot_review(client, staff_users, drafts):
    row = Assessment.objects.get(member=drafts["mine"][0])
    client.force_login(staff_users["street"])
    url = reverse("assessment:staff-review", args=[row.pk])
    response = client.get(url)
    assert response.status_code == 200 and not response.context["can_manage"]
    assert client.post(url, {"grade": row.proposed_grade}).status_code == 403


def test_accepting_every_proposal_reviews_the_communitys_drafts(client, staff_users, here, drafts):
    client.force_login(staff_users["community"])
    response = client.post(reverse("assessment:staff-accept"), {"year": YEAR, "community": here.pk})
    assert response.status_code == 302
    statuses = Assessment.objects.filter(community=here).values_list("status", flat=True)
    assert set(statuses) == {Assessment.Status.REVIEWED}
    assert Assessment.objects.get(member=drafts["other"]).status == Assessment.Status.DRAFT


# --- Records still waiting for verification, on the list and the review ---------------------------------------


def test_the_list_and_the_review_show_the_records_waiting_beside_the_verified_ones(client, staff_users, here, drafts):
    member = drafts["mine"][2]  # no verified service: proposed unqualified
    waiting_record(member, here, hours="0.5")
    waiting_record(member, here, hours="1.5")
    row = Assessment.objects.get(member=member)
    client.force_login(staff_users["community"])

    listed = client.get(reverse("assessment:staff-list"), {"year": YEAR})
    shown = {item.member_id: (item.waiting_count, item.waiting_hours) for item in listed.context["page"]}
    assert shown[member.pk] == (2, Decimal("2.0"))
    assert shown[drafts["mine"][0].pk] == (0, None)
    assert "2 条待审核，2.0 小时" in listed.content.decode()

    response = client.get(reverse("assessment:staff-review", args=[row.pk]))
    assert response.status_code == 200
    assert [record.hours for record in response.context["waiting"]] == [Decimal("0.5"), Decimal("1.5")]
    page = response.content.decode()
    assert "陪同独居老人就医" in page
    assert 'name="records_waiting"' in page


def test_a_review_without_waiting_records_asks_no_box(client, staff_users, drafts):
    row = Assessment.objects.get(member=drafts["mine"][0])
    client.force_login(staff_users["community"])
    response = client.get(reverse("assessment:staff-review", args=[row.pk]))
    assert not response.context["waiting"]
    assert 'name="records_waiting"' not in response.content.decode()


def test_a_grade_is_refused_next_to_the_box_while_records_wait(client, staff_users, here, drafts):
    member = drafts["mine"][2]
    waiting_record(member, here)
    row = Assessment.objects.get(member=member)
    client.force_login(staff_users["community"])
    url = reverse("assessment:staff-review", args=[row.pk])

    response = client.post(url, {"grade": row.proposed_grade, "remark": ""})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["records_waiting"]
    assert "还有 1 条服务记实（0.5 小时）待审核" in response.content.decode()
    response = client.post(url, {"grade": row.proposed_grade, "records_waiting": "on", "remark": ""})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["remark"]
    row.refresh_from_db()
    assert row.status == Assessment.Status.DRAFT


def test_ticking_the_box_with_a_remark_reviews_it(client, staff_users, here, drafts):
    member = drafts["mine"][2]
    waiting_record(member, here)
    row = Assessment.objects.get(member=member)
    client.force_login(staff_users["community"])
    response = client.post(
        reverse("assessment:staff-review", args=[row.pk]),
        {"grade": row.proposed_grade, "records_waiting": "on", "remark": "记实日期有误，已退回本人"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.records_waiting_noted) == (Assessment.Status.REVIEWED, True)


def test_street_staff_see_the_records_waiting_but_cannot_tick_the_box(client, staff_users, here, drafts):
    member = drafts["mine"][2]
    waiting_record(member, here)
    row = Assessment.objects.get(member=member)
    client.force_login(staff_users["street"])
    url = reverse("assessment:staff-review", args=[row.pk])
    response = client.get(url)
    assert len(response.context["waiting"]) == 1 and not response.context["can_manage"]
    assert 'name="records_waiting"' not in response.content.decode()
    assert client.post(url, {"grade": row.proposed_grade, "records_waiting": "on", "remark": "x"}).status_code == 403
    row.refresh_from_db()
    assert row.status == Assessment.Status.DRAFT


@pytest.mark.parametrize("size", [1, 12])
def test_the_review_query_count_is_fixed(client, staff_users, here, drafts, size, django_assert_max_num_queries):
    member = drafts["mine"][2]
    for _ in range(size):
        waiting_record(member, here, hours="0.5")
    row = Assessment.objects.get(member=member)
    client.force_login(staff_users["community"])
    url = reverse("assessment:staff-review", args=[row.pk])
    client.get(url)  # warm the session
    # session, user, scope, the assessment, the records waiting, unread messages
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert len(response.context["waiting"]) == size


# --- Unit liaisons and members --------------------------------------------------------------------------------


@pytest.fixture
def finals(city, here, staff_users):
    """Final results for two members of the first unit and one of the second; one draft of the first unit."""
    first, second = city["units"][0], city["units"][1]
    members = {
        "first": [serving_member(here, unit=first, hours=hours) for hours in ("12.0", "1.0")],
        "second": [serving_member(here, unit=second, hours="2.0")],
        "draft": serving_member(here, unit=first),
    }
    compute(YEAR)
    final = Assessment.objects.exclude(member=members["draft"])
    final.update(status=Assessment.Status.FINAL, finalised_at=timezone.now(), remark="表现良好")
    return members


def test_the_unit_page_lists_only_its_members_final_results(client, staff_users, city, finals):
    client.force_login(staff_users["unit"])
    response = client.get(reverse("assessment:unit-results", args=[city["units"][0].pk]), {"year": YEAR})
    assert response.status_code == 200
    assert {row.member_id for row in response.context["page"]} == {member.pk for member in finals["first"]}


def test_the_unit_liaison_cannot_open_another_unit(client, staff_users, city, finals):
    client.force_login(staff_users["unit"])
    assert client.get(reverse("assessment:unit-results", args=[city["units"][1].pk])).status_code == 404
    assert client.get(reverse("assessment:unit-export", args=[city["units"][1].pk])).status_code == 404


def test_the_unit_excel_holds_its_final_results_and_is_recorded(client, staff_users, city, finals):
    client.force_login(staff_users["unit"])
    response = client.get(reverse("assessment:unit-export", args=[city["units"][0].pk]), {"year": YEAR})
    assert response.status_code == 200
    rows = read_sheet(response)
    body = rows[3:]
    assert sorted(row[0] for row in body) == sorted(member.name for member in finals["first"])
    by_name = {row[0]: row for row in body}
    busy = by_name[finals["first"][0].name]
    assert busy[2] == 12 and busy[3] == 1 and busy[7] == "合格"
    record = ExportRecord.objects.get(kind="assessment-results-unit")
    assert (record.user, record.row_count, record.filters) == (
        staff_users["unit"],
        2,
        {"year": YEAR, "unit": city["units"][0].pk},
    )


def test_the_unit_list_counts_final_results(client, staff_users, city, finals):
    client.force_login(staff_users["unit"])
    response = client.get(reverse("assessment:unit-list"), {"year": YEAR})
    assert [(unit.pk, unit.final_count) for unit in response.context["page"]] == [(city["units"][0].pk, 2)]


def test_a_member_sees_only_their_own_final_result(client, finals):
    member = finals["first"][0]
    client.force_login(member.user)
    response = client.get(reverse("assessment:my-result"))
    assert response.status_code == 200
    assert [result.member_id for result in response.context["results"]] == [member.pk]
    page = response.content.decode()
    assert "合格" in page and finals["first"][1].name not in page

    client.force_login(finals["draft"].user)
    assert list(client.get(reverse("assessment:my-result")).context["results"]) == []


def test_staff_without_a_member_record_get_no_member_result_page(client, staff_users):
    client.force_login(staff_users["community"])
    assert client.get(reverse("assessment:my-result")).status_code == 403


# --- The organisation department's page ---------------------------------------------------------------------


def test_the_admin_page_lists_the_organisations_under_the_line(client, staff_users, city, drafts):
    low, high, city_level = city["units"]
    UnitTally.objects.create(unit=low, year=YEAR, roster=10, reported=8)
    UnitTally.objects.create(unit=high, year=YEAR, roster=10, reported=9)
    UnitTally.objects.create(unit=city_level, year=YEAR, roster=20, reported=2)
    client.force_login(staff_users["org_city"])

    response = client.get(reverse("assessment:admin"), {"year": YEAR})

    assert response.status_code == 200
    assert [row.pk for row in response.context["below"]] == [low.pk, city_level.pk]
    assert response.context["counts"]["draft"] == 4
    page = response.content.decode()
    assert low.name in page and city_level.name in page and high.name not in page

    export = client.get(reverse("assessment:admin-below-line-export"), {"year": YEAR})
    rows = read_sheet(export)
    assert [row[0] for row in rows[3:]] == [low.name, city_level.name]
    assert rows[3][5] == Decimal("80.0") or float(rows[3][5]) == 80.0
    assert ExportRecord.objects.filter(kind="assessment-below-line", row_count=2).exists()


def test_a_district_org_department_sees_its_district_only(client, staff_users, city, drafts):
    low = city["units"][0]
    UnitTally.objects.create(unit=low, year=YEAR, roster=10, reported=1)
    UnitTally.objects.create(unit=city["units"][2], year=YEAR, roster=10, reported=1)
    client.force_login(staff_users["org_district"])
    response = client.get(reverse("assessment:admin"), {"year": YEAR})
    assert response.context["district"] == city["districts"][0]
    assert [row.pk for row in response.context["below"]] == [low.pk]
    other = {"year": YEAR, "district": city["districts"][1].pk}
    assert client.get(reverse("assessment:admin"), other).status_code == 404
    assert client.post(reverse("assessment:admin-finalise"), other).status_code == 404


@pytest.mark.parametrize("who", ["community", "unit"])
def test_the_admin_page_is_closed_to_other_roles(client, staff_users, who):
    user = staff_users[who]
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(reverse("assessment:admin")).status_code == 403


def test_the_run_button_starts_a_run_that_shows_its_progress(
    client, staff_users, city, drafts, settings, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_CHUNK_SIZE = 2
    client.force_login(staff_users["org_city"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment:admin-run"), {"year": YEAR})
    assert response.status_code == 302
    run = AssessmentRun.objects.get(kind=AssessmentRun.Kind.COMPUTE, started_by=staff_users["org_city"])
    assert run.status == AssessmentRun.Status.FINISHED and run.started_by == staff_users["org_city"]

    page = client.get(reverse("assessment:admin"), {"year": YEAR}).content.decode()
    assert f"{run.total} / {run.total}" in page


def test_the_finalise_button_finalises_the_district(
    client, staff_users, city, here, drafts, django_capture_on_commit_callbacks
):
    assessment_ops.assessment_accept_proposals(user=staff_users["community"], community_id=here.pk, year=YEAR)
    client.force_login(staff_users["org_district"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessment:admin-finalise"), {"year": YEAR, "district": city["districts"][0].pk}
        )
    assert response.status_code == 302
    assert Assessment.objects.filter(status=Assessment.Status.FINAL).count() == 3
    run = AssessmentRun.objects.get(kind=AssessmentRun.Kind.FINALISE)
    assert run.district == city["districts"][0] and run.status == AssessmentRun.Status.FINISHED
