"""Redis is not a single point of failure for pages (issue 15): with the cache unreachable, cached_db sessions are
read from the database and a logged-in page answers 200."""

import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from communities.cache import DegradingRedisCache
from scripts.own_services import free_port
from tests import factories

DEAD = {
    "BACKEND": "communities.cache.DegradingRedisCache",
    "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}


def test_an_unreachable_redis_is_a_miss_not_an_error():
    cache = DegradingRedisCache(DEAD["LOCATION"], {"OPTIONS": DEAD["OPTIONS"]})
    started = time.monotonic()

    assert cache.get("key", "fallback") == "fallback"
    assert cache.set("key", 1) is None
    assert cache.add("key", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.incr("counter") == 1
    assert cache.delete("key") is False
    assert time.monotonic() - started < 5  # refused at once on loopback; a timeout elsewhere, never a hang


@pytest.mark.django_db
def test_a_logged_in_page_answers_while_redis_is_down(client, settings):
    settings.CACHES = {"default": DEAD}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    assert isinstance(caches["default"], DegradingRedisCache)  # Django's test signals reset the cache handler
    member = factories.MemberFactory()
    client.force_login(member.user)

    response = client.get(reverse("home"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain  # to the member's own page, which needs the session
    assert response.wsgi_request.user == member.user


def test_the_redis_client_is_built_once_per_connection_pool():
    """Django builds a redis.Redis for every cache call; its constructor was most of a cache hit's cost."""
    cache = DegradingRedisCache(DEAD["LOCATION"], {"OPTIONS": DEAD["OPTIONS"]})
    client = cache._cache.get_client("key")
    assert cache._cache.get_client("other") is client
    assert cache._cache.get_client("key", write=True) is client  # one server: reads and writes share its pool
