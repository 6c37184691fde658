"""Pages of the export approvals: the requests (file one, decide others'), and the download of an approved one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.platform import policies
from communities.platform.web import apply_service_errors
from registration.ledger_export import ledger_xlsx

from . import selectors, services
from .forms import DecisionForm, ExportRequestForm

RECENT = 30  # requests listed besides those to decide: the newest


@login_required
@require_http_methods(["GET", "POST"])
def requests_page(request):
    """申请导出完整信息: file a request; the requests to decide; the user's and their places' recent requests."""
    policies.require("export_approvals.open_requests", request.user)
    may_request = policies.allowed("registration.export_ledger_in_full", request.user)
    communities = selectors.communities_to_request(user=request.user)
    form = None
    if may_request:
        form = ExportRequestForm(request.POST or None, communities=communities)
        if request.method == "POST" and form.is_valid():
            try:
                services.export_request_file(
                    requester=request.user,
                    community=form.cleaned_data["community"],
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Requested. Another staff member of the place approves or refuses it."))
                return redirect("registration:export-requests")
    elif request.method == "POST":
        policies.require("registration.export_ledger_in_full", request.user)
    context = {
        "form": form,
        "hours": settings.EXPORT_APPROVAL_HOURS,
        "downloads": settings.EXPORT_APPROVAL_DOWNLOADS,
        "to_decide": list(selectors.requests_to_decide(user=request.user)),
        "recent": list(selectors.requests_visible_to(user=request.user)[:RECENT]),
        "decision_form": DecisionForm(),
    }
    return render(
        request, "export_approvals/requests.html", context, status=400 if form is not None and form.errors else 200
    )


@login_required
@require_POST
def decide(request, request_id: int):
    """Approve (approve=1) or refuse a request, with a note."""
    policies.require("export_approvals.open_requests", request.user)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = request.POST.get("approve") == "1"
        try:
            services.export_request_decide(
                approver=request.user, request_id=request_id, approve=approve, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Approved.") if approve else _("Refused."))
    else:
        messages.error(request, " ".join(form.errors["note"]))
    return redirect("registration:export-requests")


@login_required
@require_POST
def download(request, request_id: int):
    """The full ledger of an approved request's place, by its requester: the same file the ledger's full export
    gave, counted against the request's downloads."""
    policies.require("export_approvals.open_requests", request.user)
    try:
        export_request = services.export_request_use(requester=request.user, request_id=request_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registration:export-requests")
    return ledger_xlsx(user=request.user, full=True, community=export_request.community, request_id=export_request.pk)
