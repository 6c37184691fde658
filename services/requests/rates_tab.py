"""The requests' tab in the rates pages (communities.platform.navigation.add_rates_tab): the organisation
department's and the street staff's 响应率, 解决率, 满意率 and overdue open items for a year, by category and by
community, and by handler for one community. Every figure comes from selectors.figures* (docs/REQUESTS.md): one
definition, the same as the staff's figures page and the community's public page."""

import datetime

from django.http import Http404
from django.utils import timezone

from communities.models import Community

from . import selectors


def year_period(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """[1 January, next 1 January) of `year`, local time."""
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    return start, timezone.make_aware(datetime.datetime(year + 1, 1, 1))


def _community_of(request, visible):
    try:
        community_id = int(request.GET["community"])
    except (TypeError, ValueError) as error:
        raise Http404 from error
    community = visible.filter(pk=community_id).first()
    if community is None:
        raise Http404
    return community


def context(request, year: int) -> dict:
    start, end = year_period(year)
    now = timezone.now()
    visible = Community.objects.visible_to(request.user)
    if "community" in request.GET:
        # One community of the scope: its figures, by category and by handler (named for a community only).
        community = _community_of(request, visible)
        return {
            "requests_places": [{
                "place": community,
                "total": selectors.figures(start=start, end=end, now=now, community=community),
                "by_category": selectors.figures_by_category(start=start, end=end, now=now, community=community),
                "by_community": [],
                "by_handler": selectors.figures_by_handler(start=start, end=end, now=now, community=community),
            }],
            "requests_community": community,
        }
    places = []
    for kind, place in selectors.figure_places(user=request.user):
        if kind == "community":
            continue  # community staff have no rates pages; a scope reaching a community reaches it from above
        where = {kind: place} if place is not None else {}
        per_community = selectors.figures_by_community(start=start, end=end, now=now, **where)
        communities = visible.filter(pk__in=per_community).select_related("street").order_by("code")
        places.append({
            "place": place,
            "total": selectors.figures(start=start, end=end, now=now, **where),
            "by_category": selectors.figures_by_category(start=start, end=end, now=now, **where),
            "by_community": [(community, per_community[community.pk]) for community in communities],
            "by_handler": [],
        })
    return {"requests_places": places, "requests_community": None}
