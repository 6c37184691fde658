"""The ledger's tab in the rates pages (communities.platform.navigation.add_rates_tab): pledged vs delivered per
unit and paired community for the year, under the same scope rule as the ledger's own page."""

from communities.platform.web import paginate

from . import selectors, sources


def context(request, year: int) -> dict:
    page = paginate(request, selectors.ledger_queryset(user=request.user, year=year))
    return {
        "pairing_page": page,
        "pairing_rows": selectors.ledger_rows(page.object_list, year),
        "pairing_year": year,
        "sources": sources.sources(),
    }
