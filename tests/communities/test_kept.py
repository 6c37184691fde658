"""communities.kept: a kept set is read again only when it changed, and is empty while its version is missing."""

import pytest
from django.core.cache import cache

from communities.kept import KeptSet


@pytest.fixture
def kept_set():
    kept = KeptSet("test:kept-set")
    yield kept
    cache.delete_many([kept.key, kept.version_key])


def test_a_page_reads_the_version_and_the_set_only_when_it_changed(kept_set, monkeypatch):
    assert kept_set.replace({1, 2, 3}) == 3
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: reads.append(key) or real_get(key, *args))

    assert kept_set.get() == {1, 2, 3}
    assert kept_set.get() == {1, 2, 3}
    assert reads == [kept_set.version_key, kept_set.key, kept_set.version_key]

    kept_set.replace({1, 2, 3})  # the same set: the same version, no process reads it again
    reads.clear()
    assert kept_set.get() == {1, 2, 3} and reads == [kept_set.version_key]

    kept_set.replace({4})
    reads.clear()
    assert kept_set.get() == {4} and kept_set.key in reads


def test_while_the_version_is_missing_the_set_is_empty_until_replaced(kept_set):
    kept_set.replace({7})
    assert kept_set.get() == {7}
    cache.clear()  # a restarted cache
    assert kept_set.get() == frozenset()
    kept_set.replace({7})
    assert kept_set.get() == {7}
