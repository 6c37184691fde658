"""Flows 1 and 2 through the test client: register, letter, queue, confirm/reject, ledger, unit roster."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communities.models import ExportRecord
from communities.platform import policies
from registration.models import Member, Report, User
from registration.rates.tallies import tally_rebuild
from tests import factories
from tests.conftest import make_staff
from tests.export_approval import full_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    community = factories.CommunityFactory(name="卧虎湾社区")
    return {"community": community, "unit": factories.UnitFactory(district=None, name="市财政局")}


def registration_post(place, **overrides):
    return factories.registration_form_data(place["community"], place["unit"], specialty="", **overrides)


def test_the_registration_page_loads_for_anyone(client, place):
    response = client.get(reverse("registration:register"))
    assert response.status_code == 200
    assert "隐私告知" in response.content.decode()


def test_narrowing_lists_the_streets_keeps_what_was_typed_and_saves_nothing(client, place):
    community = place["community"]
    data = {"name": "王晓红", "district": community.district_id, "narrow": "district", "password1": "secret-typed"}
    response = client.post(reverse("registration:register"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields["street"].queryset) == [community.street]
    assert 'value="王晓红"' in page
    assert "secret-typed" not in page
    assert "is-invalid" not in page
    assert Member.objects.count() == 0


def test_registration_creates_the_member_logs_in_and_shows_the_letter(client, place):
    response = client.post(reverse("registration:register"), registration_post(place))
    member = Member.objects.get()
    report = member.reports.get()
    assert response.status_code == 302
    assert response.url == reverse("registration:letter", args=[report.pk])
    letter = client.get(response.url)
    page = letter.content.decode()
    assert report.letter_number in page
    assert "卧虎湾社区" in page and "市财政局" in page and "王晓红" in page
    assert "<svg" in page  # the QR code, drawn by the app
    # Print-ready on A4: the page rules are in a static stylesheet (the Content-Security-Policy refuses inline ones).
    assert '<link rel="stylesheet" href="/static/css/letter.css">' in page
    assert "@page { size: A4;" in Path(finders.find("css/letter.css")).read_text()


def test_a_double_submit_creates_one_member_and_lands_on_the_same_letter(client, place):
    first = client.post(reverse("registration:register"), registration_post(place))
    client.logout()
    second = client.post(reverse("registration:register"), registration_post(place))
    assert (User.objects.count(), Member.objects.count(), Report.objects.count()) == (1, 1, 1)
    assert second.status_code == 302
    assert second.url == first.url


def test_bad_input_is_explained_next_to_the_field_and_kept(client, place):
    data = registration_post(place, id_number="110105194912310021", phone="12345")
    response = client.post(reverse("registration:register"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "校验码" in page and "手机号" in page
    assert 'value="110105194912310021"' in page
    assert 'value="幸福路12号3单元"' in page
    assert Member.objects.count() == 0 and User.objects.count() == 0


def test_an_id_number_registered_by_someone_else_is_refused_without_saying_which_field(client, place):
    factories.MemberFactory(id_number=factories.valid_id_number(31), name="李秘密")
    response = client.post(reverse("registration:register"), registration_post(place))
    assert response.status_code == 200
    assert "请用手机号码登录" in " ".join(response.context["form"].non_field_errors())
    assert "id_number" not in response.context["form"].errors
    assert "李秘密" not in response.content.decode()


def test_a_registered_member_visiting_the_form_goes_home(client):
    member = factories.MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("registration:register")).url == reverse("registration:member-home")


@pytest.fixture
def pending(place):
    return factories.ReportFactory(community=place["community"], status=Report.Status.PENDING)


def test_letter_is_readable_by_its_member_and_the_communitys_staff_only(client, place, pending):
    url = reverse("registration:letter", args=[pending.pk])
    allowed = [pending.member.user, make_staff("community", community=place["community"])]
    refused = [
        factories.MemberFactory().user,
        make_staff("community", community=factories.CommunityFactory()),
        make_staff("unit", unit=factories.UnitFactory()),
    ]
    for user in allowed:
        client.force_login(user)
        assert client.get(url).status_code == 200
    for user in refused:
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_queue_shows_only_the_communitys_pending_reports_oldest_first(client, place, pending):
    newer = factories.ReportFactory(community=place["community"], status=Report.Status.PENDING)
    factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED)
    factories.ReportFactory(community=factories.CommunityFactory(), status=Report.Status.PENDING)
    client.force_login(make_staff("community", community=place["community"]))
    response = client.get(reverse("registration:report-queue"))
    assert list(response.context["page"]) == [pending, newer]


def test_a_queue_row_links_to_the_review_and_confirms_there(client, place, pending):
    client.force_login(make_staff("community", community=place["community"]))
    html = client.get(reverse("registration:report-queue")).content.decode()
    review = reverse("registration:report-review", args=[pending.pk])
    assert f'href="{review}"' in html and f'href="{review}#reject"' in html
    assert f'action="{reverse("registration:report-confirm", args=[pending.pk])}"' in html
    assert "居住地社区" in html  # the kind's label, translated


def test_the_qr_code_lands_on_the_review_page_for_staff_in_scope_only(client, place, pending):
    url = reverse("registration:report-review", args=[pending.pk])
    assert client.get(url).status_code == 302  # login first
    client.force_login(make_staff("community", community=factories.CommunityFactory()))
    assert client.get(url).status_code == 404
    client.force_login(pending.member.user)
    assert client.get(url).status_code == 403
    client.force_login(make_staff("community", community=place["community"]))
    response = client.get(url)
    assert response.status_code == 200
    assert "确认报到" in response.content.decode()


def test_confirming_from_the_queue(client, place, pending):
    client.force_login(make_staff("community", community=place["community"]))
    response = client.post(reverse("registration:report-confirm", args=[pending.pk]))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Report.Status.CONFIRMED


def test_confirm_and_reject_are_refused_outside_the_community(client, place, pending):
    for user in (make_staff("community", community=factories.CommunityFactory()), pending.member.user):
        client.force_login(user)
        assert client.post(reverse("registration:report-confirm", args=[pending.pk])).status_code == 404
        reject = client.post(reverse("registration:report-reject", args=[pending.pk]), {"reason": "x"})
        assert reject.status_code == 404
    client.force_login(make_staff("street", street=place["community"].street))
    assert client.post(reverse("registration:report-confirm", args=[pending.pk])).status_code == 403
    pending.refresh_from_db()
    assert pending.status == Report.Status.PENDING


def test_rejecting_needs_a_reason_and_the_member_sees_it(client, place, pending):
    client.force_login(make_staff("community", community=place["community"]))
    url = reverse("registration:report-reject", args=[pending.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400
    assert "必填" in empty.content.decode()
    assert client.post(url, {"reason": "请先到居住地社区报到"}).status_code == 302
    client.force_login(pending.member.user)
    home = client.get(reverse("registration:member-home")).content.decode()
    assert "请先到居住地社区报到" in home and "已退回" in home


def test_an_outside_next_url_is_ignored(client, place, pending):
    client.force_login(make_staff("community", community=place["community"]))
    response = client.post(reverse("registration:report-confirm", args=[pending.pk]), {"next": "https://evil.example"})
    assert response.url == reverse("registration:report-queue")


def test_changing_community_keeps_history(client, place):
    report = factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED)
    target = factories.CommunityFactory()
    client.force_login(report.member.user)
    data = {"district": target.district_id, "street": target.street_id, "community": target.pk, "kind": "other"}
    response = client.post(reverse("registration:change-community"), data)
    assert response.status_code == 302
    new = Report.objects.get(member=report.member, status=Report.Status.PENDING)
    client.force_login(make_staff("community", community=target))
    client.post(reverse("registration:report-confirm", args=[new.pk]))
    statuses = dict(Report.objects.filter(member=report.member).values_list("community_id", "status"))
    assert statuses == {place["community"].pk: Report.Status.ENDED, target.pk: Report.Status.CONFIRMED}


@pytest.fixture
def ledger_members(place):
    here = factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED).member
    pending_here = factories.ReportFactory(community=place["community"], status=Report.Status.PENDING).member
    elsewhere = factories.ReportFactory(status=Report.Status.CONFIRMED).member
    return here, pending_here, elsewhere


def test_the_ledger_lists_the_communitys_confirmed_members_masked(client, place, ledger_members):
    here, pending_here, elsewhere = ledger_members
    client.force_login(make_staff("community", community=place["community"]))
    response = client.get(reverse("registration:ledger"))
    page = response.content.decode()
    assert list(response.context["page"]) == [here]
    assert here.phone_masked in page and here.phone not in page
    assert here.id_number_mask in page and here.id_number not in page
    assert here.home_address not in page


@pytest.mark.parametrize("term", ["name", "phone", "id_number"])
def test_the_ledger_finds_by_name_full_phone_or_full_id_number(client, place, ledger_members, term):
    here = ledger_members[0]
    factories.ReportFactory(community=place["community"], status=Report.Status.CONFIRMED)
    client.force_login(make_staff("community", community=place["community"]))
    value = here.id_number if term == "id_number" else getattr(here, term)
    assert list(client.post(reverse("registration:ledger"), {"q": value}, follow=True).context["page"]) == [here]


def test_a_partial_id_number_finds_nobody(client, place, ledger_members):
    client.force_login(make_staff("community", community=place["community"]))
    response = client.post(reverse("registration:ledger"), {"q": ledger_members[0].id_number[:8]}, follow=True)
    assert list(response.context["page"]) == []


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_masked_export_is_masked_and_recorded(client, place, ledger_members):
    here = ledger_members[0]
    staff = make_staff("community", community=place["community"])
    client.force_login(staff)
    rows = read_xlsx(client.get(reverse("registration:ledger-export")))
    assert rows[2][0] == "姓名"
    assert [row[0] for row in rows[3:]] == [here.name]
    flat = " ".join(str(value) for value in rows[3])
    assert here.id_number not in flat and here.phone not in flat and here.id_number_mask in flat
    record = ExportRecord.objects.get()
    assert (record.user, record.row_count, record.full_values) == (staff, 1, False)


def test_the_full_export_needs_an_approval_and_is_recorded_as_full(client, place, ledger_members):
    here = ledger_members[0]
    staff = make_staff("community", community=place["community"])
    client.force_login(staff)
    assert client.post(reverse("registration:ledger-export"), {"full": "1"}).status_code == 403
    rows = read_xlsx(full_export(client, staff, place["community"]))
    assert here.id_number in rows[3] and here.phone in rows[3]
    assert ExportRecord.objects.get().full_values is True


def test_street_staff_may_not_export_in_full(client, place, ledger_members):
    client.force_login(make_staff("street", street=place["community"].street))
    assert client.post(reverse("registration:ledger-export"), {"full": "1"}).status_code == 403
    assert ExportRecord.objects.count() == 0


def test_ledger_and_queue_are_refused_to_members_and_liaisons(client):
    for user in (factories.MemberFactory().user, make_staff("unit", unit=factories.UnitFactory())):
        client.force_login(user)
        for name in ("registration:ledger", "registration:ledger-export", "registration:report-queue"):
            assert client.get(reverse(name)).status_code == 403


def test_the_unit_roster_shows_each_state_and_the_rate(client):
    unit = factories.UnitFactory()
    reported, pending, registered, absent = (factories.RosterEntryFactory(unit=unit) for _ in range(4))
    factories.ReportFactory(member=factories.MemberFactory(unit=unit, roster_entry=reported), status="confirmed")
    factories.ReportFactory(member=factories.MemberFactory(unit=unit, roster_entry=pending), status="pending")
    factories.ReportFactory(
        member=factories.MemberFactory(unit=unit, roster_entry=registered), status="rejected", reject_reason="x"
    )
    off_roster = factories.MemberFactory(unit=unit)
    tally_rebuild(timezone.localdate().year)  # rows made by factories, around the services that keep the tallies
    client.force_login(make_staff("unit", unit=unit))
    url = reverse("registration:unit-roster", args=[unit.pk])
    response = client.get(url)
    summary = response.context["summary"]
    assert (summary.roster, summary.reported, summary.pending) == (4, 1, 1)
    assert (summary.registered_not_reported, summary.not_registered) == (1, 1)
    assert summary.rate == Decimal("25.0")
    assert off_roster.name in response.content.decode()
    for status, expected in [
        ("reported", reported),
        ("pending", pending),
        ("registered", registered),
        ("not_registered", absent),
    ]:
        assert list(client.get(url, {"status": status}).context["page"]) == [expected]


def test_the_unit_roster_of_another_unit_is_not_found(client):
    client.force_login(make_staff("unit", unit=factories.UnitFactory()))
    other = factories.UnitFactory()
    assert client.get(reverse("registration:unit-roster", args=[other.pk])).status_code == 404
    assert client.get(reverse("registration:roster-upload", args=[other.pk])).status_code == 404


def test_the_queue_counts_and_pages_alike_for_community_and_street_staff(client, place):
    """Community staff's queue counts its rows in the page's own query, a street's with Paginator's COUNT: the
    same total, pages and order either way."""
    community = place["community"]
    other = factories.CommunityFactory(street=community.street)
    start = timezone.now() - timezone.timedelta(days=1)
    reports = [
        factories.ReportFactory(
            community=community if index % 10 else other,
            status=Report.Status.PENDING,
            submitted_at=start + timezone.timedelta(minutes=index),
        )
        for index in range(60)
    ]
    mine = [report for report in reports if report.community_id == community.pk]
    staff = make_staff("community", community=community)
    for user, expected in ((staff, mine), (make_staff("street", street=community.street), reports)):
        client.force_login(user)
        assert len(expected) > 50  # two pages
        first = client.get(reverse("registration:report-queue"))
        second = client.get(reverse("registration:report-queue") + "?page=2")
        assert first.context["page"].paginator.count == len(expected)
        assert list(first.context["page"]) + list(second.context["page"]) == expected
        assert f'text-bg-warning">{len(expected)}</span>' in first.content.decode()
    # One community chosen by a street's staff: counted on the page's rows too, and only that community's.
    chosen = client.get(reverse("registration:report-queue") + f"?community={other.pk}")
    assert list(chosen.context["page"]) == [report for report in reports if report.community_id == other.pk]
    assert chosen.context["page"].paginator.count == 6


def test_the_queue_asks_the_decision_once_per_community_and_shows_local_times(client, place, monkeypatch):
    community = place["community"]
    other = factories.CommunityFactory()
    moment = timezone.make_aware(timezone.datetime(2026, 3, 1, 23, 30), timezone.get_fixed_timezone(0))
    for target in (community, community, other):
        factories.ReportFactory(community=target, status=Report.Status.PENDING, submitted_at=moment)
    staff = make_staff("community", community=community)
    staff.staff_assignments.create(role="community", community=other)
    asked = []
    real = policies.allowed
    monkeypatch.setattr(policies, "allowed", lambda name, *args: asked.append(name) or real(name, *args))
    client.force_login(staff)
    page = client.get(reverse("registration:report-queue")).content.decode()
    assert asked.count("communities.manage_community") == 2
    assert page.count('type="submit">确认</button>') == 3
    assert page.count("2026-03-02 07:30") == 3  # Asia/Shanghai, as the date filter drew it


def test_community_staff_cannot_open_unit_pages(client, place):
    client.force_login(make_staff("community", community=place["community"]))
    assert client.get(reverse("registration:unit-roster", args=[place["unit"].pk])).status_code == 403


def test_query_counts_do_not_grow_with_rows(client, place, django_assert_max_num_queries):
    staff = make_staff("community", community=place["community"])
    unit = place["unit"]
    for _ in range(25):
        entry = factories.RosterEntryFactory(unit=unit)
        member = factories.MemberFactory(unit=unit, roster_entry=entry)
        factories.ReportFactory(member=member, community=place["community"], status="confirmed")
        factories.ReportFactory(community=place["community"], status="pending")
    client.force_login(staff)
    # session, user, scope, rows (with member, unit and community, counted in the same query)
    with django_assert_max_num_queries(5):
        client.get(reverse("registration:report-queue"))
    # session, user, scope, count, rows, skills prefetch, confirmed communities
    with django_assert_max_num_queries(8):
        client.get(reverse("registration:ledger"))
    client.force_login(make_staff("unit", unit=unit))
    # session, user, scope, unit, summary, count, rows, off-roster members with reports
    with django_assert_max_num_queries(10):
        client.get(reverse("registration:unit-roster", args=[unit.pk]))


def roster_csv(*rows):
    lines = ["姓名,身份证号码,职务,手机号码"] + [",".join(row) for row in rows]
    return io.BytesIO("\n".join(lines).encode("utf-8-sig"))


def test_a_liaison_uploads_a_good_roster(client):
    unit = factories.UnitFactory()
    client.force_login(make_staff("unit", unit=unit))
    upload = roster_csv(("张三", factories.valid_id_number(51), "科员", "13911112222"))
    upload.name = "roster.csv"
    response = client.post(reverse("registration:roster-upload", args=[unit.pk]), {"file": upload})
    assert response.status_code == 302
    assert unit.roster_entries.get().name == "张三"


def test_a_bad_roster_saves_nothing_and_lists_errors_by_row_and_column(client):
    unit = factories.UnitFactory()
    client.force_login(make_staff("unit", unit=unit))
    upload = roster_csv(("张三", factories.valid_id_number(52), "科员", ""), ("", "110105194912310021", "", "123"))
    upload.name = "roster.csv"
    response = client.post(reverse("registration:roster-upload", args=[unit.pk]), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert unit.roster_entries.count() == 0
    assert {(error.row, error.column) for error in response.context["result"].errors} == {
        (3, "姓名"),
        (3, "身份证号码"),
        (3, "手机号码"),
    }
    assert "roster-errors" in page
    messages = [error.message for error in response.context["result"].errors]
    assert any("校验码" in message for message in messages), messages
    missing = [message for message in messages if message not in page]
    assert not missing, missing


def test_the_roster_template_downloads(client):
    client.force_login(make_staff("unit", unit=factories.UnitFactory()))
    response = client.get(reverse("registration:roster-template"))
    header = next(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert "身份证号码" in header


def test_roster_upload_is_refused_to_community_staff_and_members(client, place):
    unit = place["unit"]
    for user in (make_staff("community", community=place["community"]), factories.MemberFactory(unit=unit).user):
        client.force_login(user)
        assert client.get(reverse("registration:roster-upload", args=[unit.pk])).status_code == 403


def test_a_wholly_wrong_roster_shows_only_the_first_errors(client):
    unit = factories.UnitFactory()
    client.force_login(make_staff("unit", unit=unit))
    upload = roster_csv(*[("张三", "110105194912310021", "", "")] * 250)
    upload.name = "roster.csv"
    response = client.post(reverse("registration:roster-upload", args=[unit.pk]), {"file": upload})
    assert len(response.context["result"].errors) == 250
    assert response.content.decode().count("校验码") == 200


def test_a_member_withdraws_their_own_pending_report_only(client, place, pending):
    other = factories.ReportFactory(community=place["community"], status=Report.Status.PENDING)
    client.force_login(pending.member.user)
    client.post(reverse("registration:report-withdraw", args=[other.pk]))
    other.refresh_from_db()
    assert other.status == Report.Status.PENDING
    assert client.post(reverse("registration:report-withdraw", args=[pending.pk])).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.ended_at is not None) == (Report.Status.ENDED, True)


def test_an_export_searched_by_id_number_records_the_number_masked(client, place, ledger_members):
    here = ledger_members[0]
    client.force_login(make_staff("community", community=place["community"]))
    client.post(reverse("registration:ledger-export"), {"q": here.id_number})
    assert ExportRecord.objects.get().filters["q"] == here.id_number_mask


def test_registration_post_query_count(client, place, django_assert_max_num_queries):
    """The benchmark's registration POST (docs/PERFORMANCE.md): a ceiling, so a new statement shows in CI."""
    client.get(reverse("registration:register"))  # the CSRF cookie, as a browser has it
    # Form: the district list, the unit, district, street and community chosen (5). The roster entry (1). Save in
    # a savepoint: user, member, report, its letter number (6); no read before it: the unique constraints
    # refuse a taken ID number or phone. Login: the new session (4), django-axes' reset and access log (3), the
    # account's roles, read once for the staff session limits and the audit event (1), the account's earlier
    # sessions and this one's row (5), last login (1), the audit event (1), the session's data (3). The phone's SMS
    # code (issue 18): its check (1) and the check's audit event (1).
    data = registration_post(place)  # stores the phone's code: not part of the POST
    with django_assert_max_num_queries(32):
        response = client.post(reverse("registration:register"), data)
    assert response.status_code == 302
    assert Member.objects.count() == 1


def test_a_communitys_queue_pages_are_compiled_once_and_later_pages_read_alike(client, place, monkeypatch, settings):
    """registration.selectors.one_community_queue_rows: the first pages' SQL compiled once per process; a page past
    them is read from the queryset, with the same rows and total."""
    from django.db.models.sql.compiler import SQLCompiler

    from registration import selectors

    community = place["community"]
    start = timezone.now() - timezone.timedelta(days=1)
    reports = [
        factories.ReportFactory(
            community=community, status=Report.Status.PENDING, submitted_at=start + timezone.timedelta(minutes=index)
        )
        for index in range(7)
    ]
    factories.ReportFactory(community=factories.CommunityFactory(), status=Report.Status.PENDING)
    monkeypatch.setattr(selectors, "COMPILED_QUEUE_PAGES", 1)
    monkeypatch.setattr("registration.staff_views.PAGE_SIZE", 5)
    client.force_login(make_staff("community", community=community))
    url = reverse("registration:report-queue")
    client.get(url)
    compiled = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **kw: compiled.append(self.query.model) or real(self, *a, **kw)
    )
    first, second = client.get(url), client.get(url + "?page=2")
    assert first.context["page"].paginator.count == second.context["page"].paginator.count == 7
    assert list(first.context["page"]) + list(second.context["page"]) == reports
    assert compiled.count(Report) == 1  # the second page only: past the compiled ones
