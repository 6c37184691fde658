"""A cached public board and poster drop a need the moment it ends: the fragment is kept no longer than the first
shown need's end (no signal fires when time passes), and as long as ever otherwise."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from communities.public_pages import FRAGMENT_SECONDS
from tests import factories

pytestmark = pytest.mark.django_db

# The cache's own clock must move with the test's: an in-process cache (a Redis server keeps its own time).
LOCAL_CACHE = override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "public-pages-ends"}}
)


@LOCAL_CACHE
@pytest.mark.parametrize("page", ["services:public-board", "services:public-board-print"])
def test_a_need_leaves_the_cached_page_the_moment_it_ends(client, page, django_assert_max_num_queries):
    community = factories.CommunityFactory()
    now = timezone.now()
    factories.ServiceNeedFactory(
        community=community,
        title="很快结束",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(seconds=90),
    )
    factories.ServiceNeedFactory(community=community, title="下周的需求")
    url = reverse(page, args=[community.code])
    with time_machine.travel(now, tick=False):
        assert "很快结束" in client.get(url).content.decode()
    with time_machine.travel(now + datetime.timedelta(seconds=60), tick=False), django_assert_max_num_queries(0):
        assert "很快结束" in client.get(url).content.decode()  # still running: served from the cache
    with time_machine.travel(now + datetime.timedelta(seconds=91), tick=False):
        html = client.get(url).content.decode()
    assert "很快结束" not in html and "下周的需求" in html


@LOCAL_CACHE
def test_a_page_whose_needs_end_later_is_kept_as_long_as_ever(client, django_assert_max_num_queries):
    community = factories.CommunityFactory()
    now = timezone.now()
    factories.ServiceNeedFactory(
        community=community, title="两小时后结束", ends_at=now + datetime.timedelta(hours=2), starts_at=now
    )
    url = reverse("services:public-board", args=[community.code])
    with time_machine.travel(now, tick=False):
        client.get(url)
    with time_machine.travel(now + datetime.timedelta(seconds=FRAGMENT_SECONDS - 5), tick=False):
        with django_assert_max_num_queries(0):
            assert "两小时后结束" in client.get(url).content.decode()
