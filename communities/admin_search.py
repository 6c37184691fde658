"""Admin searches stay out of URLs (issue 19, finding 7): a full phone or ID number typed into an admin
changelist's search box would otherwise sit in `?q=` in access logs, browser history and the Referer.

The search form (templates/admin/search_form.html) is POSTed; `ReferencedSearchMixin.changelist_view` keeps the
term in the session under a short random reference and redirects to the same list with `?_s=<reference>`
(post/redirect/get), the other filters kept. On GET the reference is turned back into the term for Django's
ChangeList, whose links (paging, filters, sorting) carry the reference instead of the term. A `q` in a URL is
not read. A reference means nothing outside its session and lapses after REFERENCE_SECONDS.
"""

import secrets
import time

from django.contrib import messages
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

REFERENCE_VAR = "_s"
REFERENCE_SECONDS = 3600
KEPT = 10
SESSION_KEY = "admin_searches"


def remember(session, term: str) -> str:
    now = int(time.time())
    kept = {ref: (t, at) for ref, (t, at) in session.get(SESSION_KEY, {}).items() if now - at < REFERENCE_SECONDS}
    reference = secrets.token_urlsafe(6)
    kept[reference] = (term, now)
    session[SESSION_KEY] = dict(sorted(kept.items(), key=lambda item: item[1][1])[-KEPT:])
    return reference


def recall(session, reference: str) -> str | None:
    kept = session.get(SESSION_KEY, {}).get(reference) if reference else None
    if kept is None or int(time.time()) - kept[1] >= REFERENCE_SECONDS:
        return None
    return kept[0]


class ReferencedChangeList(ChangeList):
    """Links keep the search's reference, never its term."""

    search_reference = ""

    def get_query_string(self, new_params=None, remove=None):
        new_params = dict(new_params or {})
        new_params[SEARCH_VAR] = None
        if self.search_reference and REFERENCE_VAR not in new_params:
            new_params[REFERENCE_VAR] = self.search_reference
        return super().get_query_string(new_params, remove)


def _is_search_post(request) -> bool:
    # The action form and list_editable's form post to the same URL: only the search box sends q alone.
    return SEARCH_VAR in request.POST and "action" not in request.POST and "_save" not in request.POST


class ReferencedSearchMixin:
    def get_changelist(self, request, **kwargs):
        reference = getattr(request, "admin_search_reference", "")
        return type("ReferencedChangeList", (ReferencedChangeList,), {"search_reference": reference})

    def get_preserved_filters(self, request):
        # The change pages' way back to the list (_changelist_filters) carries the reference, not the term.
        reference = getattr(request, "admin_search_reference", "")
        if not reference:
            return super().get_preserved_filters(request)
        shown = request.GET
        params = shown.copy()
        params.pop(SEARCH_VAR, None)
        params[REFERENCE_VAR] = reference
        request.GET = params
        try:
            return super().get_preserved_filters(request)
        finally:
            request.GET = shown

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and _is_search_post(request):
            params = request.GET.copy()
            for name in (SEARCH_VAR, REFERENCE_VAR, PAGE_VAR):
                params.pop(name, None)
            term = request.POST.get(SEARCH_VAR, "").strip()
            if term:
                params[REFERENCE_VAR] = remember(request.session, term)
            query = params.urlencode()
            return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        if request.method == "GET" and (SEARCH_VAR in request.GET or REFERENCE_VAR in request.GET):
            params = request.GET.copy()
            params.pop(SEARCH_VAR, None)  # a term in a URL is not read
            reference = params.pop(REFERENCE_VAR, [""])[0]
            term = recall(request.session, reference)
            if reference and term is None:
                messages.info(request, _("That search has lapsed. Search again."))
            if term:
                params[SEARCH_VAR] = term
                request.admin_search_reference = reference
            request.GET = params
        return super().changelist_view(request, extra_context)
