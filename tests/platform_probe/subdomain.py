"""A sub-domain as a new app would write it: everything it needs from the platform, by registering only.

`register()` is what its AppConfig.ready() would run; the test calls it at run time (and restores the registries
afterwards) so that the rest of the suite sees the project as it is.
"""

import rules
from celery import shared_task
from celery.schedules import crontab
from django.http import HttpResponse

from communities.audit import audit
from communities.notifications import Message, Reminder, remind_many
from communities.platform import audit_actions, jobs, navigation, policies
from communities.reminders import resolve_now

PROBE_ACTION = "probe_visit"
PROBE_KIND = "probe-reminder"


@shared_task
def probe_remind_task(now: str | None = None) -> int:
    """A reminder rule: one inbox message to each active superuser, once a day."""
    from registration.models import User

    period = resolve_now(now).date().isoformat()
    reminders = [
        Reminder(period=period, recipient=f"user:{pk}", message=Message(title="probe", user_id=pk))
        for pk in User.objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True)
    ]
    return remind_many(kind=PROBE_KIND, reminders=reminders)


@shared_task
def probe_cleanup_task() -> int:
    """A scheduled job."""
    return 0


@rules.predicate
def is_probe_leader(user) -> bool:
    """A role of the sub-domain's own, read from its own data (here: a username prefix)."""
    return bool(policies.is_active(user) and user.get_username().startswith("probe-leader"))


def probe_page(request):
    policies.require("probe.open_probe_page", request.user)
    audit(action=PROBE_ACTION, request=request)
    return HttpResponse("probe page")


def _probe_panel(request, subject) -> dict:
    return {"subject": subject}


def register():
    policies.define("probe.open_probe_page", policies.is_community_staff | is_probe_leader)
    audit_actions.register(PROBE_ACTION, "probe page opened")
    jobs.reminder_rule(probe_remind_task)
    jobs.job(probe_cleanup_task, schedule=crontab(hour=4, minute=15))
    navigation.staff_tabs.add("probe", "Probe tab", "probe-page", policy="probe.open_probe_page", order=65)
    navigation.add_panel("member_home", "probe", template="platform_probe/panel.html", context=_probe_panel)
