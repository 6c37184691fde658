"""The assessment's rule: which grade a year's figures earn, and which years can be assessed.

The proposed grade is the first of excellent, qualified, basically qualified that the figures reach, by the
thresholds of settings.ASSESSMENT_* and SERVICE_MINIMUM_YEARLY_HOURS (see the settings), otherwise unqualified.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.platform.web import FIRST_YEAR

from .models import Grade


def _decimal_setting(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name)))


def propose_grade(*, hours: Decimal, points: Decimal, records: int, abandoned: int) -> str:
    """The grade the figures earn: the first of excellent, qualified, basically qualified that they reach,
    otherwise unqualified. Thresholds are settings (ASSESSMENT_*, SERVICE_MINIMUM_YEARLY_HOURS)."""
    if (
        hours >= _decimal_setting("ASSESSMENT_EXCELLENT_MIN_HOURS")
        and points >= _decimal_setting("ASSESSMENT_EXCELLENT_MIN_POINTS")
        and abandoned <= settings.ASSESSMENT_EXCELLENT_MAX_ABANDONED
    ):
        return Grade.EXCELLENT
    if hours >= _decimal_setting("SERVICE_MINIMUM_YEARLY_HOURS"):
        return Grade.QUALIFIED
    if records >= settings.ASSESSMENT_BASIC_MIN_RECORDS:
        return Grade.BASICALLY_QUALIFIED
    return Grade.UNQUALIFIED


@dataclass(frozen=True)
class YearBounds:
    start: datetime.datetime  # first instant of the year, local time
    end: datetime.datetime  # first instant of the next year (excluded)

    @classmethod
    def of(cls, year: int) -> "YearBounds":
        return cls(
            start=timezone.make_aware(datetime.datetime(year, 1, 1)),
            end=timezone.make_aware(datetime.datetime(year + 1, 1, 1)),
        )


def check_year(year: int):
    """A year that can be assessed: from FIRST_YEAR to the current one. Raises ValidationError."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= timezone.localdate().year:
        raise ValidationError(_("Choose a year from %(first)s to this year.") % {"first": FIRST_YEAR})
