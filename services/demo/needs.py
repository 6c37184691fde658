"""Needs (需求), claims (认领) and the service records behind claims, community by community."""

import datetime
import time
from dataclasses import dataclass
from itertools import accumulate

from services.models import Claim, PostType, ServiceNeed, ServiceRecord

from . import words
from .loader import next_id
from .records import DAY, RecordMaker

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


@dataclass(slots=True)
class _Window:
    """A need's times, with seconds before the reference time for the claim and record arithmetic."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    start_ago: float  # negative: not started yet
    end_ago: float  # 0 when still running or ongoing
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
        self.records = RecordMaker(rng=rng, loader=loader, reference_at=reference_at, first_id=next_id(ServiceRecord))
        self.writers = [self.needs, self.need_skills, self.claims, self.records.writer]
        self.next_need, self.next_claim = next_id(ServiceNeed), next_id(Claim)
        self.day_start = reference_at.replace(hour=0, minute=0, second=0, microsecond=0)
        self.serial = 0

    def _kind(self):
        """The first thirty needs of the city cover every post type with every way of meeting it."""
        serial, self.serial = self.serial, self.serial + 1
        if serial < len(POST_TYPES) * len(FULFILMENTS):
            return POST_TYPES[serial % len(POST_TYPES)], FULFILMENTS[serial // len(POST_TYPES)]
        return self.rng.choice(POST_TYPES), self.rng.choices(FULFILMENTS, cum_weights=_FULFILMENT_WEIGHTS)[0]

    def _window(self, *, status, for_login):
        rng, reference_at, delta = self.rng, self.reference_at, datetime.timedelta
        if for_login:
            start_day = -rng.uniform(5, 30)  # started, so the login member has served on it
        elif status == "published":
            start_day = rng.uniform(-45, 30)
        elif status == "draft":
            start_day = rng.uniform(3, 40)
        else:
            start_day = rng.uniform(-150, -10)
        starts_at = self.day_start + delta(days=int(start_day), hours=rng.randint(8, 19))
        if status in ("published", "draft") and rng.random() < 0.2:
            ends_at = None  # an ongoing need
        elif rng.random() < 0.6:
            ends_at = starts_at + delta(hours=rng.randint(2, 4))
        else:
            ends_at = starts_at + delta(days=rng.randint(1, 30))
        if status in ("closed", "fulfilled"):
            ends_at = max(starts_at, min(ends_at, reference_at - delta(hours=1)))
        if status == "draft":
            published_at = None
            created_at = reference_at - delta(seconds=int(rng.uniform(0, 10) * DAY))
        else:
            published_at = min(starts_at, reference_at) - delta(seconds=int(rng.uniform(1, 15) * DAY))
            created_at = published_at - delta(seconds=int(rng.uniform(0, 3) * DAY))
        return _Window(
            starts_at=starts_at, ends_at=ends_at, created_at=created_at, published_at=published_at,
            start_ago=(reference_at - starts_at).total_seconds(),
            end_ago=0.0 if ends_at is None else max(0.0, (reference_at - ends_at).total_seconds()),
            published_ago=(reference_at - published_at).total_seconds() if published_at else 0.0,
            over=ends_at is not None and ends_at <= reference_at,
        )

    def _claim_ago(self, window, member_id):
        """Claimed after publication, before the start, and not before the member was confirmed."""
        claim_ago = self.rng.uniform(max(0.0, window.start_ago), window.published_ago)
        confirmed_ago = self.membership.confirmed_ago[member_id - self.membership.first_member_id]
        return max(0.0, min(claim_ago, confirmed_ago - 3600))

    def community(self, *, index, community):
        rng = self.rng
        confirmed = self.membership.confirmed_by_community[index]
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

            # Claims holding a place: never more than the places, only members confirmed in this community.
            claimers = []
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
        if window.start_ago > 0 and rng.random() < 0.5:
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


def load_needs(*, rng, city, loader, reference_at, membership, staff_user_ids, skill_ids, stdout):
    """Write about ten needs per community, their claims, and records of service done on claims;
    return the writers.
    """
    started = time.perf_counter()
    needs = _Needs(
        rng=rng, loader=loader, reference_at=reference_at, membership=membership, staff_user_ids=staff_user_ids,
        skill_ids=skill_ids,
    )
    for index, community in enumerate(city.communities):
        needs.community(index=index, community=community)
        if index % 2000 == 1999:
            stdout.write(f"    … {index + 1:,} 个社区的需求  {time.perf_counter() - started:.1f} s\n")
    return needs.writers
