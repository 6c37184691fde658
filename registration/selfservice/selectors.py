"""Reads of the self-service pages; every liaison read starts from the units in the user's scope."""

from django.db.models import Exists
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communities.models import ReminderSent
from communities.reminders import iso_week, keyed
from registration.selectors import RosterStatus, roster_list

from .models import ProfileChange, ReturnedFields
from .services import LIAISON_NUDGE


def profile_history(*, member):
    """The member's changes of their own data, newest first, with the units and the report they sent."""
    return (
        ProfileChange.objects.filter(member=member)
        .select_related("unit_before", "unit_after", "report__community")
        .order_by("-changed_at", "-pk")
    )


def returned_fields(*, report) -> list[str]:
    """The details the rejection of this report named (CORRECTABLE_FIELDS keys); [] for the report as a whole."""
    row = ReturnedFields.objects.filter(report=report).values_list("fields", flat=True).first()
    return list(row or [])


def unregistered_contacts(*, unit, now=None):
    """The unit's roster members not registered (the roster page's "not registered", as the rates count them), by
    name, each with `reminded_this_week`: whether the liaison's reminder of this ISO week went to them."""
    week = iso_week(timezone.localdate(now or timezone.now()))
    reminded = ReminderSent.objects.filter(kind=LIAISON_NUDGE, period=week, recipient=keyed("roster:", "pk"))
    return roster_list(unit=unit, status=RosterStatus.NOT_REGISTERED).annotate(reminded_this_week=Exists(reminded))


def roster_entry_for_unit(*, unit, entry_id: int):
    """One entry of the unit's roster with its state now (is_registered, is_pending, is_reported); 404 otherwise."""
    return get_object_or_404(roster_list(unit=unit), pk=entry_id)
