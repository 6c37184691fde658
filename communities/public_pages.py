"""Public pages (no login) drawn once and served from the shared cache: a poster's QR code is scanned by a whole
neighbourhood at once.

A page's cached part is stored under its name, the language, what it varies on and the *versions* of what it
shows: a token per community (its needs, claims, who serves there) and one for the organisation (the places and
units every public page names). Whatever changes what a page shows bumps the version (a new random token), so the
next request misses and draws the page again: never stale after a change, and nothing to delete. Only a fragment is
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


def versions(scopes) -> str:
    """The current tokens of these scopes, in one cache round trip. A token evicted from the cache is replaced
    by a new one, never by an old one, so eviction can only cause a miss."""
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            token = _new_token()
            if not cache.add(key, token, timeout=None):  # another process set it first: use theirs
                token = cache.get(key) or token
        tokens.append(token)
    return ".".join(tokens)


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
    varying = hashlib.md5(vary.encode(), usedforsecurity=False).hexdigest()
    key = f"public:{name}:{get_language()}:{varying}:{versions([ORGANISATION, *scopes])}"
    html = cache.get(key)
    if html is None:
        html = str(draw())
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html)  # noqa: S308  (drawn by our own template, escaped there)


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
