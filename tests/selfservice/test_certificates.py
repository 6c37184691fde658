"""Points history by source and year, the certificate of service and its public verification page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from registration.models import Report
from services.activities.models import Activity, SignUp
from services.certificates import sources
from services.certificates.figures import certificate_figures
from services.certificates.tokens import certificate_read, certificate_token
from services.models import ServiceRecord
from services.selectors import member_service_summary
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = TODAY.year


@pytest.fixture
def served():
    """A member with verified service this year from a claimed need, an activity and their own initiative, a record
    from last year, one waiting and one rejected."""
    community = factories.CommunityFactory(name="金塔巷社区")
    member = factories.MemberFactory(name="王晓红", phone="13812345678")
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    need = factories.ServiceNeedFactory(community=community, title="陪独居老人看病")
    claim = factories.ClaimFactory(need=need, member=member)
    day = datetime.date(YEAR, 1, 10)

    def record(hours, points, status=ServiceRecord.Status.VERIFIED, on=day, **extra):
        return factories.ServiceRecordFactory(
            member=member, community=community, served_on=on, hours=Decimal(hours), points=Decimal(points),
            status=status, **extra,
        )

    record("2.0", "5.0", claim=claim)
    own = record("1.5", "3.5", description="帮邻居修水管")
    start = timezone.now() - datetime.timedelta(days=2)
    activity = Activity.objects.create(
        community=community, title="植树活动", description="植树", post_type="sanitation", place="小区广场", places=10,
        starts_at=start, ends_at=start + datetime.timedelta(hours=2), signup_deadline=start, cancel_cutoff=start,
        contact="王老师",
    )
    credited = record("2.0", "4.0")
    SignUp.objects.create(activity=activity, member=member, status=SignUp.Status.ATTENDED, record=credited)
    record("3.0", "6.0", on=datetime.date(YEAR - 1, 6, 1))
    record("4.0", "0", status=ServiceRecord.Status.SUBMITTED)
    record("4.0", "0", status=ServiceRecord.Status.REJECTED)
    return {"member": member, "community": community, "own": own}


def test_the_figures_are_the_verified_records_of_the_year_and_agree_with_the_members_summary(served):
    figures = certificate_figures(member_id=served["member"].pk, year=YEAR)
    assert (figures.hours, figures.points, figures.entries) == (Decimal("5.5"), Decimal("12.5"), 3)
    summary = member_service_summary(member=served["member"], year=YEAR)
    assert (summary.year_hours, summary.year_points, summary.stars) == (figures.hours, figures.points, figures.stars)
    last = certificate_figures(member_id=served["member"].pk, year=YEAR - 1)
    assert (last.hours, last.entries) == (Decimal("3.0"), 1)


def test_every_entry_names_its_source(served):
    with translation.override("zh-hans"):
        entries = sources.record_entries(served["member"].pk, YEAR)
    assert sorted((entry.kind, entry.title) for entry in entries) == sorted(
        [("活动", "植树活动"), ("认领需求", "陪独居老人看病"), ("自主服务", "帮邻居修水管")]
    )


def test_a_registered_source_adds_to_the_history_and_the_figures(served, monkeypatch):
    def totals(member_id, year):
        return sources.Totals(hours=Decimal("1.0"), points=Decimal("2.0"), count=1)

    def entries(member_id, year):
        return [sources.Entry(TODAY, Decimal("1.0"), Decimal("2.0"), "bank", "时间银行", "荣誉时长", "金塔巷社区")]

    monkeypatch.setattr(sources, "_sources", sources._sources.copy())
    sources.register_source("bank", "时间银行", entries=entries, totals=totals, order=30)
    figures = certificate_figures(member_id=served["member"].pk, year=YEAR)
    assert (figures.hours, figures.points, figures.entries) == (Decimal("6.5"), Decimal("14.5"), 4)


def test_a_token_reads_back_and_an_altered_one_does_not(served):
    figures = certificate_figures(member_id=served["member"].pk, year=YEAR)
    token = certificate_token(member_id=served["member"].pk, figures=figures, issued_on=TODAY)
    issued = certificate_read(token)
    assert (issued.member_id, issued.year, issued.printed) == (served["member"].pk, YEAR, ("5.5", "12.5", 3))
    assert certificate_read(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert certificate_read("not-a-token") is None


def test_the_points_page_lists_each_entry_by_year(client, served, django_assert_max_num_queries):
    client.force_login(served["member"].user)
    # session, user, roles, member with unit, the year's records with their need, activity and community, the totals,
    # unread messages
    with django_assert_max_num_queries(7):
        response = client.get(reverse("services:points-history"))
    page = response.content.decode()
    assert "植树活动" in page and "陪独居老人看病" in page and "帮邻居修水管" in page
    assert 'data-figure="hours">5.5' in page
    last = client.get(reverse("services:points-history") + f"?year={YEAR - 1}").content.decode()
    assert 'data-figure="hours">3.0' in last and "植树活动" not in last
    assert client.get(reverse("services:points-history") + f"?year={YEAR + 1}").status_code == 404
    assert client.get(reverse("services:points-history") + "?year=abc").status_code == 404


def test_the_certificate_carries_a_qr_code_that_opens_the_public_verification(client, served):
    client.force_login(served["member"].user)
    response = client.get(reverse("services:certificate", args=[YEAR]))
    page = response.content.decode()
    assert "服务证明" in page and "王晓红" in page and "<svg" in page
    assert 'href="/static/css/certificate.css"' in page
    verify_url = response.context["verify_url"]
    client.logout()
    public = client.get(verify_url)
    text = public.content.decode()
    assert public.status_code == 200 and 'data-verdict="agrees"' in text
    assert 'data-figure="hours">5.5' in text
    # No personal data: name, phone, ID number, unit.
    member = served["member"]
    for personal in (member.name, member.phone, member.phone_masked, member.id_number_mask, member.unit.name):
        assert personal not in text
    assert public["X-Robots-Tag"] == "noindex"


def test_the_verification_says_when_the_figures_changed_since(client, served):
    figures = certificate_figures(member_id=served["member"].pk, year=YEAR)
    token = certificate_token(member_id=served["member"].pk, figures=figures, issued_on=TODAY)
    ServiceRecord.objects.filter(status=ServiceRecord.Status.SUBMITTED).update(
        status=ServiceRecord.Status.VERIFIED, points=Decimal("8.0")
    )
    text = client.get(reverse("services:certificate-verify", args=[token])).content.decode()
    assert 'data-verdict="changed"' in text and 'data-figure="hours">9.5' in text


def test_a_made_up_token_is_not_found(client, served):
    assert client.get(reverse("services:certificate-verify", args=["eyJtIjoxfQ:abc:def"])).status_code == 404


def test_the_verification_page_query_count(client, served, django_assert_max_num_queries):
    figures = certificate_figures(member_id=served["member"].pk, year=YEAR)
    token = certificate_token(member_id=served["member"].pk, figures=figures, issued_on=TODAY)
    # the figures (one per source): no session, no user
    with django_assert_max_num_queries(2):
        assert client.get(reverse("services:certificate-verify", args=[token])).status_code == 200


def test_a_member_sees_only_their_own_certificate(client, served):
    other = factories.MemberFactory()
    client.force_login(other.user)
    response = client.get(reverse("services:certificate", args=[YEAR]))
    assert response.context["figures"].entries == 0
    assert "王晓红" not in response.content.decode()


def test_staff_have_no_certificate_page(client, served):
    staff = factories.UserFactory()
    client.force_login(staff)
    assert client.get(reverse("services:points-history")).status_code == 403
    assert client.get(reverse("services:certificate", args=[YEAR])).status_code == 403


def test_the_certificate_page_query_count(client, served, django_assert_max_num_queries):
    client.force_login(served["member"].user)
    # session, user, roles, member with unit, totals, records for the communities served, unread messages
    with django_assert_max_num_queries(7):
        assert client.get(reverse("services:certificate", args=[YEAR])).status_code == 200
