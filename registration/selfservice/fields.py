"""The member's details a rejection can name and a correction can change: one list, read by the staff's reject
form, the correction form (the reason shown beside each field it names) and the profile's history."""

from django.utils.translation import gettext_lazy as _

# (key, label): the key is the correction form's field name.
CORRECTABLE_FIELDS = [
    ("unit", _("Work unit")),
    ("position", _("Current position")),
    ("skills", _("Special skills")),
    ("service_wishes", _("Service wishes")),
    ("home_address", _("Home address")),
    ("kind", _("Kind of report")),
]
FIELD_LABELS = dict(CORRECTABLE_FIELDS)
# What the profile's history names: the correctable details, and the free-text skills beside the chosen ones.
HISTORY_LABELS = {**FIELD_LABELS, "specialty": _("Other skills")}


def field_labels(keys) -> list[str]:
    """The labels of these keys, in the list's order; unknown keys (a field since dropped) are left out."""
    return [str(HISTORY_LABELS[key]) for key in HISTORY_LABELS if key in set(keys)]
