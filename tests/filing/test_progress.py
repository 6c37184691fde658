"""Progress for long work (issue 17; issue 19 finding 3): a large roster upload is imported by a background task
(eager here, as in the embedded default) and watched on a page that updates itself through htmx polling, which
stops when the import ends; the assessment run's progress is polled the same way."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from communities.models import StaffAssignment
from registration import roster, roster_jobs
from registration.models import RosterEntry
from tests import factories
from tests.conftest import make_staff
from tests.registration.test_roster import HEADERS, person

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def roster_file(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for number in range(1, rows + 1):
        sheet.append(person(number))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def liaison(client):
    unit = factories.UnitFactory()
    user = make_staff(StaffAssignment.Role.UNIT_LIAISON, unit=unit)
    client.force_login(user)
    return {"unit": unit, "user": user}


def test_a_large_upload_runs_as_a_job_and_its_page_shows_the_result(client, liaison, settings):
    settings.ROSTER_BACKGROUND_MIN_BYTES = 1  # every file is "large"
    unit = liaison["unit"]
    upload = reverse("registration:roster-upload", args=[unit.pk])
    response = client.post(upload, {"file": SimpleUploadedFile("名单.xlsx", roster_file(30))})
    assert response.status_code == 302
    job_page = response["Location"]
    assert job_page.startswith(upload) and job_page != upload
    assert RosterEntry.objects.filter(unit=unit).count() == 30  # the (eager) task ran

    html = client.get(job_page).content.decode()
    assert "名单已保存：新增 30 人，更新 0 人。" in html
    fragment = client.get(job_page, **HTMX).content.decode()
    assert "<html" not in fragment and 'id="roster-job"' in fragment
    assert "hx-trigger" not in fragment  # finished: the polling stops


def test_a_running_job_polls_and_shows_its_rows(client, liaison):
    unit = liaison["unit"]
    job_id = "running-job"
    state = {"unit": unit.pk, "user": liaison["user"].pk, "status": "running", "done": 4000, "total": 10000,
             "name": "名单.xlsx"}  # fmt: skip
    cache.set(f"roster-job:{job_id}", state)
    page = reverse("registration:roster-upload-job", args=[unit.pk, job_id])
    fragment = client.get(page, **HTMX).content.decode()
    assert f'hx-get="{page}"' in fragment and 'hx-trigger="every 2s"' in fragment
    assert 'value="4000"' in fragment and "4000 / 10000" not in fragment
    assert "已读取 4000 行，共 10000 行（40%）" in fragment
    assert '<meta http-equiv="refresh"' in client.get(page).content.decode()  # inside <noscript>


def test_a_job_is_seen_by_its_uploader_only(client, liaison):
    unit = liaison["unit"]
    cache.set("roster-job:theirs", {"unit": unit.pk, "user": liaison["user"].pk + 1000, "status": "queued",
                                     "done": 0, "total": 0, "name": "x.xlsx"})  # fmt: skip
    assert client.get(reverse("registration:roster-upload-job", args=[unit.pk, "theirs"])).status_code == 404
    assert client.get(reverse("registration:roster-upload-job", args=[unit.pk, "unknown"])).status_code == 404


def test_a_bad_large_file_reports_its_errors_on_the_job_page(client, liaison, settings):
    settings.ROSTER_BACKGROUND_MIN_BYTES = 1
    unit = liaison["unit"]
    content = ("姓名,身份证号码\n" + "李四,123\n" * 3).encode()
    response = client.post(
        reverse("registration:roster-upload", args=[unit.pk]), {"file": SimpleUploadedFile("x.csv", content)}
    )
    html = client.get(response["Location"]).content.decode()
    assert "文件有 3 处错误" in html and RosterEntry.objects.count() == 0


def test_the_import_reports_its_progress_in_rows(monkeypatch):
    monkeypatch.setattr(roster, "PROGRESS_EVERY", 10)
    seen = []
    result = roster.roster_import_file(
        unit=factories.UnitFactory(),
        uploaded_file=SimpleUploadedFile("x.xlsx", roster_file(45)),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.ok
    assert seen[0] == (0, 45) and seen[-1] == (45, 45)
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)
    assert len(seen) >= 5


def test_small_uploads_stay_in_the_request(client, liaison):
    unit = liaison["unit"]
    response = client.post(
        reverse("registration:roster-upload", args=[unit.pk]), {"file": SimpleUploadedFile("x.xlsx", roster_file(2))}
    )
    assert response["Location"] == reverse("registration:unit-roster", args=[unit.pk])
    assert roster_jobs.is_large(SimpleUploadedFile("x", b"x" * 200_000))


def test_the_assessment_runs_table_polls_while_a_run_is_going(client, city, staff_users):
    from services.assessment.models import AssessmentRun

    client.force_login(staff_users["org_city"])
    run = AssessmentRun.objects.create(year=2025, total=10, done=4)
    page = client.get(reverse("assessment:admin"), {"year": 2025}).content.decode()
    runs_url = reverse("assessment:admin-runs")
    assert f'hx-get="{runs_url}?year=2025"' in page and 'hx-trigger="every 3s"' in page
    assert "htmx.min.js" in page and '<noscript><meta http-equiv="refresh"' in page
    fragment = client.get(runs_url, {"year": 2025}).content.decode()
    assert "<html" not in fragment and 'value="4"' in fragment and "4 / 10" in fragment

    AssessmentRun.objects.filter(pk=run.pk).update(status=AssessmentRun.Status.FINISHED, done=10)
    fragment = client.get(runs_url, {"year": 2025}).content.decode()
    assert "hx-trigger" not in fragment and "10 / 10" in fragment  # finished: the polling stops
    assert "refresh" not in client.get(reverse("assessment:admin"), {"year": 2025}).content.decode()
