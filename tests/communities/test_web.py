"""Helpers every app's views share (communities.platform.web)."""

from django.utils import timezone

from communities.platform.web import YEARS_OFFERED, years_offered


def test_the_year_menu_offers_recent_years_and_keeps_an_older_one_asked_for():
    this_year = timezone.localdate().year
    recent = years_offered(this_year)
    assert recent == list(range(this_year, this_year - YEARS_OFFERED, -1))
    assert years_offered(this_year - 1) == recent
    assert years_offered(2001) == [*recent, 2001]
