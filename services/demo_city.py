"""The service side of the demo city: needs (需求), claims (认领), service records (服务记实) with or without a
claim behind them (found by communities.demo.registry through autodiscover_modules).

Everything is dated around the reference time, the day the city is built: on that day some needs have ended,
some are running and some are upcoming, and every record lies inside its need's window and never after the
reference time.
"""

import datetime
import time
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from communities.demo import demo_stage
from communities.demo.loader import next_id
from services import demo_words as words
from services.models import Claim, OutcomeCategory, PostType, ServiceNeed, ServiceRecord
from services.points import record_points

DAY = 86400
AD_HOC_SERVICE_SHARE = 0.25  # confirmed members who logged service without a claim
# Half-hour steps from 0.5 to 12 hours; most service lasts one to four hours.
HOURS = tuple(Decimal(f"{half / 2:.1f}") for half in range(1, 25))
_HOUR_WEIGHTS = tuple(accumulate(
    (6, 14, 14, 12, 10, 9, 6, 6, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3)
))
_OUTCOMES = tuple(outcome.value for outcome in (
    OutcomeCategory.GENERAL, OutcomeCategory.GOOD_DEED, OutcomeCategory.DIFFICULTY_SOLVED,
    OutcomeCategory.OPINION_HEARD, OutcomeCategory.DISPUTE_MEDIATED,
))
_OUTCOME_WEIGHTS = tuple(accumulate((40, 20, 15, 15, 10)))


class RecordMaker:
    """Writes service records; a verified one carries the points of services.points.record_points."""

    def __init__(self, *, rng, loader, reference_at, first_id):
        self.rng = rng
        self.reference_at = reference_at
        self.next_id = first_id
        self.writer = loader.writer(ServiceRecord, [
            "id", "member", "claim", "community", "served_on", "hours", "description", "outcome", "status", "points",
            "verified_by", "verified_at", "reject_reason", "resident_feedback", "created_at",
        ])
        self._points = {}

    def points(self, hours, outcome):
        key = (hours, outcome)
        if key not in self._points:
            self._points[key] = record_points(hours=hours, outcome=outcome)
        return self._points[key]

    def ad_hoc(self, *, member_id, community_id, verifier_id, since_ago):
        """One or two records of service done since the member was confirmed, without a claim."""
        rng = self.rng
        for _ in range(1 if rng.random() < 0.6 else 2):
            self.add(
                member_id=member_id, claim_id=None, community_id=community_id, verifier_id=verifier_id,
                served_ago=rng.uniform(0, since_ago), description=rng.choice(words.AD_HOC_RECORDS),
            )

    def add(
        self, *, member_id, claim_id, community_id, verifier_id, served_ago, description, outcome=None, status=None
    ):
        """served_ago: seconds before the reference time. Without a status, recent records are mostly still
        awaiting verification and older ones mostly verified.
        """
        rng = self.rng
        delta = datetime.timedelta
        served_ago = max(0.0, served_ago)
        logged_ago = max(0, int(served_ago - rng.uniform(0.05, 2) * DAY))
        if outcome is None:
            outcome = rng.choices(_OUTCOMES, cum_weights=_OUTCOME_WEIGHTS)[0]
        if status is None:
            roll = rng.random()
            if logged_ago < 3 * DAY:
                status = "submitted" if roll < 0.85 else "verified"
            else:
                status = "verified" if roll < 0.8 else "submitted" if roll < 0.95 else "rejected"
        hours = rng.choices(HOURS, cum_weights=_HOUR_WEIGHTS)[0]
        points, verified_by, verified_at, reason, feedback = Decimal("0"), None, None, "", ""
        if status == "verified":
            points = self.points(hours, outcome)
            verified_by = verifier_id
            verified_at = self.reference_at - delta(seconds=max(0, int(logged_ago - rng.uniform(0.2, 8) * DAY)))
            if rng.random() < 0.3:
                feedback = rng.choice(words.RESIDENT_FEEDBACK)
        elif status == "rejected":
            reason = rng.choice(words.RECORD_REJECT_REASONS)
        served_on = (self.reference_at - delta(seconds=int(served_ago))).date()
        self.writer.add((
            self.next_id, member_id, claim_id, community_id, served_on, hours, description, outcome, status, points,
            verified_by, verified_at, reason, feedback,
            self.reference_at - delta(seconds=logged_ago),
        ))
        self.next_id += 1


POST_TYPES = tuple(PostType.values)
FULFILMENTS = tuple(ServiceNeed.Fulfilment.values)
_FULFILMENT_WEIGHTS = tuple(accumulate((60, 25, 15)))
# Outcomes a record of a need of this post type usually has.
_OUTCOME_BY_POST = {
    "mediation": "dispute_mediated",
    "policy_legal": "opinion_heard",
    "helping_vulnerable": "difficulty_solved",
    "care": "good_deed",
    "convenience": "difficulty_solved",
}
LOGIN_CLAIMS = 2  # claims given to the demo member login in the first community
# Published needs by where they stand on the reference day; the rest have just ended (not closed yet).
PUBLISHED_UPCOMING = 0.5
PUBLISHED_RUNNING = 0.4


@dataclass(slots=True)
class _Window:
    """A need's times, with seconds before the reference time for the claim and record arithmetic."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    start_ago: float  # negative: not started yet
    end_ago: float  # 0 when not ended yet
    published_ago: float
    over: bool  # the window has closed


class _Needs:
    def __init__(self, *, rng, loader, reference_at, membership, staff_user_ids, skill_ids):
        self.rng, self.reference_at, self.membership = rng, reference_at, membership
        self.staff_user_ids, self.skill_ids = staff_user_ids, skill_ids
        self.needs = loader.writer(ServiceNeed, [
            "id", "community", "title", "description", "post_type", "fulfilment", "places", "claimed_count",
            "location", "starts_at", "ends_at", "reply", "status", "created_by", "created_at", "published_at",
        ])
        skills_field = ServiceNeed._meta.get_field("skills")
        self.need_skills = loader.writer(
            skills_field.remote_field.through, [skills_field.m2m_field_name(), skills_field.m2m_reverse_field_name()]
        )
        self.claims = loader.writer(
            Claim, ["id", "need", "member", "commitment", "status", "created_at", "cancelled_at"]
        )
        # Opened after the claims: a full chunk flushes the tables in this order, and records point at claims.
        self.records = RecordMaker(rng=rng, loader=loader, reference_at=reference_at, first_id=next_id(ServiceRecord))
        self.next_need, self.next_claim = next_id(ServiceNeed), next_id(Claim)
        self.day_start = reference_at.replace(hour=0, minute=0, second=0, microsecond=0)
        self.serial = 0
        self.abandoned = 0

    def _kind(self):
        """The first thirty needs of the city cover every post type with every way of meeting it."""
        serial, self.serial = self.serial, self.serial + 1
        if serial < len(POST_TYPES) * len(FULFILMENTS):
            return POST_TYPES[serial % len(POST_TYPES)], FULFILMENTS[serial // len(POST_TYPES)]
        return self.rng.choice(POST_TYPES), self.rng.choices(FULFILMENTS, cum_weights=_FULFILMENT_WEIGHTS)[0]

    def _window(self, *, status, for_login):
        """Every need has a start and an end. Published ones are upcoming (the next five weeks), running (started
        within the last month, ending within the next) or, a few, just ended and not closed yet; drafts are
        upcoming; closed and fulfilled ones have ended."""
        rng, reference_at, delta = self.rng, self.reference_at, datetime.timedelta
        if for_login:
            phase, start_day = "running", -rng.uniform(5, 30)  # started, so the login member has served on it
        elif status == "published":
            roll = rng.random()
            if roll < PUBLISHED_UPCOMING:
                phase, start_day = "upcoming", rng.uniform(0, 35)
            elif roll < PUBLISHED_UPCOMING + PUBLISHED_RUNNING:
                phase, start_day = "running", -rng.uniform(1, 30)
            else:
                phase, start_day = "ended", -rng.uniform(3, 20)
        elif status == "draft":
            phase, start_day = "upcoming", rng.uniform(3, 40)
        else:
            phase, start_day = "ended", -rng.uniform(10, 150)
        # int() rounds towards zero: an upcoming need starts today or later, a running or ended one yesterday or
        # earlier, in daytime; the reference time is midnight.
        starts_at = self.day_start + delta(days=int(start_day), hours=rng.randint(8, 19))
        if phase == "running":
            ends_at = self.day_start + delta(days=rng.randint(1, 30), hours=rng.randint(12, 20))
        elif rng.random() < 0.6:
            ends_at = starts_at + delta(hours=rng.randint(2, 4))  # an afternoon
        else:
            ends_at = starts_at + delta(days=rng.randint(1, 30))  # a campaign
        if phase == "ended":
            ends_at = max(starts_at + delta(hours=1), min(ends_at, reference_at - delta(hours=1)))
        if status == "draft":
            published_at = None
            created_at = reference_at - delta(seconds=int(rng.uniform(0, 10) * DAY))
        else:
            published_at = min(starts_at, reference_at) - delta(seconds=int(rng.uniform(1, 15) * DAY))
            created_at = published_at - delta(seconds=int(rng.uniform(0, 3) * DAY))
        return _Window(
            starts_at=starts_at, ends_at=ends_at, created_at=created_at, published_at=published_at,
            start_ago=(reference_at - starts_at).total_seconds(),
            end_ago=max(0.0, (reference_at - ends_at).total_seconds()),
            published_ago=(reference_at - published_at).total_seconds() if published_at else 0.0,
            over=ends_at <= reference_at,
        )

    def _confirmed_ago(self, member_id):
        return self.membership.confirmed_ago[member_id - self.membership.first_member_id]

    def _claim_ago(self, window, member_id):
        """Claimed after publication, before the start, and not before the member was confirmed."""
        claim_ago = self.rng.uniform(max(0.0, window.start_ago), window.published_ago)
        return max(0.0, min(claim_ago, self._confirmed_ago(member_id) - 3600))

    def community(self, *, index, community):
        rng = self.rng
        all_confirmed = self.membership.confirmed_by_community[index]
        staff_id = self.staff_user_ids[index]
        for position in range(rng.randint(8, 12)):
            post_type, fulfilment = self._kind()
            title, detail, wanted = rng.choice(words.NEED_TEMPLATES[post_type])
            places = rng.randint(1, 10)
            for_login = index == 0 and position < LOGIN_CLAIMS
            roll = rng.random()
            if for_login or roll < 0.75:
                status = "published"
            else:
                status = "draft" if roll < 0.83 else "closed" if roll < 0.90 else "fulfilled"
            window = self._window(status=status, for_login=for_login)
            answered = fulfilment != "direct" and status in ("closed", "fulfilled")

            # Claims holding a place: never more than the places, only members confirmed in this community (before
            # the need ended, so that nobody claims or serves on a need that was over).
            claimers = []
            if window.over:
                confirmed = [
                    member_id for member_id in all_confirmed if self._confirmed_ago(member_id) - 3600 >= window.end_ago
                ]
            else:
                confirmed = all_confirmed
            if status != "draft" and confirmed:
                wanted_claims = rng.randint(1, places) if status == "fulfilled" else rng.randint(0, places)
                claimers = rng.sample(confirmed, min(wanted_claims, len(confirmed)))
                login_id = self.membership.login_member_id
                if for_login and login_id not in claimers:
                    if len(claimers) == places:
                        claimers[-1] = login_id
                    else:
                        claimers.append(login_id)
            need_id, self.next_need = self.next_need, self.next_need + 1
            self.needs.add((
                need_id, community.id, title, f"{detail}。需要{places}名党员参与，欢迎认领。", post_type, fulfilment,
                places, len(claimers), f"{community.name}{rng.choice(words.NEED_LOCATIONS)}", window.starts_at,
                window.ends_at, rng.choice(words.NEED_REPLIES[fulfilment]) if answered else "", status, staff_id,
                window.created_at, window.published_at,
            ))
            for skill in wanted:
                self.need_skills.add((need_id, self.skill_ids[skill]))
            for member_id in claimers:
                login_claim = for_login and member_id == self.membership.login_member_id
                self._holding_claim(
                    need_id=need_id, member_id=member_id, community_id=community.id, staff_id=staff_id,
                    need_status=status, window=window, post_type=post_type, description=f"参加“{title}”：{detail}",
                    login_position=position if login_claim else None,
                )
            # Now and then a claim that no longer holds a place: withdrawn, or abandoned after the start.
            if claimers and len(confirmed) > len(claimers) and rng.random() < 0.2:
                member_id = rng.choice(confirmed)
                if member_id not in claimers:
                    self._released_claim(need_id=need_id, member_id=member_id, window=window)

    def _holding_claim(
        self, *, need_id, member_id, community_id, staff_id, need_status, window, post_type, description, login_position
    ):
        rng = self.rng
        if login_position is not None:
            # The login member: one claim done and verified, one in progress awaiting verification.
            status = "fulfilled" if login_position == 0 else "active"
        elif need_status in ("fulfilled", "closed") or window.over:
            status = "fulfilled"
        elif window.start_ago > 0 and rng.random() < 0.3:
            status = "fulfilled"
        else:
            status = "active"
        claim_ago = self._claim_ago(window, member_id)
        claim_id, self.next_claim = self.next_claim, self.next_claim + 1
        self.claims.add((
            claim_id, need_id, member_id, rng.choice(words.COMMITMENTS), status,
            self.reference_at - datetime.timedelta(seconds=int(claim_ago)), None,
        ))
        if status == "fulfilled":
            record_count = 1 if rng.random() < 0.8 else 2
        elif window.start_ago > 0 and (login_position is not None or rng.random() < 0.4):
            record_count = 1
        else:
            record_count = 0
        hint = _OUTCOME_BY_POST.get(post_type)
        for _ in range(record_count):
            # Served after claiming and after the start, before the end of the window.
            latest_ago = max(window.end_ago, min(claim_ago, window.start_ago))
            self.records.add(
                member_id=member_id, claim_id=claim_id, community_id=community_id, verifier_id=staff_id,
                served_ago=rng.uniform(window.end_ago, latest_ago), description=description,
                outcome=hint if hint and rng.random() < 0.6 else None,
                status=None if login_position is None else "verified" if login_position == 0 else "submitted",
            )

    def _released_claim(self, *, need_id, member_id, window):
        rng = self.rng
        claim_ago = self._claim_ago(window, member_id)
        # The first released claim on a started need is abandoned, so that even a small city shows every status.
        if window.start_ago > 0 and (not self.abandoned or rng.random() < 0.5):
            self.abandoned += 1
            status, cancelled_at = "abandoned", None
        else:
            status = "cancelled"
            cancelled_at = self.reference_at - datetime.timedelta(
                seconds=int(max(0.0, claim_ago - rng.uniform(0.1, 3) * DAY))
            )
        claim_id, self.next_claim = self.next_claim, self.next_claim + 1
        self.claims.add((
            claim_id, need_id, member_id, rng.choice(words.COMMITMENTS), status,
            self.reference_at - datetime.timedelta(seconds=int(claim_ago)), cancelled_at,
        ))


def _ad_hoc_records(*, rng, records, city, membership, staff_user_ids):
    """Service a quarter of the confirmed members logged without a claim, since they were confirmed in their
    community (the demo member login has only its claims' records)."""
    for index, members in enumerate(membership.confirmed_by_community):
        community_id, verifier_id = city.communities[index].id, staff_user_ids[index]
        for member_id in members:
            if member_id == membership.login_member_id or rng.random() >= AD_HOC_SERVICE_SHARE:
                continue
            records.ad_hoc(
                member_id=member_id, community_id=community_id, verifier_id=verifier_id,
                since_ago=membership.confirmed_ago[member_id - membership.first_member_id],
            )


@demo_stage(
    order=400, label="自主服务记实、需求、认领、认领服务记实", tables=(ServiceNeed, Claim, ServiceRecord),
    summary=((ServiceNeed, "需求"), (Claim, "认领"), (ServiceRecord, "服务记实")),
)
def needs_and_records(context):
    """About ten needs per community with their claims, the records of service done on claims, and records of
    service done without one. No assessments: the year-end job makes them."""
    rng, stdout = context.rng, context.stdout
    city, membership = context.need("city"), context.need("membership")
    staff_user_ids = context.need("staff_user_ids")
    started = time.perf_counter()
    needs = _Needs(
        rng=rng, loader=context.loader, reference_at=context.reference_at, membership=membership,
        staff_user_ids=staff_user_ids, skill_ids=context.need("skill_ids"),
    )
    _ad_hoc_records(
        rng=rng, records=needs.records, city=city, membership=membership, staff_user_ids=staff_user_ids
    )
    for index, community in enumerate(city.communities):
        needs.community(index=index, community=community)
        if index % 2000 == 1999:
            stdout.write(f"    … {index + 1:,} 个社区的需求  {time.perf_counter() - started:.1f} s\n")
