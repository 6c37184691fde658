"""Pages for members (the needs board, claims, service records, my service) and the public board."""

import functools

from crispy_forms.utils import render_crispy_form
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import public_pages
from communities.platform.web import apply_service_errors, next_url
from communities.qr import qr_svg
from registration.selectors import member_for_user

from . import selectors, services
from .forms import ClaimForm, RecordForm
from .models import Claim, PostType, ServiceNeed

PAGE_SIZE = 20


def _member_or_403(user):
    member = member_for_user(user=user)
    if member is None:
        raise PermissionDenied
    return member


def _public_community(code: str):
    """The community of a public page, from the shared cache once read (a crowd scanning one poster asks the
    database nothing); an unknown code is a 404 and stays out of the cache."""
    return public_pages.cached(f"community:{code}", get=lambda: selectors.community_get_public(code=code))


@public_pages.whole_page
def public_board(request, code: str):
    """社区需求公示栏: published needs by post type with places left, and who serves here (name and unit)."""
    community = _public_community(code)
    # The board's rows are read only when its cached fragment has to be drawn (communities.public_pages).
    # Who serves here only at the community's public address, never at its guessable code (issue 19, finding 9).
    listed = community.by_public_slug
    context = {
        "community": community,
        "listed": listed,
        "public_id": community.public_slug if listed else community.code,
        "board": lambda: selectors.public_board(community=community, with_members=listed),
    }
    return render(request, "services/public_board.html", context)


@public_pages.whole_page
def public_board_print(request, code: str):
    """The A4 poster for the party-affairs notice board, with a QR code that opens the board on a phone."""
    community = _public_community(code)
    # The QR code opens the board at the address the poster was opened by: the public address (staff's link, which
    # lists who serves there) or the code, which never leads to the public address.
    listed = community.by_public_slug
    public_id = community.public_slug if listed else community.code
    board_url = request.build_absolute_uri(reverse("services:public-board", args=[public_id]))
    context = {
        "community": community,
        "board_url": board_url,
        "listed": listed,
        "fragment_vary": f"{board_url}|{listed}",
        # Read and drawn only when the cached fragment has to be drawn (communities.public_pages).
        "board": lambda: _poster(board_url, selectors.public_board(community=community, with_members=listed)),
    }
    return render(request, "services/public_board_print.html", context)


# Needs on one A4 sheet of the poster (two columns of three cards: board-print.css).
POSTER_NEEDS_PER_SHEET = 6


def _poster(board_url: str, board: dict) -> dict:
    """The board's figures laid out for print: its needs (in the board's order) in sheets of six, and the QR code."""
    needs = [need for _label, group in board["groups"] for need in group]
    sheets = [needs[start : start + POSTER_NEEDS_PER_SHEET] for start in range(0, len(needs), POSTER_NEEDS_PER_SHEET)]
    return {"qr_code": qr_svg(board_url), **board, "sheets": sheets}


def claim_form_html(form=None) -> str:
    """The claim form's fields: every card of the board shows the same empty form, rendered by crispy-forms
    once per language and process (per card it was most of the board's time, then 1 ms a page). No CSRF token
    in it: each card's form has its own {% csrf_token %}."""
    return render_crispy_form(form) if form is not None else _empty_claim_form_html(get_language())


@functools.lru_cache(maxsize=8)
def _empty_claim_form_html(language: str) -> str:
    return render_crispy_form(ClaimForm())


@login_required
def need_board(request):
    """The members' board: filters by post type, how met and places left; the member's skills first."""
    member_id, home = selectors.board_visitor(user=request.user)
    if member_id is None:
        raise PermissionDenied
    filters = {
        "post_type": request.GET.get("post_type", "") if request.GET.get("post_type") in PostType.values else "",
        "fulfilment": request.GET.get("fulfilment", "")
        if request.GET.get("fulfilment") in ServiceNeed.Fulfilment.values
        else "",
        "open_only": request.GET.get("open") == "1",
        "nearby": request.GET.get("nearby") == "1",
    }
    # A list, counted by its length (selectors.need_board_list).
    page = Paginator(selectors.need_board_list(member_id=member_id, home=home, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "post_types": PostType.choices,
        "fulfilments": ServiceNeed.Fulfilment.choices,
        "claim_form_html": claim_form_html(),
        "home_community": home,
    }
    return render(request, "services/need_board.html", context)


@login_required
def need_detail(request, need_id: int):
    member = _member_or_403(request.user)
    need = selectors.need_get_for_member(member=member, need_id=need_id)
    context = {"need": need, "needs": [need], "claim_form_html": claim_form_html()}
    return render(request, "services/need_detail.html", context)


@login_required
@require_POST
def claim_create(request, need_id: int):
    """Claim a place. With htmx the need's card is swapped in place; without JavaScript, back to the board.
    A need that has ended or is full is refused before the commitment is looked at."""
    member = _member_or_403(request.user)
    need = selectors.need_get_for_member(member=member, need_id=need_id)
    form = ClaimForm(request.POST)
    error = None if need.claimed_by_me else services.claim_refusal(need)
    if error:
        form = None
    elif form.is_valid():
        try:
            services.claim_create(member=member, need_id=need.pk, commitment=form.cleaned_data["commitment"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(form.errors.get("commitment", []))
    if request.htmx:
        need = selectors.need_get_for_member(member=member, need_id=need.pk)
        form_html = claim_form_html(form if error and form is not None else None)
        context = {"needs": [need], "claim_form_html": form_html, "claim_error": error}
        return render(request, "services/partials/need_cards.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("You have claimed %(title)s.") % {"title": need.title})
    return redirect(next_url(request, reverse("services:need-board")))


@login_required
@require_POST
def claim_cancel(request, claim_id: int):
    member = _member_or_403(request.user)
    try:
        services.claim_cancel(member=member, claim_id=claim_id)
    except Claim.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your claim is cancelled; the place is free again."))
    return redirect("services:my-service")


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request):
    """Log service done: against one of my claims, or on my own initiative in my community."""
    member = _member_or_403(request.user)
    claims = Claim.objects.filter(member=member, status__in=services.PLACE_HOLDING).select_related("need")
    initial = {"claim": request.GET.get("claim")} if request.GET.get("claim") else None
    form = RecordForm(request.POST or None, claims=claims, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_create(
                member=member,
                claim_id=data["claim"].pk if data["claim"] else None,
                community=services.member_service_community(member),
                served_on=data["served_on"],
                hours=data["hours"],
                description=data["description"],
                outcome=data["outcome"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Service logged. It counts once the community verifies it."))
            return redirect("services:my-service")
    return render(request, "services/record_form.html", {"form": form})


@login_required
def my_service(request):
    """My hours (time bank), this year's points and stars, my claims and records."""
    member = _member_or_403(request.user)
    context = {
        "member": member,
        "summary": selectors.member_service_summary(member=member),
        "claims": selectors.member_claim_list(member=member)[:50],
        "records": selectors.member_record_list(member=member)[:50],
    }
    return render(request, "services/my_service.html", context)
