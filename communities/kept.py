"""Figures of one subject (a user, a member) kept in the shared cache, never used after a change to what they count.

A figure every page of its subject shows (the header's unread count, the member's time bank and stars) costs a
query per page when read from the database. Here it is kept in the shared cache under a token per subject, and
every change to the subject's rows deletes the token (at once, and again after commit): a value is used only while
the token it was computed under is still there, so a value computed while a change was being written is never used
afterwards. Writers call `changed` (single rows through a post_save signal, multi-row writes explicitly); a write
that bypasses them is seen when the keys expire (`seconds`), and so is a change made while Redis was unreachable.
With a per-process cache (another process's writes could not reach it) the figure is computed each time.
"""

import functools
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .iterables import batched

# Tokens deleted per cache call.
KEY_BATCH_SIZE = 1000


def shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in settings.PER_PROCESS_CACHES


class KeptFigure:
    """A figure per subject (and variant, e.g. a year), kept under the subject's token for at most `seconds`."""

    def __init__(self, name: str, *, seconds: int):
        self.name = name
        self.seconds = seconds

    def _token_key(self, subject_id) -> str:
        return f"{self.name}:token:{subject_id}"

    def _value_key(self, subject_id, variant) -> str:
        return f"{self.name}:value:{subject_id}:{variant}"

    def get(self, subject_id, compute: Callable[[], object], variant=""):
        if not shared_cache():
            return compute()
        token_key, value_key = self._token_key(subject_id), self._value_key(subject_id, variant)
        kept = cache.get_many([token_key, value_key])
        token, computed = kept.get(token_key), kept.get(value_key)
        if token is not None and computed is not None and computed[0] == token:
            return computed[1]
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(token_key, token, self.seconds):
                token = cache.get(token_key)  # another request set it meanwhile
        value = compute()  # computed after the token was read: a change from now on deletes the token
        if token is not None:
            cache.set(value_key, (token, value), self.seconds)
        return value

    def changed(self, subject_ids: Iterable) -> None:
        """What these subjects' figures count changed: their kept values are not used again (at once, and after
        commit, for a value computed meanwhile from the database as it was before the change)."""
        if not shared_cache():
            return
        keys = [self._token_key(subject_id) for subject_id in {pk for pk in subject_ids if pk is not None}]
        for batch in batched(keys, KEY_BATCH_SIZE):
            cache.delete_many(batch)
            transaction.on_commit(functools.partial(cache.delete_many, batch))


class KeptSet:
    """A set of ids (e.g. the users who see a tab) kept in the shared cache, asked on every page of its users.

    A page reads only the set's version, a short token; the set itself (which grows with the city: every building
    head of every community) is read again only when the version changed since this process last read it. `replace`
    writes the set, then a new version, and only when the set changed. With the version missing (a restarted
    cache) the set is empty until it is replaced again, as it was when the set itself was missing."""

    def __init__(self, key: str):
        self.key = key
        self.version_key = f"{key}:version"
        self._read: tuple[str | None, frozenset] = (None, frozenset())  # this process's last read

    def get(self) -> frozenset:
        version = cache.get(self.version_key)
        if version is None:
            return frozenset()
        read_version, members = self._read
        if version != read_version:
            members = cache.get(self.key) or frozenset()
            self._read = (version, members)
        return members

    def replace(self, members) -> int:
        members = frozenset(members)
        if cache.get(self.key) != members or cache.get(self.version_key) is None:
            cache.set(self.key, members, timeout=None)
            cache.set(self.version_key, uuid.uuid4().hex, timeout=None)
        return len(members)
