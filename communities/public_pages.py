"""Public pages (no login) drawn once and served from the shared cache: a poster's QR code is scanned by a whole
neighbourhood at once.

A page's cached part is stored under its name, the language and what it varies on, together with the *versions*
of what it shows when it was drawn: a token per community (its needs, claims, who serves there) and one for the
organisation (the places and units every public page names). Whatever changes what a page shows bumps the version
(a new random token), so the next request finds the tokens changed and draws the page again: never stale after a
change, and nothing to delete. Only a fragment is
cached, never a response: the header around it differs per visitor (the logged-in user, the CSRF token).
"""

import contextvars
import functools
import hashlib
import math
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
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


def cached(key: str, *, scopes=(), get, seconds=None):
    """`get()`, kept in the cache under `key` with the tokens of the organisation and these scopes it was read
    under: a hit costs one cache round trip (the value and the current tokens together) and no query. A value
    stored late under tokens bumped meanwhile is never served: its tokens no longer match. Whatever `get` raises
    (Http404) passes through and nothing is stored. `seconds()`, asked after `get()`, may shorten the time the
    value is kept (what it shows changes by itself then, with no change to bump a version: a need that ends)."""
    # Hashed: part of the key comes from the address (a community code), whatever a visitor typed there.
    key = "public:" + hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
    version_keys = [_version_key(scope) for scope in (ORGANISATION, *scopes)]
    found = cache.get_many([key, *version_keys])
    tokens = _tokens(version_keys, found)
    stored = found.get(key)
    if stored is not None and stored[0] == tokens:
        _note_read(version_keys, tokens, stored[2] if len(stored) > 2 else None)
        return stored[1]
    value = get()
    limit = seconds() if seconds is not None else None
    keep = FRAGMENT_SECONDS if limit is None else max(1, min(FRAGMENT_SECONDS, math.ceil(limit)))
    expires = time.time() + keep
    cache.set(key, (tokens, value, expires), keep)
    _note_read(version_keys, tokens, expires)
    return value


# --- Whole pages for anonymous visitors --------------------------------------------------------------------------
# A poster's QR code is scanned by a crowd, all anonymous: for them the whole response is kept, so that a hit
# renders no template at all. What a page shows is what its cached parts (above) show: while the view runs, every
# version token those parts were read under is noted, and the page is served again only while all are unchanged,
# and no longer than its shortest-lived part.


class _Reads:
    def __init__(self):
        self.tokens: dict = {}
        self.expires: float | None = None

    def note(self, version_keys, tokens, expires):
        for key, token in zip(version_keys, tokens, strict=True):
            # The first token read is kept: a bump while the page is drawn makes the page stale at once.
            self.tokens.setdefault(key, token)
        if expires is not None:
            self.expires = expires if self.expires is None else min(self.expires, expires)


_reads: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar("public_page_reads", default=None)


def _note_read(version_keys, tokens, expires) -> None:
    reads = _reads.get()
    if reads is not None:
        reads.note(version_keys, tokens, expires)


# The cookies an anonymous public page may be asked with and still be shared: the large-text mode is part of the
# key, CSRF's cookie is not used by a page without a form. Any other cookie (a session, messages) draws the page.
LARGE_TEXT_COOKIE = "large_text"  # the large-text mode (长辈版), switched by communities.views.large_text


def large_text_on(request) -> bool:
    """Whether the page is drawn in large text: the cookie holds "1" (any other value, as typed by hand, is off and
    shares the standard page's cache entry)."""
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


SHARED_COOKIES = frozenset({LARGE_TEXT_COOKIE, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME})
_KEPT_HEADERS = ("Content-Type", "Content-Language")


def _shareable(request) -> bool:
    return request.method == "GET" and set(request.COOKIES) <= SHARED_COOKIES


# Page key → the version keys it was last stored under, per process: bounded, a miss only costs a round trip.
_page_versions: dict = {}
_PAGE_VERSIONS_KEPT = 10_000


def _remember_versions(key: str, tokens: dict) -> None:
    if len(_page_versions) >= _PAGE_VERSIONS_KEPT:
        _page_versions.clear()
    _page_versions[key] = tuple(tokens)


def whole_page(view):
    """A public view whose response, for an anonymous visitor, depends on nothing but its address, the language and
    the large-text mode, and whose data all come through `cached`/`fragment` (so that their versions say when it
    changed). Logged-in visitors and any response that sets a cookie or used CSRF are drawn as usual."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _shareable(request):
            return view(request, *args, **kwargs)
        # The host too: the poster's QR code names the address it was asked at.
        variant = ":".join(
            [get_language(), "1" if large_text_on(request) else "", request.get_host(), request.get_full_path()]
        )
        key = "public:page:" + hashlib.md5(variant.encode(), usedforsecurity=False).hexdigest()
        # One round trip for the page and its versions once this process has seen which versions it has.
        found = cache.get_many([key, *_page_versions.get(key, ())])
        stored = found.get(key)
        if stored is not None:
            tokens, status, headers, content = stored
            if not all(version_key in found for version_key in tokens):
                _remember_versions(key, tokens)
                found.update(cache.get_many(list(tokens)))
            if all(found.get(version_key) == token for version_key, token in tokens.items()):
                response = HttpResponse(content, status=status)
                for name, value in headers:
                    response[name] = value
                return response
        reads = _Reads()
        context_token = _reads.set(reads)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        finally:
            _reads.reset(context_token)
        keep = FRAGMENT_SECONDS if reads.expires is None else math.floor(reads.expires - time.time())
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and reads.tokens
            and keep >= 1
        ):
            headers = [(name, response[name]) for name in _KEPT_HEADERS if response.has_header(name)]
            cache.set(key, (reads.tokens, response.status_code, headers, response.content), min(keep, FRAGMENT_SECONDS))
            _remember_versions(key, reads.tokens)
        return response

    return wrapper


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
    """The cached HTML of the fragment `name` for these scopes and `vary`, drawn by `draw()` on a miss. `draw()`
    returns the HTML, or (HTML, seconds) when what it shows changes by itself within `seconds` (None: it does not):
    it is then kept no longer."""
    limit = {}

    def get():
        drawn = draw()
        html, limit["seconds"] = drawn if isinstance(drawn, tuple) else (drawn, None)
        return str(html)

    html = cached(
        key=f"{name}:{get_language()}:{':'.join(scopes)}:{vary}",
        scopes=scopes,
        get=get,
        seconds=lambda: limit.get("seconds"),
    )
    # The HTML was rendered by a project template with autoescape on and is read back from the project's own cache.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


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
