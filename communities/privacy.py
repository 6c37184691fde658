"""Pages with personal data stay out of caches, and sessions end when left alone (issue 19, finding 7).

- `NoStoreMiddleware`: `Cache-Control: no-store, private` on every response that may carry personal data: any
  response to a logged-in user (members' and staff's pages, exports), to a POST (a form shown again with what was
  typed), and any page with a form (it rendered a CSRF token: the registration and login forms). A shared phone's
  browser, a proxy or the back button then has nothing to show the next person. Public pages without a form
  (the home page, static files) stay cacheable.
- `SessionRenewalMiddleware`: a session lives SESSION_COOKIE_AGE after it was last saved (8 hours by default) and
  its cookie only as long as the browser (SESSION_EXPIRE_AT_BROWSER_CLOSE). A session in use is saved again at
  most once every RENEW_FRACTION of that, so the limit counts time left alone without a write on every request.
  Staff sessions have their own, shorter limits (communities.sessions), which touch the session more often.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.cache import patch_cache_control

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
RENEW_FRACTION = 8  # a session in use is saved again once it is 1/8 of SESSION_COOKIE_AGE old: hourly for 8 hours


def may_hold_personal_data(request) -> bool:
    user = getattr(request, "user", None)
    return bool(
        (user is not None and user.is_authenticated)
        or request.method not in SAFE_METHODS
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a CSRF token was rendered: the page holds a form
    )


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if may_hold_personal_data(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionRenewalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # "last_seen_at" is set at every login (communities.sessions.mark_staff_session); a session without it
        # is not logged in, and is not written just to renew it. Staff sessions are left to their own middleware,
        # which reads "last_seen_at" for its idle limit.
        if (
            session is not None
            and SESSION_KEY in session
            and "last_seen_at" in session
            and not session.get("staff_limits")
        ):
            now = int(time.time())
            if now - session["last_seen_at"] > settings.SESSION_COOKIE_AGE // RENEW_FRACTION:
                session["last_seen_at"] = now  # saved by SessionMiddleware, with a new expiry
        return self.get_response(request)
