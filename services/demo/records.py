"""Service records (服务记实) of the demo city, with or without a claim behind them."""

import datetime
from decimal import Decimal
from itertools import accumulate

from services.models import OutcomeCategory, ServiceRecord
from services.points import record_points

from . import words

DAY = 86400
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
