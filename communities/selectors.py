"""Reads of the organisation side for pages of its own."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count

from .models import Community, District, Street

FRONT_DOOR_PAGE = 20
# A search names at most this many communities: enough to find one by a part of its name, too few to walk the
# province's list page by page (the browse lists one street at a time).
SEARCH_CAP = 100
MIN_SEARCH = 2
MAX_SEARCH = 50


@dataclass(frozen=True)
class FrontDoorChoice:
    """What the visitor chose on the front door, cleaned: a district, a street, a search, a page."""

    district_id: int | None = None
    street_id: int | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, data) -> "FrontDoorChoice":
        def number(name):
            value = data.get(name, "")
            return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 9 else None

        return cls(
            district_id=number("district"),
            street_id=number("street"),
            q=" ".join(data.get("q", "").split())[:MAX_SEARCH],
            page=number("page") or 1,
        )

    @property
    def searching(self) -> bool:
        return len(self.q) >= MIN_SEARCH

    @property
    def key(self) -> str:
        return f"{self.district_id}|{self.street_id}|{self.q}|{self.page}"

    def page_url(self, number: int) -> str:
        """The query string of another page of this choice: built from the cleaned choice, never from what the
        visitor typed into the address (the page is cached for every visitor)."""
        params = {"district": self.district_id, "street": self.street_id, "q": self.q if self.searching else ""}
        return "?" + urlencode({**{key: value for key, value in params.items() if value}, "page": number})


def _page(queryset, choice: FrontDoorChoice) -> Page:
    page = Paginator(queryset, FRONT_DOOR_PAGE).get_page(choice.page)
    page.previous_url = choice.page_url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = choice.page_url(page.next_page_number()) if page.has_next() else ""
    return page


def front_door(*, choice: FrontDoorChoice) -> dict:
    """What the front door lists for a choice: the communities whose name holds the search (at most SEARCH_CAP),
    or the communities of a street, or the streets of a district, or the districts. Names and places only."""
    communities = Community.objects.select_related("street", "district").order_by("code")
    if choice.searching:
        found = communities.filter(name__icontains=choice.q)[:SEARCH_CAP]
        return {"mode": "search", "page": _page(found, choice), "cap": SEARCH_CAP}
    street = (
        Street.objects.select_related("district").filter(pk=choice.street_id).first() if choice.street_id else None
    )
    if street is not None:
        return {
            "mode": "communities",
            "street": street,
            "district": street.district,
            "page": _page(communities.filter(street=street), choice),
        }
    district = District.objects.filter(pk=choice.district_id).first() if choice.district_id else None
    if district is not None:
        streets = district.streets.annotate(community_count=Count("communities")).order_by("code")
        return {"mode": "streets", "district": district, "page": _page(streets, choice)}
    districts = District.objects.annotate(street_count=Count("streets")).order_by("code")
    return {"mode": "districts", "page": _page(districts, choice)}
