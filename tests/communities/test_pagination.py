"""communities.pagination.get_page: Paginator.get_page's pages, in one query where the page has rows."""

import pytest
from django.core.paginator import Paginator

from communities.models import Community
from communities.pagination import get_page
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def communities():
    street = factories.StreetFactory()  # one street: a join through it repeats each community seven times
    for _ in range(7):
        factories.CommunityFactory(street=street)
    return Community.objects.order_by("pk")


@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "4", "99", "0", "-1", "abc", "2.0"])
def test_a_page_is_the_one_paginator_gives(communities, number):
    expected = Paginator(communities, 3).get_page(number)
    page = get_page(communities, number, 3)
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (
        expected.number,
        expected.paginator.count,
        expected.paginator.num_pages,
    )
    assert list(page) == list(expected)
    assert (page.has_next(), page.has_previous(), page.start_index()) == (
        expected.has_next(),
        expected.has_previous(),
        expected.start_index(),
    )


def test_a_page_with_rows_costs_one_query(communities, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = get_page(communities, "2", 3)
        assert (len(page), page.paginator.num_pages) == (3, 3)


def test_an_empty_list_gives_the_empty_first_page(django_assert_max_num_queries):
    page = get_page(Community.objects.order_by("pk"), "1", 3)
    assert (page.number, list(page), page.paginator.count) == (1, [], 0)


@pytest.mark.parametrize("kind", ["distinct", "values", "list"])
def test_what_a_window_cannot_count_is_paged_by_paginator(communities, kind):
    source = {
        "distinct": Community.objects.filter(street__communities__isnull=False).order_by("pk").distinct(),
        "values": communities.values("pk", "name"),
        "list": list(communities),
    }[kind]
    page = get_page(source, "1", 3)
    assert (page.paginator.count, list(page)) == (7, list(Paginator(source, 3).get_page("1")))
