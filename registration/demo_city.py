"""The members' side of the demo city: rosters, members, their users, skills and reports, streamed person by
person, and the demo member login (found by communities.demo.registry through autodiscover_modules).

One pass over the people writes every row a person has (user, roster entry, member, skills, reports), so
nothing of a million people is held in memory except what later stages read: the confirmed members of each
community and when they were confirmed (context.produced["membership"]).
"""

import datetime
import time
from array import array
from dataclasses import dataclass, field
from itertools import accumulate

from django.conf import settings
from django.utils import timezone

from communities.demo import DEMO_PASSWORD, DemoLogin, codes, demo_finisher, demo_logins, demo_stage
from communities.demo.loader import next_id
from registration import demo_words as words
from registration.identity import id_check_char, protect_id_number
from registration.models import Member, Report, RosterEntry, Skill, User
from registration.rates.tallies import tally_rebuild
from registration.services import letter_number

DAY = 86400
# The demo member login: person 0, whose username is this phone.
MEMBER_LOGIN = "13800138000"
BIRTH_FIRST = datetime.date(1966, 1, 1)
BIRTH_LAST = datetime.date(2004, 12, 31)
_ORDER_CODES = 1000  # the three-digit order code (顺序码) after the birth date
# Shares of roster people by reporting state, and of the registered by history.
CONFIRMED_SHARE = 0.75
PENDING_SHARE = 0.10  # the remaining 15% of the roster have not registered at all
OFF_ROSTER_SHARE = 0.02  # members registered although no unit listed them
OFF_ROSTER_CONFIRMED_SHARE = 0.85
MOVED_SHARE = 0.06  # an ended report in a former community
REJECTED_SHARE = 0.03  # a rejected report before the current one
SKILL_COUNTS = (0, 1, 1, 2, 2, 3)


class IdNumberSource:
    """Distinct GB 11643 ID numbers per region code, born 1966–2004.

    Each region walks its own permutation of (birth day, order code) slots, so 14 million numbers fit in
    every region before one could repeat.
    """

    def __init__(self, *, rng, region_codes):
        days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self._capacity = days * _ORDER_CODES
        self._birth_dates = [BIRTH_FIRST + datetime.timedelta(days=day) for day in range(days)]
        self._birth_digits = [day.strftime("%Y%m%d") for day in self._birth_dates]
        # [multiplier, offset, numbers handed out]
        self._walks = {code: [*codes.affine_walk(rng=rng, capacity=self._capacity), 0] for code in region_codes}

    def draw(self, region: str) -> tuple[str, datetime.date, str]:
        """Return (number, birth date, gender "M"/"F"); gender follows the parity of the 17th digit."""
        walk = self._walks[region]
        drawn = walk[2]
        if drawn >= self._capacity:
            raise OverflowError(f"region {region} has no ID numbers left")
        walk[2] = drawn + 1
        day, order = divmod((walk[0] * drawn + walk[1]) % self._capacity, _ORDER_CODES)
        first17 = f"{region}{self._birth_digits[day]}{order:03d}"
        return first17 + id_check_char(first17), self._birth_dates[day], "M" if order % 2 else "F"


@dataclass
class Membership:
    """What later stages need to know about the people, kept compact for a million members."""

    first_member_id: int
    confirmed_by_community: list  # community index → member ids with a confirmed report there
    confirmed_ago: array = field(default_factory=lambda: array("d"))  # seconds before the reference, by member
    login_member_id: int = 0


class _People:
    """Writes one person at a time. Person 0 is the demo member login: confirmed in the first community
    (by code), on the roster of the first unit (by code), with the reserved phone number.
    """

    def __init__(self, *, rng, city, loader, reference_at, staff_user_ids, password_hash, skill_ids):
        self.rng, self.city, self.reference_at = rng, city, reference_at
        self.staff_user_ids, self.password_hash, self.skill_ids = staff_user_ids, password_hash, skill_ids
        self.users = loader.writer(User, ["id", "username", "password", "full_name", "is_active", "date_joined"])
        self.roster = loader.writer(RosterEntry, [
            "id", "id_number_encrypted", "id_number_hash", "id_number_mask", "unit", "name", "position", "phone",
            "community", "created_at",
        ])
        self.members = loader.writer(Member, [
            "id", "id_number_encrypted", "id_number_hash", "id_number_mask", "user", "roster_entry", "name",
            "gender", "birth_on", "unit", "position", "specialty", "service_wishes", "home_address", "phone",
            "privacy_notice_version", "consented_at", "created_at",
        ])
        skills_field = Member._meta.get_field("skills")
        self.member_skills = loader.writer(
            skills_field.remote_field.through, [skills_field.m2m_field_name(), skills_field.m2m_reverse_field_name()]
        )
        self.reports = loader.writer(Report, [
            "id", "member", "community", "kind", "status", "letter_number", "submitted_at", "decided_at",
            "decided_by", "reject_reason", "ended_at",
        ])

        self.district_codes = [district.code for district in city.districts]
        self.ids = IdNumberSource(rng=rng, region_codes=self.district_codes)
        self.phones = codes.PhoneSource(rng=rng, reserved=MEMBER_LOGIN)
        self.names = codes.PersonNames(rng)
        self.unit_weights = list(accumulate(unit.weight for unit in city.units))
        # Units upload their rosters before the reporting year starts.
        self.roster_uploaded = [
            reference_at - datetime.timedelta(seconds=int(rng.uniform(340, 400) * DAY)) for _ in city.units
        ]
        # The version the registration form records, so demo members consented to the current notice.
        self.notice_version = getattr(settings, "PRIVACY_NOTICE_VERSION", words.PRIVACY_NOTICE_VERSION)
        self.next_user, self.next_roster = next_id(User), next_id(RosterEntry)
        self.next_member, self.next_report = next_id(Member), next_id(Report)
        self.person_index = 0
        self.membership = Membership(
            first_member_id=self.next_member, confirmed_by_community=[[] for _ in city.communities]
        )

    def _other_community(self, current):
        count = len(self.city.communities)
        other = self.rng.randrange(count)
        return (other + 1) % count if other == current and count > 1 else other

    def _at(self, seconds_ago):
        return self.reference_at - datetime.timedelta(seconds=int(seconds_ago))

    def person(self, *, on_roster):
        rng, communities = self.rng, self.city.communities
        login = self.person_index == 0
        roll = rng.random()
        if login or roll < (CONFIRMED_SHARE if on_roster else OFF_ROSTER_CONFIRMED_SHARE):
            status = "confirmed"
        elif not on_roster or roll < CONFIRMED_SHARE + PENDING_SHARE:
            status = "pending"
        else:
            status = None  # on the roster, never registered
        unit_index = 0 if login else rng.choices(range(len(self.city.units)), cum_weights=self.unit_weights)[0]
        unit = self.city.units[unit_index]
        kind_roll = rng.random()
        if login or kind_roll < 0.8:
            kind, community = "residence", (0 if login else rng.randrange(len(communities)))
        elif kind_roll < 0.95 and unit.communities:
            kind, community = "unit_linked", rng.choice(unit.communities)
        else:
            kind, community = "other", rng.randrange(len(communities))
        if status is None:
            expected = community if rng.random() < 0.95 else None
        else:
            expected = community if login or rng.random() < 0.9 else self._other_community(community)
        home = community if kind == "residence" else rng.randrange(len(communities))
        # Most were born in the district they live in; the rest elsewhere in the province.
        birth_district = communities[home].district if rng.random() < 0.7 else rng.randrange(len(self.district_codes))
        number, birth_on, gender = self.ids.draw(self.district_codes[birth_district])
        # Encrypted once per person: the member row reuses the roster entry's protected columns.
        protected = protect_id_number(number)
        name = self.names.draw(gender)
        phone = self.phones.phone(self.person_index)
        self.person_index += 1
        position = rng.choice(words.POSITIONS[unit.kind])

        roster_id = None
        if on_roster:
            roster_id, self.next_roster = self.next_roster, self.next_roster + 1
            self.roster.add((
                roster_id, protected["id_number_encrypted"], protected["id_number_hash"], protected["id_number_mask"],
                unit.id, name, position, phone if rng.random() < 0.85 else "",
                None if expected is None else communities[expected].id, self.roster_uploaded[unit_index],
            ))
        if status is None:
            return

        member_id, self.next_member = self.next_member, self.next_member + 1
        user_id, self.next_user = self.next_user, self.next_user + 1
        reports, first_submitted, decided_ago = self._reports(
            member_id=member_id, community=community, kind=kind, status=status, with_history=not login
        )
        skill_names = rng.sample(list(self.skill_ids), rng.choice(SKILL_COUNTS))
        specialty = "；".join(rng.choice(words.SKILL_PHRASES[skill]) for skill in skill_names)
        wishes = "；".join(rng.sample(words.SERVICE_WISHES, 1 if rng.random() < 0.6 else 2))
        # Rows in dependency order: a full chunk flushes every table, so what a row points to is already added.
        self.users.add((user_id, phone, self.password_hash, name, True, first_submitted))
        self.members.add((
            member_id, protected["id_number_encrypted"], protected["id_number_hash"], protected["id_number_mask"],
            user_id, roster_id, name, gender, birth_on, unit.id, position, specialty, wishes, self._address(home),
            phone, self.notice_version, first_submitted, first_submitted,
        ))
        for skill in skill_names:
            self.member_skills.add((member_id, self.skill_ids[skill]))
        for row in reports:
            self.reports.add(row)

        self.membership.confirmed_ago.append(-1.0 if decided_ago is None else float(decided_ago))
        if decided_ago is not None:
            self.membership.confirmed_by_community[community].append(member_id)
        if login:
            self.membership.login_member_id = member_id

    def _reports(self, *, member_id, community, kind, status, with_history):
        """The member's reports, oldest first: perhaps an ended one in a former community (they moved) or a
        rejected one, then the current confirmed or pending one. Returns (rows, first submission, seconds
        since confirmation or None).
        """
        rng = self.rng
        if status == "confirmed":
            submitted_ago = int(rng.uniform(15, 330) * DAY)
            decided_ago = submitted_ago - int(rng.uniform(0.1, 7) * DAY)
        else:
            submitted_ago, decided_ago = int(rng.uniform(0, 20) * DAY), None
        rows = []
        history_roll = rng.random() if with_history else 1.0
        if history_roll < MOVED_SHARE:
            old = self._other_community(community)
            old_ago = int(rng.uniform(400, 900) * DAY)
            # Confirming the new report ends the old one; a member still pending ended the old one on moving.
            ended_ago = decided_ago if decided_ago is not None else submitted_ago + int(rng.uniform(1, 30) * DAY)
            rows.append(self._report(
                member_id, old, "residence", "ended", old_ago, old_ago - int(rng.uniform(1, 5) * DAY),
                ended_at=self._at(ended_ago),
            ))
        elif history_roll < MOVED_SHARE + REJECTED_SHARE:
            rejected_ago = submitted_ago + int(rng.uniform(6, 40) * DAY)
            rows.append(self._report(
                member_id, self._other_community(community), kind, "rejected", rejected_ago,
                rejected_ago - int(rng.uniform(0.5, 5) * DAY), reason=rng.choice(words.REPORT_REJECT_REASONS),
            ))
        rows.append(self._report(member_id, community, kind, status, submitted_ago, decided_ago))
        return rows, rows[0][6], decided_ago

    def _report(self, member_id, community, kind, status, submitted_ago, decided_ago, *, reason="", ended_at=None):
        submitted = self._at(submitted_ago)
        report_id, self.next_report = self.next_report, self.next_report + 1
        decided = decided_ago is not None
        return (
            report_id, member_id, self.city.communities[community].id, kind, status,
            letter_number(report_id=report_id, submitted_at=submitted), submitted,
            self._at(decided_ago) if decided else None,
            self.staff_user_ids[community] if decided else None, reason, ended_at,
        )

    def _address(self, home):
        rng, community = self.rng, self.city.communities[home]
        if community.is_rural:
            return f"{community.home_prefix}{rng.randrange(1, 300)}号"
        building, entrance = rng.randrange(1, 40), rng.randrange(1, 7)
        return f"{community.home_prefix}{building}号楼{entrance}单元{rng.randrange(1, 19)}0{rng.randrange(1, 5)}室"


def _skill_ids() -> dict:
    return {name: Skill.objects.get_or_create(name=name)[0].pk for name in words.SKILLS}


@demo_stage(
    order=300, label="名单、党员、账号、报到", tables=(RosterEntry, Member, Report),
    summary=((RosterEntry, "名单"), (Member, "党员"), (Report, "报到")),
)
def people(context):
    """The roster people and the members of the city. Produces "skill_ids" (skill name → id) and "membership"
    (Membership: who is confirmed where, and since when)."""
    rng, stdout = context.rng, context.stdout
    started = time.perf_counter()
    context.produced["skill_ids"] = skill_ids = _skill_ids()
    writer = _People(
        rng=rng, city=context.need("city"), loader=context.loader, reference_at=context.reference_at,
        staff_user_ids=context.need("staff_user_ids"), password_hash=context.password_hash, skill_ids=skill_ids,
    )
    for roster_index in range(context.members):
        writer.person(on_roster=True)
        # Now and then a member no unit listed, registered anyway.
        if rng.random() < OFF_ROSTER_SHARE:
            writer.person(on_roster=False)
        if roster_index % 100_000 == 99_999:
            stdout.write(f"    … {roster_index + 1:,} 名单人员  {time.perf_counter() - started:.1f} s\n")
    context.produced["membership"] = writer.membership


@demo_finisher(order=300, label="报到率统计")
def tallies(context):
    """Rows were loaded around the services, so the reporting tallies are counted once from scratch, for every
    year the demo data spans."""
    year = context.reference_at.year
    for tally_year in range(year - 1, max(year, timezone.localdate().year) + 1):
        tally_rebuild(tally_year)


@demo_logins(order=300)
def member_login():
    report = (
        Report.objects.filter(member__user__username=MEMBER_LOGIN, status=Report.Status.CONFIRMED)
        .select_related("member__unit", "community")
        .first()
    )
    if report is None:
        description = "在职党员（缺失：请运行 seed_demo --reset 重建演示数据）"
    else:
        member = report.member
        description = f"在职党员 {member.name}（{member.unit.name}，已在{report.community.name}报到）"
    return [DemoLogin(username=MEMBER_LOGIN, password=DEMO_PASSWORD, description=description)]
