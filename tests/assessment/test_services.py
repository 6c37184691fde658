"""The annual assessment: the grade rule, who is assessed with which figures, refreshing drafts, chunks and
runs (resumed, never duplicated), review by community staff, finalisation by the organisation department
and the messages it sends once."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from communities.models import Notification, StaffAssignment
from communities.platform.web import FIRST_YEAR
from registration.models import Report
from registration.rates.models import UnitTally
from services.assessment import computation, grading, runs, selectors
from services.assessment import services as assessment_ops
from services.assessment.models import Assessment, AssessmentRun, AssessmentRunChunk, Grade
from services.assessment.tasks import assessment_chunk_task, assessment_run_task
from services.models import Claim, ServiceRecord
from tests import factories
from tests.assessment import drafts
from tests.concurrency import run_in_threads
from tests.conftest import make_staff
from tests.test_celery_worker import redis_worker  # noqa: F401  (the real-worker fixture)

pytestmark = pytest.mark.django_db

Role = StaffAssignment.Role
YEAR = 2025
D = Decimal


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 10))


def serving_member(community, *, decided=None, ended=None, status=Report.Status.CONFIRMED, unit=None, member=None):
    """A member with a report to `community` decided on `decided` (default: March of YEAR)."""
    member = member or factories.MemberFactory(**({"unit": unit} if unit else {}))
    factories.ReportFactory(
        member=member,
        community=community,
        status=status,
        decided_at=None if status == Report.Status.PENDING else decided or at(YEAR, 3, 1),
        ended_at=ended,
        reject_reason="不在本社区居住" if status == Report.Status.REJECTED else "",
    )
    return member


def record(member, community, *, hours="2.0", points=None, served_on=None, status=ServiceRecord.Status.VERIFIED):
    return factories.ServiceRecordFactory(
        member=member,
        community=community,
        hours=D(hours),
        points=D(points if points is not None else hours),
        served_on=served_on or datetime.date(YEAR, 6, 1),
        status=status,
    )


def claim(member, community, *, status, created_at=None):
    need = factories.ServiceNeedFactory(community=community, places=5)
    return factories.ClaimFactory(member=member, need=need, status=status, created_at=created_at or at(YEAR, 5, 1))


def compute(year=YEAR, *, district=None) -> int:
    return drafts.compute(year, district=district)


def figures(member, year=YEAR):
    return Assessment.objects.values(
        "community_id",
        "unit_id",
        "verified_hours",
        "records_count",
        "claims_fulfilled",
        "claims_abandoned",
        "points",
        "proposed_grade",
        "grade",
        "status",
    ).get(member=member, year=year)


def everything(year=YEAR):
    return sorted(
        Assessment.objects.filter(year=year).values_list(
            "member_id", "community_id", "unit_id", "verified_hours", "records_count", "points", "grade", "status"
        )
    )


# --- The grade rule, at its edges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "points", "records", "abandoned", "grade"),
    [
        ("24", "40", 2, 0, Grade.EXCELLENT),  # both excellent thresholds exactly
        ("23.5", "40", 2, 0, Grade.QUALIFIED),  # half an hour short of excellent
        ("24", "39.9", 2, 0, Grade.QUALIFIED),  # a tenth of a point short
        ("24", "40", 2, 1, Grade.QUALIFIED),  # one abandoned claim
        ("12", "0", 1, 3, Grade.QUALIFIED),  # the yearly minimum exactly
        ("11.5", "30", 1, 0, Grade.BASICALLY_QUALIFIED),  # under the minimum, some verified service
        ("0", "0", 0, 0, Grade.UNQUALIFIED),  # no verified service
    ],
)
def test_propose_grade_at_the_edges_of_its_thresholds(hours, points, records, abandoned, grade):
    assert grading.propose_grade(hours=D(hours), points=D(points), records=records, abandoned=abandoned) == grade


def test_propose_grade_follows_the_settings(settings):
    settings.ASSESSMENT_EXCELLENT_MAX_ABANDONED = 1
    settings.SERVICE_MINIMUM_YEARLY_HOURS = 20.0
    settings.ASSESSMENT_BASIC_MIN_RECORDS = 2
    assert grading.propose_grade(hours=D("24"), points=D("40"), records=2, abandoned=1) == Grade.EXCELLENT
    assert grading.propose_grade(hours=D("19.5"), points=D("0"), records=2, abandoned=0) == Grade.BASICALLY_QUALIFIED
    assert grading.propose_grade(hours=D("19.5"), points=D("0"), records=1, abandoned=0) == Grade.UNQUALIFIED


# --- Who is assessed, with which figures -------------------------------------------------------------------


def test_run_assesses_members_whose_confirmed_report_was_active_during_the_year(city):
    here = city["communities"][0]
    active = serving_member(here)
    ended_in_year = serving_member(here, status=Report.Status.ENDED, ended=at(YEAR, 8, 1))
    confirmed_last_day = serving_member(here, decided=timezone.make_aware(datetime.datetime(YEAR, 12, 31, 23, 59)))
    serving_member(here, decided=at(YEAR + 1, 1, 2))  # confirmed after the year
    serving_member(here, status=Report.Status.ENDED, decided=at(YEAR - 1, 3, 1), ended=at(YEAR - 1, 12, 1))
    serving_member(here, status=Report.Status.PENDING)
    serving_member(here, status=Report.Status.REJECTED)

    assert compute() == 3

    assessed = set(Assessment.objects.filter(year=YEAR).values_list("member_id", flat=True))
    assert assessed == {active.pk, ended_in_year.pk, confirmed_last_day.pk}
    assert set(Assessment.objects.values_list("status", flat=True)) == {Assessment.Status.DRAFT}


def test_the_community_is_the_one_of_the_last_report_confirmed_in_the_year(city):
    first, second, later = city["communities"][0], city["communities"][1], city["communities"][2]
    member = serving_member(first, status=Report.Status.ENDED, decided=at(YEAR, 2, 1), ended=at(YEAR, 7, 1))
    serving_member(second, member=member, status=Report.Status.ENDED, decided=at(YEAR, 7, 1), ended=at(YEAR + 1, 2, 1))
    serving_member(later, member=member, decided=at(YEAR + 1, 2, 1))

    compute()

    row = figures(member)
    assert row["community_id"] == second.pk
    assert row["unit_id"] == member.unit_id


def test_figures_count_verified_service_of_the_year_and_claims_made_in_it(city):
    here = city["communities"][0]
    member = serving_member(here)
    record(member, here, hours="3.0", points="6.0")
    record(member, here, hours="1.5", points="1.5", served_on=datetime.date(YEAR, 12, 31))
    record(member, here, hours="5.0", served_on=datetime.date(YEAR - 1, 12, 31))  # another year
    record(member, here, hours="5.0", status=ServiceRecord.Status.SUBMITTED)
    record(member, here, hours="5.0", status=ServiceRecord.Status.REJECTED)
    claim(member, here, status=Claim.Status.FULFILLED)
    claim(member, here, status=Claim.Status.FULFILLED)
    claim(member, here, status=Claim.Status.ABANDONED)
    claim(member, here, status=Claim.Status.ACTIVE)
    claim(member, here, status=Claim.Status.CANCELLED)
    claim(member, here, status=Claim.Status.ABANDONED, created_at=at(YEAR - 1, 11, 1))  # made the year before

    compute()

    row = figures(member)
    assert row["verified_hours"] == D("4.5")
    assert row["records_count"] == 2
    assert row["points"] == D("7.5")
    assert (row["claims_fulfilled"], row["claims_abandoned"]) == (2, 1)
    assert row["proposed_grade"] == row["grade"] == Grade.BASICALLY_QUALIFIED


def test_a_member_without_verified_service_is_proposed_unqualified(city):
    member = serving_member(city["communities"][0])
    compute()
    assert figures(member)["proposed_grade"] == Grade.UNQUALIFIED
    assert figures(member)["verified_hours"] == 0


def test_a_year_outside_the_range_is_refused(city):
    with pytest.raises(ValidationError):
        compute(timezone.localdate().year + 1)
    with pytest.raises(ValidationError):
        compute(FIRST_YEAR - 1)


# --- Refreshing drafts -----------------------------------------------------------------------------------------


def test_running_again_refreshes_the_figures_and_grade_of_drafts(city):
    here = city["communities"][0]
    member = serving_member(here)
    record(member, here, hours="4.0")
    compute()
    assert figures(member)["grade"] == Grade.BASICALLY_QUALIFIED

    record(member, here, hours="8.0")
    compute()

    row = figures(member)
    assert row["verified_hours"] == D("12.0")
    assert row["records_count"] == 2
    assert row["proposed_grade"] == row["grade"] == Grade.QUALIFIED
    assert row["status"] == Assessment.Status.DRAFT
    assert Assessment.objects.filter(member=member).count() == 1


def test_a_draft_grade_set_apart_from_the_proposal_is_kept_while_the_proposal_refreshes(city):
    here = city["communities"][0]
    member = serving_member(here)
    compute()
    Assessment.objects.filter(member=member).update(grade=Grade.QUALIFIED)  # changed in the admin
    record(member, here, hours="2.0")

    compute()

    row = figures(member)
    assert row["proposed_grade"] == Grade.BASICALLY_QUALIFIED
    assert row["grade"] == Grade.QUALIFIED


def test_running_again_never_touches_reviewed_or_final_assessments(city):
    here = city["communities"][0]
    staff = make_staff(Role.COMMUNITY_STAFF, community=here)
    reviewed, final = serving_member(here), serving_member(here)
    compute()
    assessment_ops.assessment_review(
        user=staff,
        assessment_id=Assessment.objects.get(member=reviewed).pk,
        grade=Grade.QUALIFIED,
        remark="积极参加社区服务",
    )
    Assessment.objects.filter(member=final).update(status=Assessment.Status.FINAL)
    before = {member.pk: figures(member) for member in (reviewed, final)}
    remark_before = Assessment.objects.get(member=reviewed).remark
    for member in (reviewed, final):
        record(member, here, hours="12.0")

    compute()

    assert {member.pk: figures(member) for member in (reviewed, final)} == before
    assert Assessment.objects.get(member=reviewed).remark == remark_before


def test_a_draft_of_a_member_no_longer_assessable_is_removed(city):
    here = city["communities"][0]
    member = serving_member(here)
    compute()
    Report.objects.filter(member=member).delete()

    compute()

    assert not Assessment.objects.filter(member=member).exists()


# --- Chunks and runs ----------------------------------------------------------------------------------------


def small_city(city, count=9):
    """Members over several communities and districts, with some service each."""
    members = []
    for index in range(count):
        community = city["communities"][index % len(city["communities"])]
        member = serving_member(community)
        for _ in range(index % 4):
            record(member, community, hours="4.0", points="5.0")
        members.append(member)
    return members


def test_several_small_chunks_give_the_same_result_as_one_chunk(city, settings):
    small_city(city)
    compute()
    one_chunk = everything()
    Assessment.objects.all().delete()

    settings.ASSESSMENT_CHUNK_SIZE = 2
    written = compute()

    assert len(runs.member_ranges()) >= 5
    assert written == len(one_chunk) == 9
    assert everything() == one_chunk


def test_a_chunk_run_twice_creates_no_duplicates(city):
    members = small_city(city, count=4)
    start, end = members[0].pk, members[-1].pk + 1
    assert computation.assessment_chunk(year=YEAR, start_pk=start, end_pk=end) == 4
    first = everything()
    assert computation.assessment_chunk(year=YEAR, start_pk=start, end_pk=end) == 4
    assert everything() == first
    assert Assessment.objects.count() == 4


def test_a_district_run_assesses_only_members_whose_year_ends_in_the_district(city):
    members = small_city(city, count=8)
    district = city["districts"][0]
    moved = members[0]  # served in the district, then moved to the other district for the year's end
    Report.objects.filter(member=moved).update(status=Report.Status.ENDED, ended_at=at(YEAR, 6, 1))
    serving_member(city["communities"][-1], member=moved, decided=at(YEAR, 6, 1))

    compute(district=district)

    assessed = Assessment.objects.filter(year=YEAR)
    assert assessed.count() == 3
    assert set(assessed.values_list("community__district", flat=True)) == {district.pk}
    assert not assessed.filter(member=moved).exists()


def test_the_run_task_chunks_the_members_and_finishes_with_its_progress(
    city, settings, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_CHUNK_SIZE = 2
    small_city(city)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = assessment_run_task(year=YEAR)

    run = AssessmentRun.objects.get(pk=run_id)
    assert run.status == AssessmentRun.Status.FINISHED
    assert run.total == run.chunks.count() >= 5
    assert run.done == run.total
    assert run.assessed == Assessment.objects.count() == 9
    assert run.finished_at is not None
    assert not run.chunks.filter(done_at__isnull=True).exists()


def test_a_run_cut_short_is_completed_by_starting_it_again_with_no_duplicates(
    city, settings, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_CHUNK_SIZE = 2
    small_city(city)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = runs.assessment_run_start(year=YEAR)
    # The worker did two chunks, then was killed: the third was in progress (rolled back) and the rest queued.
    chunks = list(run.chunks.order_by("start_pk"))
    for chunk in chunks[:2]:
        assert runs.run_chunk_process(run_id=run.pk, start_pk=chunk.start_pk)
    run.refresh_from_db()
    assert (run.status, run.done) == (AssessmentRun.Status.RUNNING, 2)
    assert len(queued) == len(chunks)

    with django_capture_on_commit_callbacks(execute=True) as requeued:
        again = assessment_run_task(year=YEAR)

    assert again == run.pk
    assert len(requeued) == len(chunks) - 2  # only the chunks not done
    run.refresh_from_db()
    assert run.status == AssessmentRun.Status.FINISHED
    assert run.done == run.total == len(chunks)
    assert Assessment.objects.count() == run.assessed == 9
    # A chunk delivered again after the run finished (acks_late) does nothing.
    assert assessment_chunk_task(run.pk, chunks[0].start_pk, chunks[0].end_pk) is False
    run.refresh_from_db()
    assert run.done == run.total


def test_a_chunk_that_fails_marks_the_run_failed_and_starting_again_resumes_it(
    city, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_CHUNK_SIZE = 100
    small_city(city, count=3)
    real_chunk = computation.assessment_chunk

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(computation, "assessment_chunk", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        runs.assessment_run_start(year=YEAR)
    run = AssessmentRun.objects.get()
    assert run.status == AssessmentRun.Status.FAILED
    assert "disk full" in run.error
    assert not Assessment.objects.exists()

    monkeypatch.setattr(computation, "assessment_chunk", real_chunk)
    with django_capture_on_commit_callbacks(execute=True):
        resumed = runs.assessment_run_start(year=YEAR)

    assert resumed.pk == run.pk
    run.refresh_from_db()
    assert (run.status, run.error) == (AssessmentRun.Status.FINISHED, "")
    assert Assessment.objects.count() == 3


def test_a_finished_run_is_followed_by_a_new_one_that_refreshes(city, django_capture_on_commit_callbacks):
    small_city(city, count=3)
    with django_capture_on_commit_callbacks(execute=True):
        first = runs.assessment_run_start(year=YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        second = runs.assessment_run_start(year=YEAR)
    assert first.pk != second.pk
    assert AssessmentRun.objects.filter(status=AssessmentRun.Status.FINISHED).count() == 2
    assert Assessment.objects.count() == 3


def test_starting_a_run_as_a_user_needs_the_organisation_department(city, staff_users):
    with pytest.raises(PermissionDenied):
        runs.assessment_run_start(year=YEAR, user=staff_users["community"])
    with pytest.raises(PermissionDenied):
        runs.assessment_run_start(year=YEAR, user=staff_users["org_district"])  # the whole city
    with pytest.raises(PermissionDenied):
        runs.assessment_run_start(year=YEAR, district=city["districts"][1], user=staff_users["org_district"])
    run = runs.assessment_run_start(year=YEAR, district=city["districts"][0], user=staff_users["org_district"])
    assert run.started_by == staff_users["org_district"]


def test_empty_city_run_is_finished_at_once(db):
    run = runs.assessment_run_start(year=YEAR)
    assert (run.status, run.total) == (AssessmentRun.Status.FINISHED, 0)
    assert not AssessmentRunChunk.objects.exists()


# --- Review by community staff -----------------------------------------------------------------------------


@pytest.fixture
def draft(city):
    member = serving_member(city["communities"][0])
    record(member, city["communities"][0], hours="2.0")
    compute()
    return Assessment.objects.get(member=member)


def test_review_keeping_the_proposed_grade_needs_no_remark(draft, staff_users):
    reviewed = assessment_ops.assessment_review(
        user=staff_users["community"], assessment_id=draft.pk, grade=draft.proposed_grade, remark=""
    )
    assert reviewed.status == Assessment.Status.REVIEWED
    assert reviewed.reviewed_by == staff_users["community"]
    assert reviewed.reviewed_at is not None


def test_review_changing_the_grade_requires_a_remark(draft, staff_users):
    with pytest.raises(ValidationError) as excinfo:
        assessment_ops.assessment_review(
            user=staff_users["community"], assessment_id=draft.pk, grade=Grade.QUALIFIED, remark=" "
        )
    assert set(excinfo.value.error_dict) == {"remark"}
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.DRAFT

    assessment_ops.assessment_review(
        user=staff_users["community"], assessment_id=draft.pk, grade=Grade.QUALIFIED, remark="长期照顾独居老人"
    )
    draft.refresh_from_db()
    assert (draft.grade, draft.proposed_grade, draft.remark) == (
        Grade.QUALIFIED,
        Grade.BASICALLY_QUALIFIED,
        "长期照顾独居老人",
    )


def test_review_refuses_an_unknown_grade(draft, staff_users):
    with pytest.raises(ValidationError) as excinfo:
        assessment_ops.assessment_review(
            user=staff_users["community"], assessment_id=draft.pk, grade="perfect", remark="x"
        )
    assert set(excinfo.value.error_dict) == {"grade"}


@pytest.mark.parametrize("who", ["other_community", "street", "org_city", "member"])
def test_review_is_refused_to_anyone_but_the_communitys_staff(draft, staff_users, city, who):
    users = {
        "other_community": make_staff(Role.COMMUNITY_STAFF, community=city["communities"][1]),
        "street": staff_users["street"],
        "org_city": staff_users["org_city"],
        "member": draft.member.user,
    }
    with pytest.raises(PermissionDenied):
        assessment_ops.assessment_review(user=users[who], assessment_id=draft.pk, grade=draft.proposed_grade)
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.DRAFT


def test_a_final_assessment_can_no_longer_be_reviewed(draft, staff_users):
    Assessment.objects.filter(pk=draft.pk).update(status=Assessment.Status.FINAL)
    with pytest.raises(ValidationError):
        assessment_ops.assessment_review(
            user=staff_users["community"], assessment_id=draft.pk, grade=draft.proposed_grade
        )


def test_accepting_the_proposals_reviews_only_the_communitys_untouched_drafts(city, staff_users):
    here, there = city["communities"][0], city["communities"][1]
    mine = [serving_member(here) for _ in range(3)]
    theirs = serving_member(there)
    compute()
    Assessment.objects.filter(member=mine[0]).update(grade=Grade.EXCELLENT)

    accepted = assessment_ops.assessment_accept_proposals(
        user=staff_users["community"], community_id=here.pk, year=YEAR
    )

    assert (accepted.reviewed, accepted.waiting) == (2, 0)
    assert Assessment.objects.get(member=mine[0]).status == Assessment.Status.DRAFT
    assert Assessment.objects.get(member=theirs).status == Assessment.Status.DRAFT
    with pytest.raises(PermissionDenied):
        assessment_ops.assessment_accept_proposals(user=staff_users["community"], community_id=there.pk, year=YEAR)


# --- Records still waiting for verification ------------------------------------------------------------------


def test_review_is_refused_while_records_of_the_year_wait_unless_the_reviewer_says_so(draft, staff_users):
    here = draft.community
    record(draft.member, here, hours="0.5", status=ServiceRecord.Status.SUBMITTED)
    record(draft.member, here, hours="1.0", status=ServiceRecord.Status.SUBMITTED)
    staff = staff_users["community"]

    with pytest.raises(ValidationError) as excinfo:
        assessment_ops.assessment_review(user=staff, assessment_id=draft.pk, grade=draft.proposed_grade, remark="好")
    assert set(excinfo.value.error_dict) == {"records_waiting"}
    assert "1.5" in excinfo.value.error_dict["records_waiting"][0].message  # the hours that wait
    with pytest.raises(ValidationError) as excinfo:
        assessment_ops.assessment_review(
            user=staff, assessment_id=draft.pk, grade=draft.proposed_grade, records_waiting=True
        )
    assert set(excinfo.value.error_dict) == {"remark"}
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.DRAFT

    assessment_ops.assessment_review(
        user=staff,
        assessment_id=draft.pk,
        grade=draft.proposed_grade,
        remark="待审记实为年底补录，不影响等次",
        records_waiting=True,
    )
    draft.refresh_from_db()
    assert (draft.status, draft.records_waiting_noted) == (Assessment.Status.REVIEWED, True)


def test_records_of_another_year_or_already_decided_do_not_hold_a_review(draft, staff_users):
    here = draft.community
    record(draft.member, here, served_on=datetime.date(YEAR + 1, 1, 1), status=ServiceRecord.Status.SUBMITTED)
    record(draft.member, here, status=ServiceRecord.Status.REJECTED)
    record(factories.MemberFactory(), here, status=ServiceRecord.Status.SUBMITTED)  # someone else's

    reviewed = assessment_ops.assessment_review(
        user=staff_users["community"], assessment_id=draft.pk, grade=draft.proposed_grade
    )

    assert (reviewed.status, reviewed.records_waiting_noted) == (Assessment.Status.REVIEWED, False)


def test_accepting_the_proposals_leaves_drafts_whose_records_wait(city, staff_users):
    here = city["communities"][0]
    waiting, clear = serving_member(here), serving_member(here)
    compute()
    record(waiting, here, hours="0.5", status=ServiceRecord.Status.SUBMITTED)

    accepted = assessment_ops.assessment_accept_proposals(
        user=staff_users["community"], community_id=here.pk, year=YEAR
    )

    assert (accepted.reviewed, accepted.waiting) == (1, 1)
    assert Assessment.objects.get(member=waiting).status == Assessment.Status.DRAFT
    assert Assessment.objects.get(member=clear).status == Assessment.Status.REVIEWED


def test_finalising_holds_back_assessments_whose_records_wait_unless_the_review_noted_them(
    city, staff_users, django_capture_on_commit_callbacks
):
    here = city["communities"][0]
    staff = make_staff(Role.COMMUNITY_STAFF, community=here)
    noted, late, draft_waiting, draft_clear = (serving_member(here) for _ in range(4))
    compute()
    record(noted, here, status=ServiceRecord.Status.SUBMITTED)
    assessment_ops.assessment_review(
        user=staff,
        assessment_id=Assessment.objects.get(member=noted).pk,
        grade=Grade.UNQUALIFIED,
        remark="记实内容不实，待核",
        records_waiting=True,
    )
    assessment_ops.assessment_review(
        user=staff, assessment_id=Assessment.objects.get(member=late).pk, grade=Grade.UNQUALIFIED
    )
    record(late, here, status=ServiceRecord.Status.SUBMITTED)  # logged after the review
    record(draft_waiting, here, status=ServiceRecord.Status.SUBMITTED)

    finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"], include_drafts=True)

    statuses = dict(Assessment.objects.values_list("member_id", "status"))
    assert statuses == {
        noted.pk: Assessment.Status.FINAL,
        late.pk: Assessment.Status.REVIEWED,
        draft_waiting.pk: Assessment.Status.DRAFT,
        draft_clear.pk: Assessment.Status.FINAL,
    }


# --- Finalising --------------------------------------------------------------------------------------------


@pytest.fixture
def reviewed_city(city):
    """Two reviewed assessments in each district, one draft in each; unit liaisons for the first units."""
    rows = {}
    for index, district in enumerate(city["districts"]):
        community = city["communities"][index * 4]
        unit = city["units"][index]
        staff = make_staff(Role.COMMUNITY_STAFF, community=community)
        members = [serving_member(community, unit=unit) for _ in range(3)]
        compute(district=district)
        for member in members[:2]:
            row = Assessment.objects.get(member=member)
            assessment_ops.assessment_review(user=staff, assessment_id=row.pk, grade=row.proposed_grade)
        rows[district.pk] = members
    liaisons = [make_staff(Role.UNIT_LIAISON, unit=unit) for unit in city["units"][:2]]
    return {"members": rows, "liaisons": liaisons}


def finalise(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return runs.assessment_finalise(year=YEAR, **kwargs)


def test_the_city_finalises_every_reviewed_assessment_and_leaves_drafts(
    city, staff_users, reviewed_city, django_capture_on_commit_callbacks
):
    run = finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"])

    run.refresh_from_db()
    assert (run.status, run.assessed) == (AssessmentRun.Status.FINISHED, 4)
    final = Assessment.objects.filter(status=Assessment.Status.FINAL)
    assert final.count() == 4
    assert not final.filter(finalised_at__isnull=True).exists()
    assert Assessment.objects.filter(status=Assessment.Status.DRAFT).count() == 2


def test_finalising_with_drafts_finalises_them_too(
    city, staff_users, reviewed_city, django_capture_on_commit_callbacks
):
    finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"], include_drafts=True)
    assert set(Assessment.objects.values_list("status", flat=True)) == {Assessment.Status.FINAL}


def test_a_district_org_department_finalises_only_its_district(
    city, staff_users, reviewed_city, django_capture_on_commit_callbacks
):
    mine, other = city["districts"]
    finalise(django_capture_on_commit_callbacks, user=staff_users["org_district"], district=mine)

    final = Assessment.objects.filter(status=Assessment.Status.FINAL)
    assert set(final.values_list("community__district", flat=True)) == {mine.pk}
    assert final.count() == 2
    with pytest.raises(PermissionDenied):
        runs.assessment_finalise(user=staff_users["org_district"], year=YEAR, district=other)
    with pytest.raises(PermissionDenied):
        runs.assessment_finalise(user=staff_users["org_district"], year=YEAR)


@pytest.mark.parametrize("who", ["community", "street", "unit"])
def test_finalising_is_refused_outside_the_organisation_department(staff_users, reviewed_city, who):
    with pytest.raises(PermissionDenied):
        runs.assessment_finalise(user=staff_users[who], year=YEAR)
    assert not Assessment.objects.filter(status=Assessment.Status.FINAL).exists()


def test_finalising_with_nothing_waiting_is_refused(city, staff_users):
    with pytest.raises(ValidationError):
        runs.assessment_finalise(user=staff_users["org_city"], year=YEAR)


def test_members_and_unit_liaisons_are_told_once(city, staff_users, reviewed_city, django_capture_on_commit_callbacks):
    run = finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"])
    member_notes = Notification.objects.filter(kind="assessment-final")
    unit_notes = Notification.objects.filter(kind="assessment-final-unit", channel=Notification.Channel.INBOX)
    told = sorted(member_notes.values_list("user_id", flat=True))
    finalised = sorted(
        Assessment.objects.filter(status=Assessment.Status.FINAL).values_list("member__user_id", flat=True)
    )
    assert told == finalised and len(told) == 4
    liaisons = StaffAssignment.objects.filter(role=Role.UNIT_LIAISON, unit__in=city["units"][:2])
    assert len(liaisons) == 3  # the fixture's liaison of the first unit, and one more for each unit
    assert sorted(unit_notes.values_list("user_id", flat=True)) == sorted(liaisons.values_list("user_id", flat=True))

    # The same chunk delivered again, and a second finalisation of the rest, tell nobody twice.
    chunk = run.chunks.first()
    assert runs.run_chunk_process(run_id=run.pk, start_pk=chunk.start_pk) is False
    finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"], include_drafts=True)
    assert member_notes.count() == 6
    assert len(set(member_notes.values_list("user_id", flat=True))) == 6
    assert unit_notes.count() == 6  # each liaison once per finalisation that finalised their members


def test_the_finalisation_records_the_organisations_under_the_line(
    city, staff_users, reviewed_city, django_capture_on_commit_callbacks
):
    low, high, city_level = city["units"]
    UnitTally.objects.create(unit=low, year=YEAR, roster=10, reported=8)
    UnitTally.objects.create(unit=high, year=YEAR, roster=10, reported=9)
    UnitTally.objects.create(unit=city_level, year=YEAR, roster=10, reported=1)

    run = finalise(django_capture_on_commit_callbacks, user=staff_users["org_city"])
    assert [row["unit_id"] for row in run.below_line] == [low.pk, city_level.pk]
    assert run.below_line[0]["rate"] == "80.0"

    rows = selectors.below_line_rows(user=staff_users["org_district"], year=YEAR, district=city["districts"][0])
    assert [row.pk for row in rows] == [low.pk]


# --- Concurrency (PostgreSQL row locks) ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_chunk_do_it_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    community = factories.CommunityFactory()
    for _ in range(3):
        serving_member(community)
    with transaction.atomic():
        run, _chunks = runs._open_run(kind=AssessmentRun.Kind.COMPUTE, year=YEAR, district=None, user=None)
    chunk = run.chunks.get()
    barrier = threading.Barrier(2, timeout=30)
    results = []

    def work():
        barrier.wait()
        results.append(runs.run_chunk_process(run_id=run.pk, start_pk=chunk.start_pk))

    run_in_threads(work, work)

    assert sorted(results) == [False, True]
    run.refresh_from_db()
    assert (run.status, run.done, run.assessed) == (AssessmentRun.Status.FINISHED, 1, 3)
    assert Assessment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_review_made_while_a_chunk_computes_waits_and_is_kept():
    if connection.vendor != "postgresql":
        pytest.skip("the interleaving needs PostgreSQL row locks")
    community = factories.CommunityFactory()
    staff = make_staff(Role.COMMUNITY_STAFF, community=community)
    member = serving_member(community)
    compute()
    record(member, community, hours="12.0")
    assessment = Assessment.objects.get(member=member)
    locked, review_started = threading.Event(), threading.Event()

    def pause_after_locking(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('SELECT "services_assessment"."member_id" AS "member_id", "services_assessment"."status"'):
            locked.set()
            review_started.wait(timeout=30)
            time.sleep(0.3)  # the review is now waiting on the row lock
        return result

    def compute_chunk():
        with connection.execute_wrapper(pause_after_locking):
            computation.assessment_chunk(year=YEAR, start_pk=member.pk, end_pk=member.pk + 1)

    def review():
        assert locked.wait(timeout=30), "the chunk never read its assessments"
        review_started.set()
        assessment_ops.assessment_review(
            user=staff, assessment_id=assessment.pk, grade=Grade.EXCELLENT, remark="表现突出"
        )

    run_in_threads(compute_chunk, review)

    assessment.refresh_from_db()
    assert (assessment.status, assessment.grade, assessment.remark) == (
        Assessment.Status.REVIEWED,
        Grade.EXCELLENT,
        "表现突出",
    )
    assert assessment.verified_hours == D("12.0")  # the chunk committed first, on the draft
    assert assessment.proposed_grade == Grade.QUALIFIED


# --- A real worker and a real Redis (started by .ci/run; skipped without a Redis broker) ---------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_run_goes_through_redis_and_a_worker_and_a_second_run_adds_no_duplicates(redis_worker, settings):  # noqa: F811
    settings.ASSESSMENT_CHUNK_SIZE = 2
    community = factories.CommunityFactory()
    for _ in range(5):
        factories.ReportFactory(community=community, status=Report.Status.CONFIRMED, decided_at=timezone.now())
    year = timezone.localdate().year
    for _ in range(2):
        run_id = assessment_run_task.delay(year=year).get(timeout=30)
        deadline = time.monotonic() + 30
        while AssessmentRun.objects.get(pk=run_id).status != AssessmentRun.Status.FINISHED:
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.2)
    assert Assessment.objects.filter(year=year).count() == 5
    year_runs = AssessmentRun.objects.filter(year=year).order_by("pk")
    assert [(run.status, run.done == run.total, run.assessed) for run in year_runs] == [("finished", True, 5)] * 2
