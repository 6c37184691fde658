"""manage.py seed_demo: the demo city's shape, its invariants, determinism and the printed logins."""

import datetime
import io
import random
import time
from base64 import b32decode
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import RequestFactory
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.demo import DEMO_PASSWORD, DemoLogin, demo_finisher, demo_logins, demo_stage, registry, scale
from communities.demo.codes import (
    PhoneSource,
    chinese_number,
    credit_code_check_char,
    organisation_check_char,
    unit_code,
)
from communities.demo.loader import next_id
from communities.demo.logins import DEMO_TOTP_SECRET, STAFF_USERNAMES, describe_logins
from communities.models import Community, District, Pairing, StaffAssignment, Street, Unit
from communities.second_factor import requires_second_factor, second_factor_verify
from registration.demo_city import MEMBER_LOGIN, IdNumberSource
from registration.identity import (
    MOBILE_SHAPE,
    hash_id_number,
    id_check_char,
    mask_id_number,
    parse_id_number,
)
from registration.models import Member, Report, RosterEntry, Skill, User
from registration.services import letter_number, report_change_community
from services.models import Claim, PostType, ServiceNeed, ServiceRecord
from services.points import record_points
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = 400
LOGIN_USERNAMES = (
    "admin",
    "sysadmin",
    "secadmin",
    "auditor",
    "org-city",
    "org-district",
    "street",
    "community",
    "community2",
    "unit",
    MEMBER_LOGIN,
)
COUNTED_MODELS = (
    District,
    Street,
    Community,
    Unit,
    Pairing,
    User,
    StaffAssignment,
    RosterEntry,
    Member,
    Report,
    ServiceNeed,
    Claim,
    ServiceRecord,
)


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", members=options.pop("members", MEMBERS), stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return seed(reset=True)


def people_fingerprint():
    return list(Member.objects.order_by("pk").values_list("name", "id_number_hash", "phone")), list(
        Community.objects.values_list("code", "name")
    )


def test_scale_follows_the_rule_up_to_a_million():
    assert scale(1_000_000) == {"communities": 10_000, "streets": 500, "districts": 50, "units": 5_000}
    assert scale(400) == {"communities": 4, "streets": 2, "districts": 1, "units": 3}
    assert scale(3000) == {"communities": 30, "streets": 2, "districts": 1, "units": 15}


def test_counts_scale_with_members(demo_output):
    sizes = scale(MEMBERS)
    assert District.objects.count() == sizes["districts"]
    assert Street.objects.count() == sizes["streets"]
    assert Community.objects.count() == sizes["communities"]
    assert Unit.objects.count() == sizes["units"]
    assert RosterEntry.objects.count() == MEMBERS
    assert Pairing.objects.count() >= sizes["units"]
    assert Skill.objects.count() == 12


def test_places_have_statistics_codes_and_consistent_parents(demo_output):
    for district in District.objects.all():
        assert len(district.code) == 6 and district.code.isdigit()
        assert district.name.endswith(("区", "县"))
    for street in Street.objects.select_related("district"):
        assert len(street.code) == 9 and street.code.startswith(street.district.code)
        assert street.name.endswith(("街道", "镇"))
    for community in Community.objects.select_related("street"):
        assert len(community.code) == 12 and community.code.startswith(community.street.code)
        assert community.district_id == community.street.district_id
        assert community.name.endswith(("社区", "村"))
    names = list(Community.objects.values_list("name", flat=True))
    assert len(names) == len(set(names))


def test_units_are_unique_with_party_organisations(demo_output):
    units = list(Unit.objects.all())
    assert len({unit.name for unit in units}) == len(units)
    assert len({unit.code for unit in units}) == len(units)
    for unit in units:
        assert unit.party_organisation.startswith("中共") and unit.party_organisation.endswith("委员会")
        assert len(unit.code) == 18
    # Bigger cities have city-level units (no district) and all three kinds.
    seed(reset=True, members=3000)
    assert Unit.objects.filter(district__isnull=True).exists()
    assert set(Unit.objects.values_list("kind", flat=True)) == set(Unit.Kind.values)


def test_every_post_type_and_every_fulfilment_mode_is_present(demo_output):
    assert set(ServiceNeed.objects.values_list("post_type", flat=True)) == set(PostType.values)
    assert set(ServiceNeed.objects.values_list("fulfilment", flat=True)) == set(ServiceNeed.Fulfilment.values)
    pairs = set(ServiceNeed.objects.values_list("post_type", "fulfilment"))
    assert len(pairs) == len(PostType.values) * len(ServiceNeed.Fulfilment.values)
    assert ServiceNeed.objects.filter(status=ServiceNeed.Status.PUBLISHED).count() > ServiceNeed.objects.count() / 2
    assert not ServiceNeed.objects.filter(ends_at__isnull=True).exists()  # every need has a start and an end
    assert not ServiceNeed.objects.filter(Q(places__lt=1) | Q(places__gt=10)).exists()
    average = ServiceNeed.objects.count() / Community.objects.count()
    assert 8 <= average <= 12


def test_report_mix_has_every_state_and_the_roster_gaps(demo_output):
    statuses = dict(Report.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(Report.Status.values)
    confirmed_members = Member.objects.filter(reports__status=Report.Status.CONFIRMED).count()
    assert 0.65 * MEMBERS < confirmed_members < 0.9 * MEMBERS
    not_registered = RosterEntry.objects.filter(member__isnull=True).count()
    assert 0.08 * MEMBERS < not_registered < 0.25 * MEMBERS
    assert Member.objects.filter(roster_entry__isnull=True).exists()  # registered though on no roster
    assert not Report.objects.filter(status=Report.Status.REJECTED, reject_reason="").exists()
    assert not Report.objects.filter(status=Report.Status.ENDED, ended_at__isnull=True).exists()
    # Everyone who has an ended report moved on: the new report is confirmed or pending.
    moved = Member.objects.filter(reports__status=Report.Status.ENDED)
    assert moved.exists()
    assert not moved.exclude(reports__status__in=[Report.Status.CONFIRMED, Report.Status.PENDING]).exists()
    # At most one confirmed and one pending report per member (the database enforces it too).
    assert not (
        Member.objects.annotate(
            confirmed=Count("reports", filter=Q(reports__status="confirmed")),
            pending=Count("reports", filter=Q(reports__status="pending")),
        )
        .filter(Q(confirmed__gt=1) | Q(pending__gt=1) | Q(confirmed=0, pending=0))
        .exists()
    )
    assert Report.objects.values("letter_number").distinct().count() == Report.objects.count()


def test_roster_entries_link_members_units_and_expected_communities(demo_output):
    members = Member.objects.filter(roster_entry__isnull=False).select_related("roster_entry")
    for member in members:
        assert member.unit_id == member.roster_entry.unit_id
        assert member.user.username == member.phone and member.user.full_name == member.name
        assert member.privacy_notice_version == "2026-01" and member.consented_at is not None
        assert member.home_address and member.position
        assert 0 <= member.skills.count() <= 3
    current = {
        report.member_id: report.community_id
        for report in Report.objects.filter(status__in=[Report.Status.CONFIRMED, Report.Status.PENDING])
    }
    same = sum(member.roster_entry.community_id == current[member.pk] for member in members)
    assert 0.8 < same / members.count() < 0.97
    assert RosterEntry.objects.filter(community__isnull=False).count() > 0.9 * MEMBERS


def test_id_numbers_are_valid_unique_and_never_stored_in_plain(demo_output):
    district_codes = set(District.objects.values_list("code", flat=True))
    numbers = {}
    for model in (RosterEntry, Member):
        for row in model.objects.all():
            number = row.id_number
            normalised, birth_on, gender = parse_id_number(number)
            assert normalised == number and number[:6] in district_codes
            assert datetime.date(1966, 1, 1) <= birth_on <= datetime.date(2004, 12, 31)
            assert row.id_number_hash == hash_id_number(number)
            assert row.id_number_mask == mask_id_number(number)
            if model is Member:
                assert (row.birth_on, row.gender) == (birth_on, gender)
            for field in model._meta.concrete_fields:
                value = str(field.value_from_object(row))
                assert number not in value, f"{model.__name__}.{field.name} holds an ID number in plain"
            numbers.setdefault(row.id_number_hash, number)
    # One number per person: roster people plus members no unit listed.
    people = RosterEntry.objects.count() + Member.objects.filter(roster_entry__isnull=True).count()
    assert len(numbers) == len(set(numbers.values())) == people


def test_phones_are_unique_mainland_mobiles(demo_output):
    phones = list(Member.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    assert all(MOBILE_SHAPE.match(phone) for phone in phones)


def test_letter_numbers_follow_the_rule_new_reports_use(demo_output):
    for report in Report.objects.all():
        assert report.letter_number == letter_number(report_id=report.pk, submitted_at=report.submitted_at)
    member = Member.objects.filter(reports__status=Report.Status.CONFIRMED).first()
    other = Community.objects.exclude(reports__member=member).first()
    new = report_change_community(member=member, community=other, kind=Report.Kind.OTHER)
    assert new.letter_number == letter_number(report_id=new.pk, submitted_at=new.submitted_at)


def test_claimed_count_matches_claims_holding_a_place(demo_output):
    needs = ServiceNeed.objects.annotate(
        holding=Count("claims", filter=Q(claims__status__in=[Claim.Status.ACTIVE, Claim.Status.FULFILLED]))
    )
    assert needs.filter(claimed_count__gt=0).exists()
    for need in needs:
        assert need.claimed_count == need.holding <= need.places
    assert not ServiceNeed.objects.filter(status=ServiceNeed.Status.DRAFT, claims__isnull=False).exists()
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)


def test_claims_come_only_from_members_confirmed_in_the_needs_community(demo_output):
    claims = Claim.objects.select_related("need")
    assert claims.exists()
    confirmed = set(Report.objects.filter(status=Report.Status.CONFIRMED).values_list("member_id", "community_id"))
    for claim in claims:
        assert (claim.member_id, claim.need.community_id) in confirmed
    duplicates = Claim.objects.exclude(status=Claim.Status.CANCELLED).values("need", "member").annotate(n=Count("id"))
    assert not duplicates.filter(n__gt=1).exists()


def test_service_records_are_consistent(demo_output):
    records = ServiceRecord.objects.select_related("claim__need")
    assert records.filter(claim__isnull=True).exists() and records.filter(claim__isnull=False).exists()
    assert set(records.values_list("status", flat=True)) == set(ServiceRecord.Status.values)
    assert records.values("outcome").distinct().count() >= 4
    staff = set(
        StaffAssignment.objects.filter(role=StaffAssignment.Role.COMMUNITY_STAFF).values_list("user_id", "community_id")
    )
    today = timezone.localdate()
    for record in records:
        assert Decimal("0.5") <= record.hours <= Decimal("12") and record.hours * 2 == int(record.hours * 2)
        assert record.served_on <= today  # never dated in the future
        assert record.created_at <= timezone.now()
        if record.claim_id:
            need = record.claim.need
            assert record.member_id == record.claim.member_id
            assert record.community_id == need.community_id
            # Inside the need's window, and not before the member claimed it.
            assert timezone.localdate(need.starts_at) <= record.served_on <= timezone.localdate(need.ends_at)
            assert timezone.localdate(record.claim.created_at) <= record.served_on
        if record.status == ServiceRecord.Status.VERIFIED:
            assert record.points == record_points(hours=record.hours, outcome=record.outcome)
            assert (record.verified_by_id, record.community_id) in staff
            assert record.verified_at is not None
        else:
            assert record.points == 0 and record.verified_by_id is None
        if record.status == ServiceRecord.Status.REJECTED:
            assert record.reject_reason


def test_same_seed_gives_the_same_city_and_another_seed_another():
    seed(reset=True)
    first = people_fingerprint()
    seed(reset=True)
    assert people_fingerprint() == first
    seed(reset=True, seed=7)
    assert people_fingerprint() != first


# --- Alive on the day it is built ------------------------------------------------------------------------------

PINNED_DAY = datetime.date(2027, 3, 10)


def city_rows():
    """The rows of the city by what they say, not by primary keys of users (staff logins are saved through the ORM,
    so their ids depend on what the table held before)."""
    return {
        "needs": list(ServiceNeed.objects.order_by("pk").values_list(
            "community__code", "title", "post_type", "fulfilment", "status", "places", "claimed_count", "location",
            "starts_at", "ends_at", "created_at", "published_at",
        )),
        "claims": list(Claim.objects.order_by("pk").values_list(
            "need_id", "member__phone", "status", "commitment", "created_at", "cancelled_at"
        )),
        "records": list(ServiceRecord.objects.order_by("pk").values_list(
            "member__phone", "claim_id", "community__code", "served_on", "hours", "outcome", "status", "points",
            "verified_at", "created_at",
        )),
        "reports": list(Report.objects.order_by("pk").values_list(
            "member__phone", "community__code", "kind", "status", "letter_number", "submitted_at", "decided_at",
            "ended_at",
        )),
        "members": list(Member.objects.order_by("pk").values_list("name", "id_number_hash", "phone", "unit__code")),
        "pairings": list(Pairing.objects.order_by("pk").values_list("unit__code", "community__code", "started_year")),
    }


def test_the_demo_city_is_alive_on_the_day_it_is_built():
    seed(reset=True, today=PINNED_DAY.isoformat())
    day_start = timezone.make_aware(datetime.datetime.combine(PINNED_DAY, datetime.time()))
    published = ServiceNeed.objects.filter(status=ServiceNeed.Status.PUBLISHED)
    upcoming = published.filter(starts_at__gt=day_start, claimed_count__lt=F("places"))
    assert upcoming.exists()
    # Upcoming means the next weeks, not next year.
    assert not published.filter(starts_at__gt=day_start + datetime.timedelta(weeks=6)).exists()
    assert published.filter(starts_at__lt=day_start, ends_at__gt=day_start).exists()  # running
    assert ServiceNeed.objects.filter(ends_at__lt=day_start).exists()  # past
    assert ServiceNeed.objects.filter(ends_at__lt=day_start, status=ServiceNeed.Status.CLOSED).exists()
    # Recent reports wait for confirmation.
    last_week = Report.objects.filter(
        status=Report.Status.PENDING,
        submitted_at__gte=day_start - datetime.timedelta(days=7),
        submitted_at__lte=day_start,
    )
    assert last_week.exists()
    # Nothing the members and staff did is dated after that day; every record lies inside its need's window.
    assert not ServiceRecord.objects.filter(served_on__gt=PINNED_DAY).exists()
    for model, field in ((Report, "submitted_at"), (Report, "decided_at"), (Claim, "created_at"),
                         (ServiceRecord, "created_at"), (ServiceRecord, "verified_at")):
        assert not model.objects.filter(**{f"{field}__gt": day_start}).exists(), (model, field)
    for record in ServiceRecord.objects.filter(claim__isnull=False).select_related("claim__need"):
        need = record.claim.need
        assert timezone.localdate(need.starts_at) <= record.served_on <= timezone.localdate(need.ends_at)
    assert not Pairing.objects.filter(started_year__gt=PINNED_DAY.year).exists()


def test_without_today_the_city_is_built_around_the_local_date(time_machine):
    # 07:30 in Asia/Shanghai is still 9 March in UTC: the local date is the one that counts.
    time_machine.move_to(timezone.make_aware(datetime.datetime(2027, 3, 10, 7, 30)), tick=False)
    seed(reset=True)
    built_today = city_rows()
    seed(reset=True, today="2027-03-10")
    assert city_rows() == built_today


def test_the_same_seed_and_day_give_the_same_rows_and_another_day_the_same_city_moved():
    seed(reset=True, today=PINNED_DAY)
    first = city_rows()
    seed(reset=True, today=PINNED_DAY)
    assert city_rows() == first
    seed(reset=True, today=PINNED_DAY + datetime.timedelta(days=10))
    later = city_rows()
    assert later["members"] == first["members"]
    moved = [(need[0], need[1], need[8] - datetime.timedelta(days=10)) for need in later["needs"]]
    assert moved == [(need[0], need[1], need[8]) for need in first["needs"]]
    seed(reset=True, today=PINNED_DAY, seed=7)
    assert city_rows()["needs"] != first["needs"]


def test_seed_demo_refuses_a_day_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        seed(reset=True, today="10/03/2027")


# --- The stage registry -------------------------------------------------------------------------------------------


def test_the_apps_stages_are_discovered_from_their_demo_city_modules_in_order():
    stages = registry.ordered_stages()
    assert [stage.run.__module__ for stage in stages] == [
        "communities.demo_city", "communities.grid.demo_city", "communities.demo_city", "communities.grid.demo_city",
        "registration.demo_city", "services.demo_city", "services.activities.demo_city", "services.teams.demo_city",
        "services.assessment.demo_city", "services.requests.demo_city", "services.council.demo_city",
        "services.timebank.demo_city", "services.pairing.demo_city",
    ]
    assert registry.app_labels() == [
        "communities", "grid", "registration", "services", "activities", "teams", "assessment", "resident_requests",
        "council", "timebank", "pairing",
    ]


@pytest.fixture
def clean_registry():
    """Registrations a test makes at run time are removed afterwards."""
    stages, finishers, login_lists = dict(registry.stages), list(registry.finishers), list(registry.login_lists)
    yield registry
    registry.stages, registry.finishers, registry.login_lists = stages, finishers, login_lists


def test_a_new_sub_domain_adds_its_stage_without_editing_the_builder(clean_registry):
    seed(reset=True, today=PINNED_DAY)
    without = city_rows()
    seen = {}

    @demo_stage(order=500, label="新的子领域", summary=((Skill, "技能"),))
    def sub_domain(context):
        seen["produced"] = sorted(context.produced)
        seen["reference_at"] = context.reference_at
        seen["draws"] = [context.rng.random() for _ in range(1000)]  # its own stream: the others' rows stay
        writer = context.loader.writer(Skill, ["id", "name"])  # through the loader, like the apps' stages
        writer.add((next_id(Skill), "社区营造"))

    @demo_finisher(order=500, label="新的子领域收尾")
    def sub_domain_finish(context):
        seen["finished"] = Skill.objects.filter(name="社区营造").exists()

    @demo_logins(order=500)
    def sub_domain_logins():
        return [DemoLogin(username="team-lead", password=DEMO_PASSWORD, description="服务队队长")]

    output = seed(reset=True, today=PINNED_DAY)
    assert seen["produced"] == ["buildings", "city", "grid_workers", "membership", "skill_ids", "staff_user_ids"]
    assert seen["reference_at"] == timezone.make_aware(datetime.datetime.combine(PINNED_DAY, datetime.time()))
    assert seen["finished"] is True
    assert city_rows() == without
    assert "新的子领域：" in output and "新的子领域收尾：" in output and "技能 1" in output
    printed = [line.split()[0] for line in output.splitlines() if "Demo2026pass" in line]
    assert printed[-1] == "team-lead" and MEMBER_LOGIN in printed[:-1]  # the stages' logins, in their order


def test_a_stage_that_needs_what_no_stage_produced_says_so(clean_registry):
    @demo_stage(order=50, label="太早的一步")
    def too_early(context):
        context.need("membership")

    with pytest.raises(CommandError, match="membership"):
        seed(reset=True, today=PINNED_DAY)


def test_second_run_without_reset_adds_nothing(demo_output):
    counts = {model: model.objects.count() for model in COUNTED_MODELS}
    output = seed()
    assert "demo city already present" in output
    assert {model: model.objects.count() for model in COUNTED_MODELS} == counts
    for username in LOGIN_USERNAMES:
        assert username in output


def test_run_without_reset_recreates_a_missing_staff_login(demo_output):
    User.objects.get(username="street").delete()
    output = seed()
    assert "street" in output
    assert StaffAssignment.objects.filter(user__username="street", role=StaffAssignment.Role.STREET_STAFF).exists()


def test_reset_removes_everything_else():
    stranger = User.objects.create_user(username="stranger", password="x-1234567890")
    seed(reset=True)
    assert not User.objects.filter(username=stranger.username).exists()
    assert RosterEntry.objects.count() == MEMBERS


def test_printed_logins_authenticate_with_their_roles(demo_output):
    for username in LOGIN_USERNAMES:
        assert username in demo_output
        user = authenticate(RequestFactory().post("/login/"), username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.full_name
    assert DEMO_PASSWORD in demo_output
    validate_password(DEMO_PASSWORD, User.objects.get(username="admin"))

    def scope(username):
        return StaffAssignment.objects.get(user__username=username)

    first = {
        "district": District.objects.order_by("code").first(),
        "street": Street.objects.order_by("code").first(),
        "community": Community.objects.order_by("code").first(),
        "unit": Unit.objects.order_by("code").first(),
    }
    assert User.objects.get(username="admin").is_superuser
    assert scope("org-city").role == "org" and scope("org-city").district is None
    assert User.objects.get(username="org-city").is_staff
    assert scope("org-district").district == first["district"]
    assert scope("street").street == first["street"]
    assert scope("community").community == first["community"]
    assert scope("unit").unit == first["unit"]
    assert scope("community2").community.street != first["street"]


def test_member_login_is_confirmed_in_the_first_community_with_claims_and_records(demo_output):
    member = Member.objects.get(user__username=MEMBER_LOGIN)
    first_community = Community.objects.order_by("code").first()
    assert member.phone == MEMBER_LOGIN
    assert member.reports.get(status=Report.Status.CONFIRMED).community == first_community
    assert member.roster_entry.unit == Unit.objects.order_by("code").first()
    assert member.claims.count() >= 2
    assert member.service_records.filter(claim__isnull=False).count() >= 2
    assert member.service_records.filter(status=ServiceRecord.Status.VERIFIED).exists()


def test_id_number_source_never_repeats_and_has_valid_checksums():
    source = IdNumberSource(rng=random.Random(1), region_codes=["390102"])
    numbers = [source.draw("390102") for _ in range(20_000)]
    assert len({number for number, _, _ in numbers}) == len(numbers)
    for number, birth_on, gender in numbers[:2000]:
        assert parse_id_number(number) == (number, birth_on, gender)
        assert number[17] == id_check_char(number[:17])


def test_phone_source_keeps_the_reserved_number_for_index_zero_only():
    phones = PhoneSource(rng=random.Random(3), reserved=MEMBER_LOGIN)
    numbers = [phones.phone(index) for index in range(50_000)]
    assert numbers[0] == MEMBER_LOGIN and numbers.count(MEMBER_LOGIN) == 1
    assert len(set(numbers)) == len(numbers)


def test_unit_codes_carry_valid_check_characters():
    # The worked example of GB 32100: 91350100M000100Y43 (organisation code M000100Y4, check 3).
    assert organisation_check_char("M000100Y") == "4"
    assert credit_code_check_char("91350100M000100Y4") == "3"
    code = unit_code(kind="government", region="390100", serial=12345678)
    assert code[:16] == "1139010012345678"
    assert code[16] == organisation_check_char("12345678") and code[17] == credit_code_check_char(code[:17])


def test_chinese_numbers_read_as_written():
    assert [chinese_number(n) for n in (1, 10, 12, 20, 35, 100, 105, 110, 1010, 2026)] == [
        "一",
        "十",
        "十二",
        "二十",
        "三十五",
        "一百",
        "一百零五",
        "一百一十",
        "一千零一十",
        "二千零二十六",
    ]


# --- The demo second factor (manage.py demo_totp) ---------------------------------------------------------------

# Community and street staff too (issue 19, finding 10).
SECOND_FACTOR_LOGINS = [
    "admin", "sysadmin", "secadmin", "auditor", "org-city", "org-district", "street", "community", "community2",
]


def demo_code(at: float | None = None) -> str:
    """The code an authenticator app holding the printed demo secret shows (computed here, not by the app)."""
    totp = TOTP(b32decode(DEMO_TOTP_SECRET))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def test_the_demo_logins_that_need_a_second_factor_have_the_demo_device(demo_output):
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    printed = sorted(device.user.username for device in devices if not device.user.username.startswith("sq"))
    assert printed == sorted(SECOND_FACTOR_LOGINS)
    # Every other community's staff account holds the demo device as well (communities.demo.logins).
    generated = StaffAssignment.objects.filter(role="community", user__username__startswith="sq")
    assert generated.exists()
    assert set(generated.values_list("user__username", flat=True)) == {
        device.user.username for device in devices if device.user.username.startswith("sq")
    }
    assert {device.key for device in devices} == {b32decode(DEMO_TOTP_SECRET).hex()}
    assert {login for login in LOGIN_USERNAMES if requires_second_factor(User.objects.get(username=login))} == set(
        SECOND_FACTOR_LOGINS
    )


def test_the_printed_logins_say_how_to_pass_the_second_factor(demo_output):
    assert "python manage.py demo_totp" in demo_output
    assert DEMO_TOTP_SECRET in demo_output
    marked = [line.split()[0] for line in demo_output.splitlines() if "＋双因素认证" in line and "Demo2026pass" in line]
    assert marked == SECOND_FACTOR_LOGINS
    # The staff logins first, then those the stages add (grid worker, member, building head).
    assert STAFF_USERNAMES == tuple(login.username for login in describe_logins()[:len(STAFF_USERNAMES)])


def test_demo_totp_prints_codes_the_login_accepts(demo_output):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, 0, tzinfo=datetime.UTC), tick=False):
        out = io.StringIO()
        call_command("demo_totp", stdout=out)
        printed = dict(line.split() for line in out.getvalue().splitlines() if line.startswith("  "))
        assert set(printed) == set(SECOND_FACTOR_LOGINS)
        assert set(printed.values()) == {demo_code()}
        org = User.objects.get(username="org-city")
        device = second_factor_verify(user=org, device_id=TOTPDevice.objects.get(user=org).pk, code=printed["org-city"])
        assert device.user == org
    assert DEMO_TOTP_SECRET in out.getvalue()


def test_demo_totp_never_prints_a_device_enrolled_by_hand_and_seed_demo_keeps_it(demo_output, settings):
    settings.DEBUG = True  # a development database where someone enrolled a phone
    org = User.objects.get(username="org-city")
    TOTPDevice.objects.filter(user=org).delete()
    own = TOTPDevice.objects.create(user=org, name="phone", confirmed=True)
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("  org-city "))
    assert not any(character.isdigit() for character in line)
    seed()  # a second run keeps the account's own device
    assert list(TOTPDevice.objects.filter(user=org)) == [own]


def test_seed_demo_gives_a_reset_demo_login_its_device_again(demo_output):
    TOTPDevice.objects.filter(user__username="auditor").delete()
    seed()
    assert TOTPDevice.objects.get(user__username="auditor", confirmed=True).key == b32decode(DEMO_TOTP_SECRET).hex()


def test_demo_totp_refuses_without_debug_unless_the_database_is_a_demo_one(demo_output, settings):
    settings.DEBUG = False  # as pytest-django runs tests, and as production runs
    out = io.StringIO()
    call_command("demo_totp", stdout=out)  # only demo logins with the demo device: runs
    assert demo_code() in out.getvalue() or demo_code(time.time() - 30) in out.getvalue()

    real = factories.UserFactory(username="real-admin", is_superuser=True, is_staff=True)
    with pytest.raises(CommandError, match="real-admin"):
        call_command("demo_totp", stdout=io.StringIO())
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_totp", stdout=out)  # with DEBUG on it runs, and prints the demo devices only
    assert real.username not in out.getvalue()


def test_demo_totp_asks_for_the_demo_city_first(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_totp", stdout=io.StringIO())


def test_the_summary_line_counts_rows_a_stage_wrote_through_its_services(demo_output):
    """The council's stage writes a few rows through the app's services, not the bulk writer."""
    from services.council.models import Council

    assert Council.objects.count() >= 1
    assert f"四方议事会 {Council.objects.count():,}" in demo_output
