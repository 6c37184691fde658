"""Public pages (no login) drawn once and served from the shared cache: a poster's QR code is scanned by a whole
neighbourhood at once.

A page's cached part is stored under its name, the language and what it varies on, together with the *versions*
of what it shows when it was drawn: a token per community (its needs, claims, who serves there) and one for the
organisation (the places and units every public page names). Whatever changes what a page shows bumps the version
(a new random token), so the next request finds the tokens changed and draws the page again: never stale after a
change, and nothing to delete. Only a fragment is
cached, never a response: the header around it differs per visitor (the logged-in user, the CSRF token).
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# How long a drawn fragment is kept. Versions make it fresh; the limit only bounds what an unforeseen change
# (a bulk update that sends no signal) could leave showing.
FRAGMENT_SECONDS = 600
ORGANISATION = "organisation"


def community_scope(community_id: int) -> str:
    return f"community:{community_id}"


def _version_key(scope: str) -> str:
    return f"public:version:{scope}"


def _new_token() -> str:
    return uuid.uuid4().hex[:16]


def _tokens(version_keys, found: dict) -> tuple:
    """The current tokens of these version keys, read already into `found`. A token evicted from the cache is
    replaced by a new one, never by an old one, so eviction can only cause a miss."""
    tokens = []
    for key in version_keys:
        token = found.get(key)
        if token is None:
            token = _new_token()
            if not cache.add(key, token, timeout=None):  # another process set it first: use theirs
                token = cache.get(key) or token
        tokens.append(token)
    return tuple(tokens)


def versions(scopes) -> tuple:
    """The current tokens of these scopes."""
    keys = [_version_key(scope) for scope in scopes]
    return _tokens(keys, cache.get_many(keys))


def cached(key: str, *, scopes=(), get):
    """`get()`, kept in the cache under `key` with the tokens of the organisation and these scopes it was read
    under: a hit costs one cache round trip (the value and the current tokens together) and no query. A value
    stored late under tokens bumped meanwhile is never served: its tokens no longer match. Whatever `get` raises
    (Http404) passes through and nothing is stored."""
    # Hashed: part of the key comes from the address (a community code), whatever a visitor typed there.
    key = "public:" + hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
    version_keys = [_version_key(scope) for scope in (ORGANISATION, *scopes)]
    found = cache.get_many([key, *version_keys])
    tokens = _tokens(version_keys, found)
    stored = found.get(key)
    if stored is not None and stored[0] == tokens:
        return stored[1]
    value = get()
    cache.set(key, (tokens, value), FRAGMENT_SECONDS)
    return value


def _bump_now(scopes) -> None:
    cache.set_many({_version_key(scope): _new_token() for scope in scopes}, timeout=None)


def bump(*scopes: str) -> None:
    """Make the public pages of these scopes draw again. Bumped now (this process's next page, inside the
    transaction too, is fresh) and again after commit: another process may have drawn the page from the rows
    as they were before the commit and stored it under the version bumped now."""
    if not scopes:
        return
    _bump_now(scopes)
    transaction.on_commit(lambda: _bump_now(scopes))


def fragment(name: str, *, scopes, vary: str = "", draw) -> SafeString:
    """The cached HTML of the fragment `name` for these scopes and `vary`, drawn by `draw()` on a miss."""
    key = f"{name}:{get_language()}:{':'.join(scopes)}:{vary}"
    return mark_safe(cached(key, scopes=scopes, get=lambda: str(draw())))  # noqa: S308  (escaped by its template)


def _organisation_changed(sender, **kwargs):
    bump(ORGANISATION)


def connect_signals() -> None:
    """Every public page names places and units: a change to one of them draws every public page again (rare:
    the organisation department edits them in the admin)."""
    from django.db.models.signals import post_delete, post_save

    from .models import Community, District, Street, Unit

    for model in (District, Street, Community, Unit):
        post_save.connect(_organisation_changed, sender=model, dispatch_uid=f"public-pages-{model.__name__}-save")
        post_delete.connect(_organisation_changed, sender=model, dispatch_uid=f"public-pages-{model.__name__}-delete")
