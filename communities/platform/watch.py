"""Watched runs: long jobs that an app registers so that one stuck is noticed (issue 15).

A run that makes no progress for WATCHED_RUN_STUCK_MINUTES (its tasks lost with a Redis restarted without
persistence, a worker gone) is queued again when the app says how, and the system administrators are told, in the
inbox and by email, once per run and stall. An app registers its runs from its ``tasks.py``:

    watch.register(
        "assessment",
        stuck=lambda before: [
            watch.StuckRun(key=str(run.pk), label=str(run), started_at=run.started_at, progress_at=run.progress_at,
                           link=reverse("admin:services_assessmentrun_change", args=[run.pk]))
            for run in AssessmentRun.objects.running_without_progress_since(before)
        ],
        resume=lambda key: assessment_run_task.delay(...),
    )

`stuck(before)` lists the runs still running whose last progress (or start) is older than `before`; `resume(key)`
queues the run again (it must be safe to run twice: a resumed run does only what is left).
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StuckRun:
    key: str  # the run's identity within its kind, e.g. its primary key
    label: str  # what the message calls it
    started_at: datetime
    progress_at: datetime  # the last progress (or the start): a new stall after progress is told again
    link: str = ""  # the page that shows it (its age, its progress)


@dataclass(frozen=True)
class Watched:
    name: str
    stuck: Callable[[datetime], Iterable[StuckRun]]
    resume: Callable[[str], object] | None = None


_watched: dict[str, Watched] = {}


def register(name: str, *, stuck, resume=None) -> Watched:
    if name in _watched:
        raise ImproperlyConfigured(f"Watched runs {name!r} are registered twice.")
    _watched[name] = Watched(name=name, stuck=stuck, resume=resume)
    return _watched[name]


def unregister(name: str) -> None:
    _watched.pop(name, None)


def registered() -> list[Watched]:
    return list(_watched.values())


def _stall_key(watched: Watched, run: StuckRun) -> tuple[str, str]:
    """The reminder key of one stall of one run: kind `stuck:<name>`, period a digest of the run and its last
    progress (the period column holds 20 characters)."""
    digest = hashlib.sha256(f"{run.key}@{run.progress_at.isoformat()}".encode()).hexdigest()[:20]
    return f"stuck:{watched.name}"[:40], digest


def check_stuck_runs(*, now=None) -> list[str]:
    """Every registered kind of run: the runs without progress for WATCHED_RUN_STUCK_MINUTES are queued again
    (when the kind says how) and the system administrators told, once per run and stall (the reminder keys).
    Returns "<name>:<key>" of the runs newly found stuck."""
    from communities.models import ReminderSent, StaffAssignment
    from communities.notifications import Channel, Message, Reminder, remind_many

    now = now or timezone.now()
    before = now - timedelta(minutes=settings.WATCHED_RUN_STUCK_MINUTES)
    admins = list(
        StaffAssignment.objects.filter(role=StaffAssignment.Role.SYSTEM_ADMIN, user__is_active=True)
        .values_list("user_id", "user__email")
        .distinct()
    )
    found = []
    for watched in registered():
        for run in watched.stuck(before):
            kind, period = _stall_key(watched, run)
            # The run's own key first: queued again once per stall, whoever is told.
            _row, new = ReminderSent.objects.get_or_create(kind=kind, period=period, recipient="run")
            if not new:
                continue
            found.append(f"{watched.name}:{run.key}")
            resumed = False
            if watched.resume is not None:
                try:
                    watched.resume(run.key)
                    resumed = True
                except Exception:  # the administrators are told all the same
                    logger.exception("resuming %s %s failed", watched.name, run.key)
            minutes = int((now - run.progress_at).total_seconds() // 60)
            body = (
                _(
                    "No progress for %(minutes)d minutes (started %(started)s). It has been queued again; if it "
                    "still makes no progress, check that the Celery workers and Redis are running."
                )
                if resumed
                else _(
                    "No progress for %(minutes)d minutes (started %(started)s). Check that the Celery workers "
                    "and Redis are running, then start it again."
                )
            ) % {"minutes": minutes, "started": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M")}
            message = dict(title=_("A job is stuck: %(label)s") % {"label": run.label}, body=body, link=run.link)
            remind_many(
                kind=kind,
                reminders=[
                    Reminder(
                        period=period,
                        recipient=f"user:{user_id}",
                        message=Message(
                            **message, user_id=user_id, has_email=bool(email), channels=(Channel.INBOX, Channel.EMAIL)
                        ),
                    )
                    for user_id, email in admins
                ],
            )
            logger.warning("stuck: %s %s, no progress for %d minutes", watched.name, run.key, minutes)
    return found
