from django.utils.functional import SimpleLazyObject

from .notifications import unread_count
from .public_pages import large_text_on


def inbox(request):
    """The unread count for the page header, counted only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}


def large_text(request):
    """The large-text mode (长辈版) for the page frame."""
    return {"large_text": large_text_on(request)}
