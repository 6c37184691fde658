from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Notification


@login_required
def inbox(request):
    """The user's in-app messages, newest first."""
    messages = Notification.objects.filter(user=request.user, channel=Notification.Channel.INBOX).order_by("-pk")
    page = Paginator(messages, 30).get_page(request.GET.get("page"))
    return render(request, "communities/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_read(request):
    Notification.objects.filter(
        user=request.user, channel=Notification.Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())
    return redirect("communities:inbox")
