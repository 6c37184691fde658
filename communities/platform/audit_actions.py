"""The audit trail's vocabulary: every action name an app may write, with its label. The table stores the plain
name; each app declares its own names (``REPORT_CONFIRM = register("report_confirm", _("report confirmed"))``)
so that the base app names no action of the apps above it, and a name nobody declared is refused when written."""

from django.core.exceptions import ImproperlyConfigured

_labels: dict = {}


def register(name: str, label) -> str:
    """Declare the action `name` (at most 40 characters: the column) with its translatable label; returns the name,
    for use as a constant. Declaring a name again with another label is refused: two apps would share one code."""
    if len(name) > 40:
        raise ImproperlyConfigured(f"Audit action {name!r} is longer than 40 characters.")
    known = _labels.get(name)
    if known is not None and str(known) != str(label):
        raise ImproperlyConfigured(f"Audit action {name!r} is declared twice with different labels.")
    _labels[name] = label
    return name


def is_registered(name: str) -> bool:
    return name in _labels


def label(name: str) -> str:
    """The action's label; an action no longer declared (its app removed) shows by its name."""
    return str(_labels.get(name, name))


def choices() -> list[tuple[str, str]]:
    """(name, label) of every declared action, by label, for filters."""
    return sorted(((name, str(text)) for name, text in _labels.items()), key=lambda pair: pair[1])
