"""The points and star rule: one place, read by record verification, the demo city and the assessment."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from .models import OutcomeCategory

# Points a verified record earns for its outcome, on top of its hours (SERVICE_POINTS_PER_HOUR each).
OUTCOME_BONUS = {
    OutcomeCategory.DIFFICULTY_SOLVED: 3,
    OutcomeCategory.DISPUTE_MEDIATED: 3,
    OutcomeCategory.GOOD_DEED: 2,
    OutcomeCategory.OPINION_HEARD: 1,
    OutcomeCategory.GENERAL: 0,
}


def record_points(*, hours: Decimal, outcome: str) -> Decimal:
    """Points earned by one verified record: hours × rate, plus the outcome's bonus."""
    per_hour = Decimal(str(settings.SERVICE_POINTS_PER_HOUR))
    bonus = Decimal(OUTCOME_BONUS.get(outcome, 0))
    return (Decimal(hours) * per_hour + bonus).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def star_level(yearly_points: Decimal) -> int:
    """0 to 5 stars: how many of the yearly thresholds the points reach."""
    return sum(1 for threshold in settings.SERVICE_STAR_THRESHOLDS if yearly_points >= threshold)
