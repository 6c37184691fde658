"""Django's Redis cache, degrading instead of failing while Redis is unreachable (issue 15).

Sessions are read from the cache and written through to the database (cached_db): with Django's RedisCache a Redis
outage answered every logged-in page with a 500 (1,107 of 2,765 requests during a 5 s outage). Here a cache read
that fails is a miss (cached_db then reads the session from the database), a write or delete that fails is logged
and skipped (the database has the session), and the client waits at most REDIS_CACHE_TIMEOUT for Redis, not the
operating system's TCP timeout. What is lost during an outage: the registration rate limit is not counted (it fails
open), and a session ended while Redis was unreachable but not down may be read from the cache until its key expires.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Seconds between two warnings about the same outage: one line, not one per request.
_WARN_EVERY = 10.0
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY:
        _last_warning = now
        logger.warning("cache unavailable (%s: %s): reading and writing through to the database", operation, error)


def _degrading(name: str, fallback):
    method = getattr(RedisCache, name)

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            _warn(name, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    wrapper.__name__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


def _default(key, default=None, *args, **kwargs):
    return default


def _delta(key, delta=1, *args, **kwargs):
    return delta  # the counter starts again: a rate limit fails open while Redis is away


def _no_keys(keys, *args, **kwargs):
    return list(keys)


class ReusingRedisCacheClient(RedisCacheClient):
    """One redis.Redis object per connection pool, built once. Django builds a new one for every cache call, and
    redis-py's constructor fills a table of some 170 response callbacks each time: most of what a cache hit cost
    (a page makes two to three calls; a public page served whole from the cache one). redis.Redis is thread-safe."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    get = _degrading("get", _default)
    get_many = _degrading("get_many", {})
    has_key = _degrading("has_key", False)
    set = _degrading("set", None)
    add = _degrading("add", False)
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    delete_many = _degrading("delete_many", None)
    set_many = _degrading("set_many", _no_keys)
    incr = _degrading("incr", _delta)
    clear = _degrading("clear", False)

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
